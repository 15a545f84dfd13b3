import Foundation
import Testing

/// One folder under `Cases/<tool>/<NNNN-slug>/`:
/// - `args`: the arguments, one per line (run in the case folder, so paths are relative);
/// - `stdin` (optional): fed to standard input;
/// - `expected.ndjson`, `expected.stderr`: standard output and error, byte for byte;
/// - `exit-code` (optional, default 0);
/// - `expected.rejects`, `expected.unmatched`: the files the args name after `--rejects` and
///   `--unmatched`.
/// Set `RECORD_GOLDENS=1` to rewrite the expected files from the actual run; such a run fails,
/// so a recording never counts as a pass. Review the result with `git diff`.
struct GoldenCase: CustomTestStringConvertible, Sendable {
  let tool: String
  let name: String
  let folder: URL

  var testDescription: String { "\(tool)/\(name)" }

  static let casesRoot = Tool.packageRoot.appendingPathComponent("Tests/CSPipeCLITests/Cases")

  static let all: [GoldenCase] = {
    let manager = FileManager.default
    var cases: [GoldenCase] = []
    for tool in (try? manager.contentsOfDirectory(atPath: casesRoot.path))?.sorted() ?? [] {
      let toolFolder = casesRoot.appendingPathComponent(tool)
      for name in (try? manager.contentsOfDirectory(atPath: toolFolder.path))?.sorted() ?? [] {
        cases.append(GoldenCase(tool: tool, name: name, folder: toolFolder.appendingPathComponent(name)))
      }
    }
    return cases
  }()
}

@Suite("Golden cases")
struct GoldenCaseTests {
  @Test("tool output matches the recorded case", arguments: GoldenCase.all)
  func golden(_ testCase: GoldenCase) throws {
    let folder = testCase.folder
    func read(_ name: String) -> String? {
      try? String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
    }
    let arguments = (read("args") ?? "").split(separator: "\n").map(String.init)
    let stdin = folder.appendingPathComponent("stdin")
    let hasStdin = FileManager.default.fileExists(atPath: stdin.path)
    let result = try Tool.run(testCase.tool, arguments, in: folder, stdin: hasStdin ? stdin : nil)
    // Side files a run writes (`--rejects F`, `--unmatched F`) are compared with
    // `expected.rejects`, `expected.unmatched`.
    var sideFiles: [String: String] = [:]
    for flag in ["rejects", "unmatched"] {
      guard let position = arguments.firstIndex(of: "--\(flag)"), position + 1 < arguments.count else { continue }
      let url = folder.appendingPathComponent(arguments[position + 1])
      sideFiles[flag] = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
      try? FileManager.default.removeItem(at: url)
    }
    if let flag = arguments.firstIndex(of: "-o"), flag + 1 < arguments.count {
      try? FileManager.default.removeItem(at: folder.appendingPathComponent(arguments[flag + 1]))
    }

    if ProcessInfo.processInfo.environment["RECORD_GOLDENS"] == "1" {
      try result.stdout.write(to: folder.appendingPathComponent("expected.ndjson"))
      try result.stderr.write(to: folder.appendingPathComponent("expected.stderr"), atomically: true, encoding: .utf8)
      let exitURL = folder.appendingPathComponent("exit-code")
      if result.status == 0 {
        try? FileManager.default.removeItem(at: exitURL)
      } else {
        try "\(result.status)\n".write(to: exitURL, atomically: true, encoding: .utf8)
      }
      for (flag, text) in sideFiles {
        try text.write(to: folder.appendingPathComponent("expected.\(flag)"), atomically: true, encoding: .utf8)
      }
      Issue.record("recorded \(testCase.testDescription); review with git diff and run again without RECORD_GOLDENS")
      return
    }

    let expectedStatus = Int32((read("exit-code") ?? "0").trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    #expect(result.status == expectedStatus, "exit status")
    #expect(result.stderr == (read("expected.stderr") ?? ""), "standard error")
    let expectedOut = read("expected.ndjson") ?? ""
    if result.stdoutText != expectedOut {
      let actualURL = FileManager.default.temporaryDirectory.appendingPathComponent("\(testCase.tool)-\(testCase.name).actual.ndjson")
      try result.stdout.write(to: actualURL)
      Issue.record(
        "standard output differs: git diff --no-index \(folder.path)/expected.ndjson \(actualURL.path)")
    }
    for (flag, text) in sideFiles.sorted(by: { $0.key < $1.key }) {
      #expect(text == (read("expected.\(flag)") ?? ""), "--\(flag) file")
    }
  }
}
