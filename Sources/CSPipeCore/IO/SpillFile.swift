import Glibc

/// Records set aside in order and read back once in the same order, from a temporary file that
/// is unlinked at once (nothing to clean up, whatever happens). For a stage that must see its
/// whole input before it writes (normalise: identity and duplicates are known only at the end)
/// without holding its records in memory: memory is one buffer, whatever the input's size.
///
/// Each record is a 4-byte length and its bytes; `SpillRecordReader` reads the fields back.
public final class SpillFile {
  private let fd: Int32
  private let tool: String
  private var buffer = ByteBuffer(capacity: SpillFile.flushAt + (1 << 16))
  private var fileSize = 0
  public private(set) var records = 0

  static let flushAt = 1 << 20

  public init(tool: String) throws {
    self.tool = tool
    let (fd, path) = try makeTemporaryFile(prefix: "cspipe-\(tool)-spill", for: tool)
    unlink(path)
    self.fd = fd
  }

  deinit { close(fd) }

  /// Appends one record, its bytes written by `body`.
  public func append(_ body: (inout ByteBuffer) -> Void) throws {
    let start = buffer.count
    buffer.appendLittleEndian(UInt32(0))
    body(&buffer)
    buffer.storeLittleEndian(UInt32(buffer.count - start - 4), at: start)
    records += 1
    if buffer.count >= Self.flushAt { try flush() }
  }

  private func flush() throws {
    try writeTemporary(fd, buffer.bytes, at: fileSize, tool: tool)
    fileSize += buffer.count
    buffer.removeAll()
  }

  /// Calls `body` with every record in the order appended; the bytes are valid during the call.
  public func forEachRecord(_ body: (UnsafeBufferPointer<UInt8>) throws -> Void) throws {
    try flush()
    var chunk = ByteBuffer(capacity: Self.flushAt)
    var chunkStart = 0  // file offset of chunk's first byte
    var position = 0  // offset of the next record within chunk
    var offset = 0  // file offset of the next record
    // Reads the file from the next record on, at least `needed` bytes of it.
    func refill(_ needed: Int) throws {
      chunk.removeAll()
      try chunk.fill(from: fd, at: offset, count: max(needed, Self.flushAt), fileSize: fileSize, tool: tool)
      chunkStart = offset
      position = 0
      guard chunk.count >= needed else {
        throw IOFailure(path: tool, message: "its temporary file ended inside a record")
      }
    }
    while offset < fileSize {
      if position + 4 > chunk.count { try refill(4) }
      let needed = 4 + Int(chunk.loadLittleEndianUInt32(at: position))
      if position + needed > chunk.count { try refill(needed) }
      let length = Int(chunk.loadLittleEndianUInt32(at: position))
      let bytes = chunk.bytes
      try body(UnsafeBufferPointer(rebasing: bytes[(position + 4)..<(position + 4 + length)]))
      position += 4 + length
      offset = chunkStart + position
    }
  }
}

/// Writes all of `bytes` to a tool's temporary file at `offset` (pwrite may write less).
public func writeTemporary(_ fd: Int32, _ bytes: UnsafeBufferPointer<UInt8>, at offset: Int, tool: String) throws {
  var written = 0
  while written < bytes.count {
    let result = pwrite(fd, bytes.baseAddress! + written, bytes.count - written, off_t(offset + written))
    if result < 0 {
      if errno == EINTR { continue }
      throw IOFailure(path: tool, message: "cannot write its temporary file: \(errnoDescription())")
    }
    written += result
  }
}

extension ByteBuffer {
  @inlinable
  public mutating func appendLittleEndian<Value: FixedWidthInteger>(_ value: Value) {
    withUnsafeBytes(of: value.littleEndian) { append($0.assumingMemoryBound(to: UInt8.self)) }
  }

  /// A length-prefixed byte string (`SpillRecordReader.bytes()` reads it back).
  @inlinable
  public mutating func appendCounted(_ bytes: UnsafeBufferPointer<UInt8>) {
    appendLittleEndian(UInt32(bytes.count))
    append(bytes)
  }

  public mutating func appendCounted(_ string: String) {
    var copy = string
    copy.withUTF8 { appendCounted($0) }
  }

  /// Overwrites bytes already written (a length or count known only afterwards).
  public mutating func storeLittleEndian<Value: FixedWidthInteger>(_ value: Value, at offset: Int) {
    precondition(offset + MemoryLayout<Value>.size <= count)
    withUnsafeBytes(of: value.littleEndian) { bytes in
      (base + offset).update(from: bytes.assumingMemoryBound(to: UInt8.self).baseAddress!, count: bytes.count)
    }
  }

  func loadLittleEndianUInt32(at offset: Int) -> UInt32 {
    UInt32(littleEndian: UnsafeRawPointer(base + offset).loadUnaligned(as: UInt32.self))
  }

  /// Reads up to `count` bytes of the file at `offset` (fewer at its end) after what is here.
  mutating func fill(from fd: Int32, at offset: Int, count wanted: Int, fileSize: Int, tool: String) throws {
    let target = min(wanted, fileSize - offset)
    if storedCount + target > capacity { grow(to: storedCount + target) }
    var done = 0
    while done < target {
      let result = pread(fd, base + storedCount + done, target - done, off_t(offset + done))
      if result < 0 && errno == EINTR { continue }
      guard result > 0 else {
        throw IOFailure(path: tool, message: "cannot read its temporary file: \(errnoDescription())")
      }
      done += result
    }
    storedCount += target
  }
}

/// Reads a spilled record's fields in the order they were appended. The caller wrote them, so a
/// short record is a programming error, not bad input.
public struct SpillRecordReader {
  private let bytes: UnsafeBufferPointer<UInt8>
  private var position = 0

  public init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

  public mutating func integer<Value: FixedWidthInteger>(_: Value.Type = Value.self) -> Value {
    precondition(position + MemoryLayout<Value>.size <= bytes.count, "spilled record too short")
    let value = UnsafeRawPointer(bytes.baseAddress! + position).loadUnaligned(as: Value.self)
    position += MemoryLayout<Value>.size
    return Value(littleEndian: value)
  }

  /// A byte string written with `appendCounted`.
  public mutating func counted() -> UnsafeBufferPointer<UInt8> {
    let length = Int(integer(UInt32.self))
    precondition(position + length <= bytes.count, "spilled record too short")
    defer { position += length }
    return UnsafeBufferPointer(rebasing: bytes[position..<(position + length)])
  }

  /// Everything not read yet.
  public mutating func rest() -> UnsafeBufferPointer<UInt8> {
    defer { position = bytes.count }
    return UnsafeBufferPointer(rebasing: bytes[position...])
  }
}
