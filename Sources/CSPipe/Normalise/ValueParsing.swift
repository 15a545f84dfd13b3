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
    minorUnitDigits[currency] ?? 2
  }

  /// A plain decimal: optional sign, digits, optional fraction (`-1440.50`). No thousands
  /// separators, no exponent, no currency symbols: anything else is not guessed at.
  public static func decimal(_ text: String) throws(ValueError) -> Decimal {
    let trimmed = text.trimmed
    var digitsSeen = false
    var pointSeen = false
    for (index, char) in trimmed.enumerated() {
      switch char {
      case "0"..."9": digitsSeen = true
      case "-" where index == 0, "+" where index == 0: continue
      case "." where !pointSeen: pointSeen = true
      default: throw ValueError("not a number: \(text.debugDescription)")
      }
    }
    guard digitsSeen, let value = Decimal(string: trimmed, locale: Locale(identifier: "en_US_POSIX")) else {
      throw ValueError("not a number: \(text.debugDescription)")
    }
    return value
  }

  /// An integer; a decimal with a zero fraction (`1.00000000000000000000`) is accepted.
  public static func integer(_ text: String) throws(ValueError) -> Int {
    let value = try decimal(text)
    var rounded = Decimal()
    var copy = value
    NSDecimalRound(&rounded, &copy, 0, .plain)
    guard rounded == value, let integer = Int(exactly: NSDecimalNumber(decimal: value).int64Value),
      Decimal(integer) == value
    else { throw ValueError("not a whole number: \(text.debugDescription)") }
    return integer
  }

  /// Money in major units: `minor` sources divide by the currency's minor unit (cents).
  public static func money(_ text: String, minorUnits: Bool, currency: String?) throws(ValueError) -> Decimal {
    let value = try decimal(text)
    guard minorUnits else { return value }
    let digits = minorUnitDigits(of: currency ?? "")
    return value / pow(Decimal(10), digits)
  }

  /// ISO 4217 code, upper-cased (`usd` → `USD`).
  public static func currency(_ text: String) throws(ValueError) -> String {
    let code = text.trimmed.uppercased()
    guard code.count == 3, code.allSatisfy({ $0 >= "A" && $0 <= "Z" }) else {
      throw ValueError("not an ISO 4217 currency code: \(text.debugDescription)")
    }
    return code
  }

  public static func boolean(_ text: String) throws(ValueError) -> Bool {
    switch text.trimmed.lowercased() {
    case "true", "t", "yes", "y", "1": return true
    case "false", "f", "no", "n", "0": return false
    default: throw ValueError("not a boolean: \(text.debugDescription)")
    }
  }

  /// JSON number text for an exact decimal: no exponent, no trailing zeros (`1068`, `0.5`).
  public static func numberText(_ value: Decimal) -> String {
    var copy = value
    return NSDecimalString(&copy, Locale(identifier: "en_US_POSIX"))
  }

  /// The domain of an e-mail address, lower-cased; nil when it is not an address.
  public static func emailDomain(_ text: String) -> String? {
    let trimmed = text.trimmed.lowercased()
    guard let at = trimmed.lastIndex(of: "@") else { return nil }
    let domain = trimmed[trimmed.index(after: at)...]
    guard domain.contains("."), !domain.contains(" ") else { return nil }
    return String(domain)
  }
}
