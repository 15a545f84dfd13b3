import CSPipeCore
import Foundation

/// The account record writer, in the order docs/SEGMENT.md and `AccountRecordSchema` declare,
/// and the number formats of every amount and share segment writes.
extension Segment {
  /// One account record (docs/SEGMENT.md), written straight to bytes in the documented order.
  /// `config` and `digits`: the run's configuration and the base currency's minor-unit digits,
  /// read once per block of records by the caller (a copy of the configuration per account
  /// took a reference count on each of its tables, which the cores writing records shared).
  func writeAccountRecord(
    _ account: AccountRollup, revenue: RevenueSeries, window: MovementWindow, ranking: Tiers.Ranking, top: Int,
    topKey: String, total: Int?, children: [String], position: Int, config: SegmentConfig, digits: Int,
    to out: inout JSONWriter
  ) {
    func money(_ out: inout JSONWriter, _ name: StaticString, _ minor: Int) {
      out.key(name)
      out.decimal(units: minor, scale: digits)
    }
    /// Times by name, in name order: dates (`withTime` false) or RFC 3339 instants, of values
    /// in seconds times `unit`.
    func stamps<Times: Collection<(key: String, value: Int)>>(
      _ out: inout JSONWriter, _ name: StaticString, _ values: Times, withTime: Bool, unit: Int = 1
    ) {
      out.object(name) { out in
        func stamp(_ key: String, _ value: Int) {
          out.key(key)
          out.time(value * unit, withTime: withTime)
        }
        // One name (an account's one source, most often): no sorted copy to make.
        if values.count == 1, let only = values.first { return stamp(only.key, only.value) }
        for (key, value) in values.sorted(by: { TextOrder.precedes($0.key, $1.key) }) { stamp(key, value) }
      }
    }
    func metrics(_ out: inout JSONWriter, _ name: StaticString, _ values: [String: DecimalSum]) {
      out.object(name) { out in
        for (metric, value) in values.sorted(by: { TextOrder.precedes($0.key, $1.key) }) { out.member(metric, .number(value.text)) }
      }
    }
    out.openObject()
    out.member("kind", string: "account")
    out.member("account", string: account.key)
    out.member("as_of", string: options.asOfLabel)
    for name in ["name", "domain", "parent", "owner"] {
      if let value = account.attributes[name]?.value { out.member(name, value) }
    }
    if !children.isEmpty {
      out.array("children") { out in for child in children { out.string(child) } }
    }
    out.object("segments") { out in
      for name in config.attributes {
        if let value = account.attributes[name]?.value { out.member(name, value) }
      }
    }
    for name in ["contract_start", "renewal_at", "target_value"] {
      if let value = account.attributes[name]?.value { out.member(name, value) }
    }
    out.member("currency", string: config.baseCurrency)
    money(&out, "mrr", revenue.current)
    money(&out, "arr", revenue.current * 12)
    out.key("cancellation_scheduled_at")
    if let at = revenue.cancellationScheduledAt { out.time(at, withTime: true) } else { out.null() }
    out.key("ends_at")
    if let end = revenue.endsAt { out.time(end, withTime: true) } else { out.null() }
    money(&out, "mrr_at_risk", revenue.mrrAtRisk)
    if let total {
      money(&out, "mrr_with_children", total)
      money(&out, "arr_with_children", total * 12)
    }
    out.array("mrr_series") { out in
      out.elements(prefixes: window.seriesEntries, units: revenue.series, scale: digits, suffix: ASCII.closeBrace)
    }
    out.array("movements") { out in
      let labels = window.labels
      let toDate = revenue.ends.count > revenue.series.count ? labels.count - 1 : nil
      func movement(_ out: inout JSONWriter, _ index: Int, _ type: Movement, _ amount: Int) {
        out.openObject()
        out.encodedMember(window.monthMembers[index])
        if index == toDate { out.member("through", string: options.asOfLabel) }
        out.member("type", string: type.name)
        money(&out, "amount", amount)
        out.closeObject()
      }
      for index in 1..<labels.count {
        let previous = revenue.previousAtCurrentRates[index]
        let current = revenue.ends[index]
        if let type = Self.movement(previous: previous, current: current, paidBefore: revenue.paidBefore[index]) {
          movement(&out, index, type, current - previous)
        }
        let fx = previous - revenue.ends[index - 1]
        if fx != 0 { movement(&out, index, .fx, fx) }
      }
    }
    // Tier: ranked on the top account's total; children take their parent's tier.
    let placement = ranking.placement(top)
    out.key("revenue_rank")
    if let rank = placement?.rank, rank > 0 { out.int(rank) } else { out.null() }
    out.key("cumulative_share")
    if let cumulative = placement?.cumulative, cumulative >= 0 {
      Self.writeShare(cumulative, ranking.total, to: &out)
    } else {
      out.null()
    }
    let tier = placement?.tier ?? "unranked"
    out.member("tier", string: tier)
    if top != position { out.member("tier_from", string: topKey) }
    out.member("touch", string: config.touch[tier] ?? "tech")

    out.member("seats", int: revenue.seats)
    if let active = account.activeUsers?.value {
      out.member("active_users", .number(active.text))
      if revenue.seats > 0 { out.member("adoption", Self.share(active.decimal / Decimal(revenue.seats))) }
    }
    out.object("usage") { out in
      metrics(&out, "last_30_days", account.usageLast30)
      metrics(&out, "previous_30_days", account.usagePrevious30)
      stamps(&out, "first_seen", account.usageFirstSeen, withTime: false, unit: Self.day)
      stamps(&out, "last_seen", account.usageLastSeen, withTime: false, unit: Self.day)
      if !account.usageMonthly.isEmpty {
        out.object("monthly") { out in
          for (metric, months) in account.usageMonthly.sorted(by: { TextOrder.precedes($0.key, $1.key) }) {
            out.array(metric) { out in
              for (month, value) in months.sorted(by: { $0.key < $1.key }) {
                out.openObject()
                out.member("month", string: Months.label(ofIndex: month))
                out.member("value", .number(value.text))
                out.closeObject()
              }
            }
          }
        }
      }
    }
    out.object("tickets") { out in
      out.object("open_by_severity") { out in
        for (severity, count) in account.openBySeverity.sorted(by: { TextOrder.precedes($0.key, $1.key) }) {
          out.member(severity, int: count)
        }
      }
      out.member("last_90_days", int: account.tickets90)
      if let last = account.lastTicket {
        out.member("last_at", time: last)
        out.member("days_since_last", int: (options.cutoff - 1 - last) / Self.day)
      }
      if let high = account.lastHighSeverity { out.member("last_high_severity_at", time: high) }
      for (name, count) in account.satisfaction.sorted(by: { TextOrder.precedes($0.key, $1.key) }) {
        out.member("satisfaction_\(name)", int: count)
      }
    }
    out.object("surveys") { out in
      for (type, survey) in account.surveys.sorted(by: { TextOrder.precedes($0.key, $1.key) }) {
        out.object(type) { out in
          out.member("score", survey.score)
          out.member("at", time: survey.at)
        }
      }
    }
    out.object("billing") { out in
      out.member("invoices_past_due", int: account.invoicesPastDue)
      for (currency, amount) in account.pastDueAmount.sorted(by: { TextOrder.precedes($0.key, $1.key) }) {
        // Rounded to the currency's unit: an input amount of 1e-22 is not a debt to report.
        let text = amount.text
        let rounded = ExactDecimal(text)?.rounded(toScale: Values.minorUnitDigits(of: currency)).text
        out.member("past_due_\(currency)", .number(rounded ?? text))
      }
      out.member("failed_payments_90_days", int: account.failedPayments90)
      if let last = account.lastFailedPayment { out.member("last_failed_payment_at", time: last) }
    }
    stamps(&out, "milestones", account.milestones, withTime: true)
    out.array("programs") { out in
      for program in account.programs.sorted(by: { $0.jsonText < $1.jsonText }) { out.value(program) }
    }
    out.object("users") { out in
      out.member("sponsors", int: account.sponsors)
      out.member("champions", int: account.champions)
      out.member("sponsor_changes_90_days", int: account.sponsorChanges90)
      if let last = account.lastSponsorChange { out.member("last_sponsor_change_at", time: last) }
    }
    stamps(&out, "freshness", account.freshness.entries, withTime: false)
    out.closeObject()
  }

