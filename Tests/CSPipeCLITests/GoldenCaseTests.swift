import Foundation
import Testing

/// One folder under `Cases/<tool>/<NNNN-slug>/`:
/// - `args`: the arguments, one per line (run in the case folder, so paths are relative);
/// - `stdin` (optional): fed to standard input;
/// - `expected.ndjson`, `expected.stderr`: standard output and error, byte for byte;
/// - `exit-code` (optional, default 0);
/// - `expected.rejects`, `expected.unmatched`, `expected.cohorts`: the files the args name after
///   `--rejects`, `--unmatched` and `--cohorts` (required when the args name them);
/// - `expected.folder/` (a tool that writes a folder with `-o DIR`, report): every file in it;
/// - `expected.output-kept` (optional): the run fails but keeps its `-o` file (ingest with one
///   failed input); otherwise a failed run must leave no `-o` file and a successful one must.
/// A case without `args`, `expected.ndjson` or `expected.stderr` fails. The tool runs in a
/// temporary copy of the folder, so nothing is written into the committed case.
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
  /// The files every case must have: a case that lacks one fails instead of passing on empty.
  static let requiredFiles = ["args", "expected.ndjson", "expected.stderr"]

  @Test("tool output matches the recorded case", arguments: GoldenCase.all)
  func golden(_ testCase: GoldenCase) throws {
    let recording = ProcessInfo.processInfo.environment["RECORD_GOLDENS"] == "1"
    try GoldenCaseRun(testCase, recording: recording).check()
  }

  @Test("a case without its expected files fails, it does not pass on empty output")
  func missingExpectedFileFails() throws {
    let folder = try Tool.temporaryDirectory()
    try "--as-of\n2026-11-15\n".write(to: folder.appendingPathComponent("args"), atomically: true, encoding: .utf8)
    let run = try GoldenCaseRun(GoldenCase(tool: "segment", name: "missing", folder: folder), recording: false)
    #expect(run.problems().contains { $0.contains("expected.ndjson is missing") })
    #expect(run.problems().contains { $0.contains("expected.stderr is missing") })
    try "--rejects\nrejects.ndjson\n".write(to: folder.appendingPathComponent("args"), atomically: true, encoding: .utf8)
    try Data().write(to: folder.appendingPathComponent("expected.ndjson"))
    try Data().write(to: folder.appendingPathComponent("expected.stderr"))
    let withSideFile = try GoldenCaseRun(GoldenCase(tool: "segment", name: "missing", folder: folder), recording: false)
    #expect(withSideFile.problems().contains { $0.contains("expected.rejects is missing") })
  }
}

/// One case run in a temporary copy of its folder, so a tool under test never writes into the
/// committed case (its `-o`, `--rejects` and `--unmatched` files land in the copy).
struct GoldenCaseRun {
  let testCase: GoldenCase
  let recording: Bool
  let workFolder: URL
  let arguments: [String]
  let result: Tool.Result
  /// `--rejects F`, `--unmatched F`: the flag's name and the file's text after the run.
  let sideFiles: [(flag: String, text: String?)]
  /// `-o F`: the file's name and its bytes after the run (nil when it does not exist).
  let outputFile: (name: String, bytes: Data?)?
  /// `-o DIR` of a tool that writes a folder (report): each file's path in it and its text.
  let outputFolder: [String: String]?

  init(_ testCase: GoldenCase, recording: Bool) throws {
    self.testCase = testCase
    self.recording = recording
    workFolder = try Tool.temporaryDirectory()
    let manager = FileManager.default
    for name in try manager.contentsOfDirectory(atPath: testCase.folder.path) where !name.hasPrefix("expected.") {
      try manager.copyItem(
        at: testCase.folder.appendingPathComponent(name), to: workFolder.appendingPathComponent(name))
    }
    let argsText = (try? String(contentsOf: testCase.folder.appendingPathComponent("args"), encoding: .utf8)) ?? ""
    arguments = argsText.split(separator: "\n").map(String.init)
    let stdin = workFolder.appendingPathComponent("stdin")
    result = try Tool.run(
      testCase.tool, arguments, in: workFolder, stdin: manager.fileExists(atPath: stdin.path) ? stdin : nil)
    let arguments = arguments
    func value(after flag: String) -> String? {
      guard let position = arguments.firstIndex(of: flag), position + 1 < arguments.count else { return nil }
      return arguments[position + 1]
    }
    let work = workFolder
    sideFiles = ["rejects", "unmatched", "cohorts"].compactMap { flag in
      value(after: "--\(flag)").map { (flag, try? String(contentsOf: work.appendingPathComponent($0), encoding: .utf8)) }
    }
    outputFile = value(after: "-o").map { ($0, try? Data(contentsOf: work.appendingPathComponent($0))) }
    outputFolder = value(after: "-o").flatMap { Self.folderFiles(work.appendingPathComponent($0)) }
  }

