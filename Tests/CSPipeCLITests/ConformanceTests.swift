import Foundation
import Testing

/// What every cspipe tool must do, whatever its job. A new tool joins with one line in
/// `profiles`: its malformed input and what it can do.
@Suite("Conformance")
struct ConformanceTests {
  /// What the suite needs to know of a tool.
  struct Profile {
    /// Input with one bad record between two good ones, the bad record's line, and how many
    /// output lines the good ones give.
    let malformed: (input: String, badLine: Int, goodLines: Int)
    /// The kind of the line the tool writes even for no input (segment's portfolio).
    var headerOnEmptyInput: String?
    /// Whether standard output is NDJSON (report's is not).
    var writesNDJSON = true
  }

  static let profiles: [String: Profile] = [
    "ingest": Profile(malformed: ("account,day,metric,value\nx,2026-01-01,logins,1\nbroken\ny,2026-01-01,logins,2\n", 3, 2)),
    "normalise": Profile(malformed: (rawUsage("x", 1) + "{\"kind\":\"raw\",\"source\":\n" + rawUsage("y", 2), 2, 2)),
    // Two accounts, after the portfolio line.
    "segment": Profile(malformed: (usage("x", 1) + "[1,2]\n" + usage("y", 2), 2, 3), headerOnEmptyInput: "portfolio"),
    // Two accounts, after the portfolio line.
    "score": Profile(malformed: (account("x", 1) + "[1,2]\n" + account("y", 2), 2, 3), headerOnEmptyInput: "portfolio"),
    // Two accounts, after the portfolio line.
    "stage": Profile(malformed: (account("x", 1) + "[1,2]\n" + account("y", 2), 2, 3), headerOnEmptyInput: "portfolio"),
    // Markdown on standard output: not NDJSON, and even an empty input is a report.
    "report": Profile(malformed: (account("x", 1) + "[1,2]\n" + account("y", 2), 2, 0), writesNDJSON: false),
  ]

  static let malformed = profiles.mapValues(\.malformed)

  /// A (small) account record as segment writes it.
  static func account(_ key: String, _ mrr: Int) -> String {
    #"{"kind":"account","account":"\#(key)","as_of":"2026-01-01","mrr":\#(mrr),"tier":"tier3","adoption":0.5}"# + "\n"
  }

  /// A canonical usage record as normalise writes it.
  static func usage(_ account: String, _ value: Int) -> String {
    #"{"kind":"usage","account":"\#(account)","source":{"system":"cspipe","dataset":"usage","file":"u.csv","line":2},"at":"2026-01-01","metric":"logins","value":\#(value)}"#
      + "\n"
  }

  /// A raw usage record as ingest writes it.
  static func rawUsage(_ account: String, _ value: Int) -> String {
    #"{"kind":"raw","source":{"system":"cspipe","dataset":"usage","file":"u.csv","line":2},"fields":{"account":"\#(account)","day":"2026-01-01","metric":"logins","value":"\#(value)"}}"#
      + "\n"
  }

  /// Enough input for far more output than a pipe buffer holds.
  static func bigInput(for tool: String) -> String {
    var text = tool == "ingest" ? "account,day,metric,value\n" : ""
    for index in 0..<(["segment", "score", "stage", "report"].contains(tool) ? 20_000 : 200_000) {
      switch tool {
      case "ingest": text += "acct-\(index),2026-01-01,logins,\(index)\n"
      case "normalise": text += rawUsage("acct-\(index)", index)
      case "score", "stage", "report": text += account("acct-\(index)", index)
      default: text += usage("acct-\(index)", index)
      }
    }
    return text
  }

  /// Tools that describe a whole portfolio still write that line for no input (it says 0).
  static let headerOnEmptyInput = profiles.compactMapValues(\.headerOnEmptyInput)

  @Test("empty input gives empty output (or only the portfolio line) and exit 0", arguments: Tool.all)
  func emptyInput(tool: String) throws {
    let result = try Tool.run(tool, [], stdinData: Data())
    #expect(result.status == 0)
    if !Self.profiles[tool]!.writesNDJSON {
      // A report of nothing still says so: every section says what it needs.
      #expect(result.stdoutText.contains("No data"))
    } else if let kind = Self.headerOnEmptyInput[tool] {
      #expect(result.lines.count == 1)
      #expect(result.lines.first?.hasPrefix(#"{"kind":"\#(kind)""#) == true)
      #expect(result.lines.first?.contains(#""accounts":0,"#) == true)
    } else {
      #expect(result.stdout.isEmpty)
    }
  }

