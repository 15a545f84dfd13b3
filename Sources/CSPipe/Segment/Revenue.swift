import Foundation

/// One subscription reduced to what MRR needs (DESIGN.md 4.1, docs/SEGMENT.md).
struct SubscriptionFact: Sendable {
  let id: String
  let currency: String
  /// Monthly amount: (amount × quantity − discount) per month, ÷ interval_count, rounded to the
  /// currency's minor unit, so every sum and movement is exact and reconciles to the cent.
  let monthly: Decimal
  /// `monthly` in minor units of `currency` (cents): MRR sums run on integers, exactly and fast
  /// (Foundation's Decimal arithmetic was most of segment's time).
  let monthlyMinor: Int
  /// Epoch seconds: starts counting at `start`, stops at `end` (exclusive), if known.
  let start: Int
  let end: Int?
  /// In trial until this instant (counts 0 before it).
  let trialEnd: Int?
  let status: String
  let quantity: Int

  init(
    id: String, currency: String, monthly: Decimal, start: Int, end: Int?, trialEnd: Int?, status: String,
    quantity: Int
  ) {
    self.id = id
    self.currency = currency
    self.monthly = monthly
    self.monthlyMinor = Self.minorUnits(monthly, currency: currency)
    self.start = start
    self.end = end
    self.trialEnd = trialEnd
    self.status = status
    self.quantity = quantity
  }

  /// An amount already rounded to the currency's minor unit, as an integer count of them.
  static func minorUnits(_ amount: Decimal, currency: String) -> Int {
    NSDecimalNumber(decimal: amount * pow(Decimal(10), Values.minorUnitDigits(of: currency))).intValue
  }

  static let monthsPer: [String: Decimal] = [
    "day": Decimal(365) / Decimal(12), "week": Decimal(52) / Decimal(12), "month": 1,
    "quarter": Decimal(1) / Decimal(3), "year": Decimal(1) / Decimal(12),
  ]

  /// From a canonical subscription record; nil with a reason when it cannot be counted.
  static func make(_ record: JSONObject) -> (SubscriptionFact?, String?) {
    guard let amountText = record["amount"]?.numberText, let amount = Decimal(string: amountText) else {
      return (nil, "subscription has no amount")
    }
    guard let started = record["started_at"]?.stringValue.flatMap(Timestamps.epochSeconds(ofCanonical:)) else {
      return (nil, "subscription has no started_at")
    }
    let currency = record["currency"]?.stringValue ?? ""
    guard !currency.isEmpty else { return (nil, "subscription has no currency") }
    let interval = record["interval"]?.stringValue ?? "month"
    guard let perMonth = monthsPer[interval] else { return (nil, "unknown interval \(interval)") }
    let count = max(1, record["interval_count"]?.intValue ?? 1)
    let quantity = record["quantity"]?.intValue ?? 1
    let discount = record["discount"]?.numberText.flatMap { Decimal(string: $0) } ?? 0
    var monthly = (amount * Decimal(quantity) - discount) * perMonth / Decimal(count)
    var rounded = Decimal()
    NSDecimalRound(&rounded, &monthly, Values.minorUnitDigits(of: currency), .bankers)
    let status = record["status"]?.stringValue ?? "active"
    let ended = (record["ended_at"] ?? record["canceled_at"])?.stringValue.flatMap(Timestamps.epochSeconds(ofCanonical:))
    var end = ended
    if end == nil && (status == "canceled" || status == "ended") {
      end = started  // ended on a date the export does not give: never counted
    }
    var trialEnd = record["trial_end"]?.stringValue.flatMap(Timestamps.epochSeconds(ofCanonical:))
    if status == "trialing" && trialEnd == nil { trialEnd = Int.max }
    return (
      SubscriptionFact(
        id: record["id"]?.stringValue ?? "", currency: currency, monthly: max(rounded, 0), start: started,
        end: end, trialEnd: trialEnd, status: status, quantity: quantity),
      nil
    )
  }

