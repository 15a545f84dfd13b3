import CSPipeCore

/// Net and gross revenue retention and logo churn over a window ending at as-of (docs/SEGMENT.md,
/// "Retention").
///
/// The unit is a top-level account: a parent together with all its descendants, the same unit
/// that is ranked into tiers, so a child's growth is its parent's expansion and a new child of a
/// retained parent is not a new logo.
enum Retention {
  /// One top-level account of the start cohort (MRR > 0 on the window's first day).
  struct Member {
    let key: String
    /// MRR on the first day of the window and on the as-of day, minor units of the base currency.
    let start: Int
    let end: Int
    /// MRR fell to 0 on some day inside the window: it counts 0 at the end even if it came back
    /// (reactivation is excluded).
    let churnedInside: Bool
    /// Tier on the window's first day (ranked on that day's MRR).
    let tier: String

    var endCounted: Int { churnedInside ? 0 : end }
  }

  /// The first day of a window of `months` ending on `asOfDay` (days since 1970-01-01): the
  /// same day of the month `months` earlier, or that month's last day when it is shorter.
  static func startDay(asOfDay: Int, months: Int) -> Int {
    let (year, month, day) = Timestamps.civilFromDays(asOfDay)
    let total = year * 12 + (month - 1) - months
    let (startYear, startMonth) = (total / 12, total % 12 + 1)
    let next = startMonth == 12 ? (startYear + 1, 1) : (startYear, startMonth + 1)
    let lastDay = Timestamps.daysFromCivil(next.0, next.1, 1) - Timestamps.daysFromCivil(startYear, startMonth, 1)
    return Timestamps.daysFromCivil(startYear, startMonth, min(day, lastDay))
  }

  /// The day ends (first instant after a day) at which MRR can change because of `instants`:
  /// a subscription starting, ending or leaving trial at `t` changes the MRR of the day holding `t`.
  static func dayEnds(of instants: [Int], after first: Int, through last: Int) -> [Int] {
    let ends = instants.map { instant -> Int in
      let day = instant >= 0 ? instant / 86400 : (instant - 86399) / 86400
      return (day + 1) * 86400
    }
    return Set(ends.filter { $0 > first && $0 <= last }).sorted()
  }

  /// The `retention` block of the portfolio line: the whole cohort, then per tier at the start.
  static func block(
    members: [Member], windowStart: String, windowEnd: String, months: Int, tiers: [String],
    money: (Int) -> JSONValue, share: (Int, Int) -> JSONValue
  ) -> JSONValue {
    func figures(_ group: [Member]) -> JSONObject {
      let start = group.reduce(0) { $0 + $1.start }
      let end = group.reduce(0) { $0 + $1.endCounted }
      let retained = group.reduce(0) { $0 + min($1.endCounted, $1.start) }
      let churned = group.filter { $0.churnedInside || $0.end == 0 }.count
      var entry = JSONObject([
        ("cohort_accounts", .number(String(group.count))), ("start_mrr", money(start)), ("end_mrr", money(end)),
        ("retained_mrr", money(retained)),
      ])
      entry["nrr"] = start > 0 ? share(end, start) : .null
      entry["grr"] = start > 0 ? share(retained, start) : .null
      entry["churned_accounts"] = .number(String(churned))
      entry["logo_churn"] = group.isEmpty ? .null : share(churned, group.count)
      return entry
    }
    var block = JSONObject([
      (
        "window",
        .object(
          JSONObject([
            ("start", .string(windowStart)), ("end", .string(windowEnd)), ("months", .number(String(months))),
          ]))
      ),
      ("unit", .string("top-level account (children roll up into their parent)")),
    ])
    for (key, value) in figures(members).entries { block[key] = value }
    block["by_tier_at_start"] = .object(
      JSONObject(
        tiers.map { tier in
          (tier, .object(figures(members.filter { $0.tier == tier })))
        }))
    return .object(block)
  }
}
