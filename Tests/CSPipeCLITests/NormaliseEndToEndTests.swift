import Foundation
import Testing

/// `ingest | normalise` through the real binaries, on the samples, the real exports and a
/// system cspipe does not know.
@Suite("normalise end to end")
struct NormaliseEndToEndTests {
  struct Counts: Equatable {
    var recordsIn = 0, out = 0, rejected = 0, duplicates = 0, unmatched = 0, afterAsOf = 0

    /// Reads `normalise: N in, M out, K rejected, D duplicates merged, U unmatched, A after --as-of`.
    init(summary stderr: String) {
      guard let line = stderr.split(separator: "\n").last(where: { $0.hasPrefix("normalise: ") && $0.contains(" in, ") }) else { return }
      let numbers = line.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
      guard numbers.count >= 6 else { return }
      (recordsIn, out, rejected, duplicates, unmatched, afterAsOf) = (
        numbers[0], numbers[1], numbers[2], numbers[3], numbers[4], numbers[5]
      )
    }

    var balances: Bool { recordsIn == out + rejected + duplicates + unmatched + afterAsOf }
  }

  static func records(_ result: Tool.Result) throws -> [[String: Any]] {
    try result.lines.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
  }

  @Test("the samples normalise with no reject and no unmatched record, and every account is known")
  func samples() throws {
    let root = Tool.packageRoot
    let result = try Tool.shell(
      "ingest -q samples/exports/* | normalise --as-of 2026-11-15 --strict", in: root)
    #expect(result.status == 0, "\(result.stderr)")
    let counts = Counts(summary: result.stderr)
    #expect(counts.recordsIn == 3917)
    #expect(counts.balances)
    #expect(counts.rejected == 0 && counts.unmatched == 0)
    let records = try Self.records(result)
    #expect(records.count == counts.out)
    let kinds = Set(records.compactMap { $0["kind"] as? String })
    #expect(kinds == ["account", "subscription", "invoice", "ticket", "survey", "usage", "milestone", "user", "program"])
    // Contract: every record names an account that the account records know.
    let known = Set(records.filter { $0["kind"] as? String == "account" }.compactMap { $0["account"] as? String })
    let named = Set(records.compactMap { $0["account"] as? String })
    #expect(named.subtracting(known).isEmpty, "accounts without an account record: \(named.subtracting(known).sorted())")
    #expect(known.count == 16)
  }

