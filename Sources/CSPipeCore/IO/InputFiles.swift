import Glibc

/// The inputs a run reads, each once. The same export given twice (`exports/*.csv` plus a file
/// named again, a download saved as `subscriptions (1).csv`, the same partial twice into
/// `--merge`) would double every sum it feeds: it is read once, with a warning that names both.
public enum InputFiles {
  /// `paths` in order without repeats of a file already listed: the same file (device and
  /// inode, whatever the path) or a regular file with the same bytes. Standard input and
  /// other streams cannot be compared without being consumed and are always kept.
  public static func distinct(_ paths: [String], reporter: StderrReporter) -> [String] {
    var kept: [String] = []
    var seenFiles: [FileIdentity: String] = [:]
    var bySize: [Int: [(path: String, digest: Int?)]] = [:]
    for path in paths {
      guard path != "-", let info = status(of: path), (info.st_mode & S_IFMT) == S_IFREG else {
        kept.append(path)
        continue
      }
      let identity = FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
      if let first = seenFiles[identity] {
        warn(path, first == path ? "given twice: read once" : "is the same file as \(first), already read: read once", reporter: reporter)
        continue
      }
      seenFiles[identity] = path
      let size = Int(info.st_size)
      // Empty files add nothing twice; files of another size cannot be copies.
      if size > 0, var candidates = bySize[size] {
        let digest = contentDigest(path)
        if let copy = candidates.indices.first(where: { index in
          if candidates[index].digest == nil { candidates[index].digest = contentDigest(candidates[index].path) }
          return digest != nil && candidates[index].digest == digest && sameBytes(candidates[index].path, path)
        }) {
          bySize[size] = candidates
          warn(
            path, "has the same content as \(candidates[copy].path), already read: read once (the same export saved twice?)",
            reporter: reporter)
          continue
        }
        candidates.append((path, digest))
        bySize[size] = candidates
      } else if size > 0 {
        bySize[size] = [(path, nil)]
      }
      kept.append(path)
    }
    return kept
  }

  private struct FileIdentity: Hashable {
    let device: UInt64
    let inode: UInt64
  }

  private static func warn(_ path: String, _ message: String, reporter: StderrReporter) {
    reporter.emit(Diagnostic(.warning, message, at: SourceLocation(file: path)))
  }

  private static func status(of path: String) -> stat? {
    var info = stat()
    return stat(path, &info) == 0 ? info : nil
  }

  /// A hash of the file's bytes (this process only: equal hashes are then compared byte by byte).
  private static func contentDigest(_ path: String) -> Int? {
    var hasher = Hasher()
    let complete = forEachChunk(path) { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    return complete ? hasher.finalize() : nil
  }

  private static func sameBytes(_ first: String, _ second: String) -> Bool {
    let a = open(first, O_RDONLY | O_CLOEXEC)
    let b = open(second, O_RDONLY | O_CLOEXEC)
    defer {
      if a >= 0 { close(a) }
      if b >= 0 { close(b) }
    }
    guard a >= 0, b >= 0 else { return false }
    var left = [UInt8](repeating: 0, count: 1 << 16)
    var right = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let got = left.withUnsafeMutableBytes { Glibc.read(a, $0.baseAddress, $0.count) }
      guard got >= 0 else { return false }
      var filled = 0
      while filled < got {
        let more = right.withUnsafeMutableBytes { Glibc.read(b, $0.baseAddress! + filled, got - filled) }
        guard more > 0 else { return false }
        filled += more
      }
      if got == 0 { return Glibc.read(b, &right, 1) == 0 }
      if left[..<got] != right[..<got] { return false }
    }
  }

  /// Calls `body` with every chunk of the file; false when it could not be read to the end.
  private static func forEachChunk(_ path: String, _ body: (UnsafeBufferPointer<UInt8>) -> Void) -> Bool {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    while true {
      let got = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
      if got < 0 { return false }
      if got == 0 { return true }
      chunk.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[..<got])) }
    }
  }
}
