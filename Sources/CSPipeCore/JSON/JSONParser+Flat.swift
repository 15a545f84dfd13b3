import Foundation

/// The flat path: an object whose `fields` member is read as flat strings (normalise reads
/// raw records).
extension JSONParser {

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
    guard parser.index < bytes.count, bytes[parser.index] == ASCII.openBrace else { return try parseNonObject(bytes) }
    var entries: [(key: String, value: JSONValue)] = []
    var flat: FlatFields?
    var notString: String?
    try parser.parseMembers { (parser, key) throws(JSONSyntaxError) in
      if key == flatKey, flat == nil, parser.index < bytes.count, bytes[parser.index] == ASCII.openBrace {
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
  mutating func parseFlatObject(into fields: inout FlatFields) throws(JSONSyntaxError) -> String? {
    // The storage starts as a copy of the line: a string without escapes is a span of it (one
    // copy for the whole record); a string with escapes is decoded and appended.
    fields.storage = Array(bytes)
    var notString: String?
    try parseMembers(readKey: { (parser) throws(JSONSyntaxError) in try parser.stringSpan(in: &fields.storage) }) {
      (parser, key) throws(JSONSyntaxError) in
      if parser.index < parser.bytes.count && parser.bytes[parser.index] == ASCII.quote {
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
  mutating func stringSpan(in storage: inout [UInt8]) throws(JSONSyntaxError) -> Range<Int> {
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
      if byte == ASCII.quote {
        if let firstInvalid {
          index = firstInvalid
          throw error("invalid UTF-8")
        }
        index += 1
        return start..<(index - 1)
      }
      if byte == ASCII.backslash || byte < ASCII.space { break }
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

  mutating func hex4() throws(JSONSyntaxError) -> UInt32 {
    guard index + 4 <= bytes.count else { throw error("invalid \\u escape") }
    var value: UInt32 = 0
    for _ in 0..<4 {
      let byte = bytes[index]
      let digit: UInt8
      switch byte {
      case ASCII.digit0...ASCII.digit9: digit = byte - ASCII.digit0
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
