import Foundation

/// Why one field's value could not be turned into its canonical form.
public struct ValueError: Error, Equatable, CustomStringConvertible {
  public let message: String
  public var description: String { message }
  public init(_ message: String) { self.message = message }
}

/// Parsing export strings into canonical values: exact decimals, ISO currencies, booleans.
public enum Values {
  /// ISO 4217 currencies whose minor unit is not 1/100 (the rest have two decimals).
  static let minorUnitDigits: [String: Int] = [
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0,
    "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3, "CLF": 4, "UYW": 4,
  ]

  public static func minorUnitDigits(of currency: String) -> Int {
    // Three capitals (every canonical code) by table; anything else through the dictionary,
    // whose String comparison also matches Unicode equivalents (a Kelvin sign for K).
    let utf8 = currency.utf8
    if utf8.count == 3 {
      var index = 0
      for byte in utf8 {
        guard byte >= ASCII.upperA && byte <= ASCII.upperZ else { return minorUnitDigits[currency] ?? 2 }
        index = index * 26 + Int(byte - ASCII.upperA)
      }
      return Int(minorUnitDigitsByCode[index])
    }
    return minorUnitDigits[currency] ?? 2
  }

  /// `minorUnitDigits` of every three capital letters, at `(a × 26 + b) × 26 + c`: segment and
  /// normalise ask it for every amount, and hashing the code was 1% of segment.
  static let minorUnitDigitsByCode: [Int8] = {
    var table = [Int8](repeating: 2, count: 26 * 26 * 26)
    for (code, digits) in minorUnitDigits {
      let index = code.utf8.reduce(0) { $0 * 26 + Int($1 - ASCII.upperA) }
      table[index] = Int8(digits)
    }
    return table
  }()

  /// A plain decimal: optional sign, digits, optional fraction (`-1440.50`). No thousands
  /// separators, no exponent, no currency symbols: anything else is not guessed at.
  public static func decimal(_ text: String) throws(ValueError) -> Decimal {
    let exact = try exactDecimal(text)
    return Decimal(string: exact.text, locale: Locale(identifier: "en_US_POSIX")) ?? 0
  }

  /// The same grammar as `decimal`, kept exact as digits (no Foundation `Decimal`: parsing and
  /// printing it was a fifth of normalise's time, and it rounds beyond 38 digits).
  public static func exactDecimal(_ text: String) throws(ValueError) -> ExactDecimal {
    guard let value = ExactDecimal(text.trimmed) else { throw ValueError("not a number: \(text.debugDescription)") }
    return value
  }

  /// An integer; a decimal with a zero fraction (`1.00000000000000000000`) is accepted.
  public static func integer(_ text: String) throws(ValueError) -> Int {
    // Plain digits (a quantity, a count, a line number) are read directly: the same value
    // `exactDecimal` gives, without its digit arrays.
    if let plain = plainDigits(text) { return plain }
    guard let integer = try exactDecimal(text).integerValue else {
      throw ValueError("not a whole number: \(text.debugDescription)")
    }
    return integer
  }

  /// The value of 1 to 18 ASCII digits and nothing else; nil for any other text.
  static func plainDigits(_ text: String) -> Int? {
    var text = text
    return text.withUTF8(plainDigits(bytes:))
  }

  public static func plainDigits(bytes: UnsafeBufferPointer<UInt8>) -> Int? {
    guard !bytes.isEmpty, bytes.count <= 18 else { return nil }
    var value = 0
    for byte in bytes {
      let digit = byte &- ASCII.digit0
      guard digit < 10 else { return nil }
      value = value &* 10 &+ Int(digit)
    }
    return value
  }

  /// Decimal places beyond the currency's minor unit that a price per unit keeps: Stripe's
  /// `unit_amount_decimal` allows 12 (a metered API call at $0.000004).
  public static let priceExtraDigits = 12
  /// The largest power of ten an amount in exponent notation may carry (`1E+18`): beyond it the
  /// text is a pasted identifier or garbage, not money, and expanding it would cost memory.
  static let largestExponent = 40

