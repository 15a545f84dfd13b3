import CSPipeCore
import Foundation

/// The portfolio line's books: the bound on every sum, retention (NRR, GRR, logo churn) and
/// each CSM's book of business.
extension Segment {
  /// Every sum segment makes (an account's MRR, tier totals, ARR, movement books, retention) is
  /// at most twelve times the sum of all monthly amounts at each currency's highest rate; that
  /// sum is checked once here, so no later addition can overflow, and an implausible input
  /// fails with the subscription that made it so instead of wrapping.
  func checkPortfolioBound() throws {
    // In the base currency alone the bound is an integer sum: no Decimal, no sorting unless it
    // fails. The fold kept it (`baseAmountsBound`); merged partials are summed here.
    if options.mode == .full && baseAmountsWithinBound { return }
    var integerBound = 0
    var exact = options.mode != .full
    for account in accounts.values where exact {
      for subscription in account.subscriptions {
        guard subscription.currency == options.config.baseCurrency else {
          exact = false
          break
        }
        let (sum, overflow) = integerBound.addingReportingOverflow(subscription.monthlyMinor)
        integerBound = sum
        if overflow || sum > SubscriptionFact.portfolioLimitMinor { exact = false }
      }
    }
    if exact { return }
    var bound = Decimal(0)
    var largest: (account: String, id: String, amount: Decimal)?
    for key in accounts.keys.sorted(by: TextOrder.precedes) {
      for subscription in accounts[key]!.subscriptions {
        var amount = Decimal(subscription.monthlyMinor)
        if subscription.currency != options.config.baseCurrency {
          let rate = options.rates?.maxRate(subscription.currency) ?? 1
          amount = subscription.monthly * rate * pow(Decimal(10), baseDigits)
        }
        bound += amount
        if largest == nil || amount > largest!.amount { largest = (key, subscription.id, amount) }
      }
    }
    guard bound <= Decimal(SubscriptionFact.portfolioLimitMinor) else {
      throw RunError(
        "the monthly amounts add up to more than 5 × 10^17 minor units of \(options.config.baseCurrency), beyond exact "
          + "arithmetic: the largest is subscription \(largest.map { "\($0.id) of account \($0.account)" } ?? "?"); "
          + "check for an account or card number in an amount column")
    }
  }

  /// NRR, GRR and logo churn of the top-level accounts that had MRR on the window's first day.
  func retentionBlock(hierarchy: AccountHierarchy, config: SegmentConfig) throws -> JSONValue {
    let months = config.retentionMonths
    let asOfDay = (options.cutoff - 1) / Self.day
    let startDay = Retention.startDay(asOfDay: asOfDay, months: months)
    let startDayEnd = (startDay + 1) * Self.day
    // One pass over the top-level accounts, each group's timelines built once: the start, end
    // and churn of every cohort member (a few integers each; the timelines are not kept).
    var cohort: [(position: Int, value: Int)] = []
    var outcomes: [(end: Int, churned: Bool)] = []
    for position in hierarchy.topLevel {
      let timelines =
        [MRRTimeline(hierarchy.rollups[position], segment: self)]
        + (hierarchy.children[position] ?? []).map { MRRTimeline(hierarchy.rollups[$0], segment: self) }
      func groupMRR(atDayEnd dayEnd: Int) throws -> Int {
        try timelines.reduce(0) { try $0 + $1.mrr(atDayEnd: dayEnd, segment: self) }
      }
      let start = try groupMRR(atDayEnd: startDayEnd)
      guard start > 0 else { continue }
      let end = try groupMRR(atDayEnd: options.cutoff)
      // MRR changes only where a subscription starts or stops counting (its start, end, trial
      // end or the end of its grace): the bounds of the spans.
      var instants: [Int] = []
      for timeline in timelines {
        for span in timeline.spans {
          instants.append(span.after)
          if span.through != Int.max { instants.append(span.through) }
        }
      }
      var churned = false
      for dayEnd in Retention.dayEnds(of: instants, after: startDayEnd, through: options.cutoff) {
        if try groupMRR(atDayEnd: dayEnd) == 0 {
          churned = true
          break
        }
      }
      cohort.append((position, start))
      outcomes.append((end, churned))
    }
    // Tiers as they stood on the window's first day, by the same rule.
    let tiersAtStart = Tiers.rank(candidates: cohort, positions: hierarchy.count, config: config, digits: baseDigits)
    var members: [Retention.Member] = []
    members.reserveCapacity(cohort.count)
    for ((position, start), outcome) in zip(cohort, outcomes) {
      members.append(
        Retention.Member(
          key: hierarchy.keys[position], start: start, end: outcome.end, churnedInside: outcome.churned,
          tier: tiersAtStart.placement(position)?.tier ?? "tier3"))
    }
    return Retention.block(
      members: members, windowStart: Timestamps.isoDate(startDay * Self.day), windowEnd: options.asOfLabel,
      months: months, tiers: ["tier1", "tier2", "tier3"], money: money, share: Self.share)
  }

