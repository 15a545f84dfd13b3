/// Writes one JSON document straight to bytes, members in the order written.
///
/// For records built field by field: building a `JSONObject` only to serialise it cost a
/// String and an enum per value, and `object[key] = value` searches the keys each time
/// (quadratic in the record's width). The caller keeps the structure balanced.
public struct JSONWriter: ~Copyable {
  private var buffer: ByteBuffer
  private var needsComma = false

  public init(capacity: Int = 4096) {
    buffer = ByteBuffer(capacity: capacity)
  }

  /// What has been written (valid until the next write).
  public var bytes: UnsafeBufferPointer<UInt8> { buffer.bytes }

  /// Empties the writer, keeping its storage, for the next record.
  public mutating func reset() {
    buffer.removeAll()
    needsComma = false
  }

  /// Ends a record's line: the next document starts after it (for a block of NDJSON records
  /// written one after another into one writer).
  public mutating func endLine() {
    buffer.append(ASCII.lineFeed)
    needsComma = false
  }

  @inline(__always)
  private mutating func separate() {
    if needsComma { buffer.append(ASCII.comma) }
    needsComma = true
  }

  public mutating func openObject() {
    separate()
    buffer.append(ASCII.openBrace)
    needsComma = false
  }

  public mutating func closeObject() {
    buffer.append(ASCII.closeBrace)
    needsComma = true
  }

  public mutating func openArray() {
    separate()
    buffer.append(ASCII.openBracket)
    needsComma = false
  }

  public mutating func closeArray() {
    buffer.append(ASCII.closeBracket)
    needsComma = true
  }

  /// A member's key; the next value written is its value.
  @_disfavoredOverload
  public mutating func key(_ name: String) {
    separate()
    JSONBytes.appendString(name, to: &buffer)
    buffer.append(ASCII.colon)
    needsComma = false
  }

  /// A key written in the code (every literal key): copied as it is, not scanned for escapes,
  /// since a literal never needs one (checked in debug builds). Literal keys were half of the
  /// escaping scans segment made for an account record.
  public mutating func key(_ name: StaticString) {
    assert(Self.isPlain(name), "a literal key that needs escaping: \(name)")
    separate()
    buffer.append(ASCII.quote)
    buffer.append(UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
    buffer.append(ascii: "\":")
    needsComma = false
  }

  static func isPlain(_ name: StaticString) -> Bool {
    UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount).allSatisfy {
      $0 >= ASCII.space && $0 != ASCII.quote && $0 != ASCII.backslash
    }
  }

  /// A whole member (`"key":value`) encoded beforehand, for one written in every record
  /// with the same value (segment's month labels).
  public mutating func encodedMember(_ bytes: [UInt8]) {
    separate()
    buffer.append(bytes)
  }

  public mutating func string(_ text: String) {
    separate()
    JSONBytes.appendString(text, to: &buffer)
  }

  public mutating func int(_ value: Int) {
    separate()
    JSONBytes.appendInt(value, to: &buffer)
  }

  /// A time as a JSON string, as `Timestamps.rfc3339` (`withTime`) or `isoDate` write it,
  /// without making the String.
  public mutating func time(_ epoch: Int, withTime: Bool) {
    separate()
    Timestamps.appendQuoted(epoch, withTime: withTime, to: &buffer)
  }

  public mutating func null() {
    separate()
    buffer.append(ascii: "null")
  }

  public mutating func value(_ value: JSONValue) {
    separate()
    value.write(to: &buffer)
  }

  /// `units` ÷ 10^`scale` as a JSON number without trailing zeros (`1999`, 2 → `19.99`;
  /// `1500`, 2 → `15`), the text `ExactDecimal` gives, written without allocating.
  public mutating func decimal(units: Int, scale: Int) {
    separate()
    appendDecimal(units: units, scale: scale)
  }

