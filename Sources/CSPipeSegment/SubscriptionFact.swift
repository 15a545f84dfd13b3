import CSPipeCore
import Foundation

/// When a cancellation takes MRR away (policy `churnRecognition`, docs/SEGMENT.md).
public enum ChurnRecognition: String, Codable, Sendable {
  /// When service ends: a subscription cancelled at period end (or with a future `cancel_at`)
  /// keeps counting until then, as ChartMogul, Baremetrics and Recurly's own reports count it.
  case endOfService = "end-of-service"
  /// When the cancellation is made, as Stripe's own Billing analytics count a scheduled
  /// cancellation (churned when cancelled, not when it lapses).
  case scheduled
}

/// One subscription reduced to what MRR needs (docs/SEGMENT.md, "MRR").
struct SubscriptionFact: Sendable {
  let id: String
  let currency: String
  /// Monthly amount in minor units of `currency` (cents): (amount × quantity − discount) per
  /// month, ÷ interval_count, rounded half-even to the minor unit, so every sum and movement is
  /// exact integer arithmetic and reconciles to the cent.
  let monthlyMinor: Int
  /// Epoch seconds: starts counting at `start`; service ends at `serviceEnd` (exclusive), if
  /// known: the end of an ended subscription, or the scheduled end of a live one.
  let start: Int
  let serviceEnd: Int?
  /// When the cancellation was made (`canceled_at`), for ended subscriptions and live ones with
  /// a cancellation scheduled; nil when the export does not say.
  let cancelledAt: Int?
  /// A live subscription that will end at `serviceEnd` because it was cancelled.
  let cancellationScheduled: Bool
  /// In trial until this instant (counts 0 before it).
  let trialEnd: Int?
  let status: String
  let quantity: Int

  /// The largest monthly amount one subscription may have, in minor units (10^15: ten trillion
  /// dollars a month). Beyond it a value is a mistake, and every sum stays exact in 64 bits.
  static let limitExponent = 15
  static let limitMinor = 1_000_000_000_000_000
  /// The largest sum of every subscription's monthly amount, in minor units of the base
  /// currency at the highest rate each currency ever has: ARR (×12) and movement books
  /// (|Δ| ≤ 2 × MRR) of any sum of them then fit in 64 bits.
  static let portfolioLimitMinor = 500_000_000_000_000_000

  /// Statuses whose subscription is over: it counts only up to its end.
  /// Statuses of an ended subscription (two comparisons, not a set: hashing the status twice
  /// per subscription was 1% of segment).
  static func isEnded(_ status: String) -> Bool { status == "canceled" || status == "ended" }

  /// Where MRR stops under `policy`.
  func end(_ policy: ChurnRecognition) -> Int? {
    Self.end(serviceEnd: serviceEnd, cancelledAt: cancelledAt, policy)
  }

  static func end(serviceEnd: Int?, cancelledAt: Int?, _ policy: ChurnRecognition) -> Int? {
    guard policy == .scheduled, let cancelledAt else { return serviceEnd }
    return min(cancelledAt, serviceEnd ?? cancelledAt)
  }

  /// The monthly amount in major units (for currency conversion and partial states).
  var monthly: Decimal {
    Decimal(
      sign: monthlyMinor < 0 ? .minus : .plus, exponent: -Values.minorUnitDigits(of: currency),
      significand: Decimal(monthlyMinor.magnitude))
  }

  /// An amount already rounded to the currency's minor unit, as an integer count of them.
  static func minorUnits(_ amount: Decimal, currency: String) -> Int {
    NSDecimalNumber(decimal: amount * pow(Decimal(10), Values.minorUnitDigits(of: currency))).intValue
  }

  static let noDiscount = ExactDecimal("0")

  /// Months per interval, as a fraction (docs/SEGMENT.md, "MRR"): a day is 365/12 of a month.
  static func monthsPer(_ interval: String) -> (numerator: Int, denominator: Int)? {
    switch interval {
    case "day": (365, 12)
    case "week": (52, 12)
    case "month": (1, 1)
    case "quarter": (1, 3)
    case "year": (1, 12)
    default: nil
    }
  }

