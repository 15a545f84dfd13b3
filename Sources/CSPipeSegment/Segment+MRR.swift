import CSPipeCore
import Foundation

/// MRR: which subscriptions count on a day (churn policy, grace for past-due and unpaid), in
/// the base currency, and an account's revenue series with its movements (docs/SEGMENT.md, "MRR").
extension Segment {
  struct RevenueSeries {
    /// Amounts in minor units of the base currency (cents).
    var current = 0
    /// MRR at each month-end of the window, oldest first.
    var series: [Int] = []
    /// The ends of the movement periods: `series`, then MRR at as-of when as-of is not a
    /// month-end (the month-to-date period).
    var ends: [Int] = []
    /// MRR at the end of the month before, at this month's exchange rates (constant currency):
    /// movements compare against it, and the difference to `series[i - 1]` is the FX effect.
    var previousAtCurrentRates: [Int] = []
    /// Month-ends (labels) at which the account ever had MRR before each window month.
    var paidBefore: [Bool] = []
    var seats = 0
    /// MRR at as-of of subscriptions cancelled but still served (a renewal risk).
    var mrrAtRisk = 0
    /// The earliest cancellation among them, and when each ends.
    var cancellationScheduledAt: Int?
    var scheduledEnds: [Int] = []
    /// When the account's service ends, if every subscription served at as-of is cancelled.
    var endsAt: Int?

    /// Back to a new series, keeping the arrays' storage: one series is refilled account after
    /// account (allocating and freeing its five arrays per account was 5% of the output phase).
    /// Every property is reset here.
    mutating func reset() {
      current = 0
      series.removeAll(keepingCapacity: true)
      ends.removeAll(keepingCapacity: true)
      previousAtCurrentRates.removeAll(keepingCapacity: true)
      paidBefore.removeAll(keepingCapacity: true)
      seats = 0
      mrrAtRisk = 0
      cancellationScheduledAt = nil
      scheduledEnds.removeAll(keepingCapacity: true)
      endsAt = nil
    }
  }

  /// Where a past-due or unpaid subscription stops counting: `pastDueGraceDays` after its
  /// oldest unpaid invoice fell due (matched by subscription id, else any of the account's). An
  /// `unpaid` one (retries exhausted) never counts at as-of; without a dated unpaid invoice it
  /// never counts at all (Stripe: unpaid is churn), while a past-due one keeps counting.
  func graceEnd(of subscription: SubscriptionFact, in account: AccountRollup) -> Int? {
    graceEnd(status: subscription.status, id: subscription.id, in: account)
  }

  /// The same from the fields (the id is read only for a delinquent subscription).
  func graceEnd(status: String, id: @autoclosure () -> String, in account: AccountRollup) -> Int? {
    guard status == "past_due" || status == "unpaid" else { return nil }
    let due = account.unpaidDue[id()] ?? account.unpaidDue[""]
    let graceEnd = due.map { $0 + options.config.pastDueGraceDays * Self.day }
    guard status == "unpaid" else { return graceEnd }
    return min(graceEnd ?? Int.min, options.cutoff - 1)
  }

  /// A delinquent subscription that no unpaid invoice dates has no end to its grace period.
  func warnUndatedDelinquency(_ account: AccountRollup) {
    for subscription in account.subscriptions where isUndatedDelinquency(subscription, in: account) {
      warnings.warn(
        "undated delinquency",
        "account \(account.key): \(subscription.status) subscription \(subscription.id) has no dated unpaid invoice: "
          + (subscription.status == "unpaid" ? "counted 0 throughout" : "counted in full, with no grace period to end it"))
    }
  }

  func hasUndatedDelinquency(_ account: AccountRollup) -> Bool {
    account.subscriptions.contains { isUndatedDelinquency($0, in: account) }
  }

  private func isUndatedDelinquency(_ subscription: SubscriptionFact, in account: AccountRollup) -> Bool {
    (subscription.status == "past_due" || subscription.status == "unpaid")
      && account.unpaidDue[subscription.id] == nil && account.unpaidDue[""] == nil
  }

