import CSPipeCore

/// An account's milestones against its baseline journey (docs/STAGE.md, "Milestones"): each is
/// met (on the day its last source was), due, overdue (days late), or unknown when the record
/// cannot say (no `target_value` for a value milestone, no monthly usage series).
struct MilestoneState {
  enum State: String {
    case met, due, overdue, unknown
  }

  let milestone: Journey.Milestone
  let baselineDay: Int
  /// The baseline that set the day (`high touch`); nil: the milestone's own.
  let baseline: String?
  let dueDay: Int
  let state: State
  /// The day it was met; nil when met before the usage data starts (`metBy`).
  let metDay: Int?
  /// Met on or before this day, which is all the data can say (the usage export starts then).
  let metBy: Int?
  /// Met late by, or overdue by.
  let daysLate: Int
  /// Why the state is unknown.
  let missing: String?
}

struct MilestoneCheck {
  let journey: Journey
  let asOfDay: Int
  /// The first day of the portfolio's usage data: for an account that started before it, a
  /// first use in the data may be older.
  let usageFrom: Int?
  /// Milestone record names and usage metrics some account in the input has: a source no
  /// account has at all is missing data (is the export in the input?), not a milestone missed.
  let recordNames: Set<String>
  let metrics: Set<String>

  func check(_ record: JSONObject, startDay: Int) -> [MilestoneState] {
    journey.milestones.map { milestone in
      let (baselineDay, baseline) = journey.baselineDay(milestone, for: record)
      let due = startDay + baselineDay
      var latest: Int?
      var metBy: Int?
      var missing: String?
      var unmet = false
      for source in milestone.sources {
        switch evidence(source, in: record, startDay: startDay) {
        case .day(let day): latest = max(latest ?? day, day)
        case .by(let day):
          metBy = max(metBy ?? day, day)
        case .none: unmet = true
        case .unknown(let why): missing = missing ?? why
        }
      }
      func state(_ state: MilestoneState.State, met: Int? = nil, by: Int? = nil, late: Int = 0) -> MilestoneState {
        MilestoneState(
          milestone: milestone, baselineDay: baselineDay, baseline: baseline, dueDay: due, state: state, metDay: met, metBy: by,
          daysLate: late, missing: state == .unknown ? missing : nil)
      }
      if !unmet && missing == nil {
        if let metBy, latest == nil || latest! <= metBy {
          return state(.met, by: metBy, late: 0)
        }
        let day = latest!
        return state(.met, met: day, late: max(0, day - due))
      }
      if missing != nil && !unmet { return state(.unknown) }
      if asOfDay <= due { return state(.due) }
      return state(.overdue, late: asOfDay - due)
    }
  }

  enum Evidence {
    case day(Int)
    /// Met on or before this day (the data starts then).
    case by(Int)
    case none
    case unknown(String)
  }

  func evidence(_ source: Journey.Source, in record: JSONObject, startDay: Int) -> Evidence {
    switch source {
    case .record(let name):
      guard recordNames.contains(name) else {
        return .unknown("no account has a \(name.debugDescription) milestone record (is the milestone export in the input?)")
      }
      guard let day = RecordValues.day(record["milestones"]?.objectValue?[name]?.stringValue), day <= asOfDay else { return .none }
      return .day(day)
    case .firstSeen(let metric):
      guard metrics.contains(metric) else {
        return .unknown("no account has usage of \(metric.debugDescription) (is the usage export in the input?)")
      }
      guard let day = RecordValues.day(record["usage"]?.objectValue?["first_seen"]?.objectValue?[metric]?.stringValue), day <= asOfDay
      else { return .none }
      // An account that started before the usage data may have done it earlier: all the data
      // says is "by then".
      if let usageFrom, startDay < usageFrom { return .by(day) }
      return .day(day)
    case .valueShare(let share):
      guard let metric = journey.valueMetric else { return .unknown("the journey names no valueMetric") }
      guard let target = RecordValues.number(record["target_value"]), target > 0 else {
        return .unknown("no target_value on the account")
      }
      guard let series = record["usage"]?.objectValue?["monthly"]?.objectValue else {
        return .unknown("no usage.monthly series (segment's monthlyUsage must name \(metric))")
      }
      // Complete months only (the running month counts once it has ended), and, for an account
      // older than the usage data, only months the data covers whole.
      if let usageFrom, startDay < usageFrom {
        let firstCovered = Self.firstMonthStarting(onOrAfter: usageFrom)
        guard let first = firstCovered, first.first + first.length - 1 <= asOfDay else {
          return .unknown("the usage data (from \(Timestamps.isoDate(usageFrom * 86400))) holds no complete month yet")
        }
      }
      guard case .array(let months)? = series[metric] else { return .none }
      for entry in months {
        guard let object = entry.objectValue, let label = object["month"]?.stringValue,
          let value = RecordValues.number(object["value"]), let (first, length) = Self.month(label)
        else { continue }
        let last = first + length - 1
        guard last <= asOfDay, last >= startDay, usageFrom.map({ first >= $0 || startDay >= $0 }) ?? true else { continue }
        if value * 30 / Double(length) >= share * target {
          if let usageFrom, startDay < usageFrom { return .by(last) }
          return .day(last)
        }
      }
      return .none
    }
  }

  /// The first calendar month that starts on or after `day`.
  static func firstMonthStarting(onOrAfter day: Int) -> (first: Int, length: Int)? {
    let (year, month, dayOfMonth) = Timestamps.civilFromDays(day)
    return Self.month(index: year * 12 + month - 1 + (dayOfMonth == 1 ? 0 : 1))
  }

  /// `2026-10` → its first epoch day and its length in days.
  static func month(_ label: String) -> (first: Int, length: Int)? {
    let bytes = Array(label.utf8)
    guard bytes.count == 7, bytes[4] == ASCII.minus else { return nil }
    var year = 0
    for byte in bytes[0..<4] {
      guard byte >= ASCII.digit0 && byte <= ASCII.digit9 else { return nil }
      year = year * 10 + Int(byte - ASCII.digit0)
    }
    guard bytes[5] >= ASCII.digit0 && bytes[5] <= ASCII.digit9 && bytes[6] >= ASCII.digit0 && bytes[6] <= ASCII.digit9 else {
      return nil
    }
    let month = Int(bytes[5] - ASCII.digit0) * 10 + Int(bytes[6] - ASCII.digit0)
    guard (1...12).contains(month) else { return nil }
    return Self.month(index: year * 12 + month - 1)
  }

  /// The month of index year × 12 + month − 1: its first epoch day and its length in days.
  static func month(index: Int) -> (first: Int, length: Int) {
    let first = Timestamps.daysFromCivil(index / 12, index % 12 + 1, 1)
    let next = Timestamps.daysFromCivil((index + 1) / 12, (index + 1) % 12 + 1, 1)
    return (first, next - first)
  }

  /// The day `months` calendar months after `day`, on the same day of the month or the month's
  /// last day when it is shorter (31 January + 1 month is 28 or 29 February).
  static func day(_ day: Int, plusMonths months: Int) -> Int {
    let (year, month, dayOfMonth) = Timestamps.civilFromDays(day)
    let target = Self.month(index: year * 12 + month - 1 + months)
    return target.first + min(dayOfMonth, target.length) - 1
  }
}
