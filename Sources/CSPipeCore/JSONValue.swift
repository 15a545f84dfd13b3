import Glibc

/// A JSON value that keeps what NDJSON between cspipe tools needs kept: object key order and the
/// exact text of numbers (money is never squeezed through a binary float).
public enum JSONValue: Equatable, Sendable {
  case null
  case bool(Bool)
  /// The number exactly as written (`1068.00`, `-3`, `1e3`), validated as JSON.
  case number(String)
  case string(String)
  case array([JSONValue])
  case object(JSONObject)

  public var stringValue: String? {
    if case .string(let value) = self { return value }
    return nil
  }

  public var objectValue: JSONObject? {
    if case .object(let value) = self { return value }
    return nil
  }

  public var numberText: String? {
    if case .number(let text) = self { return text }
    return nil
  }

  public var boolValue: Bool? {
    if case .bool(let value) = self { return value }
    return nil
  }

  public var intValue: Int? {
    if case .number(let text) = self { return Int(text) }
    return nil
  }

  /// Writes the value as compact JSON.
  public func write<Output: ByteAppending & ~Copyable>(to out: inout Output) {
    switch self {
    case .null: out.append(ascii: "null")
    case .bool(let value): value ? out.append(ascii: "true") : out.append(ascii: "false")
    case .number(let text):
      var copy = text  // withUTF8 needs a var; a number's text is almost always a small string
      copy.withUTF8 { out.append($0) }
    case .string(let text): JSONBytes.appendString(text, to: &out)
    case .array(let items):
      out.append(0x5B)
      for (index, item) in items.enumerated() {
        if index > 0 { out.append(0x2C) }
        item.write(to: &out)
      }
      out.append(0x5D)
    case .object(let object):
      object.write(to: &out)
    }
  }

  /// Compact JSON text (tests and messages).
  public var jsonText: String {
    var bytes: [UInt8] = []
    write(to: &bytes)
    return String(decoding: bytes, as: UTF8.self)
  }
}

/// A JSON object with its keys in document order. Lookups are linear: cspipe records have tens
/// of keys, where a scan beats hashing.
public struct JSONObject: Equatable, Sendable {
  public var entries: [(key: String, value: JSONValue)]

  public init(_ entries: [(key: String, value: JSONValue)] = []) {
    self.entries = entries
  }

  public subscript(key: String) -> JSONValue? {
    get { entries.first { $0.key == key }?.value }
    set {
      if let index = entries.firstIndex(where: { $0.key == key }) {
        if let newValue { entries[index].value = newValue } else { entries.remove(at: index) }
      } else if let newValue {
        entries.append((key, newValue))
      }
    }
  }

  public var keys: [String] { entries.map(\.key) }

  public func write<Output: ByteAppending & ~Copyable>(to out: inout Output) {
    out.append(0x7B)
    for (index, entry) in entries.enumerated() {
      if index > 0 { out.append(0x2C) }
      JSONBytes.appendString(entry.key, to: &out)
      out.append(0x3A)
      entry.value.write(to: &out)
    }
    out.append(0x7D)
  }

  public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
    lhs.entries.count == rhs.entries.count
      && zip(lhs.entries, rhs.entries).allSatisfy { $0.key == $1.key && $0.value == $1.value }
  }
}

/// Why a line is not JSON, and where (0-based byte offset in the line).
public struct JSONSyntaxError: Error, Equatable, CustomStringConvertible {
  public let offset: Int
  public let message: String
  public var description: String { "\(message) at byte \(offset + 1)" }
}

/// A strict RFC 8259 parser over bytes: one document, no trailing garbage, UTF-8 validated,
/// surrogate pairs joined, nesting bounded (hostile input cannot exhaust the stack).
public struct JSONParser {
  private let bytes: UnsafeBufferPointer<UInt8>
  private var index = 0
  private var depth = 0
  public static let maxDepth = 512

  public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(JSONSyntaxError) -> JSONValue {
    var parser = JSONParser(bytes: bytes)
    parser.skipSpace()
    let value = try parser.parseValue()
    parser.skipSpace()
    if parser.index < bytes.count { throw parser.error("unexpected text after the JSON value") }
    return value
  }

  public static func parse(_ text: String) throws(JSONSyntaxError) -> JSONValue {
    let bytes = Array(text.utf8)
    let result = bytes.withUnsafeBufferPointer { buffer in
      Result { () throws(JSONSyntaxError) -> JSONValue in try parse(buffer) }
    }
    return try result.get()
  }

  private init(bytes: UnsafeBufferPointer<UInt8>) {
    self.bytes = bytes
  }

