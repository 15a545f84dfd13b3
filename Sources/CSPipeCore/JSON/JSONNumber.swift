/// Numbers computed in floating point (health scores, shares) written as JSON: rounded
/// half-even at a fixed number of places, printed without exponent or trailing zeros, so the
/// same computation always prints the same text.
public enum JSONNumber {
  /// `value` rounded to `places` decimals (`72.345` at 2 is `72.34` or `72.35`, as the binary
  /// value lies); `-0` prints `0`. Nil for NaN or infinity, which are never JSON.
  public static func rounded(_ value: Double, places: Int) -> Double? {
    guard value.isFinite else { return nil }
    let scale = Self.power(places)
    return (value * scale).rounded(.toNearestOrEven) / scale
  }

  public static func fixed(_ value: Double, places: Int) -> JSONValue {
    guard value.isFinite, abs(value) < 1e15 else { return .null }
    let units = (value * power(places)).rounded(.toNearestOrEven)
    let magnitude = Int(abs(units))
    return .number(
      ExactDecimal(negative: units < 0 && magnitude != 0, digits: Array(String(magnitude).utf8), scale: places).text)
  }

  public static func power(_ places: Int) -> Double {
    var result = 1.0
    for _ in 0..<places { result *= 10 }
    return result
  }
}
