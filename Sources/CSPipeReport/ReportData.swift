import CSPipeCore

/// What the report keeps of each account record: a few dozen values, never the record, so a
/// 100k-account input stays small in memory.
struct AccountFacts {
  let key: String
  let name: String
  let owner: String?
  let tier: String
  let touch: String
  let mrr: Double
  /// Segment's Pareto rank (nil: unranked, or a child ranked with its parent) and the MRR it
  /// was ranked on (a parent's with its children's).
  let rank: Int?
  let rankedMrr: Double
  let industry: String?
  /// MRR at the month-end 12 months before as-of's month (the series' first) and now.
  let mrrYearAgo: Double?
  let renewalAt: Int?
  let health: (score: Double?, color: String?, probability: Double?, reason: String?)?
  let stage: StageFacts?
  /// Per source, the date of its latest fact about the account.
  let freshness: [(source: String, date: String)]
}

struct StageFacts {
  let phase: String
  let band: String?
  let playbook: String?
  let cause: String?
  let evidence: [String]
  let milestones: [(name: String, state: String, day: Int?, baselineDay: Int)]
  let timeToValue: Int?
  let effectiveness: (name: String?, index: Int, baselineIndex: Int?)?
  let moments: [(type: String, reason: String, due: String, status: String, owner: String, objective: String)]
  let programs: [String]
}

/// Everything the report reads from its input: the portfolio line and each account's facts.
struct ReportData {
  var portfolio: JSONObject?
  var accounts: [AccountFacts] = []
  var asOf: String?
  /// Per source (`stripe/invoices`), its latest fact over all accounts and how many accounts it
  /// has facts for: data freshness.
  var freshness: [String: (latest: String, accounts: Int)] {
    var table: [String: (latest: String, accounts: Int)] = [:]
    for account in accounts {
      for (source, date) in account.freshness {
        let current = table[source]
        table[source] = (max(current?.latest ?? date, date), (current?.accounts ?? 0) + 1)
      }
    }
    return table
  }

  mutating func take(_ record: JSONObject) {
    if record["kind"]?.stringValue == "portfolio" {
      portfolio = record
      asOf = record["as_of"]?.stringValue ?? asOf
      return
    }
    asOf = asOf ?? record["as_of"]?.stringValue
    accounts.append(Self.facts(record))
  }

  /// The members of an account record the report reads, built from the line lazily: score's
  /// measures, usage and tickets are never built (most of a staged line).
  static func reportFields(_ record: LazyJSONObject) -> JSONObject {
    var fields = JSONObject()
    for key in [
      "kind", "account", "as_of", "name", "owner", "tier", "tier_from", "touch", "mrr", "revenue_rank", "mrr_with_children",
      "segments", "mrr_series", "renewal_at", "stage", "freshness",
    ] {
      if let value = record[key] { fields[key] = value }
    }
    if let health = record.nested("health") {
      var kept = JSONObject()
      for key in ["score", "color", "renewal_probability", "reasons"] { if let value = health[key] { kept[key] = value } }
      fields["health"] = .object(kept)
    }
    return fields
  }

  /// A duplicate's kept copy in place of the one read first (freshness keeps both: it is only
  /// ever the latest date per source).
  mutating func replace(at index: Int, with record: JSONObject) {
    accounts[index] = Self.facts(record)
  }

  static func facts(_ record: JSONObject) -> AccountFacts {
    func number(_ value: JSONValue?) -> Double? { RecordValues.number(value) }
    var yearAgo: Double?
    if case .array(let series)? = record["mrr_series"], let first = series.first?.objectValue { yearAgo = number(first["mrr"]) }
    var health: (Double?, String?, Double?, String?)?
    if let object = record["health"]?.objectValue {
      var reason: String?
      if case .array(let reasons)? = object["reasons"] { reason = reasons.first?.objectValue?["code"]?.stringValue }
      health = (number(object["score"]), object["color"]?.stringValue, number(object["renewal_probability"]), reason)
    }
    return AccountFacts(
      key: record["account"]?.stringValue ?? "", name: record["name"]?.stringValue ?? record["account"]?.stringValue ?? "",
      owner: record["owner"]?.stringValue, tier: record["tier"]?.stringValue ?? "unranked",
      touch: record["touch"]?.stringValue ?? "tech", mrr: number(record["mrr"]) ?? 0,
      // A child carries its parent's rank and tier (`tier_from`); it is ranked in the parent.
      rank: record["tier_from"] == nil ? record["revenue_rank"]?.intValue : nil,
      rankedMrr: number(record["mrr_with_children"]) ?? number(record["mrr"]) ?? 0,
      industry: record["segments"]?.objectValue?["industry"]?.stringValue, mrrYearAgo: yearAgo,
      renewalAt: RecordValues.day(
        record["stage"]?.objectValue?["renewal"]?.objectValue?["at"]?.stringValue ?? record["renewal_at"]?.stringValue),
      health: health, stage: record["stage"]?.objectValue.map(Self.stage),
      freshness: (record["freshness"]?.objectValue?.entries ?? []).compactMap { entry in entry.value.stringValue.map { (entry.key, $0) } })
  }

  static func stage(_ stage: JSONObject) -> StageFacts {
    var milestones: [(String, String, Int?, Int)] = []
    if case .array(let items)? = stage["milestones"] {
      for item in items {
        guard let object = item.objectValue else { continue }
        milestones.append(
          (
            object["name"]?.stringValue ?? "", object["state"]?.stringValue ?? "", object["day"]?.intValue,
            object["baseline_day"]?.intValue ?? 0
          ))
      }
    }
    var moments: [(String, String, String, String, String, String)] = []
    if case .array(let items)? = stage["moments"] {
      for item in items {
        guard let object = item.objectValue else { continue }
        moments.append(
          (
            object["type"]?.stringValue ?? "", object["reason"]?.stringValue ?? "", object["due"]?.stringValue ?? "",
            object["status"]?.stringValue ?? "",
            object["owner"]?.stringValue ?? "", object["objective"]?.stringValue ?? ""
          ))
      }
    }
    let playbook = stage["playbook"]?.objectValue
    var evidence: [String] = []
    if case .array(let items)? = playbook?["evidence"] { evidence += items.compactMap(\.stringValue) }
    if case .array(let items)? = stage["band_evidence"] { evidence += items.compactMap(\.stringValue) }
    let effectiveness = stage["effectiveness"]?.objectValue.map { object in
      (object["stage"]?.stringValue, object["index"]?.intValue ?? 0, object["baseline"]?.objectValue?["index"]?.intValue)
    }
    var programs: [String] = []
    if case .array(let items)? = stage["programs"] { programs = items.compactMap(\.stringValue) }
    return StageFacts(
      phase: stage["phase"]?.stringValue ?? "", band: stage["band"]?.stringValue, playbook: playbook?["name"]?.stringValue,
      cause: playbook?["cause"]?.stringValue, evidence: evidence, milestones: milestones,
      timeToValue: stage["time_to_value_days"]?.intValue, effectiveness: effectiveness, moments: moments, programs: programs)
  }
}