  @Test("a malformed record is rejected with its location and the rest goes on", arguments: Tool.all)
  func malformedRecord(tool: String) throws {
    let sample = try #require(Self.malformed[tool], "add a malformed input for \(tool)")
    let folder = try Tool.temporaryDirectory()
    let result = try Tool.run(
      tool, ["--rejects", "rejects.ndjson"], in: folder, stdinData: Data(sample.input.utf8))
    #expect(result.status == 0)
    if Self.profiles[tool]!.writesNDJSON { #expect(result.lines.count == sample.goodLines, "the good records still come out") }
    let located = result.stderr.split(separator: "\n").contains {
      $0.hasPrefix("\(tool): <stdin>:\(sample.badLine):") && $0.contains(" warning: rejected: ")
    }
    #expect(located, "a located warning: \(result.stderr)")
    #expect(result.stderr.contains("\(tool): 3 in, 2 "), "summary: \(result.stderr)")
    #expect(result.stderr.contains(" 1 rejected"))
    let rejects = try String(contentsOf: folder.appendingPathComponent("rejects.ndjson"), encoding: .utf8)
    let reject = try JSONSerialization.jsonObject(with: Data(rejects.utf8)) as? [String: Any]
    #expect(reject?["line"] as? Int == sample.badLine)
    #expect(reject?["file"] as? String == "<stdin>")
    #expect(reject?["error"] is String)

    let strict = try Tool.run(tool, ["--strict"], stdinData: Data(sample.input.utf8))
    #expect(strict.status == 1, "--strict fails on the first reject")
  }

  @Test("a byte order mark before the first record changes nothing", arguments: Tool.all)
  func byteOrderMark(tool: String) throws {
    let sample = try #require(Self.malformed[tool])
    let clean = Data(sample.input.utf8)
    let plain = try Tool.run(tool, [], stdinData: clean)
    let marked = try Tool.run(tool, [], stdinData: Data([0xEF, 0xBB, 0xBF]) + clean)
    #expect(marked.status == plain.status)
    #expect(marked.stdout == plain.stdout)
    #expect(marked.stderr == plain.stderr)
  }

  @Test("the same input given twice, or a copy of it, is read once with a warning", arguments: Tool.all)
  func sameInputTwice(tool: String) throws {
    let sample = try #require(Self.malformed[tool])
    let folder = try Tool.temporaryDirectory()
    try Data(sample.input.utf8).write(to: folder.appendingPathComponent("input"))
    try Data(sample.input.utf8).write(to: folder.appendingPathComponent("copy"))
    let once = try Tool.run(tool, ["input"], in: folder)
    let repeated = try Tool.run(tool, ["input", "./input", "copy", "input"], in: folder)
    #expect(repeated.status == once.status)
    #expect(repeated.stdout == once.stdout, "nothing counted twice")
    let warnings = repeated.stderr.split(separator: "\n").filter { $0.contains(" warning: ") && $0.contains("read once") }
    #expect(warnings.count == 3, "\(repeated.stderr)")
  }

  @Test("the summary is the last line and its shares add up to the records read", arguments: Tool.all)
  func summaryReconciles(tool: String) throws {
    let sample = try #require(Self.malformed[tool])
    // Clean input, one bad record, and more rejects than are printed (the note comes first).
    let bad = tool == "ingest" ? "broken\n" : "[1]\n"
    let noisy = sample.input + String(repeating: bad, count: 12)
    for input in [sample.input, noisy] {
      let result = try Tool.run(tool, [], stdinData: Data(input.utf8))
      let last = try #require(result.stderr.split(separator: "\n").last.map(String.init))
      #expect(last.hasPrefix("\(tool): "), "the summary comes last: \(result.stderr)")
      let shares = last.dropFirst(tool.count + 2).prefix { $0 != "(" }
      let numbers = shares.split(separator: ",").compactMap { Int($0.split(separator: " ").first ?? "") }
      #expect(numbers.count >= 3, "\(last)")
      #expect(numbers.first == numbers.dropFirst().reduce(0, +), "in = the sum of the shares: \(last)")
    }
  }

  @Test("--help goes to standard output and exits 0", arguments: Tool.all)
  func help(tool: String) throws {
    let result = try Tool.run(tool, ["--help"])
    #expect(result.status == 0)
    #expect(result.stdoutText.contains("USAGE: \(tool)"))
    #expect(result.stdoutText.contains("--rejects"))
    #expect(result.stderr.isEmpty)
  }

  @Test("an unknown flag is a usage error: exit 64 with the tool's own prefix", arguments: Tool.all)
  func unknownFlag(tool: String) throws {
    let result = try Tool.run(tool, ["--no-such-flag"])
    #expect(result.status == 64)
    #expect(result.stderr.hasPrefix("\(tool): error: Unknown option '--no-such-flag'"))
    #expect(result.stdout.isEmpty)
  }

  @Test("text from an input never reaches the terminal raw: file names and values are escaped", arguments: Tool.all)
  func terminalEscapes(tool: String) throws {
    let folder = try Tool.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let sample = try #require(Self.malformed[tool])
    // A name that would clear the screen, return the cursor and forge a summary line.
    let name = "in\u{1B}[2J\r\(tool): 0 in, 0 out, 0 rejected\u{202E}.txt"
    try sample.input.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
    let result = try Tool.run(tool, [name, "--source", "x\u{1B}[31m/y"].prefix(tool == "ingest" ? 3 : 1).map { $0 }, in: folder)
    let bytes = Array(result.stderr.utf8)
    #expect(!bytes.contains(0x1B), "\(result.stderr.debugDescription)")
    #expect(!bytes.contains(0x0D), "\(result.stderr.debugDescription)")
    #expect(!result.stderr.unicodeScalars.contains("\u{202E}"))
    #expect(result.stderr.contains(#"\u{1B}[2J\u{D}"#), "\(result.stderr.debugDescription)")
  }

  @Test("a closed downstream pipe ends the tool quietly with 0", arguments: Tool.all)
  func closedPipe(tool: String) throws {
    let folder = try Tool.temporaryDirectory()
    // Far more output than a pipe buffer holds, so the tool is still writing when head exits.
    try Self.bigInput(for: tool).write(to: folder.appendingPathComponent("big.input"), atomically: true, encoding: .utf8)
    let result = try Tool.shell("\(tool) < big.input | head -n 1", in: folder)
    #expect(result.status == 0, "pipefail status")
    #expect(result.lines.count == 1)
    if Self.profiles[tool]!.writesNDJSON {
      #expect(result.stderr.isEmpty, "no broken-pipe noise")
    } else {
      // A report is short (long lists are top-N): it may finish before head closes the pipe.
      #expect(!result.stderr.contains("error"), "no broken-pipe noise")
    }
  }

  @Test("every output line is one JSON object", arguments: Tool.all.filter { profiles[$0]!.writesNDJSON })
  func oneObjectPerLine(tool: String) throws {
    let sample = try #require(Self.malformed[tool])
    let result = try Tool.run(tool, [], stdinData: Data(sample.input.utf8))
    #expect(result.stdoutText.hasSuffix("\n"))
    for line in result.lines {
      #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) is [String: Any], "\(line)")
    }
  }

  @Test("an output naming one of the run's inputs is a usage error, and the input stays", arguments: Tool.all)
  func outputIsNotAnInput(tool: String) throws {
    let folder = try Tool.temporaryDirectory()
    let sample = try #require(Self.malformed[tool])
    let input = tool == "ingest" ? "in.csv" : "in.ndjson"
    try sample.input.write(to: folder.appendingPathComponent(input), atomically: true, encoding: .utf8)
    for flag in ["-o", "--rejects"] {
      let result = try Tool.run(tool, [input, flag, input], in: folder)
      #expect(result.status == 64, "\(tool) \(flag): \(result.stderr)")
      #expect(result.stderr.contains("which this run reads"), "\(result.stderr)")
    }
    #expect(try String(contentsOf: folder.appendingPathComponent(input), encoding: .utf8) == sample.input)
  }

  @Test("-o writes atomically: a failed run leaves no output file", arguments: Tool.all)
  func atomicOutput(tool: String) throws {
    let folder = try Tool.temporaryDirectory()
    let sample = try #require(Self.malformed[tool])
    let failed = try Tool.run(
      tool, ["--strict", "-o", "out.ndjson", "--rejects", "rejects.ndjson"], in: folder, stdinData: Data(sample.input.utf8))
    #expect(failed.status == 1)
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path)
    #expect(leftovers.isEmpty, "no output, no rejects and no temporary file: \(leftovers)")
    let succeeded = try Tool.run(tool, ["-o", "out.ndjson"], in: folder, stdinData: Data(sample.input.utf8))
    #expect(succeeded.status == 0)
    #expect(succeeded.stdout.isEmpty)
    #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("out.ndjson").path))
  }
}
