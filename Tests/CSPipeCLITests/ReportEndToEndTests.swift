import CSPipe
import Foundation
import Testing

/// `report` on the whole chain: its numbers against the records they come from, recomputed here;
/// the page rendered in a real headless browser; nothing fetched; a failed run keeps the
/// previous report.
@Suite("report end to end")
struct ReportEndToEndTests {
  static let root = Tool.packageRoot.path

  /// The samples through the whole chain into `staged.ndjson`, then report into `out/`.
  static func samplesReport(in folder: URL) throws {
    let chain = try Tool.shell(
      "ingest -q \(root)/samples/exports/* | normalise -q --as-of 2026-11-15 --aliases \(root)/pipelines/aliases.csv --timezone freshdesk=UTC"
        + " | segment -q --as-of 2026-11-15 | score -q --as-of 2026-11-15 | stage -q --as-of 2026-11-15 > staged.ndjson"
        + " && report -q staged.ndjson --as-of 2026-11-15 -o out",
      in: folder)
    #expect(chain.status == 0, "\(chain.stderr)")
  }

  static func table(_ name: String, in folder: URL) throws -> [[String: Any]] {
    let text = try String(contentsOf: folder.appendingPathComponent("out/tables/\(name).ndjson"), encoding: .utf8)
    return try text.split(separator: "\n").map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
  }

  static func records(in folder: URL) throws -> [[String: Any]] {
    let text = try String(contentsOf: folder.appendingPathComponent("staged.ndjson"), encoding: .utf8)
    return try text.split(separator: "\n").map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
  }

