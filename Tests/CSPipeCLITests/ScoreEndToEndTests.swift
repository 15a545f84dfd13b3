import CSPipe
import Foundation
import Testing

/// `score` against an independent computation of docs/SCORE.md (Tests/reference/score_reference.py),
/// the samples' stories, and properties over thousands of random account records.
@Suite("score end to end")
struct ScoreEndToEndTests {
  static let model = Tool.packageRoot.appendingPathComponent("pipelines/model.json").path

  static func accounts(_ exports: String, in folder: URL) throws {
    let made = try Tool.shell(
      "ingest -q \(exports) | normalise -q --as-of 2026-11-15 --aliases \(Tool.packageRoot.path)/pipelines/aliases.csv --timezone freshdesk=UTC | segment -q --as-of 2026-11-15 -o accounts.ndjson",
      in: folder)
    #expect(made.status == 0, "\(made.stderr)")
  }

  /// Each account's `health` from score's output.
  static func health(_ result: Tool.Result) throws -> [String: [String: Any]] {
    var found: [String: [String: Any]] = [:]
    for line in result.lines {
      let record = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
      if record["kind"] as? String == "account", let key = record["account"] as? String {
        found[key] = record["health"] as? [String: Any]
      }
    }
    return found
  }

  static func compareWithReference(accounts: String, model: String, in folder: URL) throws -> Int {
    let scored = try Tool.run("score", [accounts, "--as-of", "2026-11-15", "--model", model], in: folder)
    #expect(scored.status == 0, "\(scored.stderr)")
    let reference = try Tool.shell(
      "python3 \(Tool.packageRoot.path)/Tests/reference/score_reference.py \(model) \(accounts) 2026-11-15", in: folder)
    #expect(reference.status == 0, "\(reference.stderr)")
    let expected = try #require(try JSONSerialization.jsonObject(with: reference.stdout) as? [String: [String: Any]])
    let got = try health(scored)
    #expect(got.count == expected.count)
    for (key, want) in expected {
      let health = try #require(got[key], "\(key) is not in score's output")
      let score = health["score"] as? Double
      let wantScore = want["score"] as? Double
      #expect((score == nil) == (wantScore == nil), "\(key): score \(score ?? -1) vs \(wantScore ?? -1)")
      if let score, let wantScore {
        #expect(abs(score - wantScore) <= 0.011, "\(key): score \(score) vs reference \(wantScore)")
        // The colour follows the score; near a boundary the last digit may differ, so the colour too.
        if abs(wantScore.truncatingRemainder(dividingBy: 25)) > 0.02 {
          #expect(health["color"] as? String == want["color"] as? String, "\(key): colour")
        }
      }
      #expect(health["profile"] as? String == want["profile"] as? String, "\(key): profile")
      #expect(abs((health["coverage"] as? Double ?? -1) - (want["coverage"] as? Double ?? -2)) < 0.0001, "\(key): coverage")
      let measures = health["measures"] as? [String: [String: Any]] ?? [:]
      for (name, points) in want["points"] as? [String: Double] ?? [:] {
        let ours = measures[name]?["points"] as? Double
        // Points are written to 2 places, half to even: 53.125 is 53.12, half a cent from the
        // reference's unrounded value (plus binary noise).
        #expect(ours.map { abs($0 - points) <= 0.005 + 1e-9 } == true, "\(key).\(name): points \(ours ?? -1) vs \(points)")
      }
      let scoredHere = measures.filter { $0.value["points"] != nil }.count
      #expect(scoredHere == (want["points"] as? [String: Double])?.count, "\(key): measures scored")
    }
    return expected.count
  }

  @Test("agrees with the reference on the samples, a generated portfolio and random records, default and nested models")
  func reference() throws {
    let folder = try Tool.temporaryDirectory()
    try Self.accounts("\(Tool.packageRoot.path)/samples/exports/*", in: folder)
    #expect(try Self.compareWithReference(accounts: "accounts.ndjson", model: Self.model, in: folder) == 16)
    let nested = GoldenCase.casesRoot.appendingPathComponent("score/0002-nested-groups/model.json").path
    let generated = try Tool.temporaryDirectory()
    let made = try Tool.shell(
      "python3 \(Tool.packageRoot.path)/scripts/generate_exports.py --out gen --accounts 400 --seed 11 > /dev/null",
      in: generated)
    #expect(made.status == 0)
    try Self.accounts("gen/*", in: generated)
    #expect(try Self.compareWithReference(accounts: "accounts.ndjson", model: Self.model, in: generated) == 400)
    let nestedAccounts = GoldenCase.casesRoot.appendingPathComponent("score/0002-nested-groups/stdin").path
    #expect(try Self.compareWithReference(accounts: nestedAccounts, model: nested, in: generated) == 4)
    // Random records reach every branch of the inputs and profiles.
    let random = Self.randomAccounts(count: 2000, seed: 5).joined(separator: "\n") + "\n"
    try random.write(to: generated.appendingPathComponent("random.ndjson"), atomically: true, encoding: .utf8)
    #expect(try Self.compareWithReference(accounts: "random.ndjson", model: Self.model, in: generated) == 2000)
  }

