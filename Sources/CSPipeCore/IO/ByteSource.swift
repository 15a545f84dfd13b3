import Foundation
import Glibc

/// A file or standard input read in large chunks with `read(2)`.
///
/// Streaming readers pull chunks from it, so memory does not grow with the input. The first
/// bytes can be peeked (to tell CSV from XML, sniff a delimiter or find the record element)
/// without losing them: peeked bytes are served again before the rest.
public final class ByteSource {
  /// The name used in records and diagnostics: the path as given, or `<stdin>`.
  public let name: String
  private let fd: Int32
  private let ownsDescriptor: Bool
  private var peeked: [UInt8] = []
  private var peekedOffset = 0
  private var reachedEnd = false
  /// Bytes consumed by readers so far (for throughput and offsets in messages); after
  /// decompression when the input is gzip.
  public private(set) var bytesConsumed = 0
  /// Set when the input turned out to be gzip: readers see the decompressed bytes.
  private var inflater: GzipInflater?
  private var compressionChecked = false
  /// Whether the input is gzip-compressed (known once anything has been peeked or read).
  public var isGzip: Bool { inflater != nil }

  public static let standardInputName = "<stdin>"

  /// Opens `path` for reading; `-` is standard input. `displayName` replaces the path in
  /// records and messages (a spooled copy of standard input is still `<stdin>`).
  public init(path: String, displayName: String? = nil) throws {
    if path == "-" {
      fd = STDIN_FILENO
      ownsDescriptor = false
      name = Self.standardInputName
      widenPipe(STDIN_FILENO)
      return
    }
    let opened = open(path, O_RDONLY | O_CLOEXEC)
    guard opened >= 0 else {
      throw InputError("cannot open: \(errnoDescription())", at: SourceLocation(file: path))
    }
    var status = stat()
    if fstat(opened, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR {
      close(opened)
      throw InputError("is a directory (name the files, e.g. \(path)/*.csv)", at: SourceLocation(file: path))
    }
    fd = opened
    ownsDescriptor = true
    name = displayName ?? path
  }

  /// A source over bytes in memory (tests and fuzzing).
  public init(bytes: [UInt8], name: String) {
    fd = -1
    ownsDescriptor = false
    self.name = name
    peeked = bytes
    reachedEnd = true
  }

  deinit {
    if ownsDescriptor { close(fd) }
  }

  /// Returns up to `count` bytes from the start of what has not been consumed, reading more
  /// from the input as needed. The bytes stay in place for `read`.
  public func peek(_ count: Int) throws -> ArraySlice<UInt8> {
    if !compressionChecked { try checkCompression() }
    while peeked.count - peekedOffset < count && !reachedEnd {
      if peekedOffset > 0 {
        peeked.removeFirst(peekedOffset)
        peekedOffset = 0
      }
      let wanted = max(count - peeked.count, 1 << 16)
      let old = peeked.count
      peeked.append(contentsOf: repeatElement(0, count: wanted))
      let got = try peeked.withUnsafeMutableBytes { buffer in
        try readSome(into: UnsafeMutableRawBufferPointer(rebasing: buffer[old...]))
      }
      peeked.removeLast(wanted - got)
      if got == 0 { reachedEnd = true }
    }
    let end = min(peeked.count, peekedOffset + count)
    return peeked[peekedOffset..<end]
  }

  /// Drops `count` bytes from the front (a preamble the reader decided to skip).
  public func skip(_ count: Int) throws {
    _ = try peek(count)
    let dropped = min(count, peeked.count - peekedOffset)
    peekedOffset += dropped
    bytesConsumed += dropped
  }

  /// Fills the front of `buffer` with the next bytes; returns how many, 0 at the end.
  public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
    if !compressionChecked { try checkCompression() }
    if peekedOffset < peeked.count {
      let count = min(buffer.count, peeked.count - peekedOffset)
      peeked.withUnsafeBytes { source in
        buffer.baseAddress!.copyMemory(
          from: source.baseAddress! + peekedOffset, byteCount: count)
      }
      peekedOffset += count
      if peekedOffset == peeked.count {
        peeked = []
        peekedOffset = 0
      }
      bytesConsumed += count
      return count
    }
    if reachedEnd { return 0 }
    let got = try readSome(into: buffer)
    if got == 0 { reachedEnd = true }
    bytesConsumed += got
    return got
  }

  /// Looks at the first two bytes of a file or stream: gzip's magic number starts decompressing
  /// (every tool reads `.gz` exports as they are); anything else is kept for the readers.
  private func checkCompression() throws {
    compressionChecked = true
    guard fd >= 0 else { return }
    var first = [UInt8](repeating: 0, count: 1 << 16)
    var count = 0
    while count < 2 {
      let got = try first.withUnsafeMutableBytes {
        try readRaw(into: UnsafeMutableRawBufferPointer(rebasing: $0[count...]))
      }
      if got == 0 {
        reachedEnd = true
        break
      }
      count += got
    }
    if count >= 2 && first.starts(with: GzipInflater.magic) {
      inflater = try GzipInflater(initial: first[..<count], name: name)
    } else {
      peeked = Array(first[..<count])
      peekedOffset = 0
    }
  }

  private func readSome(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
    if let inflater { return try inflater.read(into: buffer, readRaw: readRaw) }
    return try readRaw(into: buffer)
  }

  private func readRaw(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
    guard fd >= 0 else { return 0 }
    while true {
      let result = Glibc.read(fd, buffer.baseAddress, buffer.count)
      if result >= 0 { return result }
      if errno == EINTR { continue }
      throw InputError("read failed: \(errnoDescription())", at: SourceLocation(file: name))
    }
  }
}

/// Grows a pipe's buffer from 64 KiB to 1 MiB (Linux's default limit for any user) when `fd`
/// is one: the stages of a shell chain then hand each other a megabyte per system call and
/// wake each other sixteen times less often. Anything else, or a refusal, changes nothing.
public func widenPipe(_ fd: Int32) {
  #if os(Linux)
    var status = stat()
    guard fstat(fd, &status) == 0, (status.st_mode & S_IFMT) == S_IFIFO else { return }
    let setPipeSize: Int32 = 1031  // F_SETPIPE_SZ (F_LINUX_SPECIFIC_BASE + 7)
    _ = fcntl(fd, setPipeSize, Int32(1 << 20))
  #endif
}

/// A new empty file in `$TMPDIR` (or /tmp) for a tool's own scratch data: its descriptor, open
/// for writing, and its path. The caller closes and unlinks it.
public func makeTemporaryFile(prefix: String, for name: String) throws -> (fd: Int32, path: String) {
  var template =
    Array((ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp").utf8CString.dropLast())
    + Array("/\(prefix)-XXXXXX".utf8CString)
  let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
  guard fd >= 0 else {
    throw IOFailure(path: name, message: "cannot create a temporary file: \(errnoDescription())")
  }
  return (fd, String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self))
}