  /// MRR of one account on the day ending at `dayEnd`, converted to the base currency at the
  /// rates in force at `rateDayEnd` (by default the same day).
  func mrr(_ account: AccountRollup, atDayEnd dayEnd: Int, ratesOf rateDayEnd: Int? = nil) throws -> Int {
    try MRRTimeline(account, segment: self).mrr(atDayEnd: dayEnd, ratesOf: rateDayEnd, segment: self)
  }

  /// A subscription's monthly amount in minor units of the base currency.
  func convert(_ subscription: SubscriptionFact, at instant: Int) throws -> Int {
    let base = options.config.baseCurrency
    let currency = subscription.currency
    if currency == base { return subscription.monthlyMinor }
    let amount = subscription.monthly
    guard let rate = options.rates?.rate(currency, at: instant) else {
      throw RunError(
        "subscriptions in \(currency) cannot be added to \(base) MRR without an exchange rate on or before "
          + "\(Timestamps.isoDate(instant)): pass --rates FILE (CSV date,currency,rate)")
    }
    var converted = amount * rate
    var rounded = Decimal()
    NSDecimalRound(&rounded, &converted, Values.minorUnitDigits(of: base), .bankers)
    return SubscriptionFact.minorUnits(rounded, currency: base)
  }

  /// The account's revenue series: what the movement book needs (`movementSeries`), then the
  /// seats, the renewal risk and the end of service its record shows.
  func revenue(_ account: AccountRollup, monthEnds: [Int], into result: inout RevenueSeries) throws {
    try movementSeries(account, monthEnds: monthEnds, into: &result)
    let cutoff = options.cutoff
    let policy = options.config.churnRecognition
    // The facts through a buffer pointer, as in `MRRTimeline`: no copy of a fact per test.
    var latestServedEnd: Int?
    var served = false
    var everyServedEnds = true
    try account.subscriptions.withUnsafeBufferPointer { facts in
      for fact in facts.indices.lazy.map({ facts.baseAddress! + $0 }) {
        if fact.pointee.counts(atDayEnd: cutoff, end: fact.pointee.end(policy), graceEnd: nil) {
          result.seats += fact.pointee.quantity
        }
        let grace = graceEnd(status: fact.pointee.status, id: fact.pointee.id, in: account)
        guard fact.pointee.counts(atDayEnd: cutoff, end: fact.pointee.serviceEnd, graceEnd: grace) else { continue }
        // The account ends when every subscription still served at as-of is scheduled to end.
        served = true
        if fact.pointee.cancellationScheduled, let end = fact.pointee.serviceEnd {
          latestServedEnd = max(latestServedEnd ?? end, end)
          // Renewal risk: live subscriptions, still served at as-of, cancelled and ending.
          if end >= cutoff {
            result.mrrAtRisk += try convert(fact.pointee, at: cutoff - 1)
            if let at = fact.pointee.cancelledAt {
              result.cancellationScheduledAt = min(result.cancellationScheduledAt ?? at, at)
            }
            result.scheduledEnds.append(end)
          }
        } else {
          everyServedEnds = false
        }
      }
    }
    if served && everyServedEnds { result.endsAt = latestServedEnd }
  }

