import CSPipe
import Foundation
import Testing

/// The Makefile refresh (pipelines/default.mk, pipelines/backtest.mk) run into a temporary OUT
/// with the test build's binaries: each stage a file target that reruns only when something
/// upstream changed, and history snapshots equal to a run with the facts after their day present.
@Suite("Makefile refresh")
struct MakefileTests {
  static let root = Tool.packageRoot.path

  /// `make ARGS` from the project folder, writing only under `folder`.
  static func make(_ arguments: String, out folder: URL) throws -> Tool.Result {
    try Tool.shell(
      "make --no-print-directory -C \(root) BIN=\(Tool.binDirectory.path) OUT=\(folder.path)/out "
        + "INPUTS='\(folder.path)/exports/*' JOURNEY=\(folder.path)/journey.json \(arguments)", in: folder)
  }

  static func prepare() throws -> URL {
    let folder = try Tool.temporaryDirectory()
    let copied = try Tool.shell("cp -r \(root)/samples/exports exports && cp \(root)/pipelines/journey.json journey.json", in: folder)
    #expect(copied.status == 0, "\(copied.stderr)")
    return folder
  }

  /// The stages a dry run would run, by tool name.
  static func planned(_ result: Tool.Result) -> Set<String> {
    Set(
      result.stdoutText.split(separator: "\n").compactMap { line in
        ["ingest", "normalise", "segment", "score", "stage", "report"].first { line.contains("/\($0) ") }
      })
  }

  @Test(
    "nothing reruns when nothing changed; a changed journey reruns stage and report only; a changed export is ingested again alone, then the chain"
  )
  func rerunsOnlyDownstream() throws {
    let folder = try Self.prepare()
    let first = try Self.make("pipeline", out: folder)
    #expect(first.status == 0, "\(first.stderr)")
    #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("out/06-report/report.html").path))
    #expect(first.stdoutText.contains("open it with: xdg-open"))
    #expect(Self.planned(try Self.make("-n pipeline", out: folder)).isEmpty, "up to date: nothing to run")
    // make compares modification times: a second later is newer.
    Thread.sleep(forTimeInterval: 1.1)
    _ = try Tool.shell("touch journey.json", in: folder)
    #expect(Self.planned(try Self.make("-n pipeline", out: folder)) == ["stage", "report"])
    let rerun = try Self.make("pipeline", out: folder)
    #expect(rerun.status == 0, "\(rerun.stderr)")
    Thread.sleep(forTimeInterval: 1.1)
    _ = try Tool.shell("touch exports/nps_responses.csv", in: folder)
    let plan = try Self.make("-n pipeline", out: folder)
    #expect(Self.planned(plan) == ["ingest", "normalise", "segment", "score", "stage", "report"])
    // Only the touched export is ingested again; the others' raw files stand.
    let ingests = plan.stdoutText.split(separator: "\n").filter { $0.contains("/ingest ") }
    #expect(ingests.count == 1 && ingests.first?.contains("nps_responses.csv") == true, "\(ingests)")
  }

  @Test("a history snapshot is the run as of its month-end: the same bytes as the chain with every later fact present until segment")
  func snapshotHasNoFutureLeakage() throws {
    let folder = try Self.prepare()
    let made = try Self.make("\(folder.path)/out/history/2026-09-30.ndjson", out: folder)
    #expect(made.status == 0, "\(made.stderr)")
    let snapshot = try Data(contentsOf: folder.appendingPathComponent("out/history/2026-09-30.ndjson"))
    let chain = try Tool.shell(
      "ingest -q exports/* | normalise -q --as-of 2026-11-15 --aliases \(Self.root)/pipelines/aliases.csv --timezone freshdesk=UTC"
        + " | segment -q --as-of 2026-09-30 --config \(Self.root)/pipelines/segments.json | score -q --as-of 2026-09-30"
        + " | stage -q --as-of 2026-09-30 --journey journey.json", in: folder)
    #expect(chain.status == 0, "\(chain.stderr)")
    #expect(snapshot.count > 1000)
    #expect(chain.stdout == snapshot, "the snapshot differs from the run with later facts present")
  }

  @Test("the backtest on the demo portfolio has real numbers: renewals with outcomes, both renewed and churned")
  func demoBacktest() throws {
    let folder = try Tool.temporaryDirectory()
    let generated = try Tool.shell(
      "python3 \(Self.root)/scripts/generate_exports.py --demo --out exports > /dev/null && cp \(Self.root)/pipelines/journey.json .",
      in: folder)
    #expect(generated.status == 0, "\(generated.stderr)")
    let made = try Self.make("BACKTEST_MONTHS=4 \(folder.path)/out/08-backtest/report.html", out: folder)
    #expect(made.status == 0, "\(made.stderr)")
    let matrix = try String(contentsOf: folder.appendingPathComponent("out/08-backtest/tables/backtest_confusion.ndjson"), encoding: .utf8)
    let rows = try matrix.split(separator: "\n").map {
      try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
    }
    let churned = rows.reduce(0.0) { $0 + ($1["churned"] as? Double ?? 0) }
    let renewed = rows.reduce(0.0) { $0 + ($1["renewed"] as? Double ?? 0) }
    #expect(churned > 0 && renewed > 0, "churned \(churned), renewed \(renewed)")
    let markdown = try String(contentsOf: folder.appendingPathComponent("out/08-backtest/report.md"), encoding: .utf8)
    #expect(!markdown.contains("No data"), "every section has data on the demo portfolio")
  }

  @Test("the custom pipelines run: score swapped for a Python program, and the chain on a user's own exports and mappings")
  func customPipelines() throws {
    let folder = try Tool.temporaryDirectory()
    let swapped = try Tool.shell(
      "make --no-print-directory -C \(Self.root) -f pipelines/custom-score.mk BIN=\(Tool.binDirectory.path) OUT=\(folder.path)/custom",
      in: folder)
    #expect(swapped.status == 0, "\(swapped.stderr)")
    // The swapped stage's output holds to the same contract as the built-in stage's.
    let scored = try String(contentsOf: folder.appendingPathComponent("custom/04-score/scored-by-python.ndjson"), encoding: .utf8)
    let lines = scored.split(separator: "\n").map(String.init)
    #expect(lines.count == 17)
    for (index, line) in lines.enumerated() {
      let found = SchemaConformanceTests.problems(line)
      #expect(found.isEmpty, "scored-by-python line \(index + 1): \(found)")
    }
    let own = try Tool.shell(
      "make --no-print-directory -C \(Self.root) -f pipelines/own-exports.mk BIN=\(Tool.binDirectory.path) OUT=\(folder.path)/own",
      in: folder)
    #expect(own.status == 0, "\(own.stderr)")
    let accounts = try String(contentsOf: folder.appendingPathComponent("own/03-segment/accounts.ndjson"), encoding: .utf8)
    #expect(
      accounts.contains(#""account":"acme""#) && accounts.contains(#""currency":"EUR","mrr":900"#),
      "Acme's own billing export gives its MRR")
    #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("own/06-report/report.html").path))
  }
}
