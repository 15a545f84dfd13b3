import Foundation

/// Why a line is not JSON, and where (0-based byte offset in the line).
public struct JSONSyntaxError: Error, Equatable, CustomStringConvertible {
  public let offset: Int
  public let message: String
  public var description: String { "\(message) at byte \(offset + 1)" }
}

/// A strict RFC 8259 parser over bytes: one document, no trailing garbage, UTF-8 validated,
/// surrogate pairs joined, nesting bounded (hostile input cannot exhaust the stack).
public struct JSONParser {
  let bytes: UnsafeBufferPointer<UInt8>
  var index = 0
  var depth = 0
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

  init(bytes: UnsafeBufferPointer<UInt8>) {
    self.bytes = bytes
  }

  func error(_ message: String) -> JSONSyntaxError {
    JSONSyntaxError(offset: min(index, bytes.count), message: message)
  }

  mutating func skipSpace() {
    while index < bytes.count {
      switch bytes[index] {
      case ASCII.space, ASCII.tab, ASCII.lineFeed, ASCII.carriageReturn: index += 1
      default: return
      }
    }
  }

  mutating func parseValue() throws(JSONSyntaxError) -> JSONValue {
    guard index < bytes.count else { throw error("unexpected end of input") }
    switch bytes[index] {
    case ASCII.openBrace: return .object(try parseObject())
    case ASCII.openBracket: return try parseArray()
    case ASCII.quote: return .string(try parseString())
    case 0x74: return try parseLiteral("true", .bool(true))
    case 0x66: return try parseLiteral("false", .bool(false))
    case 0x6E: return try parseLiteral("null", .null)
    case ASCII.minus, ASCII.digit0...ASCII.digit9: return try parseNumber()
    default: throw error("unexpected character")
    }
  }

  mutating func parseLiteral(_ word: StaticString, _ value: JSONValue) throws(JSONSyntaxError) -> JSONValue {
    let count = word.utf8CodeUnitCount
    guard index + count <= bytes.count,
      (0..<count).allSatisfy({ bytes[index + $0] == word.utf8Start[$0] })
    else { throw error("invalid literal") }
    index += count
    return value
  }

  mutating func enter() throws(JSONSyntaxError) {
    depth += 1
    if depth > Self.maxDepth { throw error("nested deeper than \(Self.maxDepth) levels") }
  }

  mutating func parseObject() throws(JSONSyntaxError) -> JSONObject {
    var entries: [(key: String, value: JSONValue)] = []
    try parseMembers { (parser, key) throws(JSONSyntaxError) in entries.append((key, try parser.parseValue())) }
    return JSONObject(entries)
  }

  /// The object grammar once for every reader of objects: `member` is called after each key and
  /// its `:`, and reads the value.
  @inline(__always)
  mutating func parseMembers(
    _ member: (inout JSONParser, String) throws(JSONSyntaxError) -> Void
  ) throws(JSONSyntaxError) {
    try parseMembers(readKey: { (parser) throws(JSONSyntaxError) in try parser.parseString() }, member)
  }

  /// The same with the key read by `readKey` (a flat object keeps keys as byte spans).
  @inline(__always)
  mutating func parseMembers<Key>(
    readKey: (inout JSONParser) throws(JSONSyntaxError) -> Key,
    _ member: (inout JSONParser, Key) throws(JSONSyntaxError) -> Void
  ) throws(JSONSyntaxError) {
    try enter()
    defer { depth -= 1 }
    index += 1
    skipSpace()
    if index < bytes.count && bytes[index] == ASCII.closeBrace {
      index += 1
      return
    }
    while true {
      skipSpace()
      guard index < bytes.count, bytes[index] == ASCII.quote else { throw error("expected a string key") }
      let key = try readKey(&self)
      skipSpace()
      guard index < bytes.count, bytes[index] == ASCII.colon else { throw error("expected ':'") }
      index += 1
      skipSpace()
      try member(&self, key)
      skipSpace()
      guard index < bytes.count else { throw error("unterminated object") }
      if bytes[index] == ASCII.comma {
        index += 1
        continue
      }
      guard bytes[index] == ASCII.closeBrace else { throw error("expected ',' or '}'") }
      index += 1
      return
    }
  }