  @Test("on the samples every account's health tells its story (samples/README.md)")
  func stories() throws {
    let folder = try Tool.temporaryDirectory()
    try Self.accounts("\(Tool.packageRoot.path)/samples/exports/*", in: folder)
    let result = try Tool.run("score", ["accounts.ndjson", "--as-of", "2026-11-15"], in: folder)
    #expect(result.status == 0)
    let health = try Self.health(result)
    func color(_ key: String) -> String? { health[key]?["color"] as? String }
    func profile(_ key: String) -> String? { health[key]?["profile"] as? String }
    func codes(_ key: String) -> [String] {
      (health[key]?["reasons"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
    }
    // Granite Works: unpaid beyond grace, MRR stopped: not green, red, and says why.
    #expect(color("granite") == "red")
    #expect(codes("granite").contains("not_paying"))
    #expect(codes("granite").contains("invoices_past_due"))
    // Copperleaf Bank: past due within grace: still paying, not green, the invoice is a reason.
    #expect(color("copperleaf") != "green")
    #expect(codes("copperleaf").contains("invoices_past_due"))
    // Foxglove Retail churned, Lumen Labs never converted: neither is scored as healthy.
    #expect(color("foxglove") == "red" && profile("foxglove") == "not-paying")
    #expect(color("lumen") == "red" && profile("lumen") == "not-paying")
    // Evergreen Schools asked to cancel: the cancelling profile, not healthy.
    #expect(profile("evergreen") == "cancelling")
    #expect(color("evergreen") == "orange" || color("evergreen") == "red")
    #expect(codes("evergreen").contains("cancellation_requested"))
    // Kestrel Aviation started 40 days ago: onboarding.
    #expect(profile("kestrel") == "onboarding")
    // Driftwood Studios contracted: usage declining among its reasons, not green.
    #expect(color("driftwood") != "green")
    // Northwind, steady and large: green.
    #expect(color("northwind") == "green")
  }

  /// Random account records: every field present or not, values across and beyond the model's
  /// ranges, dates before and after as-of.
  static func randomAccounts(count: Int, seed: UInt64) -> [String] {
    var generator = SeededGenerator(seed: seed)
    func maybe(_ chance: Double = 0.7) -> Bool { Double.random(in: 0..<1, using: &generator) < chance }
    func number(_ range: ClosedRange<Double>) -> Double {
      (Double.random(in: range, using: &generator) * 100).rounded() / 100
    }
    func day(_ offset: ClosedRange<Int>) -> String {
      Timestamps.isoDate((20407 + Int.random(in: offset, using: &generator)) * 86400)
    }
    var lines: [String] = []
    for index in 0..<count {
      var record: [String: Any] = ["kind": "account", "account": String(format: "acct-%05d", index), "as_of": "2026-11-15"]
      record["tier"] = ["tier1", "tier2", "tier3", "unranked"].randomElement(using: &generator)!
      record["mrr"] = maybe(0.85) ? number(0...20000) : 0
      record["mrr_series"] = [["month": "2026-10", "mrr": maybe() ? number(0...2000) : 0]]
      if maybe() { record["contract_start"] = day(-900...30) }
      if maybe() { record["adoption"] = number(-0.5...1.5) }
      if maybe() { record["target_value"] = maybe(0.9) ? number(0...500) : 0 }
      var last: [String: Any] = [:]
      var previous: [String: Any] = [:]
      if maybe() { last["logins"] = number(0...5000) }
      if maybe() { previous["logins"] = number(0...5000) }
      if maybe() { last["feature:reports"] = number(0...800) }
      if maybe(0.5) { last["feature:export"] = number(0...10) }
      if maybe() { record["usage"] = ["last_30_days": last, "previous_30_days": previous] }
      var tickets: [String: Any] = ["open_by_severity": maybe() ? ["1": Int.random(in: 0...3, using: &generator)] : [:]]
      if maybe() { tickets["last_at"] = day(-300...10) + "T10:00:00Z" }
      if maybe(0.5) { tickets["satisfaction_good"] = Int.random(in: 0...10, using: &generator) }
      if maybe(0.5) { tickets["satisfaction_bad"] = Int.random(in: 0...10, using: &generator) }
      record["tickets"] = tickets
      if maybe() { record["surveys"] = ["nps": ["score": Int.random(in: 0...10, using: &generator), "at": day(-400...10) + "T00:00:00Z"]] }
      record["billing"] = [
        "invoices_past_due": Int.random(in: 0...3, using: &generator), "failed_payments_90_days": Int.random(in: 0...4, using: &generator),
      ]
      record["users"] = ["sponsors": Int.random(in: 0...2, using: &generator)]
      if maybe(0.2) { record["cancellation_scheduled_at"] = day(-60...0) + "T00:00:00Z" }
      if maybe(0.3) {
        record["movements"] = [
          ["month": ["2026-08", "2026-09", "2026-11"].randomElement(using: &generator)!, "type": "contraction", "amount": -10]
        ]
      }
      var freshness: [String: Any] = [:]
      for source in ["app/usage", "zendesk/tickets", "stripe/invoices", "stripe/payments", "crm/users"] where maybe(0.8) {
        freshness[source] = day(-40...5)
      }
      record["freshness"] = freshness
      let data = try! JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])
      lines.append(String(decoding: data, as: UTF8.self))
    }
    return lines
  }

