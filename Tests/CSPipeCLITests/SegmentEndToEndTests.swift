import Foundation
import Testing

/// `segment` against an independent computation of the same definitions
/// (Tests/reference/segment_reference.py: Python's decimal and datetime, not our code).
@Suite("segment end to end")
struct SegmentEndToEndTests {
  /// Runs the pipeline to canonical records in `folder`, then segment and the reference on them,
  /// and returns the differences (empty when they agree).
  static func compare(exports: String, in folder: URL, asOf: String) throws -> (differences: [String], accounts: Int) {
    let canonical = try Tool.shell(
      "ingest -q \(exports) | normalise -q --as-of \(asOf) --aliases \(Tool.packageRoot.path)/pipelines/aliases.csv -o canonical.ndjson",
      in: folder)
    #expect(canonical.status == 0, "\(canonical.stderr)")
    let segment = try Tool.run("segment", ["canonical.ndjson", "--as-of", asOf], in: folder)
    #expect(segment.status == 0, "\(segment.stderr)")
    let reference = try Tool.shell(
      "python3 \(Tool.packageRoot.path)/Tests/reference/segment_reference.py canonical.ndjson \(asOf)", in: folder)
    #expect(reference.status == 0, "\(reference.stderr)")
    let expected = try #require(try JSONSerialization.jsonObject(with: reference.stdout) as? [String: [String: Any]])
    var differences: [String] = []
    let records = try segment.lines.dropFirst().map {
      try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
    }
    func decimal(_ value: Any?) -> Decimal? {
      if let number = value as? NSNumber { return Decimal(string: number.stringValue) }
      if let text = value as? String { return Decimal(string: text) }
      return nil
    }
    for record in records {
      let account = record["account"] as! String
      let want = expected[account]
      let mrr = decimal(record["mrr"]) ?? -1
      if decimal(want?["mrr"]) ?? 0 != mrr { differences.append("\(account): mrr \(mrr) vs \(want?["mrr"] ?? "none")") }
      let series = (record["mrr_series"] as? [[String: Any]] ?? []).map { decimal($0["mrr"]) ?? -1 }
      let wantSeries = (want?["series"] as? [String] ?? Array(repeating: "0", count: 13)).map { Decimal(string: $0)! }
      if series != wantSeries { differences.append("\(account): series \(series) vs \(wantSeries)") }
      let movements = (record["movements"] as? [[String: Any]] ?? []).map {
        "\($0["month"]!) \($0["type"]!) \(decimal($0["amount"])!)"
      }
      let wantMovements = (want?["movements"] as? [[String]] ?? []).map { "\($0[0]) \($0[1]) \(Decimal(string: $0[2])!)" }
      if movements != wantMovements { differences.append("\(account): movements \(movements) vs \(wantMovements)") }
      let tier = record["tier"] as? String
      if tier != (want?["tier"] as? String ?? "unranked") { differences.append("\(account): tier \(tier ?? "") vs \(want?["tier"] ?? "unranked")") }
    }
    return (differences, records.count)
  }

  @Test("on the samples, MRR, the series, the movements and the tiers match the reference")
  func samples() throws {
    let folder = try Tool.temporaryDirectory()
    let result = try Self.compare(exports: "\(Tool.packageRoot.path)/samples/exports/*", in: folder, asOf: "2026-11-15")
    #expect(result.accounts == 16)
    #expect(result.differences.isEmpty, "\(result.differences.prefix(5))")
  }

  @Test("on a generated base of 400 accounts, at two as-of dates, they match as well")
  func generated() throws {
    let folder = try Tool.temporaryDirectory()
    let generate = try Tool.shell(
      "python3 \(Tool.packageRoot.path)/scripts/generate_exports.py --out exports --accounts 400 --seed 7 --usage-days 7",
      in: folder)
    #expect(generate.status == 0, "\(generate.stderr)")
    for asOf in ["2026-11-15", "2026-06-30"] {
      let result = try Self.compare(exports: "exports/*", in: folder, asOf: asOf)
      #expect(result.accounts > 300)
      #expect(result.differences.isEmpty, "as of \(asOf): \(result.differences.count) differences, first \(result.differences.prefix(3))")
    }
  }
}