  /// Counts on the day whose end is `dayEnd` (the first instant after it)?
  func counts(atDayEnd dayEnd: Int, graceEnd: Int?) -> Bool {
    guard start < dayEnd else { return false }
    if let end, end < dayEnd { return false }
    if let trialEnd, trialEnd >= dayEnd { return false }
    if status == "paused" { return false }
    if let graceEnd, graceEnd < dayEnd { return false }
    return true
  }
}

/// Exchange rates to the base currency (`--rates FILE`, CSV `date,currency,rate`: one unit of
/// `currency` is `rate` units of the base currency from that day on).
public struct ExchangeRates: Sendable {
  private var rates: [String: [(day: Int, rate: Decimal)]] = [:]

  public init() {}

  public static func load(path: String) throws -> ExchangeRates {
    var table = ExchangeRates()
    let reader = CSVReader(source: try ByteSource(path: path), delimiter: 0x2C)
    var header: [String]?
    var problem: InputError?
    try reader.forEachRow { row in
      let values = (0..<row.count).map { row.fieldString($0).trimmed }
      guard problem == nil else { return }
      guard let columns = header else {
        header = values.map { $0.lowercased() }
        return
      }
      let location = SourceLocation(file: path, line: row.line)
      func column(_ name: String) -> String? { columns.firstIndex(of: name).flatMap { $0 < values.count ? values[$0] : nil } }
      guard let dayText = column("date"), let day = Timestamps.epochSeconds(ofCanonical: dayText),
        let currency = column("currency").flatMap({ try? Values.currency($0) }),
        let rate = column("rate").flatMap({ try? Values.decimal($0) }), rate > 0
      else {
        problem = InputError("a rate needs date (YYYY-MM-DD), currency (ISO 4217) and a positive rate", at: location)
        return
      }
      table.rates[currency, default: []].append((day, rate))
    }
    if let problem { throw problem }
    for key in table.rates.keys { table.rates[key]!.sort { $0.day < $1.day } }
    return table
  }

  /// The rate in force at `instant`: the latest dated on or before it.
  public func rate(_ currency: String, at instant: Int) -> Decimal? {
    rates[currency]?.last { $0.day <= instant }?.rate
  }

  public var currencies: Set<String> { Set(rates.keys) }
}

/// Month arithmetic on the UTC calendar.
enum Months {
  /// The first instant of the month after the one holding `instant` (a month-end "day end").
  static func endOfMonth(containing instant: Int) -> Int {
    let days = instant >= 0 ? instant / 86400 : (instant - 86399) / 86400
    let (year, month, _) = Timestamps.civilFromDays(days)
    let next = month == 12 ? (year + 1, 1) : (year, month + 1)
    return Timestamps.daysFromCivil(next.0, next.1, 1) * 86400
  }

  /// `2026-10` for the month ending at `monthEnd`.
  static func label(ofMonthEndingAt monthEnd: Int) -> String {
    String(Timestamps.isoDate(monthEnd - 1).prefix(7))
  }

  /// The `count` month-ends (as day ends) up to and including the last one on or before the
  /// as-of day (the day before `cutoff`), oldest first.
  static func lastMonthEnds(count: Int, cutoff: Int) -> [Int] {
    let asOfDay = (cutoff - 1) >= 0 ? (cutoff - 1) / 86400 : (cutoff - 86400) / 86400
    var (year, month, _) = Timestamps.civilFromDays(asOfDay)
    // The month whose end is the first instant of (year, month) is the previous one, unless the
    // as-of day is the last day of its own month.
    if (asOfDay + 1) * 86400 == endOfMonth(containing: asOfDay * 86400) {
      (year, month) = month == 12 ? (year + 1, 1) : (year, month + 1)
    }
    var ends: [Int] = []
    for _ in 0..<count {
      ends.append(Timestamps.daysFromCivil(year, month, 1) * 86400)
      (year, month) = month == 1 ? (year - 1, 12) : (year, month - 1)
    }
    return ends.reversed()
  }
}
