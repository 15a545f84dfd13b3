import Glibc

/// What is at an output path, and so how `-o PATH` may write there (see `OutputSink`).
public enum OutputTarget: Equatable {
  /// A character device, named pipe or socket: written straight through, never replaced.
  case streamed
  /// Nothing yet, or a regular file (a symlink's final target): replaced atomically; `mode`
  /// is the permission bits of the file replaced, kept on the new one.
  case replaced(target: String, mode: mode_t?)

  static func resolve(_ path: String) throws -> OutputTarget {
    var info = stat()
    guard lstat(path, &info) == 0 else {
      guard errno == ENOENT else {
        throw IOFailure(path: path, message: "cannot use as output: \(errnoDescription())")
      }
      return .replaced(target: path, mode: nil)
    }
    var target = path
    if info.st_mode & S_IFMT == S_IFLNK {
      // Follow the link and replace what it points at, so the link stays a link (the way
      // `sed -i --follow-symlinks` does); a link to nothing is refused rather than guessed at.
      guard let resolved = realpath(path, nil) else {
        throw IOFailure(path: path, message: "a symbolic link to nothing (\(errnoDescription())): refusing to write through it")
      }
      target = String(cString: resolved)
      free(resolved)
      guard stat(target, &info) == 0 else {
        throw IOFailure(path: path, message: "cannot use as output: \(errnoDescription())")
      }
    }
    switch info.st_mode & S_IFMT {
    case S_IFREG: return .replaced(target: target, mode: info.st_mode & 0o7777)
    case S_IFCHR, S_IFIFO, S_IFSOCK: return .streamed
    case S_IFDIR: throw IOFailure(path: path, message: "is a directory, not an output file")
    default: throw IOFailure(path: path, message: "is a block device: refusing to write to it")
    }
  }

  /// The identity of the file a path names for the "two outputs, one file" check: device and
  /// inode when it exists, else its absolute spelling. Nil for streamed targets (two flags may
  /// both point at `/dev/null`).
  static func identity(of path: String) -> String? {
    guard path != "-", let resolved = try? resolve(path), case .replaced(let target, _) = resolved else { return nil }
    var info = stat()
    if stat(target, &info) == 0 { return "inode \(info.st_dev):\(info.st_ino)" }
    let slash = target.lastIndex(of: "/")
    let directory = slash.map { String(target[..<$0]) }.map { $0.isEmpty ? "/" : $0 } ?? "."
    let name = slash.map { String(target[target.index(after: $0)...]) } ?? target
    guard let real = realpath(directory, nil) else { return "path \(target)" }
    defer { free(real) }
    return "path \(String(cString: real))/\(name)"
  }

  /// The first output flag that names a file the run also reads, with that input: writing it
  /// would replace the user's data with the run's own result.
  public static func firstOverwrittenInput(
    _ inputs: [String], outputs: [(flag: String, path: String?)]
  ) -> (input: String, flag: String)? {
    var read: [String: String] = [:]
    for input in inputs where input != "-" {
      var info = stat()
      if stat(input, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG { read["inode \(info.st_dev):\(info.st_ino)"] = input }
    }
    guard !read.isEmpty else { return nil }
    for (flag, path) in outputs {
      guard let path, let identity = identity(of: path), let input = read[identity] else { continue }
      return (input, flag)
    }
    return nil
  }

  /// The first pair of flags that name the same file, e.g. `("-o", "--rejects")`.
  public static func firstClash(_ outputs: [(flag: String, path: String?)]) -> (String, String)? {
    var seen: [String: String] = [:]
    for (flag, path) in outputs {
      guard let path, let identity = identity(of: path) else { continue }
      if let earlier = seen[identity] { return (earlier, flag) }
      seen[identity] = flag
    }
    return nil
  }
}

/// Temporary output files: created unpredictably and exclusively, and removed if the run is
/// interrupted by SIGINT, SIGTERM or SIGHUP (a half-written 200 MB file must not stay behind).
enum TemporaryFiles {
  private static let capacity = 32
  /// Paths as C strings, readable from a signal handler (which may call only `unlink`).
  nonisolated(unsafe) private static var slots: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> = {
    let slots = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: capacity)
    slots.initialize(repeating: nil, count: capacity)
    return slots
  }()
  nonisolated(unsafe) private static var handlersInstalled = false

  /// A new file beside `target`: `.NAME.RANDOM.tmp` in the same directory (so the rename is
  /// atomic), opened with `O_CREAT|O_EXCL|O_NOFOLLOW`: a file or symlink planted at that name
  /// can neither be reused nor redirect the write.
  static func create(beside target: String, mode: mode_t?, displayName: String) throws -> (fd: Int32, path: String) {
    installHandlers()
    let slash = target.lastIndex(of: "/")
    let directory = slash.map { String(target[...$0]) } ?? ""
    let name = slash.map { String(target[target.index(after: $0)...]) } ?? target
    var random = SystemRandomNumberGenerator()
    for _ in 0..<64 {
      let path = "\(directory).\(name).\(String(random.next() as UInt64, radix: 36)).tmp"
      let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode ?? 0o666)
      if fd >= 0 {
        if let mode { fchmod(fd, mode) }
        register(path)
        return (fd, path)
      }
      guard errno == EEXIST else {
        throw IOFailure(path: displayName, message: "cannot create output: \(errnoDescription())")
      }
    }
    throw IOFailure(path: displayName, message: "cannot create a temporary file beside it")
  }

  /// The file was renamed into place or removed: nothing to clean up any more.
  static func forget(_ path: String) {
    withSignalsBlocked {
      for index in 0..<capacity {
        if let slot = slots[index], String(cString: slot) == path {
          slots[index] = nil
          free(slot)
        }
      }
    }
  }

  private static func register(_ path: String) {
    withSignalsBlocked {
      for index in 0..<capacity where slots[index] == nil {
        slots[index] = strdup(path)
        return
      }
    }
  }

  /// The slots are changed with the cleanup signals blocked, so a handler never sees half a change.
  private static func withSignalsBlocked(_ body: () -> Void) {
    var blocked = sigset_t()
    var previous = sigset_t()
    sigemptyset(&blocked)
    for signal in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&blocked, signal) }
    pthread_sigmask(SIG_BLOCK, &blocked, &previous)
    body()
    pthread_sigmask(SIG_SETMASK, &previous, nil)
  }

  private static func installHandlers() {
    guard !handlersInstalled else { return }
    handlersInstalled = true
    _ = slots
    for signal in [SIGINT, SIGTERM, SIGHUP] {
      var current = sigaction()
      sigaction(signal, nil, &current)
      // A signal the caller ignores (nohup, a background job) stays ignored.
      if unsafeBitCast(current.__sigaction_handler.sa_handler, to: Int.self) == 1 { continue }  // SIG_IGN
      var action = sigaction()
      action.__sigaction_handler.sa_handler = { received in
        TemporaryFiles.removeAll()
        Glibc.signal(received, SIG_DFL)
        raise(received)
      }
      sigemptyset(&action.sa_mask)
      sigaction(signal, &action, nil)
    }
    // A parent that blocked them (a test runner's threads do) would keep them pending forever.
    var handled = sigset_t()
    sigemptyset(&handled)
    for signal in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&handled, signal) }
    pthread_sigmask(SIG_UNBLOCK, &handled, nil)
  }

  /// Async-signal-safe: only reads the slots and calls `unlink`.
  private static func removeAll() {
    for index in 0..<capacity {
      if let slot = slots[index] { unlink(slot) }
    }
  }
}