  /// An amount charged (an invoice total, a payment) in major units: `minor` sources divide by
  /// the currency's minor unit (cents); exponent notation as spreadsheets write it (`1.5E+03`,
  /// `1e-22`) is read; the result is rounded half-even to the minor unit, since nobody is
  /// charged a fraction of a cent.
  public static func money(_ text: String, minorUnits: Bool, currency: String?) throws(ValueError) -> ExactDecimal {
    try amount(text, minorUnits: minorUnits, currency: currency, extraDigits: 0)
  }

  /// A price per unit (a subscription's amount, a discount) in major units: as `money`, but it
  /// keeps `priceExtraDigits` places below the minor unit, rounded half-even beyond them.
  public static func price(_ text: String, minorUnits: Bool, currency: String?) throws(ValueError) -> ExactDecimal {
    try amount(text, minorUnits: minorUnits, currency: currency, extraDigits: priceExtraDigits)
  }

  private static func amount(
    _ text: String, minorUnits: Bool, currency: String?, extraDigits: Int
  ) throws(ValueError) -> ExactDecimal {
    let trimmed = text.trimmed
    guard let parsed = ExactDecimal(trimmed) ?? ExactDecimal(scientific: trimmed, largestExponent: largestExponent) else {
      if ExactDecimal(scientific: trimmed, largestExponent: 9999) != nil {
        throw ValueError(
          "\(text.debugDescription) has an exponent beyond ±\(largestExponent): not an amount (an identifier read as a number?)")
      }
      throw ValueError("not a number: \(text.debugDescription)")
    }
    return amount(parsed, minorUnits: minorUnits, currency: currency, extraDigits: extraDigits)
  }

  /// A parsed amount in major units, rounded as `money` (`extraDigits` 0) or `price` keep it.
  public static func amount(_ parsed: ExactDecimal, minorUnits: Bool, currency: String?, extraDigits: Int) -> ExactDecimal {
    let digits = minorUnitDigits(of: currency ?? "")
    let major = minorUnits ? parsed.dividedByPowerOfTen(digits) : parsed
    return major.rounded(toScale: digits + extraDigits)
  }

  /// ISO 4217 code, upper-cased (`usd` → `USD`).
  public static func currency(_ text: String) throws(ValueError) -> String {
    if let code = asciiCurrencyCode(text) { return code }
    let code = text.trimmed.uppercased()
    guard code.count == 3, code.allSatisfy({ $0 >= "A" && $0 <= "Z" }) else {
      throw ValueError("not an ISO 4217 currency code: \(text.debugDescription)")
    }
    return code
  }

  /// Three ASCII letters between blanks (every export's codes), upper-cased byte by byte: the
  /// code `currency` gives, without Unicode's case mapping and a String for each step. Nil for
  /// anything else, which takes the general path.
  static func asciiCurrencyCode(_ text: String) -> String? {
    asciiCurrencyCode(utf8: text.utf8)
  }

  public static func asciiCurrencyCode<Bytes: Sequence<UInt8>>(utf8 bytes: Bytes) -> String? {
    var letters: (UInt8, UInt8, UInt8) = (0, 0, 0)
    var count = 0
    var trailing = false
    for byte in bytes {
      if String.isBlankByte(byte) {
        if count > 0 { trailing = true }
        continue
      }
      let upper = byte & ~0x20
      guard !trailing, count < 3, upper >= ASCII.upperA, upper <= ASCII.upperZ else { return nil }
      switch count {
      case 0: letters.0 = upper
      case 1: letters.1 = upper
      default: letters.2 = upper
      }
      count += 1
    }
    guard count == 3 else { return nil }
    return String(decoding: [letters.0, letters.1, letters.2], as: UTF8.self)
  }

