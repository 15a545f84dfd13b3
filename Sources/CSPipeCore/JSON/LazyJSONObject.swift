import Glibc

/// A JSON object read from one line: checked in full when read, but each member's value is
/// built only when asked for.
///
/// Why: a stage reads a handful of a record's fields. Building the whole tree (a String for
/// every key and value, an array per object) was 40% of segment's time on canonical records.
/// Lookups scan the keys, like `JSONObject`'s (tens of keys: a scan beats hashing); the first
/// of repeated keys wins, as there.
public struct LazyJSONObject: Sendable {
  typealias Member = KeyValueSpan

  /// The line; keys with escapes are decoded and appended after it.
  var storage: [UInt8]
  var members: [Member] = []
  /// No member's value is a string with an escape (read by the plain scanner, which takes no
  /// escapes): strings are then their bytes, with no search for a backslash.
  var plainStrings = false

  init(storage: [UInt8]) {
    self.storage = storage
  }

  /// Reads one line; nil when it is valid JSON but not an object.
  public static func parse(_ line: UnsafeBufferPointer<UInt8>) throws(JSONSyntaxError) -> LazyJSONObject? {
    try JSONParser.parseLazyObject(line)
  }

  public subscript(key: String) -> JSONValue? {
    member(named: key).map(value(of:))
  }

  /// `self[key]?.stringValue` without the `JSONValue` in between (a subscription's fields are
  /// read this way for every record).
  public func string(_ key: String) -> String? {
    member(named: key).flatMap(string(of:))
  }

  /// `self[key]?.numberText` without the `JSONValue` in between.
  public func numberText(_ key: String) -> String? {
    member(named: key).flatMap(numberText(of:))
  }

  /// The canonical time under `key` in epoch seconds (`Timestamps.epochSeconds(ofCanonical:)`
  /// of its string), read from the line's bytes: no String is made for a plain value.
  public func epochSeconds(_ key: String) -> Int? {
    member(named: key).flatMap(epochSeconds(of:))
  }

  func string(of member: Member) -> String? {
    storage.withUnsafeBufferPointer { bytes in
      guard bytes[member.valueStart] == ASCII.quote else { return nil }
      let inner = UnsafeBufferPointer(rebasing: bytes[(member.valueStart + 1)..<(member.valueEnd - 1)])
      if !mayEscape(inner) { return String(decoding: inner, as: UTF8.self) }
      return value(of: member).stringValue
    }
  }

