import CSPipeCore
import Glibc

/// Account lines waiting for the portfolio line, which needs them all (score, stage): in a
/// temporary file, with their account keys and positions in memory, replayed in account order
/// (the output does not depend on the input's order).
public final class AccountSpool {
  private let fd: Int32
  private let path: String
  private let tool: String
  private var size = 0
  private var entries: [String: (offset: Int, length: Int)] = [:]

  public init(tool: String) throws {
    self.tool = tool
    (fd, path) = try makeTemporaryFile(prefix: "cspipe-\(tool)", for: tool)
    unlink(path)  // nothing to clean up, whatever happens next
  }

  public func close() { Glibc.close(fd) }

  /// Adds an account's line. For an account already here, the smaller line is kept (so the
  /// result is the same in any input order) and the other returned.
  public func add(key: String, line: UnsafeBufferPointer<UInt8>) throws -> (keptNew: Bool, droppedLine: String)? {
    if let existing = entries[key] {
      let earlier = try read(existing)
      let current = Array(line)
      guard current.lexicographicallyPrecedes(earlier) else {
        return (false, "")
      }
      entries[key] = try append(line)
      return (true, String(decoding: earlier.prefix(1 << 16), as: UTF8.self))
    }
    entries[key] = try append(line)
    return nil
  }

  private func append(_ line: UnsafeBufferPointer<UInt8>) throws -> (offset: Int, length: Int) {
    try writeTemporary(fd, line, at: size, tool: tool)
    defer { size += line.count }
    return (size, line.count)
  }

  private func read(_ entry: (offset: Int, length: Int)) throws -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: entry.length)
    var done = 0
    while done < entry.length {
      let result = bytes.withUnsafeMutableBytes { buffer in
        pread(fd, buffer.baseAddress! + done, entry.length - done, off_t(entry.offset + done))
      }
      if result < 0 && errno == EINTR { continue }
      guard result > 0 else {
        throw IOFailure(path: tool, message: "cannot read its temporary file: \(errnoDescription())")
      }
      done += result
    }
    return bytes
  }

  /// Every account's line in account order.
  public func forEachLine(_ body: (String, [UInt8]) throws -> Void) throws {
    for key in entries.keys.sortedAsText() { try body(key, try read(entries[key]!)) }
  }

  /// Writes every line in account order.
  public func replay(into output: OutputSink) throws {
    for key in entries.keys.sortedAsText() {
      let line = try read(entries[key]!)
      try output.write(bytes: line)
    }
  }
}