  private func error(_ message: String) -> JSONSyntaxError {
    JSONSyntaxError(offset: min(index, bytes.count), message: message)
  }

  private mutating func skipSpace() {
    while index < bytes.count {
      switch bytes[index] {
      case 0x20, 0x09, 0x0A, 0x0D: index += 1
      default: return
      }
    }
  }

  private mutating func parseValue() throws(JSONSyntaxError) -> JSONValue {
    guard index < bytes.count else { throw error("unexpected end of input") }
    switch bytes[index] {
    case 0x7B: return .object(try parseObject())
    case 0x5B: return try parseArray()
    case 0x22: return .string(try parseString())
    case 0x74: return try parseLiteral("true", .bool(true))
    case 0x66: return try parseLiteral("false", .bool(false))
    case 0x6E: return try parseLiteral("null", .null)
    case 0x2D, 0x30...0x39: return try parseNumber()
    default: throw error("unexpected character")
    }
  }

  private mutating func parseLiteral(_ word: StaticString, _ value: JSONValue) throws(JSONSyntaxError) -> JSONValue {
    let count = word.utf8CodeUnitCount
    guard index + count <= bytes.count,
      (0..<count).allSatisfy({ bytes[index + $0] == word.utf8Start[$0] })
    else { throw error("invalid literal") }
    index += count
    return value
  }

  private mutating func enter() throws(JSONSyntaxError) {
    depth += 1
    if depth > Self.maxDepth { throw error("nested deeper than \(Self.maxDepth) levels") }
  }

  private mutating func parseObject() throws(JSONSyntaxError) -> JSONObject {
    var entries: [(key: String, value: JSONValue)] = []
    try parseMembers { (parser, key) throws(JSONSyntaxError) in entries.append((key, try parser.parseValue())) }
    return JSONObject(entries)
  }

  /// The object grammar once for every reader of objects: `member` is called after each key and
  /// its `:`, and reads the value.
  @inline(__always)
  private mutating func parseMembers(
    _ member: (inout JSONParser, String) throws(JSONSyntaxError) -> Void
  ) throws(JSONSyntaxError) {
    try parseMembers(readKey: { (parser) throws(JSONSyntaxError) in try parser.parseString() }, member)
  }

  /// The same with the key read by `readKey` (a flat object keeps keys as byte spans).
  @inline(__always)
  private mutating func parseMembers<Key>(
    readKey: (inout JSONParser) throws(JSONSyntaxError) -> Key,
    _ member: (inout JSONParser, Key) throws(JSONSyntaxError) -> Void
  ) throws(JSONSyntaxError) {
    try enter()
    defer { depth -= 1 }
    index += 1
    skipSpace()
    if index < bytes.count && bytes[index] == 0x7D {
      index += 1
      return
    }
    while true {
      skipSpace()
      guard index < bytes.count, bytes[index] == 0x22 else { throw error("expected a string key") }
      let key = try readKey(&self)
      skipSpace()
      guard index < bytes.count, bytes[index] == 0x3A else { throw error("expected ':'") }
      index += 1
      skipSpace()
      try member(&self, key)
      skipSpace()
      guard index < bytes.count else { throw error("unterminated object") }
      if bytes[index] == 0x2C {
        index += 1
        continue
      }
      guard bytes[index] == 0x7D else { throw error("expected ',' or '}'") }
      index += 1
      return
    }
  }

  private mutating func parseArray() throws(JSONSyntaxError) -> JSONValue {
    var items: [JSONValue] = []
    try parseElements { (parser) throws(JSONSyntaxError) in items.append(try parser.parseValue()) }
    return .array(items)
  }

  /// The array grammar once: `element` reads each value.
  @inline(__always)
  private mutating func parseElements(_ element: (inout JSONParser) throws(JSONSyntaxError) -> Void) throws(JSONSyntaxError) {
    try enter()
    defer { depth -= 1 }
    index += 1
    skipSpace()
    if index < bytes.count && bytes[index] == 0x5D {
      index += 1
      return
    }
    while true {
      skipSpace()
      try element(&self)
      skipSpace()
      guard index < bytes.count else { throw error("unterminated array") }
      if bytes[index] == 0x2C {
        index += 1
        continue
      }
      guard bytes[index] == 0x5D else { throw error("expected ',' or ']'") }
      index += 1
      return
    }
  }