  public static func boolean(_ text: String) throws(ValueError) -> Bool {
    if let value = exportBoolean(utf8: text.utf8) { return value }
    switch text.trimmed.lowercased() {
    case "true", "t", "yes", "y", "1": return true
    case "false", "f", "no", "n", "0": return false
    default: throw ValueError("not a boolean: \(text.debugDescription)")
    }
  }

  /// The exports' own spellings of a boolean (`true`, `false`, `1`, `0`, exactly), read before
  /// the general path's trimming and case mapping; nil for anything else.
  public static func exportBoolean<Bytes: Sequence<UInt8>>(utf8 bytes: Bytes) -> Bool? {
    if bytes.elementsEqual("true".utf8) || bytes.elementsEqual("1".utf8) { return true }
    if bytes.elementsEqual("false".utf8) || bytes.elementsEqual("0".utf8) { return false }
    return nil
  }

  /// JSON number text for a Foundation decimal: no exponent, no trailing zeros (`1068`, `0.5`).
  public static func numberText(_ value: Decimal) -> String {
    var copy = value
    return NSDecimalString(&copy, Locale(identifier: "en_US_POSIX"))
  }

  /// The domain of an e-mail address, lower-cased; nil when it is not an address.
  public static func emailDomain(_ text: String) -> String? {
    // On UTF-8 bytes: Foundation's `contains(_: String)` here was a tenth of normalise's time.
    let utf8 = text.trimmed.utf8
    guard let at = utf8.lastIndex(of: 0x40) else { return nil }
    let domain = utf8[utf8.index(after: at)...]
    guard domain.contains(0x2E), !domain.contains(0x20) else { return nil }
    return String(decoding: domain, as: UTF8.self).lowercased()
  }
}

/// An exact decimal number kept as its digits: `-0012.500` is negative, digits `125`, scale 1.
/// Parsed and printed without Foundation and without a precision limit.
public struct ExactDecimal: Equatable, Sendable {
  public let negative: Bool
  /// ASCII digits of the significand without leading zeros; empty for zero.
  public let digits: [UInt8]
  /// How many of `digits` (or implied leading zeros) are after the point; trailing zeros removed.
  public let scale: Int

  public init(negative: Bool, digits: [UInt8], scale: Int) {
    var digits = digits[...]
    var scale = scale
    while scale > 0, digits.last == 0x30 {
      digits.removeLast()
      scale -= 1
    }
    while digits.first == 0x30 { digits.removeFirst() }
    self.digits = Array(digits)
    self.scale = self.digits.isEmpty ? 0 : scale
    self.negative = negative && !self.digits.isEmpty
  }

  /// Parses `[+-]digits[.digits]` (at least one digit; `.5` and `5.` are accepted).
  public init?(_ text: String) {
    self.init(utf8: text.utf8)
  }

  /// `init(_:)` of a text's UTF-8 bytes (normalise reads a value without making a String).
  public init?<Bytes: Sequence<UInt8>>(utf8 bytes: Bytes) {
    var negative = false
    var digits: [UInt8] = []
    // Grown once, not doubling from one digit per digit read.
    digits.reserveCapacity(bytes.underestimatedCount)
    var scale = 0
    var pointSeen = false
    var digitSeen = false
    var first = true
    for byte in bytes {
      defer { first = false }
      switch byte {
      case 0x30...0x39:
        digitSeen = true
        digits.append(byte)
        if pointSeen { scale += 1 }
      case 0x2D where first: negative = true
      case 0x2B where first: continue
      case 0x2E where !pointSeen: pointSeen = true
      default: return nil
      }
    }
    guard digitSeen else { return nil }
    self.init(negative: negative, digits: digits, scale: scale)
  }

