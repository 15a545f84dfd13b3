import CSPipeCore
import Foundation
import Glibc

/// UTF-16 exports (Excel's "Unicode Text", some Windows tools) turned into UTF-8 so the CSV
/// reader can take them: streamed chunk by chunk into a temporary file, never held in memory.
/// A lone surrogate is an error naming its byte offset and line, never a silent replacement.
enum UTF16Transcoding {
  /// True when the bytes start with a UTF-16 byte order mark.
  static func hasByteOrderMark(_ head: ArraySlice<UInt8>) -> Bool {
    head.starts(with: [0xFF, 0xFE]) || head.starts(with: [0xFE, 0xFF])
  }

  /// Writes the UTF-8 form of `source` (BOM dropped) to a new temporary file and returns its path.
  static func transcode(_ source: ByteSource) throws -> String {
    let head = try source.peek(2)
    let bigEndian = head.starts(with: [0xFE, 0xFF])
    try source.skip(2)
    let (fd, path) = try makeTemporaryFile(prefix: "cspipe-utf16", for: source.name)
    defer { close(fd) }
    do {
      try convert(source, bigEndian: bigEndian, into: fd)
    } catch {
      unlink(path)
      throw error
    }
    return path
  }

  private static func convert(_ source: ByteSource, bigEndian: Bool, into fd: Int32) throws {
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    var output: [UInt8] = []
    output.reserveCapacity(3 << 20)
    var carry: UInt8?
    var highSurrogate: (unit: UInt32, offset: Int)?
    var offset = 2  // bytes of the file before the current code unit (the BOM came first)
    var line = 1
    func fail(_ at: Int) -> InputError {
      InputError(
        "not valid UTF-16: a lone surrogate at byte offset \(at)", at: SourceLocation(file: source.name, line: line))
    }
    func emit(_ scalar: UInt32) {
      if scalar == 0x0A { line += 1 }
      switch scalar {
      case ..<0x80: output.append(UInt8(scalar))
      case ..<0x800:
        output.append(UInt8(0xC0 | scalar >> 6))
        output.append(UInt8(0x80 | scalar & 0x3F))
      case ..<0x10000:
        output.append(UInt8(0xE0 | scalar >> 12))
        output.append(UInt8(0x80 | scalar >> 6 & 0x3F))
        output.append(UInt8(0x80 | scalar & 0x3F))
      default:
        output.append(UInt8(0xF0 | scalar >> 18))
        output.append(UInt8(0x80 | scalar >> 12 & 0x3F))
        output.append(UInt8(0x80 | scalar >> 6 & 0x3F))
        output.append(UInt8(0x80 | scalar & 0x3F))
      }
    }
    while true {
      let count = try chunk.withUnsafeMutableBytes { try source.read(into: $0) }
      if count == 0 { break }
      var bytes = ArraySlice(chunk[0..<count])
      if let first = carry {
        bytes = [first] + bytes
        carry = nil
        offset -= 1
      }
      var index = bytes.startIndex
      while index + 1 < bytes.endIndex {
        let a = UInt32(bytes[index])
        let b = UInt32(bytes[index + 1])
        let unit = bigEndian ? a << 8 | b : b << 8 | a
        if let high = highSurrogate {
          guard (0xDC00...0xDFFF).contains(unit) else { throw fail(high.offset) }
          emit(0x10000 + ((high.unit - 0xD800) << 10) + (unit - 0xDC00))
          highSurrogate = nil
        } else if (0xD800...0xDBFF).contains(unit) {
          highSurrogate = (unit, offset)
        } else if (0xDC00...0xDFFF).contains(unit) {
          throw fail(offset)
        } else {
          emit(unit)
        }
        index += 2
        offset += 2
      }
      if index < bytes.endIndex {
        carry = bytes[index]
        offset += 1
      }
      try write(&output, to: fd)
    }
    if let high = highSurrogate { throw fail(high.offset) }
    if carry != nil {
      throw InputError(
        "not valid UTF-16: the file ends in the middle of a character (odd length)",
        at: SourceLocation(file: source.name, line: line))
    }
    try write(&output, to: fd)
  }

  private static func write(_ output: inout [UInt8], to fd: Int32) throws {
    try output.withUnsafeBytes { raw in
      var done = 0
      while done < raw.count {
        let written = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
        guard written > 0 else { throw IOFailure(path: "<temporary>", message: "write failed: \(errnoDescription())") }
        done += written
      }
    }
    output.removeAll(keepingCapacity: true)
  }
}
