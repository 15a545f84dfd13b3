import CSPipeCore

/// One type of engagement moment in the journey (docs/STAGE.md, "Moments"): when it falls due,
/// for whom, and how long it stays listed.
public struct MomentRule: Sendable {
  public let type: String
  /// `time-based` (a calendar) or `event-based` (something happened).
  public let kind: String
  public let objective: String
  public let trigger: Trigger
  /// An extra test the record must pass (a survey score, a usage drop).
  public let when: Condition?
  /// The reason in the key and the output (`detractor`); default: the type.
  public let reason: String?
  /// A moment overdue by more than this many days is no longer listed (expired).
  public let expiryDays: Int
  /// A condition without a date of its own is raised at most once per period of this many days.
  public let capDays: Int
  /// How long a snooze without an end date lasts.
  public let snoozeDays: Int

  public enum Trigger: Sendable {
    /// Every N months from contract start, N per touch model (none: not for that touch).
    case everyMonths([String: Int])
    /// N days before the next renewal.
    case beforeRenewal([Int])
    /// N days after contract start, while onboarding.
    case afterStart([Int])
    /// The date at the path, within `withinDays` before as-of.
    case at(RecordPath, withinDays: Int)
    /// No activity at any of the paths for `days` days.
    case silence(days: Int, paths: [RecordPath])
    /// Each overdue milestone.
    case milestoneOverdue
    /// Only the `when` condition: raised while it holds.
    case condition
  }

  init(reader: ConfigReader) throws {
    type = try reader.string("type")
    kind = try reader.string("kind")
    guard kind == "time-based" || kind == "event-based" else {
      throw reader.fail("kind", "expected \"time-based\" or \"event-based\"")
    }
    objective = try reader.string("objective")
    reason = try reader.optionalString("reason")
    func positive(_ key: String, _ fallback: Int) throws -> Int {
      let value = try reader.optionalInt(key) ?? fallback
      guard value >= 0 && value <= 3650 else { throw reader.fail(key, "expected 0 to 3650 days") }
      return value
    }
    expiryDays = try positive("expiryDays", 30)
    capDays = max(1, try positive("capDays", 30))
    snoozeDays = try positive("snoozeDays", 14)
    if let condition = try reader.optionalObject("when") {
      when = try Condition(reader: condition)
      try condition.finish()
    } else {
      when = nil
    }
    var triggers: [Trigger] = []
    if let every = try reader.optionalObject("everyMonths") {
      var table: [String: Int] = [:]
      for touch in every.keys {
        guard let months = try every.optionalInt(touch), (1...120).contains(months) else {
          throw every.fail(touch, "expected 1 to 120 months")
        }
        table[touch] = months
      }
      try every.finish()
      triggers.append(.everyMonths(table))
    }
    let before = try reader.array("daysBeforeRenewal") { value, path in
      guard let days = value.intValue, days >= 0 else { throw ConfigError(file: reader.file, message: "\(path): expected days ≥ 0") }
      return days
    }
    if reader.has("daysBeforeRenewal") { triggers.append(.beforeRenewal(before)) }
    let after = try reader.array("daysAfterStart") { value, path in
      guard let days = value.intValue, days >= 0 else { throw ConfigError(file: reader.file, message: "\(path): expected days ≥ 0") }
      return days
    }
    if reader.has("daysAfterStart") { triggers.append(.afterStart(after)) }
    if let path = try reader.optionalString("at") {
      triggers.append(.at(RecordPath(path), withinDays: try positive("withinDays", 30)))
    }
    if let days = try reader.optionalInt("silenceDays") {
      guard days > 0 else { throw reader.fail("silenceDays", "expected days > 0") }
      let paths = try reader.strings("silenceOf")
      guard !paths.isEmpty else { throw reader.fail("silenceOf", "expected the paths whose dates show activity") }
      triggers.append(.silence(days: days, paths: paths.map(RecordPath.init)))
    }
    if try reader.optionalBool("milestoneOverdue") == true { triggers.append(.milestoneOverdue) }
    if triggers.isEmpty && when != nil { triggers.append(.condition) }
    guard triggers.count == 1 else {
      throw reader.fail(
        nil,
        "expected one trigger: everyMonths, daysBeforeRenewal, daysAfterStart, at, silenceDays, milestoneOverdue, or only when")
    }
    trigger = triggers[0]
  }
}