  /// Parses exponent notation, `[+-]digits[.digits](e|E)[+-]digits` (`1.5E+03`, `1e-22`), as
  /// spreadsheets write numbers; nil when the exponent's magnitude exceeds `largestExponent`.
  public init?(scientific text: String, largestExponent: Int) {
    let utf8 = text.utf8
    guard let marker = utf8.firstIndex(where: { $0 == 0x65 || $0 == 0x45 }),
      let mantissa = ExactDecimal(String(decoding: utf8[..<marker], as: UTF8.self))
    else { return nil }
    var exponentText = utf8[utf8.index(after: marker)...]
    var negativeExponent = false
    if let sign = exponentText.first, sign == 0x2B || sign == 0x2D {
      negativeExponent = sign == 0x2D
      exponentText = exponentText.dropFirst()
    }
    guard !exponentText.isEmpty, exponentText.count <= 4, exponentText.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 })
    else { return nil }
    let magnitude = exponentText.reduce(0) { $0 * 10 + Int($1 - 0x30) }
    guard magnitude <= largestExponent else { return nil }
    let exponent = negativeExponent ? -magnitude : magnitude
    // value = digits × 10^(exponent − scale): a negative new scale means trailing zeros.
    let newScale = mantissa.scale - exponent
    if newScale >= 0 {
      self.init(negative: mantissa.negative, digits: mantissa.digits, scale: newScale)
    } else {
      self.init(
        negative: mantissa.negative,
        digits: mantissa.digits.isEmpty ? [] : mantissa.digits + repeatElement(0x30, count: -newScale), scale: 0)
    }
  }

  /// The value rounded half-even to at most `places` decimal places (`0.125` → `0.12`,
  /// `0.135` → `0.14`, `1e-22` → `0`).
  public func rounded(toScale places: Int) -> ExactDecimal {
    guard scale > places else { return self }
    // digits padded on the left so that every kept place exists (0.005 is digits "5", scale 3).
    let padded = repeatElement(UInt8(0x30), count: max(0, scale - digits.count + 1)) + digits
    let keep = padded.count - (scale - places)
    var kept = Array(padded[..<keep])
    let first = padded[keep]
    let restNonZero = padded[(keep + 1)...].contains { $0 != 0x30 }
    let lastKeptOdd = ((kept.last ?? 0x30) - 0x30) % 2 == 1
    if first > 0x35 || (first == 0x35 && (restNonZero || lastKeptOdd)) {
      var index = kept.count - 1
      while index >= 0 && kept[index] == 0x39 {
        kept[index] = 0x30
        index -= 1
      }
      if index >= 0 { kept[index] += 1 } else { kept.insert(0x31, at: 0) }
    }
    return ExactDecimal(negative: negative, digits: kept, scale: places)
  }

  /// The value divided by 10^places (cents to units).
  public func dividedByPowerOfTen(_ places: Int) -> ExactDecimal {
    ExactDecimal(negative: negative, digits: digits, scale: scale + places)
  }

  /// 10^exponent, when it fits an `Int`.
  public static func powerOfTen(_ exponent: Int) -> Int? {
    guard exponent >= 0 else { return nil }
    var result = 1
    for _ in 0..<exponent {
      let (next, overflow) = result.multipliedReportingOverflow(by: 10)
      guard !overflow else { return nil }
      result = next
    }
    return result
  }

  /// The value × 10^scale as an `Int` (`1.5` at scale 2 is 150), when `scale` is at least the
  /// value's own and the result fits.
  public func units(atScale target: Int) -> Int? {
    guard target >= scale, let power = Self.powerOfTen(target - scale) else { return nil }
    var value = 0
    for digit in digits {
      let (times, overflowTimes) = value.multipliedReportingOverflow(by: 10)
      let (sum, overflowSum) = times.addingReportingOverflow(Int(digit - 0x30))
      guard !overflowTimes, !overflowSum else { return nil }
      value = sum
    }
    let (scaled, overflow) = value.multipliedReportingOverflow(by: power)
    guard !overflow else { return nil }
    return negative ? -scaled : scaled
  }

  /// The value as an `Int`, when it is whole and fits.
  public var integerValue: Int? {
    scale == 0 ? units(atScale: 0) : nil
  }

  /// JSON number text: no exponent, no trailing zeros (`1068`, `0.5`, `-0.015`).
  public var text: String {
    guard !digits.isEmpty else { return "0" }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(digits.count + 3)
    write(to: &bytes)
    return String(decoding: bytes, as: UTF8.self)
  }

  /// Appends `text`'s bytes.
  public func write(to bytes: inout [UInt8]) {
    guard !digits.isEmpty else { return bytes.append(ASCII.digit0) }
    if negative { bytes.append(ASCII.minus) }
    if scale == 0 {
      bytes += digits
    } else if digits.count > scale {
      bytes += digits[..<(digits.count - scale)]
      bytes.append(ASCII.dot)
      bytes += digits[(digits.count - scale)...]
    } else {
      bytes += [ASCII.digit0, ASCII.dot]
      bytes += repeatElement(ASCII.digit0, count: scale - digits.count)
      bytes += digits
    }
  }
}

