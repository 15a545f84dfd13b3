import Glibc

/// Raised when the reader of our standard output has gone away (`| head`).
///
/// Tools treat it as a quiet, successful end (docs/CONTRACT.md §1: a closed downstream pipe ends the
/// tool with 0), the way ripgrep and xsv map `BrokenPipe` to exit 0.
public struct DownstreamClosed: Error {}

/// A failure to read or write a file, already phrased for a person.
public struct IOFailure: ReportableError, CustomStringConvertible {
  public let path: String
  public let message: String
  public var description: String { "\(path): \(message)" }

  public init(path: String, message: String) {
    self.path = path
    self.message = message
  }

  public var diagnostic: Diagnostic { Diagnostic(.error, description) }
}

/// A buffered byte sink on standard output or on a file written atomically.
///
/// What `-o PATH` does depends on what is at PATH (docs/CONTRACT.md §1, "Outputs"):
/// - nothing, or a regular file: the output goes to a new temporary file beside it (a random
///   name, created with `O_EXCL|O_NOFOLLOW`, so nothing planted there can redirect it) and is
///   renamed into place only by `commit()`; a failed or interrupted run leaves the old file as
///   it was. A replaced file keeps its permission bits.
/// - a symbolic link: it is followed, and its final target is replaced the same way; the link
///   stays a link. A link to nothing is refused.
/// - a character device, a named pipe or a socket (`/dev/null`, `/dev/stdout`, `>(…)`): written
///   straight through, never replaced, since it is not the tool's to replace.
/// - a directory or a block device: refused.
/// The temporary file is removed on SIGINT, SIGTERM and SIGHUP as well as on failure.
public final class OutputSink {
  public let displayName: String
  private let fd: Int32
  /// The file renamed into place on commit (the symlink's target for a symlink).
  private let finalPath: String?
  private let temporaryPath: String?
  private var buffer: ByteBuffer
  private let flushThreshold: Int
  private var finished = false
  /// True when bytes written cannot be taken back: standard output, a device or a pipe.
  public var isStandardOutput: Bool { temporaryPath == nil }
  /// Bytes handed to the kernel so far (for throughput reporting).
  public private(set) var bytesWritten = 0

  /// Standard output, or the file at `path` when one is given (`-` also means stdout).
  public init(path: String?, flushThreshold: Int = 1 << 20) throws {
    self.flushThreshold = flushThreshold
    buffer = ByteBuffer(capacity: flushThreshold + 65536)
    guard let path, path != "-" else {
      fd = STDOUT_FILENO
      finalPath = nil
      temporaryPath = nil
      displayName = "<stdout>"
      widenPipe(STDOUT_FILENO)
      return
    }
    displayName = path
    switch try OutputTarget.resolve(path) {
    case .streamed:
      // A device, FIFO or socket: write through; O_TRUNC means nothing to them.
      let opened = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY)
      guard opened >= 0 else {
        throw IOFailure(path: path, message: "cannot open output: \(errnoDescription())")
      }
      fd = opened
      finalPath = nil
      temporaryPath = nil
    case .replaced(let target, let mode):
      let (opened, temporary) = try TemporaryFiles.create(beside: target, mode: mode, displayName: path)
      fd = opened
      finalPath = target
      temporaryPath = temporary
    }
  }

  deinit {
    if !finished { abandon() }
  }

  /// Appends bytes produced by `body` to the pending buffer and flushes when it is full.
  public func write(_ body: (inout ByteBuffer) -> Void) throws {
    body(&buffer)
    if buffer.count >= flushThreshold { try flush() }
  }

  public func write(bytes: [UInt8]) throws {
    buffer.append(bytes)
    if buffer.count >= flushThreshold { try flush() }
  }

  /// Writes a block of whole records made elsewhere (a part of the output made on another
  /// thread): a large one goes straight to the kernel, not through the buffer.
  public func write(block: UnsafeBufferPointer<UInt8>) throws {
    if buffer.count + block.count < flushThreshold {
      buffer.append(block)
      return
    }
    try flush()
    try writeAll(block)
    bytesWritten += block.count
  }

  public func flush() throws {
    guard buffer.count > 0 else { return }
    try writeAll(buffer.bytes)
    bytesWritten += buffer.count
    buffer.removeAll()
  }

  private func writeAll(_ pending: UnsafeBufferPointer<UInt8>) throws {
    var offset = 0
    while offset < pending.count {
      let result = Glibc.write(fd, pending.baseAddress! + offset, pending.count - offset)
      if result < 0 {
        if errno == EINTR { continue }
        if errno == EPIPE { throw DownstreamClosed() }
        throw IOFailure(path: displayName, message: "write failed: \(errnoDescription())")
      }
      offset += result
    }
  }

  /// Where the output stands now, to take back to with `rollBack(to:)`.
  public var mark: Int { bytesWritten + buffer.count }

  /// Takes back everything written since `mark`, when that is possible: into a temporary file
  /// it always is; a stream (stdout, a pipe, a device) keeps what already left. True if done.
  public func rollBack(to mark: Int) throws -> Bool {
    if mark >= bytesWritten {
      buffer.truncate(to: mark - bytesWritten)
      return true
    }
    guard temporaryPath != nil else { return false }
    buffer.removeAll()
    guard ftruncate(fd, off_t(mark)) == 0, lseek(fd, off_t(mark), SEEK_SET) == off_t(mark) else {
      throw IOFailure(path: displayName, message: "cannot take back a failed file's records: \(errnoDescription())")
    }
    bytesWritten = mark
    return true
  }

  /// Flushes and, for a file, moves it into place. Nothing is visible at the path before this.
  public func commit() throws {
    try flush()
    finished = true
    guard let temporaryPath, let finalPath else {
      if fd != STDOUT_FILENO { close(fd) }
      return
    }
    if fsync(fd) != 0 && errno != EINVAL {
      let message = errnoDescription()
      close(fd)
      unlink(temporaryPath)
      TemporaryFiles.forget(temporaryPath)
      throw IOFailure(path: displayName, message: "cannot sync output: \(message) (\(finalPath) left as it was)")
    }
    close(fd)
    defer { TemporaryFiles.forget(temporaryPath) }
    if rename(temporaryPath, finalPath) != 0 {
      let message = errnoDescription()
      unlink(temporaryPath)
      throw IOFailure(path: displayName, message: "cannot move output into place: \(message)")
    }
  }

  /// Ends a run that failed. A file target is removed, so nothing at its path can be mistaken
  /// for a complete result. Standard output is a stream: what was produced before the failure
  /// is delivered whole (every record before the failing one, never half a record) and the
  /// exit status tells the reader that the run failed.
  public func abandon() {
    if temporaryPath == nil {
      try? flush()
      finished = true
      if fd != STDOUT_FILENO { close(fd) }
    } else {
      discard()
    }
  }

  /// Drops what was written: a file target is removed, standard output keeps what already left.
  public func discard() {
    finished = true
    buffer.removeAll()
    guard let temporaryPath else {
      if fd != STDOUT_FILENO { close(fd) }
      return
    }
    close(fd)
    unlink(temporaryPath)
    TemporaryFiles.forget(temporaryPath)
  }
}

public func errnoDescription() -> String {
  String(cString: strerror(errno))
}
