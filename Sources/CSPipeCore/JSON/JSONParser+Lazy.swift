import Foundation

/// The lazy path: an object checked in full, its values built only when asked for (segment
/// reads a few fields of each canonical record).
extension JSONParser {

  /// A document that is an object, checked in full but with its members' values left as
  /// spans of the line, built when asked for (`LazyJSONObject`). Nil when the document is
  /// valid JSON but not an object. Same grammar, errors and offsets as `parse`.
  public static func parseLazyObject(_ bytes: UnsafeBufferPointer<UInt8>) throws(JSONSyntaxError) -> LazyJSONObject? {
    if let object = scanPlainObject(bytes) { return object }
    var parser = JSONParser(bytes: bytes)
    parser.skipSpace()
    guard parser.index < bytes.count, bytes[parser.index] == ASCII.openBrace else { return try parseNonObject(bytes) }
    var object = LazyJSONObject(storage: Array(bytes))
    object.members.reserveCapacity(24)
    try parser.parseMembers(readKey: { (parser) throws(JSONSyntaxError) in try parser.stringSpan(in: &object.storage) }) {
      (parser, key) throws(JSONSyntaxError) in
      let start = parser.index
      try parser.skipValue()
      object.members.append(.init(keyStart: key.lowerBound, keyEnd: key.upperBound, valueStart: start, valueEnd: parser.index))
    }
    parser.skipSpace()
    if parser.index < bytes.count { throw parser.error("unexpected text after the JSON value") }
    return object
  }

  /// A cursor for the fast paths below: plain tokens only, every check local, `false` or nil
  /// on anything unusual (the exact parser then reads the line again).
  private struct PlainScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    let base: UnsafePointer<UInt8>
    let count: Int
    var i = 0

    init?(_ bytes: UnsafeBufferPointer<UInt8>) {
      guard let base = bytes.baseAddress else { return nil }
      self.bytes = bytes
      self.base = base
      count = bytes.count
    }

    @inline(__always) func at(_ byte: UInt8) -> Bool { i < count && base[i] == byte }

    @inline(__always) mutating func skipSpace() {
      while i < count, base[i] == ASCII.space || base[i] == ASCII.tab || base[i] == ASCII.lineFeed || base[i] == ASCII.carriageReturn {
        i += 1
      }
    }