  @Test("normalise is deterministic, and as-of on the full data equals the data cut at as-of")
  func deterministicAndAsOf() throws {
    let root = Tool.packageRoot
    let first = try Tool.shell("ingest -q samples/exports/* | normalise -q --as-of 2026-08-31", in: root)
    let second = try Tool.shell("ingest -q samples/exports/* | normalise -q --as-of 2026-08-31", in: root)
    #expect(first.status == 0)
    #expect(first.stdout == second.stdout)
    // Cut the usage facts at as-of by hand; the result must not change.
    let folder = try Tool.temporaryDirectory()
    let usage = try String(contentsOf: root.appendingPathComponent("samples/exports/usage_daily.csv"), encoding: .utf8)
    let cut = usage.split(separator: "\n", omittingEmptySubsequences: false).filter { line in
      let fields = line.split(separator: ",")
      return fields.count < 2 || fields[1] == "day" || fields[1] <= "2026-08-31"
    }.joined(separator: "\n")
    for name in try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("samples/exports").path) {
      let source = root.appendingPathComponent("samples/exports/\(name)")
      let target = folder.appendingPathComponent("samples/exports/\(name)")
      try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
      if name == "usage_daily.csv" {
        try cut.write(to: target, atomically: true, encoding: .utf8)
      } else {
        try FileManager.default.copyItem(at: source, to: target)
      }
    }
    let onCut = try Tool.shell("ingest -q samples/exports/* | normalise -q --as-of 2026-08-31", in: folder)
    // Removing rows moves the line numbers of the rows after them; everything else must match.
    let usageFacts = { (result: Tool.Result) in
      result.lines.filter { $0.contains(#""kind":"usage""#) }.map {
        $0.replacingOccurrences(of: #","line":[0-9]+"#, with: "", options: .regularExpression)
      }
    }
    let full = usageFacts(first)
    let cutFacts = usageFacts(onCut)
    #expect(!full.isEmpty)
    #expect(full.count == cutFacts.count)
    let difference = zip(full, cutFacts).enumerated().first { $0.element.0 != $0.element.1 }
    #expect(difference == nil, "first difference at record \(difference?.offset ?? -1)")
  }

  @Test("a system cspipe does not know normalises with only a mapping file written for it")
  func userMapping() throws {
    let folder = try Tool.temporaryDirectory()
    try """
    Case No;Org;Opened;State;Urgency;Title
    HD-1;Acme Corp;07.06.2026 14:05;Offen;hoch;Login klappt nicht
    HD-2;Globex;08.06.2026 09:00;Erledigt;niedrig;Rechnung falsch
    """.write(to: folder.appendingPathComponent("helpdesk.csv"), atomically: true, encoding: .utf8)
    try """
    {
      "description": "Acme's in-house helpdesk (German locale)",
      "source": "acmedesk/cases",
      "kind": "ticket",
      "timezone": "Europe/Berlin",
      "key": ["id"],
      "account": [{"name": "Org"}, {"mint": "Org"}],
      "fields": {
        "id": "Case No",
        "status": {"from": "State", "map": {"Offen": "open", "Erledigt": "solved"}},
        "priority": {"from": "Urgency", "map": {"hoch": "high", "niedrig": "low"}},
        "created_at": {"from": "Opened", "format": "dmy"},
        "subject": "Title"
      }
    }
    """.write(to: folder.appendingPathComponent("acmedesk.json"), atomically: true, encoding: .utf8)
    try "account,type,value\nacme,name,Acme Corp\n".write(
      to: folder.appendingPathComponent("aliases.csv"), atomically: true, encoding: .utf8)
    let result = try Tool.shell(
      "ingest -q --source acmedesk/cases helpdesk.csv | normalise --mappings acmedesk.json --aliases aliases.csv --as-of 2026-11-15",
      in: folder)
    #expect(result.status == 0, "\(result.stderr)")
    let records = try Self.records(result)
    #expect(records.count == 2)
    #expect(records.first?["account"] as? String == "acme")
    #expect(records.first?["status"] as? String == "open")
    #expect(records.first?["priority"] as? String == "high")
    #expect(records.first?["created_at"] as? String == "2026-06-07T12:05:00Z")  // CEST is UTC+2
    #expect(records.last?["account"] as? String == "acmedesk:Globex")
  }

  @Test(
    "real exports: cents become major units, both Chargebee date forms, Jira offsets to UTC",
    .enabled(if: RealExportTests.available))
  func realExports() throws {
    let folder = RealExportTests.folder
    let chargebee = try Tool.shell("ingest -q chargebee/invoices_Input.csv | normalise --strict --as-of 2026-11-15", in: folder)
    #expect(chargebee.status == 0, "\(chargebee.stderr)")
    let invoices = try Self.records(chargebee)
    #expect(invoices.count == 66)
    let first = try #require(invoices.first { $0["id"] as? String == "7056" })
    #expect((first["amount"] as? NSNumber)?.stringValue == "29")  // 2900 cents
    #expect(first["issued_at"] as? String == "2015-05-12T11:00:00Z")  // 2015-05-12T11:00:00.000Z
    #expect(first["paid_at"] as? String == "2015-05-12T11:00:00Z")  // 5/12/2015 11:00:00
    #expect(invoices.contains { ($0["amount"] as? NSNumber)?.stringValue == "19800210" })  // 1980021000 cents

    let stripe = try Tool.shell("ingest -q stripe/payments_semicolon.csv | normalise --as-of 2026-11-15", in: folder)
    let payments = try Self.records(stripe)
    #expect(Counts(summary: stripe.stderr).balances)
    #expect(payments.allSatisfy { $0["captured"] as? Bool == true })  // TRUE
    #expect(Set(payments.compactMap { $0["currency"] as? String }) == ["USD", "EUR", "MXN"])

    let aliases = try Tool.temporaryDirectory().appendingPathComponent("aliases.csv")
    try "account,type,value\ncapstone,organization,jira:CAP\n".write(to: aliases, atomically: true, encoding: .utf8)
    let jira = try Tool.shell(
      "ingest -q jira/SearchRequest_nichanl.xml | normalise --strict --as-of 2026-11-15 --aliases \(aliases.path)", in: folder)
    #expect(jira.status == 0, "\(jira.stderr)")
    let issues = try Self.records(jira)
    #expect(issues.count == 15)
    #expect(issues.allSatisfy { ($0["created_at"] as? String)?.hasSuffix("Z") == true })
    #expect(issues.allSatisfy { $0["account"] as? String == "capstone" })
  }
}

extension NormaliseEndToEndTests {
  /// Records are prepared in batches on every core and taken in input order
  /// (`NDJSONInput.forEachLineInParallel`): one thread or several must give the same bytes,
  /// rejects and warnings included, across many batches holding duplicates (the input read
  /// twice), records after as-of, and lines that are blank, not JSON, not objects or not raw.
  @Test("one thread and three normalise the same output, rejects and warnings, byte for byte")
  func threadCountDoesNotChangeOutput() throws {
    let folder = try Tool.temporaryDirectory()
    let prepare = try Tool.shell(
      "python3 \(Tool.packageRoot.path)/scripts/generate_subscriptions.py --out subscriptions.csv --customers 6000"
        + " && ingest -q subscriptions.csv -o raw.ndjson"
        + " && { head -n 3000 raw.ndjson; printf '\\n  \\n{\"kind\":\"raw\"\\nnot json\\n[1,2]\\n{\"kind\":\"raw\",\"source\":{\"system\":\"nobody\",\"dataset\":\"x\"},\"fields\":{}}\\r\\n';"
        + " sed -n '3001,$p' raw.ndjson; cat raw.ndjson; } > hostile.ndjson",
      in: folder)
    #expect(prepare.status == 0, "\(prepare.stderr)")
    for asOf in ["2026-11-15", "2025-06-01"] {
      var outputs: [String: (result: Tool.Result, rejects: String)] = [:]
      for threads in ["1", "3"] {
        let result = try Tool.shell(
          "CSPIPE_THREADS=\(threads) normalise --as-of \(asOf) hostile.ndjson --rejects rejects-\(threads).ndjson",
          in: folder)
        let rejects = try String(contentsOf: folder.appendingPathComponent("rejects-\(threads).ndjson"), encoding: .utf8)
        outputs[threads] = (result, rejects.replacingOccurrences(of: "rejects-\(threads)", with: "rejects"))
      }
      let one = try #require(outputs["1"])
      let three = try #require(outputs["3"])
      #expect(one.result.status == 0, "\(one.result.stderr)")
      #expect(one.result.lines.count > 5000)
      #expect(one.result.stdout == three.result.stdout)
      #expect(
        one.result.stderr.replacingOccurrences(of: "rejects-1", with: "rejects")
          == three.result.stderr.replacingOccurrences(of: "rejects-3", with: "rejects"))
      #expect(one.rejects == three.rejects)
      #expect(one.rejects.split(separator: "\n").count == 4)
      #expect(one.result.stderr.contains("duplicates merged"))
    }
    // --strict stops at the first bad line, whatever the thread count, with nothing written.
    for threads in ["1", "3"] {
      let strict = try Tool.shell(
        "CSPIPE_THREADS=\(threads) normalise --strict --as-of 2026-11-15 hostile.ndjson -o out-\(threads).ndjson",
        in: folder)
      #expect(strict.status != 0)
      #expect(strict.stderr.contains("hostile.ndjson:3003"), "\(strict.stderr)")
      #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("out-\(threads).ndjson").path))
    }
  }
}