  mutating func parseArray() throws(JSONSyntaxError) -> JSONValue {
    var items: [JSONValue] = []
    try parseElements { (parser) throws(JSONSyntaxError) in items.append(try parser.parseValue()) }
    return .array(items)
  }

  /// The array grammar once: `element` reads each value.
  @inline(__always)
  mutating func parseElements(_ element: (inout JSONParser) throws(JSONSyntaxError) -> Void) throws(JSONSyntaxError) {
    try enter()
    defer { depth -= 1 }
    index += 1
    skipSpace()
    if index < bytes.count && bytes[index] == ASCII.closeBracket {
      index += 1
      return
    }
    while true {
      skipSpace()
      try element(&self)
      skipSpace()
      guard index < bytes.count else { throw error("unterminated array") }
      if bytes[index] == ASCII.comma {
        index += 1
        continue
      }
      guard bytes[index] == ASCII.closeBracket else { throw error("expected ',' or ']'") }
      index += 1
      return
    }
  }

  mutating func parseNumber() throws(JSONSyntaxError) -> JSONValue {
    let start = index
    try scanNumber()
    return .number(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self))
  }

  /// Moves past one number, checking its grammar.
  mutating func scanNumber() throws(JSONSyntaxError) {
    if bytes[index] == ASCII.minus { index += 1 }
    func digits(_ parser: inout JSONParser) -> Int {
      let begin = parser.index
      while parser.index < parser.bytes.count, (ASCII.digit0...ASCII.digit9).contains(parser.bytes[parser.index]) {
        parser.index += 1
      }
      return parser.index - begin
    }
    guard index < bytes.count, (ASCII.digit0...ASCII.digit9).contains(bytes[index]) else { throw error("invalid number") }
    if bytes[index] == ASCII.digit0 {
      index += 1
    } else {
      _ = digits(&self)
    }
    if index < bytes.count && bytes[index] == ASCII.dot {
      index += 1
      guard digits(&self) > 0 else { throw error("invalid number") }
    }
    if index < bytes.count && (bytes[index] == 0x65 || bytes[index] == 0x45) {
      index += 1
      if index < bytes.count && (bytes[index] == ASCII.plus || bytes[index] == ASCII.minus) { index += 1 }
      guard digits(&self) > 0 else { throw error("invalid number") }
    }
  }

  mutating func parseString() throws(JSONSyntaxError) -> String {
    index += 1
    let start = index
    // Fast path: no escapes.
    while index < bytes.count {
      let byte = bytes[index]
      if byte == ASCII.quote {
        let slice = UnsafeBufferPointer(rebasing: bytes[start..<index])
        if let bad = JSONBytes.firstInvalidUTF8(slice) {
          index = start + bad
          throw error("invalid UTF-8")
        }
        index += 1
        return String(decoding: slice, as: UTF8.self)
      }
      if byte == ASCII.backslash { break }
      if byte < ASCII.space { throw error("control character in string") }
      index += 1
    }
    var scalars: [UInt8] = Array(UnsafeBufferPointer(rebasing: bytes[start..<index]))
    while index < bytes.count {
      let byte = bytes[index]
      if byte == ASCII.quote {
        if let bad = scalars.withUnsafeBufferPointer({ JSONBytes.firstInvalidUTF8($0) }) {
          throw JSONSyntaxError(offset: start + bad, message: "invalid UTF-8")
        }
        index += 1
        return String(decoding: scalars, as: UTF8.self)
      }
      if byte < ASCII.space { throw error("control character in string") }
      if byte != ASCII.backslash {
        scalars.append(byte)
        index += 1
        continue
      }
      index += 1
      guard index < bytes.count else { throw error("unterminated escape") }
      let escape = bytes[index]
      index += 1
      switch escape {
      case ASCII.quote: scalars.append(ASCII.quote)
      case ASCII.backslash: scalars.append(ASCII.backslash)
      case ASCII.slash: scalars.append(ASCII.slash)
      case 0x62: scalars.append(0x08)
      case 0x66: scalars.append(0x0C)
      case 0x6E: scalars.append(ASCII.lineFeed)
      case 0x72: scalars.append(ASCII.carriageReturn)
      case 0x74: scalars.append(ASCII.tab)
      case 0x75:
        var code = try hex4()
        if (0xD800...0xDBFF).contains(code) {
          guard index + 1 < bytes.count, bytes[index] == ASCII.backslash, bytes[index + 1] == 0x75 else {
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
}