  func numberText(of member: Member) -> String? {
    storage.withUnsafeBufferPointer { bytes in
      switch bytes[member.valueStart] {
      case ASCII.minus, ASCII.digit0...ASCII.digit9:
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[member.valueStart..<member.valueEnd]), as: UTF8.self)
      default:
        return nil
      }
    }
  }

  func epochSeconds(of member: Member) -> Int? {
    storage.withUnsafeBufferPointer { bytes in
      let span = UnsafeBufferPointer(rebasing: bytes[member.valueStart..<member.valueEnd])
      guard span[0] == ASCII.quote else { return nil }
      let inner = UnsafeBufferPointer(rebasing: span[1..<(span.count - 1)])
      if mayEscape(inner) { return value(of: member).stringValue.flatMap(Timestamps.epochSeconds(ofCanonical:)) }
      return Timestamps.epochSeconds(ofCanonicalBytes: inner)
    }
  }

  /// `value(of: member).intValue` (`Int(text)` of a number) without a String for a plain one.
  func int(of member: Member) -> Int? {
    storage.withUnsafeBufferPointer { bytes -> Int? in
      let negative = bytes[member.valueStart] == ASCII.minus
      let digits = UnsafeBufferPointer(rebasing: bytes[(member.valueStart + (negative ? 1 : 0))..<member.valueEnd])
      // Up to 18 digits cannot overflow; longer, fractions and exponents go through `Int(_:)`.
      if let magnitude = Values.plainDigits(bytes: digits) { return negative ? -magnitude : magnitude }
      return value(of: member).intValue
    }
  }

  func bool(of member: Member) -> Bool? {
    storage.withUnsafeBufferPointer { bytes in
      switch bytes[member.valueStart] {
      case ASCII.lowerT: true
      case ASCII.lowerF: false
      default: nil
      }
    }
  }

  /// `body` on the bytes of the value under `key` as the line has them (JSON text, checked
  /// when the line was read); nil when absent.
  public func withRawValue<Result>(_ key: String, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result? {
    guard let member = member(named: key) else { return nil }
    return storage.withUnsafeBufferPointer { bytes in
      body(UnsafeBufferPointer(rebasing: bytes[member.valueStart..<member.valueEnd]))
    }
  }

  /// The object under `key`, itself read lazily (nil when absent or not an object).
  public func nested(_ key: String) -> LazyJSONObject? {
    guard let member = member(named: key) else { return nil }
    return storage.withUnsafeBufferPointer { bytes in
      guard bytes[member.valueStart] == ASCII.openBrace else { return nil }
      return try? JSONParser.parseLazyObject(UnsafeBufferPointer(rebasing: bytes[member.valueStart..<member.valueEnd]))
    }
  }

  /// Every member built (for code that needs the whole object).
  public var object: JSONObject {
    JSONObject(
      members.map { member in
        (String(decoding: storage[member.keyStart..<member.keyEnd], as: UTF8.self), value(of: member))
      })
  }

  /// Every member built but those named in `skipping` (a large subtree the reader does not
  /// need: stage skips score's measures).
  public func object(skipping: Set<String>) -> JSONObject {
    JSONObject(
      members.compactMap { member in
        let key = String(decoding: storage[member.keyStart..<member.keyEnd], as: UTF8.self)
        return skipping.contains(key) ? nil : (key, value(of: member))
      })
  }

  private func member(named key: String) -> Member? {
    var key = key
    return key.withUTF8 { name in
      storage.withUnsafeBufferPointer { bytes in
        guard let first = name.first else { return members.first { $0.keyEnd == $0.keyStart } }
        // The first byte tested before `memcmp`: most keys of a record's length differ there.
        for member in members where member.keyEnd - member.keyStart == name.count && bytes[member.keyStart] == first {
          if memcmp(bytes.baseAddress! + member.keyStart, name.baseAddress!, name.count) == 0 { return member }
        }
        return nil
      }
    }
  }

  /// Whether a string value's bytes (between its quotes) may hold an escape: never in a line
  /// the plain scanner read, otherwise when there is a backslash.
  private func mayEscape(_ inner: UnsafeBufferPointer<UInt8>) -> Bool {
    !plainStrings && !inner.isEmpty && memchr(inner.baseAddress!, Int32(ASCII.backslash), inner.count) != nil
  }

  func value(of member: Member) -> JSONValue {
    storage.withUnsafeBufferPointer { bytes in
      let span = UnsafeBufferPointer(rebasing: bytes[member.valueStart..<member.valueEnd])
      // The span was checked when the line was read: strings without escapes and numbers are
      // their bytes; the rest is parsed again (which cannot fail).
      switch span[0] {
      case ASCII.quote:
        let inner = UnsafeBufferPointer(rebasing: span[1..<(span.count - 1)])
        if !mayEscape(inner) { return .string(String(decoding: inner, as: UTF8.self)) }
      case ASCII.minus, ASCII.digit0...ASCII.digit9:
        return .number(String(decoding: span, as: UTF8.self))
      default:
        break
      }
      return (try? JSONParser.parse(span)) ?? .null
    }
  }
}

/// What a record reader needs of a parsed line: its members by name, and the whole object.
/// `JSONObject` (a built tree) and `LazyJSONObject` (members built when asked) both serve.
public protocol JSONRecordFields {
  subscript(key: String) -> JSONValue? { get }
  var object: JSONObject { get }
}

extension LazyJSONObject: JSONRecordFields {}

extension JSONObject: JSONRecordFields {
  public var object: JSONObject { self }
}
