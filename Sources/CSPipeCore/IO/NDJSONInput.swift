import Glibc

/// Splits a byte source into lines: `\n`-terminated, a trailing `\r` dropped, the last line
/// allowed to lack its newline. Lines longer than the limit are reported, not buffered.
public final class LineReader {
  public let source: ByteSource
  public let maxLineBytes: Int

  public init(source: ByteSource, maxLineBytes: Int = 64 << 20) {
    self.source = source
    self.maxLineBytes = maxLineBytes
  }

  /// Calls `body(line, number, tooLong)` for every line; `line` is valid only during the call.
  public func forEachLine(
    _ body: (UnsafeBufferPointer<UInt8>, Int, Bool) throws -> Void
  ) throws {
    // A byte order mark (Windows editors, PowerShell's Out-File) is not part of the first record.
    if try source.peek(3).elementsEqual([0xEF, 0xBB, 0xBF]) { try source.skip(3) }
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    var carry: [UInt8] = []
    var carryTooLong = false
    var number = 0
    func deliver(_ line: UnsafeBufferPointer<UInt8>, tooLong: Bool) throws {
      number += 1
      var trimmed = line
      if let last = trimmed.last, last == ASCII.carriageReturn {
        trimmed = UnsafeBufferPointer(rebasing: trimmed.dropLast())
      }
      try body(trimmed, number, tooLong)
    }
    while true {
      let count = try chunk.withUnsafeMutableBytes { try source.read(into: $0) }
      if count == 0 { break }
      try chunk.withUnsafeBufferPointer { buffer in
        var start = 0
        while start < count {
          let remaining = count - start
          guard let found = memchr(buffer.baseAddress! + start, Int32(ASCII.lineFeed), remaining) else {
            if carry.count + remaining > maxLineBytes {
              carryTooLong = true
            } else {
              carry.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[start..<count]))
            }
            break
          }
          let end = buffer.baseAddress!.distance(to: found.assumingMemoryBound(to: UInt8.self))
          let piece = UnsafeBufferPointer(rebasing: buffer[start..<end])
          if carry.isEmpty && !carryTooLong {
            try deliver(piece, tooLong: piece.count > maxLineBytes)
          } else {
            let tooLong = carryTooLong || carry.count + piece.count > maxLineBytes
            if !tooLong { carry.append(contentsOf: piece) }
            try carry.withUnsafeBufferPointer { try deliver($0, tooLong: tooLong) }
            carry.removeAll(keepingCapacity: true)
            carryTooLong = false
          }
          start = end + 1
        }
      }
    }
    if !carry.isEmpty || carryTooLong {
      try carry.withUnsafeBufferPointer { try deliver($0, tooLong: carryTooLong) }
    }
  }
}

/// The input side every NDJSON-reading tool shares: files or standard input, one JSON object per
/// line. Blank lines are skipped; a line that is not a JSON object is rejected with its line and
/// byte column, and the run goes on.
public struct NDJSONInput {
  public let rejects: RejectLog
  public let maxLineBytes: Int
  /// Lines read that held a record (blank lines excluded).
  public private(set) var recordsRead = 0

  public init(rejects: RejectLog, maxLineBytes: Int = 64 << 20) {
    self.rejects = rejects
    self.maxLineBytes = maxLineBytes
  }

  /// Calls `body(record, location)` for every JSON object in `source`.
  public mutating func forEachRecord(
    in source: ByteSource, _ body: (JSONObject, SourceLocation) throws -> Void
  ) throws {
    try forEachLine(
      in: source,
      parse: { (line) throws(JSONSyntaxError) -> JSONObject? in try JSONParser.parse(line).objectValue },
      { object, location, _ in try body(object, location) })
  }

  /// The same with the tool's own parser: `parse` returns nil for a document that is valid
  /// JSON but not an object. `body` also gets the line (valid during the call only).
  public mutating func forEachLine<Parsed>(
    in source: ByteSource,
    parse: (UnsafeBufferPointer<UInt8>) throws(JSONSyntaxError) -> Parsed?,
    _ body: (Parsed, SourceLocation, UnsafeBufferPointer<UInt8>) throws -> Void
  ) throws {
    let reader = LineReader(source: source, maxLineBytes: maxLineBytes)
    var read = 0
    try reader.forEachLine { line, number, tooLong in
      if !tooLong && line.allSatisfy({ $0 == ASCII.space || $0 == ASCII.tab }) { return }
      read += 1
      var location = SourceLocation(file: source.name, line: number)
      if tooLong {
        return try rejects.reject(
          at: location, reason: "line longer than \(maxLineBytes) bytes", raw: "(not kept: too long)")
      }
      let parsed: Parsed?
      do throws(JSONSyntaxError) {
        parsed = try parse(line)
      } catch {
        location.column = error.offset + 1
        return try rejects.reject(
          at: location, reason: "not JSON: \(error.message)",
          raw: String(decoding: line.prefix(4096), as: UTF8.self))
      }
      guard let parsed else {
        let kind = (try? JSONParser.parse(line))?.kindName ?? "something else"
        return try rejects.reject(
          at: location, reason: "expected a JSON object, found \(kind)",
          raw: String(decoding: line.prefix(4096), as: UTF8.self))
      }
      try body(parsed, location, line)
    }
    recordsRead += read
  }
}

extension JSONValue {
  var kindName: String {
    switch self {
    case .null: "null"
    case .bool: "a boolean"
    case .number: "a number"
    case .string: "a string"
    case .array: "an array"
    case .object: "an object"
    }
  }
}
