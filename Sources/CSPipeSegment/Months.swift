import CSPipeCore

/// Month arithmetic on the UTC calendar.
enum Months {
  /// The first instant of the month after the one holding `instant` (a month-end "day end").
  static func endOfMonth(containing instant: Int) -> Int {
    let days = instant >= 0 ? instant / 86400 : (instant - 86399) / 86400
    let (year, month, _) = Timestamps.civilFromDays(days)
    let next = month == 12 ? (year + 1, 1) : (year, month + 1)
    return Timestamps.daysFromCivil(next.0, next.1, 1) * 86400
  }

  /// year × 12 + month − 1 of the month holding `instant`.
  static func index(containing instant: Int) -> Int? {
    let days = instant >= 0 ? instant / 86400 : (instant - 86399) / 86400
    let (year, month, _) = Timestamps.civilFromDays(days)
    return year * 12 + month - 1
  }

  /// `2026-10` for a month index.
  static func label(ofIndex index: Int) -> String {
    let year = index / 12
    let month = index % 12 + 1
    return "\(year)-\(month < 10 ? "0" : "")\(month)"
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