  @Test("NRR, GRR, tier shares and the funnel equal the records they come from, recomputed independently")
  func numbersEqualRecords() throws {
    let folder = try Tool.temporaryDirectory()
    try Self.samplesReport(in: folder)
    let records = try Self.records(in: folder)
    let portfolio = try #require(records.first { $0["kind"] as? String == "portfolio" })
    let accounts = records.filter { $0["kind"] as? String == "account" }
    // Summary: NRR, GRR and logo churn are the portfolio line's retention.
    let retention = try #require(portfolio["retention"] as? [String: Any])
    let summary = Dictionary(
      uniqueKeysWithValues: try Self.table("summary", in: folder).map { ($0["measure"] as! String, $0["value"]) })
    for (label, key) in [("NRR", "nrr"), ("GRR", "grr"), ("logo churn", "logo_churn")] {
      #expect((summary[label] as? Double) == (retention[key] as? Double), "\(label)")
    }
    #expect((summary["accounts"] as? Double) == Double(accounts.count))
    // Tiers: recomputed from the ranked accounts (a parent on its total with its children).
    let ranked = accounts.filter { $0["revenue_rank"] is Int && $0["tier_from"] == nil }
    let total = ranked.reduce(0.0) { $0 + (($1["mrr_with_children"] ?? $1["mrr"]) as? Double ?? 0) }
    for row in try Self.table("tiers", in: folder) where row["tier"] as? String != "unranked" {
      let tier = row["tier"] as! String
      let members = ranked.filter { $0["tier"] as? String == tier }
      let mrr = members.reduce(0.0) { $0 + (($1["mrr_with_children"] ?? $1["mrr"]) as? Double ?? 0) }
      #expect(row["accounts"] as? Double == Double(members.count), "\(tier) accounts")
      #expect(abs((row["MRR"] as? Double ?? -1) - mrr) < 0.005, "\(tier) MRR")
      #expect(abs((row["share of accounts"] as? Double ?? -1) - Double(members.count) / Double(ranked.count)) < 0.00005, "\(tier) share")
      #expect(abs((row["share of MRR"] as? Double ?? -1) - mrr / total) < 0.00005, "\(tier) MRR share")
    }
    // Funnel: accounts that met each milestone, and the median gap from the one before.
    let milestones = accounts.compactMap { ($0["stage"] as? [String: Any])?["milestones"] as? [[String: Any]] }
    for (index, row) in try Self.table("funnel", in: folder).enumerated() {
      let met = milestones.filter { index < $0.count && $0[index]["state"] as? String == "met" }.count
      #expect(row["reached"] as? Double == Double(met), "\(row["milestone"]!) reached")
      let gaps = milestones.compactMap { list -> Int? in
        guard index < list.count, let day = list[index]["day"] as? Int else { return nil }
        if index == 0 { return day }
        return (list[index - 1]["day"] as? Int).map { day - $0 }
      }.sorted()
      let median = gaps.isEmpty ? nil : gaps[(gaps.count + 1) / 2 - 1]
      #expect((row["median days from previous"] as? Double).map(Int.init) == median, "\(row["milestone"]!) median")
    }
    // Movements: every month reconciles.
    for row in try Self.table("mrr_movements", in: folder) { #expect(row["reconciles"] as? String == "yes", "\(row["month"]!)") }
  }

  @Test("report.html renders in headless Chromium: not blank, every section heading present, nothing fetched")
  func rendersInABrowser() throws {
    let folder = try Tool.temporaryDirectory()
    try Self.samplesReport(in: folder)
    let html = try String(contentsOf: folder.appendingPathComponent("out/report.html"), encoding: .utf8)
    // Nothing a browser would fetch: no external src/href, no CSS url() or @import, no script.
    for pattern in [#"(src|href)\s*=\s*["']?\s*(https?:|//)"#, #"url\("#, "@import", "<script", "<link", "<iframe", "<img"] {
      #expect(html.range(of: pattern, options: [.regularExpression, .caseInsensitive]) == nil, "\(pattern) in report.html")
    }
    #expect(!html.contains("http://") && !html.contains("https://"))
    let headings = [
      "Portfolio summary", "Revenue concentration (Pareto)", "Tiers × health, and each CSM", "Health distribution and its reasons",
      "Champions, cruisers, laggards", "Onboarding funnel", "Effectiveness stages", "Engagement moments due in the next 7 days",
      "MRR movements by month", "Renewal forecast", "Health against outcome (backtest)", "Cohort programs",
    ]
    guard
      let browser = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first(where: { FileManager.default.isExecutableFile(atPath: $0) })
    else {
      Issue.record("Chromium is not installed: run `make setup` (scripts/setup.sh installs it)")
      return
    }
    let flags = "--headless --no-sandbox --disable-gpu --user-data-dir=\(folder.path)/profile"
    let dom = try Tool.shell("\(browser) \(flags) --dump-dom out/report.html 2>/dev/null", in: folder)
    #expect(dom.status == 0)
    for heading in headings { #expect(dom.stdoutText.contains("<h2>\(heading)"), "section \(heading) in the rendered page") }
    let shot = try Tool.shell(
      "\(browser) \(flags) --window-size=1100,3000 --screenshot=\(folder.path)/report.png out/report.html 2>/dev/null", in: folder)
    #expect(shot.status == 0)
    let png = try Data(contentsOf: folder.appendingPathComponent("report.png"))
    #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "a PNG")
    // A blank page compresses to a few KB; charts, tables and text take hundreds.
    #expect(png.count > 100_000, "the page is not blank: \(png.count) bytes")
  }

  @Test("a failed run leaves the previous report as it was; a file, or a folder that is not a report, is never replaced")
  func previousReportKept() throws {
    let folder = try Tool.temporaryDirectory()
    try Self.samplesReport(in: folder)
    let before = try String(contentsOf: folder.appendingPathComponent("out/report.md"), encoding: .utf8)
    try Data("{\"kind\":\"account\",\"account\":\"x\",\"as_of\":\"2026-11-15\"}\n[1]\n".utf8).write(
      to: folder.appendingPathComponent("bad.ndjson"))
    let failed = try Tool.run("report", ["bad.ndjson", "--strict", "-o", "out"], in: folder)
    #expect(failed.status == 1)
    #expect(try String(contentsOf: folder.appendingPathComponent("out/report.md"), encoding: .utf8) == before)
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix(".out.") }
    #expect(leftovers.isEmpty, "no staging folder left: \(leftovers)")
    // Replacing a previous report works; a plain file is refused and kept.
    let again = try Tool.run("report", ["staged.ndjson", "-q", "-o", "out"], in: folder)
    #expect(again.status == 0)
    try Data("mine\n".utf8).write(to: folder.appendingPathComponent("notes.txt"))
    let refused = try Tool.run("report", ["staged.ndjson", "-q", "-o", "notes.txt"], in: folder)
    #expect(refused.status == 1)
    #expect(try String(contentsOf: folder.appendingPathComponent("notes.txt"), encoding: .utf8) == "mine\n")
  }

  @Test("the report does not depend on input order, a duplicated account included")
  func inputOrder() throws {
    let folder = try Tool.temporaryDirectory()
    try Self.samplesReport(in: folder)
    // A second copy of one account, changed, then the lines in reverse order.
    let prepared = try Tool.shell(
      "cp staged.ndjson twice.ndjson && grep '\"account\":\"harbor\"' staged.ndjson | sed 's/\"mrr\":882/\"mrr\":883/' >> twice.ndjson"
        + " && tac twice.ndjson > reversed.ndjson", in: folder)
    #expect(prepared.status == 0)
    let forward = try Tool.run("report", ["twice.ndjson", "-q", "--as-of", "2026-11-15"], in: folder)
    let backward = try Tool.run("report", ["reversed.ndjson", "-q", "--as-of", "2026-11-15"], in: folder)
    #expect(forward.status == 0 && backward.status == 0)
    #expect(forward.stdout == backward.stdout)
  }
}
