import Foundation

/// A calendar date and time as written in an export, before any time zone is applied.
public struct CivilTime: Equatable, Sendable {
  public var year: Int
  public var month: Int
  public var day: Int
  public var hour = 0
  public var minute = 0
  public var second = 0
  /// The offset written in the value (seconds east of UTC); nil for a naive value.
  public var offset: Int?
  /// False for a bare date.
  public var hasTime = false

  public init(year: Int, month: Int, day: Int) {
    self.year = year
    self.month = month
    self.day = day
  }

  var isValid: Bool {
    (1...9999).contains(year) && (1...12).contains(month)
      && (1...Timestamps.daysInMonth(year, month)).contains(day)
      && (0...23).contains(hour) && (0...59).contains(minute) && (0...60).contains(second)
  }
}

/// The order of day and month in slash dates (`7/6/2019`), declared per source: ambiguous
/// values are never guessed.
public enum DateOrder: String, Sendable, Codable {
  case monthFirst = "mdy"
  case dayFirst = "dmy"
}

/// Why a value is not a date under the declared rules.
public struct TimestampError: Error, Equatable, CustomStringConvertible {
  public let message: String
  public var description: String { message }
}

/// Parsing the date forms real exports use and writing RFC 3339 UTC.
///
/// Accepted: ISO 8601 (`2024-06-07`, `2024-06-07T02:38:54Z`, `…54.000Z`, `…+03:00`, a space for
/// the `T`, minute precision); RFC 822 (`Tue, 17 Dec 2024 23:24:02 +0300`); slash dates
/// (`5/12/2015 11:00:00`, with `AM`/`PM`; also `07.06.2026` and `7-6-2019`) under a declared
/// day/month order; `3 Jan 2024`.
/// Naive values take the source's declared time zone. Fractions of a second are dropped.
public enum Timestamps {
  static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
  static let zoneNames: [String: Int] = [
    "UT": 0, "UTC": 0, "GMT": 0, "Z": 0, "EST": -5 * 3600, "EDT": -4 * 3600, "CST": -6 * 3600,
    "CDT": -5 * 3600, "MST": -7 * 3600, "MDT": -6 * 3600, "PST": -8 * 3600, "PDT": -7 * 3600,
  ]

  public static func parse(_ text: String, order: DateOrder?) throws(TimestampError) -> CivilTime {
    if let plain = plainDateTime(text) { return plain }
    return try parseAnyForm(text, order: order)
  }

  /// `YYYY-MM-DD HH:MM:SS` (or with `T`), a valid naive time, or a bare `YYYY-MM-DD` (a usage
  /// day): what most exports write, read without the general parser (a twentieth of
  /// normalise's time). Anything else, nil.
  static func plainDateTime(_ text: String) -> CivilTime? {
    var text = text
    return text.withUTF8 { plainDateTime(bytes: $0) }
  }

