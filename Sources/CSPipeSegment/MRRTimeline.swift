import CSPipeCore

/// One account's MRR on any day, with each subscription reduced once to the day-ends at which
/// it counts (docs/SEGMENT.md, "MRR").
///
/// Why: the revenue series, the movement book and retention ask for an account's MRR at some
/// thirty day-ends; asking `SubscriptionFact.counts` each time hashed the status, looked the
/// grace period up by subscription id and copied the fact, which was half of segment's time
/// on a subscriptions export. A span is two integers compared.
struct MRRTimeline {
  /// Counts on the day ending at `dayEnd` exactly when `after < dayEnd && dayEnd <= through`.
  struct Span {
    var after: Int
    var through: Int
    /// In the base currency's minor units, or nil when it must be converted at each day's rate.
    var monthlyMinor: Int?
    var subscription: Int
  }

  let spans: [Span]
  let subscriptions: [SubscriptionFact]

  /// The spans under the run's churn policy, with each past-due or unpaid subscription's grace.
  init(_ account: AccountRollup, segment: Segment) {
    subscriptions = account.subscriptions
    let policy = segment.options.config.churnRecognition
    let base = segment.options.config.baseCurrency
    var spans: [Span] = []
    spans.reserveCapacity(subscriptions.count)
    // Through a buffer pointer: read from the array (a class's property), each fact was copied
    // for every call it was passed to, retaining its id string (a cache miss per account).
    subscriptions.withUnsafeBufferPointer { facts in
      for index in facts.indices {
        // The conditions of `SubscriptionFact.counts`, solved for the day-end.
        let fact = facts.baseAddress! + index
        var after = max(fact.pointee.start, fact.pointee.trialEnd ?? Int.min)
        var through = SubscriptionFact.end(serviceEnd: fact.pointee.serviceEnd, cancelledAt: fact.pointee.cancelledAt, policy) ?? Int.max
        let status = fact.pointee.status
        if let grace = segment.graceEnd(status: status, id: fact.pointee.id, in: account) { through = min(through, grace) }
        if SubscriptionFact.isNeverCounting(status) { (after, through) = (Int.max, Int.min) }
        guard after < through else { continue }
        spans.append(
          Span(
            after: after, through: through,
            monthlyMinor: fact.pointee.currency == base ? fact.pointee.monthlyMinor : nil,
            subscription: index))
      }
    }
    self.spans = spans
  }

  /// MRR on the day ending at `dayEnd`, at the exchange rates in force at `rateDayEnd` (by
  /// default the same day).
  func mrr(atDayEnd dayEnd: Int, ratesOf rateDayEnd: Int? = nil, segment: Segment) throws -> Int {
    var total = 0
    for span in spans where span.after < dayEnd && dayEnd <= span.through {
      if let minor = span.monthlyMinor {
        total += minor
      } else {
        total += try segment.convert(subscriptions[span.subscription], at: (rateDayEnd ?? dayEnd) - 1)
      }
    }
    return total
  }

  /// Whether MRR was above 0 at some month-end before `limit`; nil when a subscription in
  /// another currency makes it depend on exchange rates (then the caller asks month by month).
  func paidAtSomeMonthEnd(before limit: Int) -> Bool? {
    var paid = false
    for span in spans {
      guard let minor = span.monthlyMinor else { return nil }
      // The first month-end at which the span counts is the first one after `after`.
      if minor > 0 && !paid {
        let first = Months.endOfMonth(containing: span.after)
        paid = first <= span.through && first < limit
      }
    }
    return paid
  }

  /// Whether the account counts any MRR at some day-end.
  var isEmpty: Bool { spans.isEmpty }
}