  /// Elements whose text up to a number is the same in every record, encoded beforehand: for
  /// each of `units`, `prefixes[i]`, `decimal(units:scale:)`'s number, then `suffix` (segment's
  /// series, `{"month":"2026-10","mrr":` 19.99 `}`, one call instead of five per element). A
  /// number equal to the one before it is copied, not formatted again (monthly MRR mostly
  /// repeats).
  public mutating func elements(prefixes: [[UInt8]], units: [Int], scale: Int, suffix: UInt8) {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { last in
      var lastCount = -1
      for (index, value) in units.enumerated() where index < prefixes.count {
        separate()
        buffer.append(prefixes[index])
        if lastCount >= 0 && value == units[index - 1] {
          buffer.append(UnsafeBufferPointer(rebasing: last[..<lastCount]))
        } else {
          let start = buffer.count
          appendDecimal(units: value, scale: scale)
          let written = UnsafeBufferPointer(rebasing: buffer.bytes[start...])
          lastCount = written.count <= last.count ? written.count : -1
          if lastCount >= 0 { _ = last.initialize(fromContentsOf: written) }
        }
        buffer.append(suffix)
      }
    }
  }

  private mutating func appendDecimal(units: Int, scale: Int) {
    if units == 0 {
      buffer.append(ASCII.digit0)
      return
    }
    if units < 0 { buffer.append(ASCII.minus) }
    var magnitude = units.magnitude
    var scale = scale
    while scale > 0 && magnitude % 10 == 0 {
      magnitude /= 10
      scale -= 1
    }
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { digits in
      var count = 0
      repeat {
        digits[count] = ASCII.digit0 + UInt8(truncatingIfNeeded: magnitude % 10)
        magnitude /= 10
        count += 1
      } while magnitude > 0
      // Digits are in reverse; pad with zeros up to the point when the value is below one.
      if scale >= count {
        buffer.append(ascii: "0.")
        for _ in 0..<(scale - count) { buffer.append(ASCII.digit0) }
      }
      for position in stride(from: count - 1, through: 0, by: -1) {
        buffer.append(digits[position])
        if position == scale && scale > 0 && scale < count { buffer.append(ASCII.dot) }
      }
    }
  }

  /// A floating-point value rounded half-even to `places` decimals, as `JSONNumber.fixed`
  /// writes it (no exponent, no trailing zeros), without building a String; null when it is
  /// not finite or beyond 10^15.
  public mutating func fixed(_ value: Double, places: Int) {
    let scaled = value * JSONNumber.power(places)
    guard scaled.isFinite, abs(scaled) < 9e15 else { return null() }
    decimal(units: Int(scaled.rounded(.toNearestOrEven)), scale: places)
  }

  @_disfavoredOverload
  public mutating func member(_ name: String, fixed value: Double, places: Int) {
    key(name)
    fixed(value, places: places)
  }

  // MARK: - Members in one call

  @_disfavoredOverload
  public mutating func member(_ name: String, _ value: JSONValue) {
    key(name)
    self.value(value)
  }

  @_disfavoredOverload
  public mutating func member(_ name: String, string text: String) {
    key(name)
    string(text)
  }

  @_disfavoredOverload
  public mutating func member(_ name: String, int number: Int) {
    key(name)
    int(number)
  }

  @_disfavoredOverload
  public mutating func object(_ name: String, _ body: (inout JSONWriter) -> Void) {
    key(name)
    openObject()
    body(&self)
    closeObject()
  }

  @_disfavoredOverload
  public mutating func array(_ name: String, _ body: (inout JSONWriter) -> Void) {
    key(name)
    openArray()
    body(&self)
    closeArray()
  }

  // MARK: - The same with literal names (`key(_: StaticString)`)

  /// `"name":` and an RFC 3339 instant (`time(_:withTime: true)`).
  public mutating func member(_ name: StaticString, time epoch: Int) {
    key(name)
    time(epoch, withTime: true)
  }

  public mutating func member(_ name: StaticString, fixed value: Double, places: Int) {
    key(name)
    fixed(value, places: places)
  }

  public mutating func member(_ name: StaticString, _ value: JSONValue) {
    key(name)
    self.value(value)
  }

  public mutating func member(_ name: StaticString, string text: String) {
    key(name)
    string(text)
  }

  public mutating func member(_ name: StaticString, int number: Int) {
    key(name)
    int(number)
  }

  public mutating func object(_ name: StaticString, _ body: (inout JSONWriter) -> Void) {
    key(name)
    openObject()
    body(&self)
    closeObject()
  }

  public mutating func array(_ name: StaticString, _ body: (inout JSONWriter) -> Void) {
    key(name)
    openArray()
    body(&self)
    closeArray()
  }
}