  /// MRR at as-of and at each period end of the window, the month before each at that month's
  /// rates, and whether the account had paid before each: all that the movement book sums
  /// (computed for every account before the records, and again as each record is written).
  func movementSeries(_ account: AccountRollup, monthEnds: [Int], into result: inout RevenueSeries) throws {
    result.reset()
    let timeline = MRRTimeline(account, segment: self)
    func mrr(atDayEnd dayEnd: Int, ratesOf rateDayEnd: Int? = nil) throws -> Int {
      try timeline.mrr(atDayEnd: dayEnd, ratesOf: rateDayEnd, segment: self)
    }
    let periods = monthEnds.count + 1
    result.current = try mrr(atDayEnd: options.cutoff)
    result.series.reserveCapacity(monthEnds.count)
    result.previousAtCurrentRates.reserveCapacity(periods)
    for monthEnd in monthEnds { result.series.append(try mrr(atDayEnd: monthEnd)) }
    // After the whole series: a missing exchange rate is reported at the first month-end.
    for (index, monthEnd) in monthEnds.enumerated() {
      result.previousAtCurrentRates.append(
        index == 0 ? result.series[0] : try mrr(atDayEnd: monthEnds[index - 1], ratesOf: monthEnd))
    }
    // "Paid before" a window month: MRR > 0 at any month-end before that month's start, going
    // back to the first subscription (reactivation window: unlimited).
    var everPaidBefore = false
    if let windowStart = monthEnds.first, let paid = timeline.paidAtSomeMonthEnd(before: windowStart) {
      // In the base currency: no month-by-month walk (amounts are never negative, so MRR > 0
      // at a month-end exactly when a subscription with a positive amount counts there).
      everPaidBefore = paid
    } else if let windowStart = monthEnds.first, !timeline.isEmpty,
      let firstStart = account.subscriptions.lazy.map(\.start).min()
    {
      var monthEnd = Months.endOfMonth(containing: firstStart)
      while monthEnd < windowStart {
        if try mrr(atDayEnd: monthEnd) > 0 {
          everPaidBefore = true
          break
        }
        monthEnd = Months.endOfMonth(containing: monthEnd)
      }
    }
    result.ends.reserveCapacity(periods)
    result.ends.append(contentsOf: result.series)
    if let last = monthEnds.last, last < options.cutoff {
      result.ends.append(result.current)
      result.previousAtCurrentRates.append(try mrr(atDayEnd: last, ratesOf: options.cutoff))
    }
    result.paidBefore.reserveCapacity(result.ends.count)
    for value in result.ends {
      result.paidBefore.append(everPaidBefore)
      if value > 0 { everPaidBefore = true }
    }
  }

  /// The kinds of MRR movement, in the order the movement book lists them.
  enum Movement: Int, CaseIterable {
    case new, reactivation, expansion, contraction, churn, fx

    var name: String {
      switch self {
      case .new: "new"
      case .reactivation: "reactivation"
      case .expansion: "expansion"
      case .contraction: "contraction"
      case .churn: "churn"
      case .fx: "fx"
      }
    }
  }

  /// The movement of one month: prev and cur are MRR at the ends of the month before and of it.
  static func movement(previous: Int, current: Int, paidBefore: Bool) -> Movement? {
    if previous == 0 && current > 0 { return paidBefore ? .reactivation : .new }
    if previous > 0 && current == 0 { return .churn }
    if previous > 0 && current > previous { return .expansion }
    if previous > 0 && current < previous { return .contraction }
    return nil
  }
}

/// The periods of the movement book: the 13 month-ends before as-of (12 months of movements),
/// then the month to date when as-of is not a month-end.
struct MovementWindow {
  let monthEnds: [Int]
  /// One label per period end (`2026-10`), the month to date last when there is one.
  let labels: [String]
  /// Each label as an account record writes it, `"month":"2026-10"`, encoded once per run.
  let monthMembers: [[UInt8]]
  /// Each `mrr_series` entry up to its amount, `{"month":"2026-10","mrr":`.
  let seriesEntries: [[UInt8]]
  let hasMonthToDate: Bool

  init(cutoff: Int, asOfLabel: String) {
    monthEnds = Months.lastMonthEnds(count: 13, cutoff: cutoff)
    var labels = monthEnds.map(Months.label(ofMonthEndingAt:))
    hasMonthToDate = monthEnds.last.map { $0 < cutoff } ?? false
    if hasMonthToDate { labels.append(String(asOfLabel.prefix(7))) }
    self.labels = labels
    monthMembers = labels.map { label in
      var member = Array(#""month":"#.utf8)
      JSONBytes.appendString(label, to: &member)
      return member
    }
    seriesEntries = monthMembers.map { [ASCII.openBrace] + $0 + Array(#","mrr":"#.utf8) }
  }
}