  /// `plainDateTime` of a value's UTF-8 bytes (normalise reads them without making a String).
  public static func plainDateTime(bytes: UnsafeBufferPointer<UInt8>) -> CivilTime? {
    func number(_ start: Int, _ width: Int) -> Int? {
      var value = 0
      for index in start..<(start + width) {
        let digit = Int(bytes[index]) &- 0x30
        guard digit >= 0 && digit <= 9 else { return nil }
        value = value * 10 + digit
      }
      return value
    }
    if bytes.count == 10 {
      guard bytes[4] == 0x2D, bytes[7] == 0x2D, let year = number(0, 4), let month = number(5, 2), let day = number(8, 2)
      else { return nil }
      let civil = CivilTime(year: year, month: month, day: day)
      return civil.isValid ? civil : nil
    }
    guard bytes.count == 19, bytes[4] == 0x2D, bytes[7] == 0x2D, bytes[10] == 0x20 || bytes[10] == 0x54,
      bytes[13] == 0x3A, bytes[16] == 0x3A
    else { return nil }
    guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2), let hour = number(11, 2),
      let minute = number(14, 2), let second = number(17, 2)
    else { return nil }
    var civil = CivilTime(year: year, month: month, day: day)
    civil.hour = hour
    civil.minute = minute
    civil.second = second == 60 ? 59 : second  // a leap second, as the general parser reads it
    civil.hasTime = true
    return civil.isValid ? civil : nil
  }

  /// Every form `parse` accepts, through the general parser.
  static func parseAnyForm(_ text: String, order: DateOrder?) throws(TimestampError) -> CivilTime {
    let trimmed = text.trimmed
    var scanner = Scanner(Array(trimmed.utf8))
    let parsed: CivilTime?
    if let first = scanner.peek, first >= 0x30 && first <= 0x39 {
      if trimmed.utf8.count >= 8, Array(trimmed.utf8)[4] == 0x2D {
        parsed = parseISO(&scanner)
      } else if let separator = trimmed.first(where: { $0 == "/" || $0 == "." || $0 == "-" }),
        trimmed.prefix(while: \.isNumber).count <= 2
      {
        guard let order else {
          let kind = separator == "/" ? "slash" : separator == "." ? "dotted" : "dashed"
          throw TimestampError(
            message: "\(kind) date \(trimmed.debugDescription) needs a declared day/month order (dateOrder mdy or dmy)")
        }
        parsed = parseSlash(&scanner, order: order)
      } else {
        parsed = parseDayMonthName(&scanner)
      }
    } else {
      parsed = parseRFC822(&scanner)
    }
    guard var civil = parsed, scanner.atEnd else {
      throw TimestampError(message: "not a date or time: \(trimmed.debugDescription)")
    }
    if civil.second == 60 { civil.second = 59 }  // a leap second reads as its last whole second
    guard civil.isValid else {
      throw TimestampError(message: "no such date or time: \(trimmed.debugDescription)")
    }
    return civil
  }

  static let utc = TimeZone(identifier: "UTC")!

  /// Seconds since 1970-01-01T00:00:00Z, applying `zone` when the value itself has no offset.
  public static func epochSeconds(_ civil: CivilTime, zone: TimeZone) -> Int {
    let local =
      daysFromCivil(civil.year, civil.month, civil.day) * 86400
      + civil.hour * 3600 + civil.minute * 60 + civil.second
    if let offset = civil.offset { return local - offset }
    if zone == utc || zone.identifier == "UTC" || zone.identifier == "GMT" { return local }
    // Two steps find the offset in force at that local time (across a DST change as well).
    let first = zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(local)))
    let second = zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(local - first)))
    return local - second
  }

  /// `2024-06-07T02:38:54Z`.
  public static func rfc3339(_ epoch: Int) -> String {
    format(epoch, withTime: true)
  }

  /// `2024-06-07`.
  public static func isoDate(_ epoch: Int) -> String {
    format(epoch, withTime: false)
  }

  /// Writes the digits straight into the string's storage: string interpolation and padding
  /// were most of the cost of a date in normalise.
  private static func format(_ epoch: Int, withTime: Bool) -> String {
    let text = String(unsafeUninitializedCapacity: withTime ? 20 : 10) { put(epoch, withTime: withTime, into: $0) }
    if !text.isEmpty { return text }
    // A year of more or fewer than four digits.
    let days = epoch >= 0 ? epoch / 86400 : (epoch - 86399) / 86400
    let secondsOfDay = epoch - days * 86400
    let (year, month, day) = civilFromDays(days)
    let date = "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    guard withTime else { return date }
    return date + "T\(pad(secondsOfDay / 3600, 2)):\(pad(secondsOfDay / 60 % 60, 2)):\(pad(secondsOfDay % 60, 2))Z"
  }

  /// Appends `rfc3339(epoch)` (or `isoDate`) as a quoted JSON string, without making the String.
  public static func appendQuoted<Output: ByteAppending & ~Copyable>(_ epoch: Int, withTime: Bool, to out: inout Output) {
    let written = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 22) { buffer -> Bool in
      buffer[0] = ASCII.quote
      let count = put(epoch, withTime: withTime, into: UnsafeMutableBufferPointer(rebasing: buffer[1...]))
      guard count > 0 else { return false }
      buffer[count + 1] = ASCII.quote
      out.append(UnsafeBufferPointer(rebasing: buffer[0..<(count + 2)]))
      return true
    }
    if !written { JSONBytes.appendString(format(epoch, withTime: withTime), to: &out) }
  }

  /// `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SSZ` into `buffer` (10 or 20 bytes); the count written,
  /// 0 (nothing written) when the year does not have four digits.
  private static func put(_ epoch: Int, withTime: Bool, into buffer: UnsafeMutableBufferPointer<UInt8>) -> Int {
    let days = epoch >= 0 ? epoch / 86400 : (epoch - 86399) / 86400
    let secondsOfDay = epoch - days * 86400
    let (year, month, day) = civilFromDays(days)
    guard (0...9999).contains(year) else { return 0 }
    func put(_ value: Int, _ width: Int, at offset: Int) {
      var rest = value
      for position in stride(from: offset + width - 1, through: offset, by: -1) {
        buffer[position] = UInt8(truncatingIfNeeded: 0x30 + rest % 10)
        rest /= 10
      }
    }
    put(year, 4, at: 0)
    buffer[4] = 0x2D
    put(month, 2, at: 5)
    buffer[7] = 0x2D
    put(day, 2, at: 8)
    guard withTime else { return 10 }
    buffer[10] = 0x54
    put(secondsOfDay / 3600, 2, at: 11)
    buffer[13] = 0x3A
    put(secondsOfDay / 60 % 60, 2, at: 14)
    buffer[16] = 0x3A
    put(secondsOfDay % 60, 2, at: 17)
    buffer[19] = 0x5A
    return 20
  }

  /// The `YYYY-MM-DD` or RFC 3339 text as epoch seconds (for comparisons against `--as-of`).
  public static func epochSeconds(ofCanonical text: String) -> Int? {
    // The two forms cspipe writes (`2024-06-07`, `2024-06-07T02:38:54Z`) read directly: the
    // general parser was a tenth of segment's time.
    if let epoch = canonicalFastPath(text) { return epoch }
    guard let civil = try? parse(text, order: nil) else { return nil }
    // Canonical values are UTC or carry their offset: no time zone lookup (it is costly).
    let local =
      daysFromCivil(civil.year, civil.month, civil.day) * 86400
      + civil.hour * 3600 + civil.minute * 60 + civil.second
    return local - (civil.offset ?? 0)
  }

  /// `epochSeconds(ofCanonical:)` of a string's UTF-8 bytes, without making the string when
  /// they are one of the two forms cspipe writes.
  public static func epochSeconds(ofCanonicalBytes bytes: UnsafeBufferPointer<UInt8>) -> Int? {
    canonicalFastPath(bytes) ?? epochSeconds(ofCanonical: String(decoding: bytes, as: UTF8.self))
  }

  private static func canonicalFastPath(_ text: String) -> Int? {
    var text = text
    return text.withUTF8 { canonicalFastPath($0) }
  }

  private static func canonicalFastPath(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
    guard bytes.count == 10 || (bytes.count == 20 && bytes[10] == 0x54 && bytes[19] == 0x5A) else { return nil }
    // Digits as unsigned differences from "0" (one compare each), wrapping arithmetic: the
    // widths bound every value, and a call per segment timestamp was 500 instructions.
    @inline(__always) func digits(_ start: Int, _ width: Int) -> Int? {
      var value = 0
      for index in start..<(start &+ width) {
        let digit = bytes[index] &- 0x30
        guard digit < 10 else { return nil }
        value = value &* 10 &+ Int(digit)
      }
      return value
    }
    guard bytes[4] == 0x2D, bytes[7] == 0x2D, let year = digits(0, 4), let month = digits(5, 2),
      let day = digits(8, 2), month >= 1, month <= 12, day >= 1, day <= daysInMonth(year, month)
    else { return nil }
    var seconds = daysFromCivil(year, month, day) &* 86400
    if bytes.count == 20 {
      guard bytes[13] == 0x3A, bytes[16] == 0x3A, let hour = digits(11, 2), let minute = digits(14, 2),
        let second = digits(17, 2), hour < 24, minute < 60, second < 60
      else { return nil }
      seconds &+= hour &* 3600 &+ minute &* 60 &+ second
    }
    return seconds
  }

  public static func pad(_ value: Int, _ width: Int) -> String {
    let text = String(value)
    return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
  }

  // MARK: - Civil calendar (Howard Hinnant's algorithms)

  public static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yearOfEra = y - era * 400
    let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
    let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
    return era * 146097 + dayOfEra - 719468
  }

  public static func civilFromDays(_ days: Int) -> (Int, Int, Int) {
    let z = days + 719468
    let era = (z >= 0 ? z : z - 146096) / 146097
    let dayOfEra = z - era * 146097
    let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146096) / 365
    let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
    let mp = (5 * dayOfYear + 2) / 153
    let day = dayOfYear - (153 * mp + 2) / 5 + 1
    let month = mp < 10 ? mp + 3 : mp - 9
    return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
  }

  static func daysInMonth(_ year: Int, _ month: Int) -> Int {
    switch month {
    case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
    case 4, 6, 9, 11: return 30
    default: return 31
    }
  }

  // MARK: - Forms

  private static func parseISO(_ s: inout Scanner) -> CivilTime? {
    guard let year = s.digits(exactly: 4), s.take(0x2D), let month = s.digits(exactly: 2), s.take(0x2D),
      let day = s.digits(exactly: 2)
    else { return nil }
    var civil = CivilTime(year: year, month: month, day: day)
    if s.atEnd { return civil }
    guard s.take(0x54) || s.take(0x74) || s.take(0x20) else { return nil }
    guard parseClock(&s, into: &civil) else { return nil }
    if s.take(0x2E) || s.take(0x2C) {
      guard s.digits(atLeast: 1) != nil else { return nil }  // fraction: dropped
    }
    s.skipSpaces()
    if s.atEnd { return civil }
    if s.take(0x5A) || s.take(0x7A) {
      civil.offset = 0
      return civil
    }
    guard let offset = parseNumericOffset(&s) else { return nil }
    civil.offset = offset
    return civil
  }

  /// `5/12/2015`, `07.06.2026`, `7-6-2019`: one separator throughout, year last.
  private static func parseSlash(_ s: inout Scanner, order: DateOrder) -> CivilTime? {
    guard let first = s.digits(atMost: 2), let separator = s.peek,
      separator == 0x2F || separator == 0x2E || separator == 0x2D, s.take(separator),
      let second = s.digits(atMost: 2), s.take(separator), var year = s.digits(atLeast: 2)
    else { return nil }
    if year < 100 { year += 2000 }
    let (month, day) = order == .monthFirst ? (first, second) : (second, first)
    var civil = CivilTime(year: year, month: month, day: day)
    s.skipSpaces()
    if s.atEnd { return civil }
    guard parseClock(&s, into: &civil) else { return nil }
    s.skipSpaces()
    if let meridiem = s.word()?.uppercased() {
      guard meridiem == "AM" || meridiem == "PM", (1...12).contains(civil.hour) else { return nil }
      civil.hour = civil.hour % 12 + (meridiem == "PM" ? 12 : 0)
    }
    return civil
  }

  /// `3 Jan 2024` (Xero's `j M Y`), optionally with a time.
  private static func parseDayMonthName(_ s: inout Scanner) -> CivilTime? {
    guard let day = s.digits(atMost: 2) else { return nil }
    s.skipSpaces()
    guard let name = s.word(), let month = monthNumber(name) else { return nil }
    s.skipSpaces()
    guard let year = s.digits(exactly: 4) else { return nil }
    var civil = CivilTime(year: year, month: month, day: day)
    s.skipSpaces()
    if s.atEnd { return civil }
    guard parseClock(&s, into: &civil) else { return nil }
    s.skipSpaces()
    if !s.atEnd { civil.offset = parseZone(&s) }
    return civil.offset == nil && !s.atEnd ? nil : civil
  }

  /// `Tue, 17 Dec 2024 23:24:02 +0300` (the weekday is optional and not checked).
  private static func parseRFC822(_ s: inout Scanner) -> CivilTime? {
    guard let weekday = s.word(), weekday.count == 3 else { return nil }
    _ = s.take(0x2C)
    s.skipSpaces()
    return parseDayMonthName(&s)
  }

  private static func parseClock(_ s: inout Scanner, into civil: inout CivilTime) -> Bool {
    guard let hour = s.digits(atMost: 2), s.take(0x3A), let minute = s.digits(exactly: 2) else { return false }
    civil.hour = hour
    civil.minute = minute
    civil.hasTime = true
    if s.take(0x3A) {
      guard let second = s.digits(exactly: 2) else { return false }
      civil.second = second
    }
    return true
  }

  private static func parseZone(_ s: inout Scanner) -> Int? {
    if let offset = parseNumericOffset(&s) { return offset }
    guard let name = s.word()?.uppercased(), let offset = zoneNames[name] else { return nil }
    return offset
  }

  private static func parseNumericOffset(_ s: inout Scanner) -> Int? {
    let sign: Int
    if s.take(0x2B) { sign = 1 } else if s.take(0x2D) { sign = -1 } else { return nil }
    guard let hours = s.digits(exactly: 2) else { return nil }
    _ = s.take(0x3A)
    let minutes = s.digits(exactly: 2) ?? 0
    guard hours <= 18, minutes < 60 else { return nil }
    return sign * (hours * 3600 + minutes * 60)
  }

  private static func monthNumber(_ name: String) -> Int? {
    let lowered = name.lowercased()
    guard lowered.count >= 3 else { return nil }
    return months.firstIndex(of: String(lowered.prefix(3))).map { $0 + 1 }
  }

  /// A tiny cursor over ASCII bytes.
  struct Scanner {
    let bytes: [UInt8]
    var index = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { index == bytes.count }
    var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    mutating func take(_ byte: UInt8) -> Bool {
      guard peek == byte else { return false }
      index += 1
      return true
    }

    mutating func skipSpaces() {
      while peek == 0x20 { index += 1 }
    }

    mutating func digits(exactly count: Int) -> Int? { digits(min: count, max: count) }
    mutating func digits(atLeast count: Int) -> Int? { digits(min: count, max: 18) }
    mutating func digits(atMost count: Int) -> Int? { digits(min: 1, max: count) }

    /// Reads between `min` and `max` decimal digits; on failure nothing is consumed.
    private mutating func digits(min: Int, max: Int) -> Int? {
      let start = index
      var value = 0
      while let byte = peek, byte >= 0x30 && byte <= 0x39, index - start < max {
        value = value * 10 + Int(byte - 0x30)
        index += 1
      }
      guard index - start >= min else {
        index = start
        return nil
      }
      return value
    }

    mutating func word() -> String? {
      let start = index
      while let byte = peek, (byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A { index += 1 }
      return index > start ? String(decoding: bytes[start..<index], as: UTF8.self) : nil
    }
  }
}