  @Test("properties over 3000 random account records")
  func properties() throws {
    let folder = try Tool.temporaryDirectory()
    let lines = Self.randomAccounts(count: 3000, seed: 20261202)
    try (lines.joined(separator: "\n") + "\n").write(to: folder.appendingPathComponent("random.ndjson"), atomically: true, encoding: .utf8)
    var shuffler = SeededGenerator(seed: 7)
    try (lines.shuffled(using: &shuffler).joined(separator: "\n") + "\n")
      .write(to: folder.appendingPathComponent("shuffled.ndjson"), atomically: true, encoding: .utf8)
    let first = try Tool.run("score", ["random.ndjson", "--as-of", "2026-11-15"], in: folder)
    let again = try Tool.run("score", ["random.ndjson", "--as-of", "2026-11-15"], in: folder)
    let shuffled = try Tool.run("score", ["shuffled.ndjson", "--as-of", "2026-11-15"], in: folder)
    #expect(first.status == 0, "\(first.stderr)")
    #expect(first.stdout == again.stdout, "byte-identical reruns")
    #expect(first.stdout == shuffled.stdout, "the same output whatever the input order")
    let health = try Self.health(first)
    #expect(health.count == 3000)
    var scoredCount = 0
    for (key, entry) in health {
      guard let score = entry["score"] as? Double else {
        #expect(entry["color"] is NSNull, "\(key)")
        continue
      }
      scoredCount += 1
      #expect((0...100).contains(score), "\(key): \(score)")
      let expectedColor = score >= 75 ? "green" : score >= 50 ? "yellow" : score >= 25 ? "orange" : "red"
      #expect(entry["color"] as? String == expectedColor, "\(key): \(score)")
      let measures = entry["measures"] as? [String: [String: Any]] ?? [:]
      // Contributions are hundredths that add up to the score exactly.
      let cents = measures.values.compactMap { $0["contribution"] as? Double }.map { Int(($0 * 100).rounded()) }
      #expect(cents.reduce(0, +) == Int((score * 100).rounded()), "\(key): contributions \(cents) vs \(score)")
      let shares = measures.values.compactMap { $0["share"] as? Double }.reduce(0, +)
      #expect(abs(shares - 1) < 0.001 * Double(max(1, measures.count)), "\(key): shares add up to \(shares)")
    }
    #expect(scoredCount > 2500)
  }

  @Test("removing one measure's data never changes another measure's points")
  func independentMeasures() throws {
    let folder = try Tool.temporaryDirectory()
    let lines = Self.randomAccounts(count: 300, seed: 99)
    // Without surveys, nps and the survey dates go; every other measure that does not read
    // surveys keeps its points.
    let withoutSurveys = try lines.map { line -> String in
      var record = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
      record["surveys"] = nil
      return String(decoding: try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]), as: UTF8.self)
    }
    try (lines.joined(separator: "\n") + "\n").write(to: folder.appendingPathComponent("all.ndjson"), atomically: true, encoding: .utf8)
    try (withoutSurveys.joined(separator: "\n") + "\n")
      .write(to: folder.appendingPathComponent("less.ndjson"), atomically: true, encoding: .utf8)
    let all = try Self.health(try Tool.run("score", ["all.ndjson", "--as-of", "2026-11-15"], in: folder))
    let less = try Self.health(try Tool.run("score", ["less.ndjson", "--as-of", "2026-11-15"], in: folder))
    var compared = 0
    for (key, before) in all {
      let after = try #require(less[key])
      let beforeMeasures = before["measures"] as? [String: [String: Any]] ?? [:]
      let afterMeasures = after["measures"] as? [String: [String: Any]] ?? [:]
      for (name, measure) in beforeMeasures where name != "nps" && name != "engagement" {
        #expect((measure["points"] as? Double) == (afterMeasures[name]?["points"] as? Double), "\(key).\(name)")
        compared += 1
      }
      #expect(afterMeasures["nps"]?["points"] == nil, "\(key): nps has no data without surveys")
    }
    #expect(compared > 1000)
  }
}