  /// (amount × quantity − discount) × months ÷ count in minor units, rounded half-even: exact
  /// rational arithmetic in integers. Nil on overflow (then Decimal does it).
  static func monthlyMinor(
    amount: ExactDecimal, discount: ExactDecimal, quantity: Int, months: (numerator: Int, denominator: Int),
    count: Int, digits: Int
  ) -> Int? {
    let scale = max(amount.scale, discount.scale)
    guard let amountUnits = amount.units(atScale: scale), let discountUnits = discount.units(atScale: scale),
      let minorPower = ExactDecimal.powerOfTen(digits), let scalePower = ExactDecimal.powerOfTen(scale)
    else { return nil }
    var overflow = false
    func times(_ a: Int, _ b: Int) -> Int {
      let (result, over) = a.multipliedReportingOverflow(by: b)
      overflow = overflow || over
      return result
    }
    let (gross, grossOverflow) = times(amountUnits, quantity).subtractingReportingOverflow(discountUnits)
    let numerator = times(times(gross, months.numerator), minorPower)
    let denominator = times(times(scalePower, months.denominator), count)
    guard !overflow, !grossOverflow, denominator > 0 else { return nil }
    let magnitude = numerator.magnitude
    let divisor = denominator.magnitude
    var quotient = magnitude / divisor
    let twiceRemainder = (magnitude % divisor) * 2
    if twiceRemainder > divisor || (twiceRemainder == divisor && quotient % 2 == 1) { quotient += 1 }
    return numerator < 0 ? -Int(quotient) : Int(quotient)
  }

  /// The statuses, currencies, intervals and amounts of the subscriptions read so far, by
  /// token (`RecentTokens`), and the minor-unit digits of the last currency.
  struct Vocabulary {
    var statuses = RecentTokens<String?>(capacity: 8)
    var currencies = RecentTokens<String?>(capacity: 8)
    var intervals = RecentTokens<String?>(capacity: 4)
    /// A plan has a price: the amount's text and its exact reading.
    var amounts = RecentTokens<(text: String, exact: ExactDecimal?)?>(capacity: 16)
    var lastDigits: (currency: String, digits: Int)?

    mutating func amount(_ record: CanonicalFields) -> (text: String, exact: ExactDecimal?)? {
      record.withRawValue(.amount) { token in
        amounts.value(for: token) { record.numberText(.amount).map { ($0, ExactDecimal($0)) } }
      } ?? nil
    }

    mutating func digits(of currency: String) -> Int {
      if let last = lastDigits, last.currency == currency { return last.digits }
      let digits = Values.minorUnitDigits(of: currency)
      lastDigits = (currency, digits)
      return digits
    }
  }

  /// From a canonical subscription record, as known before `cutoff`. A fact with a reason is
  /// counted with a warning; no fact is a reject.
  static func make(_ record: CanonicalFields, cutoff: Int) -> (SubscriptionFact?, String?) {
    var vocabulary = Vocabulary()
    return make(record, cutoff: cutoff, vocabulary: &vocabulary)
  }