  private mutating func parseNumber() throws(JSONSyntaxError) -> JSONValue {
    let start = index
    try scanNumber()
    return .number(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self))
  }

  /// Moves past one number, checking its grammar.
  private mutating func scanNumber() throws(JSONSyntaxError) {
    if bytes[index] == 0x2D { index += 1 }
    func digits(_ parser: inout JSONParser) -> Int {
      let begin = parser.index
      while parser.index < parser.bytes.count, (0x30...0x39).contains(parser.bytes[parser.index]) {
        parser.index += 1
      }
      return parser.index - begin
    }
    guard index < bytes.count, (0x30...0x39).contains(bytes[index]) else { throw error("invalid number") }
    if bytes[index] == 0x30 {
      index += 1
    } else {
      _ = digits(&self)
    }
    if index < bytes.count && bytes[index] == 0x2E {
      index += 1
      guard digits(&self) > 0 else { throw error("invalid number") }
    }
    if index < bytes.count && (bytes[index] == 0x65 || bytes[index] == 0x45) {
      index += 1
      if index < bytes.count && (bytes[index] == 0x2B || bytes[index] == 0x2D) { index += 1 }
      guard digits(&self) > 0 else { throw error("invalid number") }
    }
  }

  private mutating func parseString() throws(JSONSyntaxError) -> String {
    index += 1
    let start = index
    // Fast path: no escapes.
    while index < bytes.count {
      let byte = bytes[index]
      if byte == 0x22 {
        let slice = UnsafeBufferPointer(rebasing: bytes[start..<index])
        if let bad = JSONBytes.firstInvalidUTF8(slice) {
          index = start + bad
          throw error("invalid UTF-8")
        }
        index += 1
        return String(decoding: slice, as: UTF8.self)
      }
      if byte == 0x5C { break }
      if byte < 0x20 { throw error("control character in string") }
      index += 1
    }
    var scalars: [UInt8] = Array(UnsafeBufferPointer(rebasing: bytes[start..<index]))
    while index < bytes.count {
      let byte = bytes[index]
      if byte == 0x22 {
        if let bad = scalars.withUnsafeBufferPointer({ JSONBytes.firstInvalidUTF8($0) }) {
          throw JSONSyntaxError(offset: start + bad, message: "invalid UTF-8")
        }
        index += 1
        return String(decoding: scalars, as: UTF8.self)
      }
      if byte < 0x20 { throw error("control character in string") }
      if byte != 0x5C {
        scalars.append(byte)
        index += 1
        continue
      }
      index += 1
      guard index < bytes.count else { throw error("unterminated escape") }
      let escape = bytes[index]
      index += 1
      switch escape {
      case 0x22: scalars.append(0x22)
      case 0x5C: scalars.append(0x5C)
      case 0x2F: scalars.append(0x2F)
      case 0x62: scalars.append(0x08)
      case 0x66: scalars.append(0x0C)
      case 0x6E: scalars.append(0x0A)
      case 0x72: scalars.append(0x0D)
      case 0x74: scalars.append(0x09)
      case 0x75:
        var code = try hex4()
        if (0xD800...0xDBFF).contains(code) {
          guard index + 1 < bytes.count, bytes[index] == 0x5C, bytes[index + 1] == 0x75 else {
            throw error("unpaired surrogate")
          }
          index += 2
          let low = try hex4()
          guard (0xDC00...0xDFFF).contains(low) else { throw error("unpaired surrogate") }
          code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00...0xDFFF).contains(code) {
          throw error("unpaired surrogate")
        }
        guard let scalar = Unicode.Scalar(code) else { throw error("invalid escape") }
        scalars.append(contentsOf: Array(String(Character(scalar)).utf8))
      default:
        throw error("invalid escape")
      }
    }
    throw error("unterminated string")
  }

  // MARK: - Objects read lazily

  /// A document that is an object, checked in full but with its members' values left as
  /// spans of the line, built when asked for (`LazyJSONObject`). Nil when the document is
  /// valid JSON but not an object. Same grammar, errors and offsets as `parse`.
  public static func parseLazyObject(_ bytes: UnsafeBufferPointer<UInt8>) throws(JSONSyntaxError) -> LazyJSONObject? {
    if let object = scanPlainObject(bytes) { return object }
    var parser = JSONParser(bytes: bytes)
    parser.skipSpace()
    guard parser.index < bytes.count, bytes[parser.index] == 0x7B else { return try parseNonObject(bytes) }
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
      while i < count, base[i] == 0x20 || base[i] == 0x09 || base[i] == 0x0A || base[i] == 0x0D { i += 1 }
    }

    /// Moves past a string whose opening quote is at `i`; false when it is not plain (an
    /// escape, a control character, invalid UTF-8, no closing quote).
    @inline(__always) mutating func string() -> Bool {
      let raw = UnsafeRawPointer(base)
      i += 1
      while i < count {
        while i + 8 <= count, !JSONBytes.mayNeedEscape(raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) { i += 8 }
        guard i < count else { return false }
        let byte = base[i]
        if byte == 0x22 {
          i += 1
          return true
        }
        if byte < 0x80 {
          if byte == 0x5C || byte < 0x20 { return false }
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
      while i < count, base[i] &- 0x30 < 10 { i += 1 }
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
      case 0x22:
        return string()
      case 0x2D, 0x30...0x39:
        if base[i] == 0x2D { i += 1 }
        guard i < count else { return false }
        if base[i] == 0x30 {
          i += 1
        } else if digits() == 0 {
          return false
        }
        if at(0x2E) {
          i += 1
          guard digits() > 0 else { return false }
        }
        if at(0x65) || at(0x45) {
          i += 1
          if at(0x2B) || at(0x2D) { i += 1 }
          guard digits() > 0 else { return false }
        }
        return true
      case 0x74: return literal("true")
      case 0x66: return literal("false")
      case 0x6E: return literal("null")
      case 0x7B, 0x5B:
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

    /// Reads `{ member, … }` from `i`: `member(key range)` is called with `i` at the value and
    /// must move past it. Nil when anything is not plain.
    @inline(__always) mutating func members(_ member: (inout PlainScanner, Range<Int>) -> Bool) -> Bool {
      guard at(0x7B) else { return false }
      i += 1
      skipSpace()
      if at(0x7D) {
        i += 1
        return true
      }
      while true {
        skipSpace()
        guard at(0x22) else { return false }
        let keyStart = i + 1
        guard string() else { return false }
        let key = keyStart..<(i - 1)
        skipSpace()
        guard at(0x3A) else { return false }
        i += 1
        skipSpace()
        guard member(&self, key) else { return false }
        skipSpace()
        if at(0x2C) {
          i += 1
          continue
        }
        guard at(0x7D) else { return false }
        i += 1
        return true
      }
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
  /// checked by the exact parser in place.
  static func scanPlainObject(_ bytes: UnsafeBufferPointer<UInt8>) -> LazyJSONObject? {
    guard var scanner = PlainScanner(bytes) else { return nil }
    var object = LazyJSONObject(storage: Array(bytes))
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
        let isFlat = flat == nil && scanner.at(0x7B) && key.count == flatName.count
          && memcmp(scanner.base + key.lowerBound, flatName.baseAddress!, key.count) == 0
        if isFlat {
          var fields = FlatFields()
          fields.storage = Array(bytes)
          fields.spans.reserveCapacity(32)
          let fieldsRead = scanner.members { scanner, name in
            let start = scanner.i + 1
            guard scanner.at(0x22), scanner.string() else { return false }
            fields.add(.init(keyStart: name.lowerBound, keyEnd: name.upperBound, valueStart: start, valueEnd: scanner.i - 1))
            return true
          }
          guard fieldsRead else { return false }
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

  /// For readers of objects given something else: the syntax error, as `parse` reports it, or
  /// nil for valid JSON that is not an object.
  private static func parseNonObject<T>(_ bytes: UnsafeBufferPointer<UInt8>) throws(JSONSyntaxError) -> T? {
    _ = try parse(bytes)
    return nil
  }

  /// Checks one value against the grammar without building it (nothing is allocated unless a
  /// string has escapes).
  private mutating func skipValue() throws(JSONSyntaxError) {
    guard index < bytes.count else { throw error("unexpected end of input") }
    var scratch: [UInt8] = []
    switch bytes[index] {
    case 0x7B:
      try parseMembers(readKey: { (parser) throws(JSONSyntaxError) in _ = try parser.stringSpan(in: &scratch) }) {
        (parser, _) throws(JSONSyntaxError) in try parser.skipValue()
      }
    case 0x5B: try parseElements { (parser) throws(JSONSyntaxError) in try parser.skipValue() }
    case 0x22: _ = try stringSpan(in: &scratch)
    case 0x74: _ = try parseLiteral("true", .bool(true))
    case 0x66: _ = try parseLiteral("false", .bool(false))
    case 0x6E: _ = try parseLiteral("null", .null)
    case 0x2D, 0x30...0x39: try scanNumber()
    default: throw error("unexpected character")
    }
  }

  // MARK: - Objects of strings, read flat

  /// A document that is an object, with the object under `flatKey` read as `FlatFields` (its
  /// values must be strings; the first that is not is named in `notString`) and every other
  /// member as a value. Same grammar, errors and offsets as `parse`. Nil when the document is
  /// not an object (the caller asks `parse` what it is).
  public static func parseObject(
    _ bytes: UnsafeBufferPointer<UInt8>, flatKey: String
  ) throws(JSONSyntaxError) -> (object: JSONObject, flat: FlatFields?, notString: String?)? {
    if let read = scanPlainRawLine(bytes, flatKey: flatKey) { return read }
    var parser = JSONParser(bytes: bytes)
    parser.skipSpace()
    guard parser.index < bytes.count, bytes[parser.index] == 0x7B else { return try parseNonObject(bytes) }
    var entries: [(key: String, value: JSONValue)] = []
    var flat: FlatFields?
    var notString: String?
    try parser.parseMembers { (parser, key) throws(JSONSyntaxError) in
      if key == flatKey, flat == nil, parser.index < bytes.count, bytes[parser.index] == 0x7B {
        var fields = FlatFields()
        notString = try parser.parseFlatObject(into: &fields)
        flat = fields
      } else {
        entries.append((key, try parser.parseValue()))
      }
    }
    parser.skipSpace()
    if parser.index < bytes.count { throw parser.error("unexpected text after the JSON value") }
    return (JSONObject(entries), flat, notString)
  }

  /// Reads an object's members into `fields`; returns the name of the first member whose
  /// value is not a string (still parsed, so that syntax errors are found).
  private mutating func parseFlatObject(into fields: inout FlatFields) throws(JSONSyntaxError) -> String? {
    // The storage starts as a copy of the line: a string without escapes is a span of it (one
    // copy for the whole record); a string with escapes is decoded and appended.
    fields.storage = Array(bytes)
    var notString: String?
    try parseMembers(readKey: { (parser) throws(JSONSyntaxError) in try parser.stringSpan(in: &fields.storage) }) {
      (parser, key) throws(JSONSyntaxError) in
      if parser.index < parser.bytes.count && parser.bytes[parser.index] == 0x22 {
        let value = try parser.stringSpan(in: &fields.storage)
        fields.add(.init(keyStart: key.lowerBound, keyEnd: key.upperBound, valueStart: value.lowerBound, valueEnd: value.upperBound))
      } else {
        _ = try parser.parseValue()
        if notString == nil { notString = String(decoding: fields.storage[key], as: UTF8.self) }
      }
    }
    return notString
  }

  /// Where a string's decoded UTF-8 is in `storage` (a copy of the input): its own bytes when
  /// it has no escape (the common case), else its decoded form appended through `parseString`.
  private mutating func stringSpan(in storage: inout [UInt8]) throws(JSONSyntaxError) -> Range<Int> {
    let opening = index
    index += 1
    let start = index
    let base = UnsafeRawPointer(bytes.baseAddress!)
    // UTF-8 is validated on the way (one pass), but reported only at the closing quote, so
    // that errors come in the order `parseString` finds them.
    var firstInvalid: Int?
    while index < bytes.count {
      // Eight plain ASCII bytes per step.
      while index + 8 <= bytes.count, !JSONBytes.mayNeedEscape(base.loadUnaligned(fromByteOffset: index, as: UInt64.self)) {
        index += 8
      }
      guard index < bytes.count else { break }
      let byte = bytes[index]
      if byte == 0x22 {
        if let firstInvalid {
          index = firstInvalid
          throw error("invalid UTF-8")
        }
        index += 1
        return start..<(index - 1)
      }
      if byte == 0x5C || byte < 0x20 { break }
      if byte >= 0x80 {
        let length = JSONBytes.validUTF8SequenceLength(bytes, at: index)
        if length == 0 && firstInvalid == nil { firstInvalid = index }
        index += max(length, 1)
      } else {
        index += 1
      }
    }
    index = opening
    let decoded = try parseString()
    let begin = storage.count
    storage.append(contentsOf: decoded.utf8)
    return begin..<storage.count
  }

  private mutating func hex4() throws(JSONSyntaxError) -> UInt32 {
    guard index + 4 <= bytes.count else { throw error("invalid \\u escape") }
    var value: UInt32 = 0
    for _ in 0..<4 {
      let byte = bytes[index]
      let digit: UInt8
      switch byte {
      case 0x30...0x39: digit = byte - 0x30
      case 0x41...0x46: digit = byte - 0x41 + 10
      case 0x61...0x66: digit = byte - 0x61 + 10
      default: throw error("invalid \\u escape")
      }
      value = value << 4 | UInt32(digit)
      index += 1
    }
    return value
  }
}
