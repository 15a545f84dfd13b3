import CSPipeCore

/// When a profile applies (docs/SCORE.md, "Profiles"): every condition given must hold, over
/// fields segment already writes. Profiles are tried in the model's order; the first whose
/// rule holds applies, and the last applies to all.
public struct ProfileRule: Sendable {
  /// `zero`: MRR at as-of is 0 (churned, never paid, or delinquent beyond grace).
  public var mrrZero: Bool?
  /// The account has had MRR at a month-end of the window (churned rather than never paid).
  public var hadMrr: Bool?
  /// The contract started fewer than this many days before as-of (onboarding).
  public var contractWithinDays: Int?
  public var tiers: [String] = []
  public var touches: [String] = []
  /// A path that holds a value (not null): `cancellation_scheduled_at` for a cancelling account.
  public var has: RecordPath?

  var isAlways: Bool {
    mrrZero == nil && hadMrr == nil && contractWithinDays == nil && tiers.isEmpty && touches.isEmpty && has == nil
  }

  init(reader: ConfigReader?) throws {
    guard let reader else { return }
    if let mrr = try reader.optionalString("mrr") {
      guard mrr == "zero" || mrr == "positive" else { throw reader.fail("mrr", "expected \"zero\" or \"positive\"") }
      mrrZero = mrr == "zero"
    }
    hadMrr = try reader.optionalBool("hadMrr")
    contractWithinDays = try reader.optionalInt("contractWithinDays")
    if let days = contractWithinDays, days <= 0 { throw reader.fail("contractWithinDays", "expected a number of days > 0") }
    tiers = try reader.strings("tier")
    touches = try reader.strings("touch")
    has = try reader.optionalString("has").map(RecordPath.init)
    try reader.finish()
  }

  /// Whether the rule holds for `record` as of the day ending at `cutoff`.
  func holds(for record: JSONObject, cutoff: Int) -> Bool {
    let mrr = RecordValues.number(record["mrr"]) ?? 0
    if let mrrZero, (mrr == 0) != mrrZero { return false }
    if let hadMrr {
      var had = false
      if case .array(let series)? = record["mrr_series"] {
        had = series.contains { (RecordValues.number($0.objectValue?["mrr"]) ?? 0) > 0 }
      }
      if had != hadMrr { return false }
    }
    if let days = contractWithinDays {
      guard let start = record["contract_start"]?.stringValue.flatMap(Timestamps.epochSeconds(ofCanonical:)),
        start < cutoff, RecordValues.days(from: start, toDayEndingAt: cutoff) < days
      else { return false }
    }
    if !tiers.isEmpty && !tiers.contains(record["tier"]?.stringValue ?? "") { return false }
    if !touches.isEmpty && !touches.contains(record["touch"]?.stringValue ?? "") { return false }
    if let has {
      let value = has.first(in: record)
      if value == nil || value == .null { return false }
    }
    return true
  }

  /// The rule as the output echoes it.
  var description: String {
    var parts: [String] = []
    if let mrrZero { parts.append(mrrZero ? "MRR is 0" : "MRR above 0") }
    if let hadMrr { parts.append(hadMrr ? "had MRR in the window" : "never had MRR in the window") }
    if let contractWithinDays { parts.append("contract started under \(contractWithinDays) days ago") }
    if !tiers.isEmpty { parts.append("tier \(tiers.joined(separator: " or "))") }
    if !touches.isEmpty { parts.append("touch \(touches.joined(separator: " or "))") }
    if let has { parts.append("\(has.text) is set") }
    return parts.isEmpty ? "every other account" : parts.joined(separator: " and ")
  }
}