/// An exact decimal sum kept as integer units at a common scale (`12.5` is 125 at scale 1):
/// usage values and amounts summed without Foundation's `Decimal`, whose parsing and adding
/// were a seventh of segment's time on usage rows. Beyond 64 bits it carries on in `Decimal`.
public struct DecimalSum: Comparable, ExpressibleByIntegerLiteral, Sendable {
  private var units: Int
  private var scale: Int
  /// The sum, once it no longer fits `units` (or a value came in exponent notation).
  private var wide: Decimal?

  public init(integerLiteral value: Int) {
    units = value
    scale = 0
  }

  /// A JSON number's text; nil when it is not a number.
  public init?(_ text: String) {
    if let exact = ExactDecimal(text), let units = exact.units(atScale: exact.scale) {
      self.units = units
      scale = exact.scale
      return
    }
    guard let decimal = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else { return nil }
    units = 0
    scale = 0
    wide = decimal
  }

  public var decimal: Decimal {
    wide ?? Decimal(sign: units < 0 ? .minus : .plus, exponent: -scale, significand: Decimal(units.magnitude))
  }

  /// JSON number text, as `Values.numberText` prints the same value.
  public var text: String {
    if let wide { return Values.numberText(wide) }
    return ExactDecimal(negative: units < 0, digits: Array(String(units.magnitude).utf8), scale: scale).text
  }

  /// Both values as integers at one scale, when neither is wide and they fit.
  private static func aligned(_ a: DecimalSum, _ b: DecimalSum) -> (a: Int, b: Int, scale: Int)? {
    guard a.wide == nil, b.wide == nil else { return nil }
    let scale = max(a.scale, b.scale)
    guard let first = ExactDecimal.powerOfTen(scale - a.scale), let second = ExactDecimal.powerOfTen(scale - b.scale) else {
      return nil
    }
    let (x, overflowX) = a.units.multipliedReportingOverflow(by: first)
    let (y, overflowY) = b.units.multipliedReportingOverflow(by: second)
    return overflowX || overflowY ? nil : (x, y, scale)
  }

  public static func += (lhs: inout DecimalSum, rhs: DecimalSum) {
    if let (a, b, scale) = aligned(lhs, rhs) {
      let (sum, overflow) = a.addingReportingOverflow(b)
      if !overflow {
        lhs.units = sum
        lhs.scale = scale
        return
      }
    }
    lhs.wide = lhs.decimal + rhs.decimal
  }

  public static func == (lhs: DecimalSum, rhs: DecimalSum) -> Bool {
    if let (a, b, _) = aligned(lhs, rhs) { return a == b }
    return lhs.decimal == rhs.decimal
  }

  public static func < (lhs: DecimalSum, rhs: DecimalSum) -> Bool {
    if let (a, b, _) = aligned(lhs, rhs) { return a < b }
    return lhs.decimal < rhs.decimal
  }
}
