import Foundation
import Testing

/// `segment` against an independent computation of the same definitions
/// (Tests/reference/segment_reference.py: Python's decimal and datetime, not our code).
@Suite("segment end to end")
struct SegmentEndToEndTests {
  /// Runs the pipeline to canonical records in `folder`, then segment and the reference on them,
  /// and returns the differences (empty when they agree).
  static func compare(
    exports: String, in folder: URL, asOf: String, policy: String = "end-of-service"
  ) throws -> (differences: [String], accounts: Int) {
    let canonical = try Tool.shell(
      "ingest -q \(exports) | normalise -q --as-of \(asOf) --aliases \(Tool.packageRoot.path)/pipelines/aliases.csv -o canonical.ndjson",
      in: folder)
    #expect(canonical.status == 0, "\(canonical.stderr)")
    try Data(#"{"churnRecognition":"\#(policy)"}"#.utf8).write(to: folder.appendingPathComponent("policy.json"))
    let segment = try Tool.run("segment", ["canonical.ndjson", "--as-of", asOf, "--config", "policy.json"], in: folder)
    #expect(segment.status == 0, "\(segment.stderr)")
    let reference = try Tool.shell(
      "python3 \(Tool.packageRoot.path)/Tests/reference/segment_reference.py canonical.ndjson \(asOf) 30 \(policy)", in: folder)
    #expect(reference.status == 0, "\(reference.stderr)")
    let both = try #require(try JSONSerialization.jsonObject(with: reference.stdout) as? [String: Any])
    let expected = try #require(both["accounts"] as? [String: [String: Any]])
    func decimal(_ value: Any?) -> Decimal? {
      if let number = value as? NSNumber { return Decimal(string: number.stringValue) }
      if let text = value as? String { return Decimal(string: text) }
      return nil
    }
    var differences: [String] = []
    // Portfolio retention: NRR, GRR and logo churn, overall and per tier at the window's start.
    let portfolio = try #require(try JSONSerialization.jsonObject(with: Data(segment.lines[0].utf8)) as? [String: Any])
    let retention = portfolio["retention"] as? [String: Any] ?? [:]
    let wantRetention = both["retention"] as? [String: Any] ?? [:]
    func sameFigures(_ got: [String: Any]?, _ want: [String: Any]?, _ label: String) {
      for field in ["cohort_accounts", "start_mrr", "end_mrr", "nrr", "grr", "churned_accounts", "logo_churn"] {
        let gotValue = got?[field] is NSNull ? nil : got?[field]
        let wantValue = want?[field] is NSNull ? nil : want?[field]
        if decimal(gotValue) != decimal(wantValue) {
          differences.append("retention \(label) \(field): \(gotValue ?? "null") vs \(wantValue ?? "null")")
        }
      }
    }
    sameFigures(retention, wantRetention, "all")
    let window = retention["window"] as? [String: Any]
    if window?["start"] as? String != wantRetention["window_start"] as? String {
      differences.append("retention window \(window?["start"] ?? "") vs \(wantRetention["window_start"] ?? "")")
    }
    for tier in ["tier1", "tier2", "tier3"] {
      sameFigures(
        (retention["by_tier_at_start"] as? [String: Any])?[tier] as? [String: Any],
        (wantRetention["by_tier_at_start"] as? [String: Any])?[tier] as? [String: Any], tier)
    }
    let records = try segment.lines.dropFirst().map {
      try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
    }
    for record in records {
      let account = record["account"] as! String
      let want = expected[account]
      let mrr = decimal(record["mrr"]) ?? -1
      if decimal(want?["mrr"]) ?? 0 != mrr { differences.append("\(account): mrr \(mrr) vs \(want?["mrr"] ?? "none")") }
      if decimal(want?["mrr_at_risk"]) ?? 0 != decimal(record["mrr_at_risk"]) ?? -1 {
        differences.append("\(account): mrr_at_risk \(record["mrr_at_risk"] ?? "none") vs \(want?["mrr_at_risk"] ?? "none")")
      }
      let series = (record["mrr_series"] as? [[String: Any]] ?? []).map { decimal($0["mrr"]) ?? -1 }
      let wantSeries = (want?["series"] as? [String] ?? Array(repeating: "0", count: 13)).map { Decimal(string: $0)! }
      if series != wantSeries { differences.append("\(account): series \(series) vs \(wantSeries)") }
      let movements = (record["movements"] as? [[String: Any]] ?? []).map {
        "\($0["month"]!) \($0["type"]!) \(decimal($0["amount"])!)"
      }
      let wantMovements = (want?["movements"] as? [[String]] ?? []).map { "\($0[0]) \($0[1]) \(Decimal(string: $0[2])!)" }
      if movements != wantMovements { differences.append("\(account): movements \(movements) vs \(wantMovements)") }
      let tier = record["tier"] as? String
      if tier != (want?["tier"] as? String ?? "unranked") {
        differences.append("\(account): tier \(tier ?? "") vs \(want?["tier"] ?? "unranked")")
      }
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
    try Self.expectAgreement(
      in: folder, runs: [("2026-11-15", "end-of-service"), ("2026-06-30", "end-of-service"), ("2026-11-15", "scheduled")],
      accountsAbove: 300)
  }

  /// The benchmark's subscriptions export: every Stripe status (trialing, past_due and unpaid
  /// without invoices, incomplete, incomplete_expired, paused), cancellations at period end
  /// and for a date, several subscriptions per customer. Guards segment's MRR spans
  /// (`MRRTimeline`) against the reference's day-by-day rules.
  @Test("on a Stripe subscriptions export with every status, under both policies, they match")
  func subscriptionStatuses() throws {
    let folder = try Tool.temporaryDirectory()
    let generate = try Tool.shell(
      "mkdir exports && python3 \(Tool.packageRoot.path)/scripts/generate_subscriptions.py --out exports/subscriptions.csv --customers 600",
      in: folder)
    #expect(generate.status == 0, "\(generate.stderr)")
    // Customers whose every subscription starts after as-of are not known yet: fewer than 600.
    try Self.expectAgreement(
      in: folder, runs: [("2026-11-15", "end-of-service"), ("2026-10-31", "scheduled")], accountsAbove: 500)
  }

  /// `compare` on `folder/exports/*` for each (as-of, policy): no differences, and more than
  /// `accountsAbove` accounts compared.
  static func expectAgreement(in folder: URL, runs: [(asOf: String, policy: String)], accountsAbove: Int) throws {
    for (asOf, policy) in runs {
      let result = try compare(exports: "exports/*", in: folder, asOf: asOf, policy: policy)
      #expect(result.accounts > accountsAbove)
      #expect(
        result.differences.isEmpty,
        "as of \(asOf), \(policy): \(result.differences.count) differences, first \(result.differences.prefix(3))")
    }
  }
}

extension SegmentEndToEndTests {
  /// The account records are written in slices on every core (`InParallel`): one thread or
  /// several, sliced differently, must give the same bytes, warnings included.
  @Test("one thread and three write the same output, byte for byte")
  func threadCountDoesNotChangeOutput() throws {
    let folder = try Tool.temporaryDirectory()
    let prepare = try Tool.shell(
      "python3 \(Tool.packageRoot.path)/scripts/generate_subscriptions.py --out subscriptions.csv --customers 9000"
        + " && ingest -q subscriptions.csv | normalise -q --as-of 2026-11-15 -o canonical.ndjson", in: folder)
    #expect(prepare.status == 0, "\(prepare.stderr)")
    var outputs: [String: Tool.Result] = [:]
    for threads in ["1", "3"] {
      outputs[threads] = try Tool.shell(
        "CSPIPE_THREADS=\(threads) segment --as-of 2026-11-15 canonical.ndjson", in: folder)
    }
    let one = try #require(outputs["1"])
    let three = try #require(outputs["3"])
    #expect(one.status == 0, "\(one.stderr)")
    #expect(one.lines.count > 6000)
    #expect(one.stdout == three.stdout)
    #expect(one.stderr == three.stderr)
    #expect(one.stderr.contains("undated delinquency"))
  }