  /// Decimal places of the base currency's minor unit (2 for USD, 0 for JPY).
  var baseDigits: Int { Values.minorUnitDigits(of: options.config.baseCurrency) }

  /// An amount in minor units as a JSON number in major units, without trailing zeros.
  func money(_ minor: Int) -> JSONValue {
    Self.money(minor: minor, digits: baseDigits)
  }

  static func money(minor: Int, digits: Int) -> JSONValue {
    .number(ExactDecimal(negative: minor < 0, digits: Array(String(minor.magnitude).utf8), scale: digits).text)
  }

  /// `numerator ÷ denominator` rounded half-even to 4 decimals, in integers (Foundation's
  /// Decimal division per account was a sixth of segment's time). Exact, so it agrees with
  /// Decimal wherever Decimal is exact.
  static func share(_ numerator: Int, _ denominator: Int) -> JSONValue {
    guard denominator != 0 else { return .number("0") }
    let (scaled, overflow) = numerator.multipliedReportingOverflow(by: 10_000)
    guard !overflow else { return share(Decimal(numerator) / Decimal(denominator)) }
    let negative = (scaled < 0) != (denominator < 0)
    let n = scaled.magnitude
    let d = denominator.magnitude
    var quotient = n / d
    let twiceRemainder = (n % d) * 2
    if twiceRemainder > d || (twiceRemainder == d && quotient % 2 == 1) { quotient += 1 }
    return .number(ExactDecimal(negative: negative, digits: Array(String(quotient).utf8), scale: 4).text)
  }

  /// `share(numerator, denominator)` written straight to `out` when both are not negative and
  /// the integer path applies: the quotient's digits, not a String, an array and a JSONValue
  /// (2k instructions an account).
  static func writeShare(_ numerator: Int, _ denominator: Int, to out: inout JSONWriter) {
    let (scaled, overflow) = numerator.multipliedReportingOverflow(by: 10_000)
    guard numerator >= 0, denominator > 0, !overflow else { return out.value(share(numerator, denominator)) }
    var quotient = scaled / denominator
    let twiceRemainder = (scaled % denominator) * 2
    if twiceRemainder > denominator || (twiceRemainder == denominator && quotient % 2 == 1) { quotient += 1 }
    out.decimal(units: quotient, scale: 4)
  }

  static func share(_ value: Decimal) -> JSONValue {
    var copy = value
    var rounded = Decimal()
    NSDecimalRound(&rounded, &copy, 4, .bankers)
    return .number(Values.numberText(rounded))
  }
}
