/// Numbers computed in floating point (health scores, shares) written as JSON: rounded
/// half-even at a fixed number of places, printed without exponent or trailing zeros, so the
/// same computation always prints the same text.
public enum JSONNumber {
  /// `value` rounded to `places` decimals as a JSON number (`72.345` at 2 is `72.34` or
  /// `72.35`, as the binary value lies; `-0` is `0`); null when not finite or beyond 10^15.
  /// The same digits `JSONWriter.fixed` writes.
  public static func fixed(_ value: Double, places: Int) -> JSONValue {
    var writer = JSONWriter(capacity: 32)
    writer.fixed(value, places: places)
    let text = String(decoding: writer.bytes, as: UTF8.self)
    return text == "null" ? .null : .number(text)
  }

  public static func power(_ places: Int) -> Double {
    var result = 1.0
    for _ in 0..<places { result *= 10 }
    return result
  }
}