  /// How a JSON string is spelled never changes a result: the fold remembers the last records'
  /// kinds, accounts, statuses, currencies and amounts by their raw tokens (`RecentTokens`), and
  /// a token spelled with escapes must read as the value it decodes to.
  @Test("values spelled with escapes, in runs and alone, fold as their plain spelling does")
  func escapedSpellings() throws {
    let folder = try Tool.temporaryDirectory()
    let respell = #"""
      import json, random, sys
      random.seed(3)
      def escaped(text):
          return '"' + ''.join('\\u%04x' % ord(c) if random.random() < 0.5 else c for c in text) + '"'
      for line in open('canonical.ndjson'):
          record = json.loads(line)
          if random.random() < 0.5:
              print(json.dumps(record, separators=(',', ':')))
              continue
          text = json.dumps(record, separators=(',', ':'))
          for field in ('kind', 'account', 'status', 'currency', 'interval'):
              if isinstance(record.get(field), str):
                  plain = '"%s":%s' % (field, json.dumps(record[field]))
                  text = text.replace(plain, '"%s":%s' % (field, escaped(record[field])), 1)
          print(text)
      """#
    try respell.write(to: folder.appendingPathComponent("respell.py"), atomically: true, encoding: .utf8)
    let prepare = try Tool.shell(
      "python3 \(Tool.packageRoot.path)/scripts/generate_subscriptions.py --out subscriptions.csv --customers 3000"
        + " && ingest -q subscriptions.csv | normalise -q --as-of 2026-11-15 -o canonical.ndjson"
        + " && python3 respell.py > respelled.ndjson && grep -c 'u00' respelled.ndjson", in: folder)
    #expect(prepare.status == 0, "\(prepare.stderr)")
    #expect((Int(prepare.lines.last ?? "") ?? 0) > 1000, "too few respelled lines")
    let plain = try Tool.run("segment", ["--as-of", "2026-11-15", "-q", "canonical.ndjson"], in: folder)
    let respelled = try Tool.run("segment", ["--as-of", "2026-11-15", "-q", "respelled.ndjson"], in: folder)
    #expect(plain.status == 0, "\(plain.stderr)")
    #expect(plain.lines.count > 2000)
    #expect(respelled.stdout == plain.stdout)
  }

  /// Names spelled both precomposed and decomposed (`sé` and `se\u{301}`), for which Swift's
  /// `<` is no total order: sorted by `TextOrder`, the output is the same on every run, each
  /// with its own hash seed. (Which of two equivalent spellings names an account or a source is
  /// still the first one read.)
  @Test("names in mixed Unicode normal forms come out in one order on every run")
  func mixedNormalForms() throws {
    let folder = try Tool.temporaryDirectory()
    let make = #"""
      import json, random
      random.seed(4)
      lines = []
      for n in range(3000):
          system = random.choice(['s\u00e9', 'se\u0301', 'sx'])
          record = {'kind': 'usage', 'account': random.choice(['k\u00e9-%d', 'ke\u0301-%d']) % random.randint(0, 9),
                    'source': {'system': system, 'dataset': 'ds%d' % random.randint(0, 40), 'file': 'f.csv', 'line': n},
                    'at': '2026-%02d-%02dT00:00:00Z' % (random.randint(1, 10), random.randint(1, 28)),
                    'metric': random.choice(['caf\u00e9', 'cafe\u0301', 'logins']), 'value': random.randint(1, 9)}
          lines.append(json.dumps(record))
      open('mixed.ndjson', 'w').write('\n'.join(lines) + '\n')
      """#
    try make.write(to: folder.appendingPathComponent("make.py"), atomically: true, encoding: .utf8)
    #expect(try Tool.shell("python3 make.py", in: folder).status == 0)
    var outputs: [Data] = []
    for _ in 0..<4 {
      let run = try Tool.run("segment", ["--as-of", "2026-11-15", "-q", "mixed.ndjson"], in: folder)
      #expect(run.status == 0, "\(run.stderr)")
      outputs.append(run.stdout)
    }
    #expect(outputs.allSatisfy { $0 == outputs[0] })
  }

  /// Shards (docs/SEGMENT.md, "Shards"): shuffle the canonical records, split them into shards, fold
  /// each with --partial, combine with --merge: byte for byte the output of one run.
  @Test("partial aggregates over shuffled, split input merge to exactly one run's output")
  func partialMergeEquivalence() throws {
    let folder = try Tool.temporaryDirectory()
    let generate = try Tool.shell(
      "python3 \(Tool.packageRoot.path)/scripts/generate_exports.py --out exports --accounts 300 --seed 11 --usage-days 7"
        + " && ingest -q exports/* | normalise -q --as-of 2026-11-15 -o canonical.ndjson", in: folder)
    #expect(generate.status == 0, "\(generate.stderr)")
    // The shipped config keeps monthly usage series, so those merge too.
    let config = "\(Tool.packageRoot.path)/pipelines/segments.json"
    let single = try Tool.run("segment", ["canonical.ndjson", "--as-of", "2026-11-15", "-q", "--config", config], in: folder)
    #expect(single.status == 0)
    #expect(String(decoding: single.stdout, as: UTF8.self).contains(#""monthly":{"feature:"#))
    // A deterministic shuffle (awk with a fixed seed), then four shards of unequal size.
    let sharded = try Tool.shell(
      """
      awk 'BEGIN{srand(42)} {print rand() "\\t" $0}' canonical.ndjson | sort -k1,1 | cut -f2- > shuffled.ndjson
      split -n l/4 shuffled.ndjson shard.
      for shard in shard.a?; do segment --partial --as-of 2026-11-15 -q --config \(config) "$shard" > "$shard.partial"; done
      cat shard.a?.partial | segment --merge --as-of 2026-11-15 -q --config \(config)
      """, in: folder)
    #expect(sharded.status == 0, "\(sharded.stderr)")
    #expect(sharded.lines.count == single.lines.count)
    #expect(sharded.stdout == single.stdout, "merged output differs from the single run")
    // Input order never matters.
    let shuffled = try Tool.run("segment", ["shuffled.ndjson", "--as-of", "2026-11-15", "-q", "--config", config], in: folder)
    #expect(shuffled.stdout == single.stdout)
  }

  @Test("--merge refuses partials made as of another day, and canonical records")
  func mergeRefusesMismatches() throws {
    let folder = try Tool.temporaryDirectory()
    try (ConformanceTests.usage("x", 1)).write(to: folder.appendingPathComponent("c.ndjson"), atomically: true, encoding: .utf8)
    let partial = try Tool.run("segment", ["--partial", "--as-of", "2026-01-31", "c.ndjson"], in: folder)
    try partial.stdout.write(to: folder.appendingPathComponent("p.ndjson"))
    let merged = try Tool.run("segment", ["--merge", "--as-of", "2026-02-28", "p.ndjson", "c.ndjson"], in: folder)
    #expect(merged.stderr.contains("partial made as of 2026-01-31, this run is as of 2026-02-28"))
    #expect(merged.stderr.contains("--merge reads partial aggregates"))
    #expect(merged.stderr.contains("2 in, 0 folded, 2 rejected, 0 after --as-of (0 accounts out"))
  }
}

extension SegmentEndToEndTests {
  /// No fact dated after as-of may change a result: segment as of a past day gives the same
  /// accounts from records normalised today as from records normalised as of that day.
  @Test("as of a past day, later facts change nothing")
  func asOfProperty() throws {
    let root = Tool.packageRoot
    let day = "2026-08-31"
    let fromToday = try Tool.shell(
      "ingest -q samples/exports/* | normalise -q --as-of 2026-11-15 --aliases pipelines/aliases.csv | segment -q --as-of \(day)",
      in: root)
    let fromThen = try Tool.shell(
      "ingest -q samples/exports/* | normalise -q --as-of \(day) --aliases pipelines/aliases.csv | segment -q --as-of \(day)",
      in: root)
    #expect(fromToday.status == 0 && fromThen.status == 0)
    // Freshness and attribute values carry no later facts; records compare whole.
    let difference = zip(fromToday.lines, fromThen.lines).enumerated().first { $0.element.0 != $0.element.1 }
    #expect(fromToday.lines.count == fromThen.lines.count)
    #expect(difference == nil, "first difference at line \(difference.map { $0.offset + 1 } ?? 0)")
  }
}
