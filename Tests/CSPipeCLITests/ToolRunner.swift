import Foundation
import Testing

/// Runs the real cspipe executables, as a user's shell would.
enum Tool {
  /// The folder holding the built executables: next to the test bundle, unless
  /// `CSPIPE_BIN_DIR` says otherwise.
  static let binDirectory: URL = {
    if let override = ProcessInfo.processInfo.environment["CSPIPE_BIN_DIR"] {
      return URL(fileURLWithPath: override)
    }
    var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    // …/debug/cspipePackageTests.xctest (a file on Linux) → …/debug
    while !FileManager.default.isExecutableFile(atPath: url.appendingPathComponent("ingest").path),
      url.pathComponents.count > 1
    {
      url.deleteLastPathComponent()
    }
    return url
  }()

  static let packageRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  /// Every tool built so far (those with a conformance profile); each one passes the suite.
  static let all = ConformanceTests.profiles.keys.sorted()

  struct Result {
    var status: Int32
    var stdout: Data
    var stderr: String
    var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    var lines: [String] { stdoutText.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init) }
  }

  /// Runs `tool` with `arguments` in `directory`, feeding `stdin` (a file) or nothing.
  static func run(
    _ tool: String, _ arguments: [String], in directory: URL? = nil, stdin: URL? = nil,
    stdinData: Data? = nil
  ) throws -> Result {
    let process = Process()
    process.executableURL = binDirectory.appendingPathComponent(tool)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    process.environment = ["PATH": "/usr/bin:/bin", "TZ": "UTC", "LC_ALL": "C", "COLUMNS": "80"]
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("cspipe-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let outURL = scratch.appendingPathComponent("stdout")
    let errURL = scratch.appendingPathComponent("stderr")
    FileManager.default.createFile(atPath: outURL.path, contents: nil)
    FileManager.default.createFile(atPath: errURL.path, contents: nil)
    let out = try FileHandle(forWritingTo: outURL)
    let err = try FileHandle(forWritingTo: errURL)
    process.standardOutput = out
    process.standardError = err
    if let stdinData {
      let inURL = scratch.appendingPathComponent("stdin")
      try stdinData.write(to: inURL)
      process.standardInput = try FileHandle(forReadingFrom: inURL)
    } else if let stdin {
      process.standardInput = try FileHandle(forReadingFrom: stdin)
    } else {
      process.standardInput = FileHandle.nullDevice
    }
    try process.run()
    process.waitUntilExit()
    try out.close()
    try err.close()
    return Result(
      status: process.terminationStatus, stdout: try Data(contentsOf: outURL),
      stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
  }

  /// Runs a shell pipeline (for closed-pipe behaviour) with the tools on PATH.
  static func shell(_ script: String, in directory: URL? = nil) throws -> Result {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/bash")
    process.arguments = ["-c", "set -o pipefail; " + script]
    if let directory { process.currentDirectoryURL = directory }
    process.environment = ["PATH": binDirectory.path + ":/usr/bin:/bin", "TZ": "UTC", "LC_ALL": "C"]
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Result(status: process.terminationStatus, stdout: stdout, stderr: String(decoding: stderr, as: UTF8.self))
  }

  /// A fresh temporary folder for one test.
  static func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("cspipe-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }
}
