import Foundation
import Testing

/// `-o` never replaces what is not the tool's own (docs/CONTRACT.md §1 "Outputs"): devices and
/// pipes are written through, symlinks followed, temporary files unpredictable and cleaned up.
@Suite("Output targets")
struct OutputTargetTests {
  static let sample = Tool.packageRoot.appendingPathComponent("samples/exports/stripe_subscriptions.csv").path

  static func fileType(_ path: String) -> mode_t? {
    var info = stat()
    guard lstat(path, &info) == 0 else { return nil }
    return info.st_mode & S_IFMT
  }

  static func entries(_ folder: URL) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
  }

  @Test("-o /dev/null writes through: /dev/null is still a character device", arguments: Tool.all)
  func deviceStaysADevice(tool: String) throws {
    let folder = try Tool.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let input = folder.appendingPathComponent("in.ndjson")
    try Data().write(to: input)
    let arguments = tool == "ingest" ? [Self.sample, "-o", "/dev/null", "-q"] : [input.path, "-o", "/dev/null", "-q"]
    let result = try Tool.run(tool, arguments, in: folder)
    #expect(result.status == 0, "\(result.stderr)")
    #expect(Self.fileType("/dev/null") == S_IFCHR)
    #expect(try Self.entries(folder) == ["in.ndjson"])
  }

  @Test("a named pipe is written through, not replaced")
  func fifo() throws {
    let folder = try Tool.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let result = try Tool.shell(
      "mkfifo out.pipe && { wc -l < out.pipe > count.txt & } && ingest \(Self.sample) -o out.pipe -q && wait && cat count.txt",
      in: folder)
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == "20")
    #expect(Self.fileType(folder.appendingPathComponent("out.pipe").path) == S_IFIFO)
  }

  @Test("a symlink is followed: its target is replaced, the link stays a link; a dangling link is refused")
  func symlinks() throws {
    let folder = try Tool.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let target = folder.appendingPathComponent("target.ndjson")
    try Data("old\n".utf8).write(to: target)
    chmod(target.path, 0o600)
    let link = folder.appendingPathComponent("link.ndjson")
    try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: "target.ndjson")
    let result = try Tool.run("ingest", [Self.sample, "-o", "link.ndjson", "-q"], in: folder)
    #expect(result.status == 0, "\(result.stderr)")
    #expect(Self.fileType(link.path) == S_IFLNK)
    let written = try String(contentsOf: target, encoding: .utf8)
    #expect(written.split(separator: "\n").count == 20)
    var info = stat()
    stat(target.path, &info)
    #expect(info.st_mode & 0o777 == 0o600, "the replaced file keeps its permissions")

    try FileManager.default.createSymbolicLink(atPath: folder.appendingPathComponent("dangling").path, withDestinationPath: "nowhere/x")
    let dangling = try Tool.run("ingest", [Self.sample, "-o", "dangling", "-q"], in: folder)
    #expect(dangling.status == 1)
    #expect(dangling.stderr.contains("dangling: a symbolic link to nothing"))
    #expect(try Self.entries(folder) == ["dangling", "link.ndjson", "target.ndjson"])
  }

  @Test("a directory is refused with its name")
  func directory() throws {
    let folder = try Tool.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    try FileManager.default.createDirectory(at: folder.appendingPathComponent("out"), withIntermediateDirectories: false)
    let result = try Tool.run("ingest", [Self.sample, "-o", "out", "-q"], in: folder)
    #expect(result.status == 1)
    #expect(result.stderr.contains("out: is a directory"))
  }

  @Test("the temporary file has an unpredictable name: a symlink planted at the old pid name is never followed")
  func plantedSymlink() throws {
    let folder = try Tool.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let victim = folder.appendingPathComponent("victim")
    try Data("precious\n".utf8).write(to: victim)
    // The old scheme was OUT.<pid>.tmp: plant links at every plausible pid.
    let pidMax = 400
    let next = Int(ProcessInfo.processInfo.processIdentifier)
    for pid in next..<(next + pidMax) {
      try? FileManager.default.createSymbolicLink(
        atPath: folder.appendingPathComponent("out.ndjson.\(pid).tmp").path, withDestinationPath: victim.path)
    }
    let result = try Tool.run("ingest", [Self.sample, "-o", "out.ndjson", "-q"], in: folder)
    #expect(result.status == 0, "\(result.stderr)")
    #expect(try String(contentsOf: victim, encoding: .utf8) == "precious\n")
    #expect(try Self.entries(folder).filter { $0.hasPrefix(".") }.isEmpty, "no temporary file left")
  }

  @Test(
    "two outputs naming one file are a usage error",
    arguments: [
      ["ingest", "-o", "x.ndjson", "--rejects", "x.ndjson"],
      ["ingest", "-o", "x.ndjson", "--rejects", "./x.ndjson"],
      ["segment", "-o", "sub/../x.ndjson", "--rejects", "x.ndjson"],
      ["normalise", "-o", "x.ndjson", "--unmatched", "x.ndjson"],
      ["normalise", "--rejects", "x.ndjson", "--unmatched", "./x.ndjson"],
    ])
  func sameFile(arguments: [String]) throws {
    let folder = try Tool.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    try FileManager.default.createDirectory(at: folder.appendingPathComponent("sub"), withIntermediateDirectories: false)
    let result = try Tool.run(arguments[0], Array(arguments.dropFirst()), in: folder, stdinData: Data())
    #expect(result.status == 64, "\(result.stderr)")
    #expect(result.stderr.contains("name the same file"))
    #expect(try Self.entries(folder) == ["sub"])
  }

  @Test("/dev/null may be given to two flags")
  func sharedDevice() throws {
    let result = try Tool.run("ingest", [Self.sample, "-o", "/dev/null", "--rejects", "/dev/null", "-q"])
    #expect(result.status == 0, "\(result.stderr)")
  }

  @Test("SIGINT, SIGTERM and SIGHUP remove the temporary file; the old output stays", arguments: ["INT", "TERM", "HUP"])
  func interrupted(signal: String) throws {
    let folder = try Tool.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    try Data("previous run\n".utf8).write(to: folder.appendingPathComponent("out.ndjson"))
    // An endless CSV keeps ingest writing until the signal arrives.
    // Job control on (`set -m`): a non-interactive shell's background jobs would ignore SIGINT.
    let script = """
      set -m
      { echo a,b; yes 1,2; } | ingest --format csv -o out.ndjson -q &
      for _ in $(seq 100); do ls -a | grep -q '\\.tmp$' && break; sleep 0.1; done
      ls -a | grep -c '\\.tmp$'
      kill -\(signal) $!
      wait
      ls -a | grep -c '\\.tmp$' || true
      """
    let result = try Tool.shell(script, in: folder)
    let counts = result.stdoutText.split(separator: "\n")
    #expect(counts == ["1", "0"], "\(result.stdoutText) \(result.stderr)")
    #expect(try String(contentsOf: folder.appendingPathComponent("out.ndjson"), encoding: .utf8) == "previous run\n")
  }
}
