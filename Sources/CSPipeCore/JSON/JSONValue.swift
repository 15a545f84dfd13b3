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
      out.append(ASCII.openBracket)
      for (index, item) in items.enumerated() {
        if index > 0 { out.append(ASCII.comma) }
        item.write(to: &out)
      }
      out.append(ASCII.closeBracket)
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
    out.append(ASCII.openBrace)
    for (index, entry) in entries.enumerated() {
      if index > 0 { out.append(ASCII.comma) }
      JSONBytes.appendString(entry.key, to: &out)
      out.append(ASCII.colon)
      entry.value.write(to: &out)
    }
    out.append(ASCII.closeBrace)
  }

  public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
    lhs.entries.count == rhs.entries.count
      && zip(lhs.entries, rhs.entries).allSatisfy { $0.key == $1.key && $0.value == $1.value }
  }
}