  static func make(_ record: CanonicalFields, cutoff: Int, vocabulary: inout Vocabulary) -> (SubscriptionFact?, String?) {
    // Plain decimals (every canonical amount) are read by ExactDecimal; Foundation's Decimal,
    // a tenth of segment's time per subscription, only for what ExactDecimal cannot read.
    guard let (amountText, exactAmount) = vocabulary.amount(record) else { return (nil, "subscription has no amount") }
    let parsedAmount = exactAmount == nil ? Decimal(string: amountText) : nil
    guard exactAmount != nil || parsedAmount != nil else { return (nil, "subscription has no amount") }
    guard let started = record.epochSeconds(.startedAt) else {
      return (nil, "subscription has no started_at")
    }
    let currency = record.string(.currency, recent: &vocabulary.currencies) ?? ""
    guard !currency.isEmpty else { return (nil, "subscription has no currency") }
    let interval = record.string(.interval, recent: &vocabulary.intervals) ?? "month"
    guard let perMonth = monthsPer(interval) else { return (nil, "unknown interval \(interval)") }
    // Never clamped, wrapped or zeroed in silence: an implausible value is a reject with its reason.
    let negative = exactAmount.map(\.negative) ?? (parsedAmount! < 0)
    if negative { return (nil, "amount \(amountText) is negative") }
    let count: Int
    if record.contains(.intervalCount) {
      guard let value = record.int(.intervalCount), value >= 1 else {
        return (nil, "interval_count \(record.numberText(.intervalCount) ?? "?") is not a whole number of at least 1")
      }
      count = value
    } else {
      count = 1
    }
    let quantity: Int
    if record.contains(.quantity) {
      guard let value = record.int(.quantity), value >= 0 else {
        return (nil, "quantity \(record.numberText(.quantity) ?? "?") is not a whole number of at least 0")
      }
      quantity = value
    } else {
      quantity = 1
    }
    let discountText = record.numberText(.discount)
    if let discountText, let discount = Decimal(string: discountText), discount < 0 {
      return (nil, "discount \(discountText) is negative")
    }
    let digits = vocabulary.digits(of: currency)
    let monthlyMinor: Int
    if let exactAmount, let exactDiscount = discountText.map({ ExactDecimal($0) }) ?? Self.noDiscount,
      let exact = Self.monthlyMinor(
        amount: exactAmount, discount: exactDiscount, quantity: quantity, months: perMonth, count: count, digits: digits)
    {
      monthlyMinor = exact
    } else {
      // Exponent notation or amounts beyond 64 bits: Foundation's Decimal (38 digits).
      guard let amount = parsedAmount ?? Decimal(string: amountText) else { return (nil, "subscription has no amount") }
      let discount = discountText.flatMap { Decimal(string: $0) } ?? 0
      var monthly =
        (amount * Decimal(quantity) - discount) * Decimal(perMonth.numerator)
        / Decimal(perMonth.denominator * count)
      var rounded = Decimal()
      NSDecimalRound(&rounded, &monthly, digits, .bankers)
      guard rounded.magnitude <= Decimal(limitMinor) / pow(Decimal(10), digits) else {
        return (nil, "monthly amount \(rounded) is implausible (over 10^\(limitExponent) minor units; a card or account number in Amount?)")
      }
      monthlyMinor = minorUnits(rounded, currency: currency)
    }
    if monthlyMinor < 0 { return (nil, "discount exceeds amount × quantity: a negative monthly amount") }
    if monthlyMinor > limitMinor {
      return (
        nil, "monthly amount of \(monthlyMinor) minor units is implausible (over 10^\(limitExponent); a card or account number in Amount?)"
      )
    }
    let status = record.string(.status, recent: &vocabulary.statuses) ?? "active"
    func time(_ field: CanonicalMember) -> Int? { record.epochSeconds(field) }
    // A cancellation made after as-of was not known then: neither its date nor what it scheduled.
    let cancelledAtAnyTime = time(.canceledAt)
    let cancelledAt = cancelledAtAnyTime.flatMap { $0 < cutoff ? $0 : nil }
    let cancelledLater = cancelledAt == nil && cancelledAtAnyTime != nil
    let cancelAt = cancelledLater ? nil : time(.cancelAt)
    let atPeriodEnd = cancelledLater ? false : record.bool(.cancelAtPeriodEnd) ?? false
    var serviceEnd: Int?
    var scheduled = false
    var problem: String?
    let hasEnded = Self.isEnded(status)
    if hasEnded {
      // Ended: at the end the export states; a cancelled subscription with no date never counts.
      serviceEnd = time(.endedAt) ?? cancelAt ?? cancelledAt ?? started
    } else if let ended = time(.endedAt) {
      serviceEnd = ended
    } else if cancelAt != nil || atPeriodEnd || cancelledAt != nil {
      // Live with a cancellation scheduled (Stripe cancel_at / cancel_at_period_end, Chargebee
      // non_renewing, Recurly canceled): paid and served until the end of the period.
      scheduled = true
      serviceEnd = cancelAt ?? time(.currentPeriodEnd)
      if serviceEnd == nil {
        problem =
          "subscription \(record.string(.id) ?? "?") is cancelled but has no cancel_at or current_period_end: counted as live"
        scheduled = false
      }
    }
    var trialEnd = time(.trialEnd)
    if status == "trialing" && trialEnd == nil { trialEnd = Int.max }
    return (
      SubscriptionFact(
        id: record.string(.id) ?? "", currency: currency, monthlyMinor: monthlyMinor, start: started,
        serviceEnd: serviceEnd, cancelledAt: hasEnded || scheduled ? cancelledAt : nil,
        cancellationScheduled: scheduled, trialEnd: trialEnd, status: status, quantity: quantity),
      problem
    )
  }

  /// Statuses that never count, whatever the dates: Stripe `incomplete` (the first payment has
  /// not succeeded) and `paused` (no invoices). `unpaid` counts until its delinquency began.
  /// Two comparisons, not a set: it runs per subscription and day.
  static func isNeverCounting(_ status: String) -> Bool { status == "incomplete" || status == "paused" }

  /// Counts on the day whose end is `dayEnd` (the first instant after it)? `end` is where MRR
  /// stops under the run's policy; `graceEnd` where a past-due or unpaid one stops.
  func counts(atDayEnd dayEnd: Int, end: Int?, graceEnd: Int?) -> Bool {
    guard start < dayEnd else { return false }
    if let end, end < dayEnd { return false }
    if let trialEnd, trialEnd >= dayEnd { return false }
    if Self.isNeverCounting(status) { return false }
    if let graceEnd, graceEnd < dayEnd { return false }
    return true
  }
}