    /// Moves past a string whose opening quote is at `i`; false when it is not plain (an
    /// escape, a control character, invalid UTF-8, no closing quote).
    @inline(__always) mutating func string() -> Bool {
      let raw = UnsafeRawPointer(base)
      i += 1
      while i < count {
        // Eight bytes a step, then straight to the first that needs a look (the closing quote,
        // mostly): short values end inside the first word.
        while i + 8 <= count {
          let attention = JSONBytes.attentionBits(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)))
          if attention != 0 {
            i += attention.trailingZeroBitCount >> 3
            break
          }
          i += 8
        }
        guard i < count else { return false }
        let byte = base[i]
        if byte == ASCII.quote {
          i += 1
          return true
        }
        if byte < 0x80 {
          if byte == ASCII.backslash || byte < ASCII.space { return false }
          i += 1
        } else {
          let length = JSONBytes.validUTF8SequenceLength(bytes, at: i)
          if length == 0 { return false }
          i += length
        }
      }
      return false
    }

    @inline(__always) mutating func digits() -> Int {
      let start = i
      while i < count, base[i] &- ASCII.digit0 < 10 { i += 1 }
      return i - start
    }

    @inline(__always) mutating func literal(_ word: StaticString) -> Bool {
      let length = word.utf8CodeUnitCount
      guard i + length <= count, memcmp(base + i, word.utf8Start, length) == 0 else { return false }
      i += length
      return true
    }

    /// Moves past any value: plain scalars here, objects and arrays through the exact parser
    /// (which also counts their depth). False when the value is not plain or not valid.
    @inline(__always) mutating func value() -> Bool {
      guard i < count else { return false }
      switch base[i] {
      case ASCII.quote:
        return string()
      case ASCII.minus, ASCII.digit0...ASCII.digit9:
        if base[i] == ASCII.minus { i += 1 }
        guard i < count else { return false }
        if base[i] == ASCII.digit0 {
          i += 1
        } else if digits() == 0 {
          return false
        }
        if at(ASCII.dot) {
          i += 1
          guard digits() > 0 else { return false }
        }
        if at(0x65) || at(0x45) {
          i += 1
          if at(ASCII.plus) || at(ASCII.minus) { i += 1 }
          guard digits() > 0 else { return false }
        }
        return true
      case 0x74: return literal("true")
      case 0x66: return literal("false")
      case 0x6E: return literal("null")
      case ASCII.openBrace, ASCII.openBracket:
        // Plain and shallow (a record's `source`): scanned here, where the exact parser's
        // string reader was a quarter of reading a canonical line. Anything else, in place by
        // the exact parser, which also counts the depth.
        let start = i
        if container(levels: Self.plainLevels) { return true }
        i = start
        var parser = JSONParser(bytes: bytes)
        parser.index = i
        parser.depth = 1
        guard (try? parser.skipValue()) != nil else { return false }
        i = parser.index
        return true
      default:
        return false
      }
    }

    /// How deep the scanner itself follows objects and arrays inside a member's value.
    static let plainLevels = 4

    /// Moves past the object or array at `i` when it and everything in it is plain and nested
    /// at most `levels` deep; false otherwise (the caller restores `i`).
    mutating func container(levels: Int) -> Bool {
      guard levels > 0 else { return false }
      if base[i] == ASCII.openBrace {
        return members { scanner, _ in scanner.nestedValue(levels: levels - 1) }
      }
      i += 1
      skipSpace()
      if at(ASCII.closeBracket) {
        i += 1
        return true
      }
      while true {
        skipSpace()
        guard nestedValue(levels: levels - 1) else { return false }
        skipSpace()
        if at(ASCII.comma) {
          i += 1
          continue
        }
        guard at(ASCII.closeBracket) else { return false }
        i += 1
        return true
      }
    }

    /// A value inside a container: scalars as `value` reads them, containers while `levels` last.
    mutating func nestedValue(levels: Int) -> Bool {
      guard i < count else { return false }
      if base[i] == ASCII.openBrace || base[i] == ASCII.openBracket { return container(levels: levels) }
      return value()
    }

    /// Reads `{ member, … }` from `i`: `member(key range)` is called with `i` at the value and
    /// must move past it. Nil when anything is not plain.
    @inline(__always) mutating func members(_ member: (inout PlainScanner, Range<Int>) -> Bool) -> Bool {
      guard at(ASCII.openBrace) else { return false }
      i += 1
      skipSpace()
      if at(ASCII.closeBrace) {
        i += 1
        return true
      }
      while true {
        skipSpace()
        guard at(ASCII.quote) else { return false }
        let keyStart = i + 1
        guard string() else { return false }
        let key = keyStart..<(i - 1)
        skipSpace()
        guard at(ASCII.colon) else { return false }
        i += 1
        skipSpace()
        guard member(&self, key) else { return false }
        skipSpace()
        if at(ASCII.comma) {
          i += 1
          continue
        }
        guard at(ASCII.closeBrace) else { return false }
        i += 1
        return true
      }
    }

    /// Reads `{ "name": "value", … }` from `i` as flat fields (spans of a copy of the bytes);
    /// nil when any value is not a string, or anything is not plain JSON. A value with an
    /// escape (a name with quotes) is decoded by the exact parser's own `stringSpan`, in place:
    /// sending the whole line to the exact parser cost three plain scans.
    mutating func flatMembers() -> FlatFields? {
      var fields = FlatFields()
      fields.storage = Array(bytes)
      fields.spans.reserveCapacity(32)
      let read = members { scanner, name in
        guard scanner.at(ASCII.quote) else { return false }
        let opening = scanner.i
        if scanner.string() {
          fields.add(.init(keyStart: name.lowerBound, keyEnd: name.upperBound, valueStart: opening + 1, valueEnd: scanner.i - 1))
          return true
        }
        var parser = JSONParser(bytes: scanner.bytes)
        parser.index = opening
        guard let value = try? parser.stringSpan(in: &fields.storage) else { return false }
        scanner.i = parser.index
        fields.add(.init(keyStart: name.lowerBound, keyEnd: name.upperBound, valueStart: value.lowerBound, valueEnd: value.upperBound))
        return true
      }
      return read ? fields : nil
    }

    /// True when only spaces are left.
    mutating func atEnd() -> Bool {
      skipSpace()
      return i == count
    }
  }

  /// The lazy reader's fast path for the common line: an object whose keys and strings have no
  /// escapes, in one tight loop over the bytes. Anything else (an escape, a control
  /// character, invalid UTF-8, any syntax error) returns nil, and the exact parser reads the
  /// line again, so errors and results are the exact parser's. Nested objects and arrays are
  /// scanned too while plain and shallow, and checked by the exact parser in place otherwise.
  static func scanPlainObject(_ bytes: UnsafeBufferPointer<UInt8>) -> LazyJSONObject? {
    guard var scanner = PlainScanner(bytes) else { return nil }
    var object = LazyJSONObject(storage: Array(bytes))
    object.plainStrings = true
    object.members.reserveCapacity(24)
    scanner.skipSpace()
    let read = scanner.members { scanner, key in
      let start = scanner.i
      guard scanner.value() else { return false }
      object.members.append(.init(keyStart: key.lowerBound, keyEnd: key.upperBound, valueStart: start, valueEnd: scanner.i))
      return true
    }
    return read && scanner.atEnd() ? object : nil
  }

  /// The raw reader's fast path, on the same terms: the member named `flatKey` read flat when
  /// all its values are plain strings, the other members built by the exact parser in place.
  static func scanPlainRawLine(
    _ bytes: UnsafeBufferPointer<UInt8>, flatKey: String
  ) -> (object: JSONObject, flat: FlatFields?, notString: String?)? {
    guard var scanner = PlainScanner(bytes) else { return nil }
    var entries: [(key: String, value: JSONValue)] = []
    var flat: FlatFields?
    var flatName = flatKey
    scanner.skipSpace()
    let read = flatName.withUTF8 { flatName in
      scanner.members { scanner, key in
        let isFlat =
          flat == nil && scanner.at(ASCII.openBrace) && key.count == flatName.count
          && memcmp(scanner.base + key.lowerBound, flatName.baseAddress!, key.count) == 0
        if isFlat {
          guard let fields = scanner.flatMembers() else { return false }
          flat = fields
          return true
        }
        var parser = JSONParser(bytes: bytes)
        parser.index = scanner.i
        parser.depth = 1
        guard let value = try? parser.parseValue() else { return false }
        scanner.i = parser.index
        entries.append((String(decoding: UnsafeBufferPointer(rebasing: bytes[key]), as: UTF8.self), value))
        return true
      }
    }
    return read && scanner.atEnd() ? (JSONObject(entries), flat, nil) : nil
  }

  /// The raw reader's fastest path, for a line whose envelope the caller has already matched:
  /// the `fields` object at `offset`, all plain strings, then the envelope's closing brace and
  /// the end of the line. Nil for anything else (the caller parses the whole line).
  public static func scanPlainFieldsTail(_ bytes: UnsafeBufferPointer<UInt8>, from offset: Int) -> FlatFields? {
    guard var scanner = PlainScanner(bytes) else { return nil }
    scanner.i = offset
    guard let fields = scanner.flatMembers() else { return nil }
    scanner.skipSpace()
    guard scanner.at(ASCII.closeBrace) else { return nil }
    scanner.i += 1
    return scanner.atEnd() ? fields : nil
  }

  /// For readers of objects given something else: the syntax error, as `parse` reports it, or
  /// nil for valid JSON that is not an object.
  static func parseNonObject<T>(_ bytes: UnsafeBufferPointer<UInt8>) throws(JSONSyntaxError) -> T? {
    _ = try parse(bytes)
    return nil
  }

  /// Checks one value against the grammar without building it (nothing is allocated unless a
  /// string has escapes).
  mutating func skipValue() throws(JSONSyntaxError) {
    guard index < bytes.count else { throw error("unexpected end of input") }
    var scratch: [UInt8] = []
    switch bytes[index] {
    case ASCII.openBrace:
      try parseMembers(readKey: { (parser) throws(JSONSyntaxError) in _ = try parser.stringSpan(in: &scratch) }) {
        (parser, _) throws(JSONSyntaxError) in try parser.skipValue()
      }
    case ASCII.openBracket: try parseElements { (parser) throws(JSONSyntaxError) in try parser.skipValue() }
    case ASCII.quote: _ = try stringSpan(in: &scratch)
    case 0x74: _ = try parseLiteral("true", .bool(true))
    case 0x66: _ = try parseLiteral("false", .bool(false))
    case 0x6E: _ = try parseLiteral("null", .null)
    case ASCII.minus, ASCII.digit0...ASCII.digit9: try scanNumber()
    default: throw error("unexpected character")
    }
  }
}