  /// Each CSM's book of business: accounts and MRR by tier, checked against the capacity the
  /// config gives a CSM of that tier (`capacity.tierN.accountsPerCsm`).
  func books(ranking: Tiers.Ranking, hierarchy: AccountHierarchy) -> JSONValue {
    var owners: [String: (accounts: Int, mrr: Int, tiers: [String: Int])] = [:]
    for (position, account) in hierarchy.rollups.enumerated() {
      let owner = account.attributes["owner"]?.value.stringValue ?? "(no owner)"
      let tier = ranking.placement(hierarchy.top[position])?.tier ?? "unranked"
      var entry = owners[owner] ?? (0, 0, [:])
      entry.accounts += 1
      entry.mrr += hierarchy.current[position]
      entry.tiers[tier, default: 0] += 1
      owners[owner] = entry
    }
    return .object(
      JSONObject(
        owners.sorted { TextOrder.precedes($0.key, $1.key) }.map { owner, book in
          var entry = JSONObject([("accounts", .number(String(book.accounts))), ("mrr", money(book.mrr))])
          for tier in ["tier1", "tier2", "tier3", "unranked"] {
            entry[tier] = .number(String(book.tiers[tier] ?? 0))
          }
          // Over capacity when a tier holds more accounts than one CSM of that tier can carry.
          let over = ["tier1", "tier2"].filter { tier in
            guard let limit = options.config.capacity[tier]?.accountsPerCsm, limit > 0 else { return false }
            return (book.tiers[tier] ?? 0) > limit
          }
          entry["over_capacity"] = .array(over.map(JSONValue.string))
          return (owner, .object(entry))
        }))
  }

  /// The run's header: policies, tier cut points, totals, the movement book, retention and
  /// the CSM books.
  func writePortfolioLine(
    config: SegmentConfig, window: MovementWindow, accountCount: Int, ranking: Tiers.Ranking,
    movements totals: MovementTotals, retention: JSONValue, books: JSONValue
  ) throws {
    let movements = try movementBook(window: window, totals: totals)
    var portfolio = JSONObject([
      ("kind", .string("portfolio")), ("as_of", .string(options.asOfLabel)),
      ("currency", .string(config.baseCurrency)),
      ("accounts", .number(String(accountCount))),
      ("mrr", money(ranking.total)), ("arr", money(ranking.total * 12)),
      ("tiers", ranking.cutPoints), ("policies", config.echo),
      ("movements", .array(movements)),
      ("retention", retention),
    ])
    if options.cuts != nil { portfolio["tiers_from"] = .string("--cuts") }
    portfolio["books"] = books
    try output.write {
      JSONValue.object(portfolio).write(to: &$0)
      $0.append(0x0A)
    }
  }

  /// The portfolio's movements per month, summed account by account as the account records
  /// are written (each account's series is computed once, for both). Integers in flat arrays:
  /// a dictionary by movement name hashed two strings per account and month (2% of segment).
  struct MovementTotals {
    /// Per month, one sum per `Movement` (magnitudes; fx signed).
    var movements: [Int]
    var starts: [Int]
    var ends: [Int]

    init(months: Int) {
      movements = Array(repeating: 0, count: months * Movement.allCases.count)
      starts = Array(repeating: 0, count: months)
      ends = Array(repeating: 0, count: months)
    }

    func amount(_ type: Movement, month: Int) -> Int {
      movements[month * Movement.allCases.count + type.rawValue]
    }

    mutating func add(_ revenue: RevenueSeries) {
      let kinds = Movement.allCases.count
      for index in 1..<starts.count {
        let previous = revenue.previousAtCurrentRates[index]
        let current = revenue.ends[index]
        starts[index] += revenue.ends[index - 1]
        ends[index] += current
        movements[index * kinds + Movement.fx.rawValue] += previous - revenue.ends[index - 1]
        if let type = Segment.movement(previous: previous, current: current, paidBefore: revenue.paidBefore[index]) {
          movements[index * kinds + type.rawValue] += abs(current - previous)
        }
      }
    }

    /// The sums of two parts of the portfolio (integers: the order of adding does not matter).
    mutating func add(_ other: MovementTotals) {
      for index in movements.indices { movements[index] += other.movements[index] }
      for index in starts.indices {
        starts[index] += other.starts[index]
        ends[index] += other.ends[index]
      }
    }
  }

  /// Portfolio movements per period, each checked: start + new + reactivation + expansion −
  /// contraction − churn + fx = end, or the run fails naming the month.
  func movementBook(window: MovementWindow, totals: MovementTotals) throws -> [JSONValue] {
    let labels = window.labels
    let (startTotals, endTotals) = (totals.starts, totals.ends)
    var book: [JSONValue] = []
    for index in 1..<labels.count {
      func moved(_ type: Movement) -> Int { totals.amount(type, month: index) }
      let computed =
        startTotals[index] + moved(.new) + moved(.reactivation) + moved(.expansion) - moved(.contraction)
        - moved(.churn) + moved(.fx)
      guard computed == endTotals[index] else {
        throw ReconciliationError(
          account: "the portfolio", month: labels[index],
          detail: "start \(startTotals[index]) + movements = \(computed), end \(endTotals[index]) (minor units)")
      }
      var entry = JSONObject([("month", .string(labels[index]))])
      if window.hasMonthToDate && index == labels.count - 1 { entry["through"] = .string(options.asOfLabel) }
      entry["start"] = money(startTotals[index])
      for type in Movement.allCases { entry[type.name] = money(moved(type)) }
      entry["end"] = money(endTotals[index])
      book.append(.object(entry))
    }
    return book
  }
}
