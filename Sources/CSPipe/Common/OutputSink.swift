import Glibc

/// Raised when the reader of our standard output has gone away (`| head`).
///
/// Tools treat it as a quiet, successful end (DESIGN.md §1: a closed downstream pipe ends the
/// tool with 0), the way ripgrep and xsv map `BrokenPipe` to exit 0.
public struct DownstreamClosed: Error {}

/// A failure to read or write a file, already phrased for a person.
public struct IOFailure: Error, CustomStringConvertible {
  public let path: String
  public let message: String
  public var description: String { "\(path): \(message)" }
}

/// A buffered byte sink on standard output or on a file written atomically.
///
/// A file target is written to a temporary file beside it and renamed into place only by
/// `commit()`, so a failed run never leaves a half-written file that `make` would take as up to
/// date. `discard()` removes the temporary file instead.
public final class OutputSink {
  public let displayName: String
  private let fd: Int32
  private let finalPath: String?
  private let temporaryPath: String?
  private var buffer: ByteBuffer
  private let flushThreshold: Int
  private var finished = false
  /// True for standard output, which streams: bytes written cannot be taken back.
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
      return
    }
    let temporary = "\(path).\(getpid()).tmp"
    let opened = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard opened >= 0 else {
      throw IOFailure(path: path, message: "cannot create output: \(errnoDescription())")
    }
    fd = opened
    finalPath = path
    temporaryPath = temporary
    displayName = path
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

  public func flush() throws {
    guard buffer.count > 0 else { return }
    let pending = buffer.bytes
    do {
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
    bytesWritten += buffer.count
    buffer.removeAll()
  }

  /// Flushes and, for a file, moves it into place. Nothing is visible at the path before this.
  public func commit() throws {
    try flush()
    finished = true
    guard let temporaryPath, let finalPath else { return }
    if fsync(fd) != 0 && errno != EINVAL {
      let message = errnoDescription()
      close(fd)
      unlink(temporaryPath)
      throw IOFailure(path: finalPath, message: "cannot sync output: \(message)")
    }
    close(fd)
    if rename(temporaryPath, finalPath) != 0 {
      let message = errnoDescription()
      unlink(temporaryPath)
      throw IOFailure(path: finalPath, message: "cannot move output into place: \(message)")
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
    } else {
      discard()
    }
  }

  /// Drops what was written: a file target is removed, standard output keeps what already left.
  public func discard() {
    finished = true
    buffer.removeAll()
    guard let temporaryPath else { return }
    close(fd)
    unlink(temporaryPath)
  }
}

func errnoDescription() -> String {
  String(cString: strerror(errno))
}