  /// Every file under `folder` by its relative path, or nil when it is not a folder.
  static func folderFiles(_ folder: URL) -> [String: String]? {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue,
      let walker = FileManager.default.enumerator(atPath: folder.path)
    else { return nil }
    var files: [String: String] = [:]
    while let path = walker.nextObject() as? String {
      let url = folder.appendingPathComponent(path)
      var nested: ObjCBool = false
      if FileManager.default.fileExists(atPath: url.path, isDirectory: &nested), !nested.boolValue {
        files[path] = (try? String(contentsOf: url, encoding: .utf8)) ?? "(not UTF-8)"
      }
    }
    return files
  }

  func expected(_ name: String) -> String? {
    try? String(contentsOf: testCase.folder.appendingPathComponent(name), encoding: .utf8)
  }

  /// What differs from the recorded case; empty when the run matches it.
  func problems() -> [String] {
    var found: [String] = []
    for name in GoldenCaseTests.requiredFiles + sideFiles.map({ "expected.\($0.flag)" }) where expected(name) == nil {
      found.append("\(name) is missing (record it: RECORD_GOLDENS=1 swift test --filter Golden)")
    }
    let expectedStatus = Int32((expected("exit-code") ?? "0").trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    if result.status != expectedStatus { found.append("exit status \(result.status), expected \(expectedStatus)") }
    if let stderr = expected("expected.stderr"), result.stderr != stderr {
      found.append("standard error differs:\n\(result.stderr)")
    }
    if let stdout = expected("expected.ndjson"), result.stdoutText != stdout {
      let actualURL = workFolder.appendingPathComponent("actual.ndjson")
      try? result.stdout.write(to: actualURL)
      found.append("standard output differs: git diff --no-index \(testCase.folder.path)/expected.ndjson \(actualURL.path)")
    }
    for (flag, text) in sideFiles {
      if let want = expected("expected.\(flag)"), (text ?? "") != want { found.append("--\(flag) file differs") }
    }
    // -o: the file exists exactly when the run succeeded or kept its output (exit 1 of a whole
    // run with a failed input), and a run that failed outright leaves none.
    if let outputFolder {
      let want = Self.folderFiles(testCase.folder.appendingPathComponent("expected.folder"))
      if let want {
        for path in Set(want.keys).union(outputFolder.keys).sorted() where want[path] != outputFolder[path] {
          found.append("-o folder: \(path) differs (or is missing on one side)")
        }
      } else {
        found.append("expected.folder is missing (record it: RECORD_GOLDENS=1 swift test --filter Golden)")
      }
    } else if let outputFile {
      let kept = result.status == 0 || expected("expected.output-kept") != nil
      if kept && outputFile.bytes == nil { found.append("-o \(outputFile.name) is missing after the run") }
      if !kept && outputFile.bytes != nil { found.append("-o \(outputFile.name) was left by a failed run") }
    }
    return found
  }

  func check() throws {
    if recording {
      try record()
      Issue.record("recorded \(testCase.testDescription); review with git diff and run again without RECORD_GOLDENS")
      return
    }
    for problem in problems() { Issue.record("\(testCase.testDescription): \(problem)") }
  }

  private func record() throws {
    let folder = testCase.folder
    try result.stdout.write(to: folder.appendingPathComponent("expected.ndjson"))
    try result.stderr.write(to: folder.appendingPathComponent("expected.stderr"), atomically: true, encoding: .utf8)
    let exitURL = folder.appendingPathComponent("exit-code")
    if result.status == 0 {
      try? FileManager.default.removeItem(at: exitURL)
    } else {
      try "\(result.status)\n".write(to: exitURL, atomically: true, encoding: .utf8)
    }
    for (flag, text) in sideFiles {
      try (text ?? "").write(to: folder.appendingPathComponent("expected.\(flag)"), atomically: true, encoding: .utf8)
    }
    if let outputFolder {
      let target = folder.appendingPathComponent("expected.folder")
      try? FileManager.default.removeItem(at: target)
      for (path, text) in outputFolder {
        let url = target.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
      }
    }
  }
}
