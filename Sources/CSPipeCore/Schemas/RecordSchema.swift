/// The declared shape of a record kind a stage writes: its fields in output order, each with its
/// shape and whether it is always there. Writers follow it, downstream stages read by it, and
/// `validate` checks any record against it, so a stage swapped for a user's own program can be
/// checked before its output is trusted (docs/CONTRACT.md §4).
public struct RecordSchema: Sendable {
  public let kind: String
  public let fields: [FieldSpec]

  public init(kind: String, fields: [FieldSpec]) {
    self.kind = kind
    self.fields = fields
  }

  /// Every way `record` departs from the schema, as `path: problem`; empty when it conforms.
  public func validate(_ record: JSONObject) -> [String] {
    var problems: [String] = []
    if record["kind"]?.stringValue != kind {
      problems.append("kind: expected \"\(kind)\"")
    }
    Self.check(record, against: fields, at: "", into: &problems)
    return problems
  }

  /// The field declared at a dotted path (`usage.last_30_days`), for readers that take paths.
  public func field(at path: String) -> FieldSpec? {
    var specs = fields
    var found: FieldSpec?
    for name in path.split(separator: ".").map(String.init) {
      guard let spec = specs.first(where: { $0.matches(name) }) else { return nil }
      found = spec
      switch spec.shape.withoutNull {
      case .object(let nested): specs = nested
      case .map(let value): specs = [FieldSpec("*", value)]
      default: specs = []
      }
    }
    return found
  }

  static func check(_ object: JSONObject, against specs: [FieldSpec], at prefix: String, into problems: inout [String]) {
    var position = 0
    for (key, value) in object.entries {
      let path = prefix.isEmpty ? key : "\(prefix).\(key)"
      // Fields appear in declared order: search forward from the last one matched.
      guard let index = specs[position...].firstIndex(where: { $0.matches(key) }) else {
        let known = specs.contains { $0.matches(key) }
        problems.append(known ? "\(path): out of the declared order" : "\(path): not a declared field")
        continue
      }
      for skipped in specs[position..<index] where skipped.required {
        problems.append("\(prefix.isEmpty ? "" : prefix + ".")\(skipped.name): missing")
      }
      position = specs[index].isPattern ? index : index + 1
      specs[index].shape.check(value, at: path, into: &problems)
    }
    for remaining in specs[position...] where remaining.required {
      problems.append("\(prefix.isEmpty ? "" : prefix + ".")\(remaining.name): missing")
    }
  }
}

/// One field: its name (a trailing `*` matches any suffix: `past_due_*`), shape and presence.
public struct FieldSpec: Sendable {
  public let name: String
  public let shape: ValueShape
  public let required: Bool

  public init(_ name: String, _ shape: ValueShape, required: Bool = false) {
    self.name = name
    self.shape = shape
    self.required = required
  }

  var isPattern: Bool { name.hasSuffix("*") }

  func matches(_ key: String) -> Bool {
    isPattern ? key.hasPrefix(name.dropLast()) : key == name
  }
}

/// What a field holds.
public indirect enum ValueShape: Sendable {
  case string
  case integer
  /// Any JSON number (exact decimals are numbers too).
  case number
  case boolean
  /// `YYYY-MM-DD`.
  case date
  /// RFC 3339 UTC, second precision.
  case time
  case oneOf([String])
  /// The shape, or JSON null.
  case nullable(ValueShape)
  /// Known fields in declared order.
  case object([FieldSpec])
  /// Any keys, every value of one shape.
  case map(ValueShape)
  case array(ValueShape)
  /// A value carried from the input as it was (an account attribute).
  case any

  var withoutNull: ValueShape {
    if case .nullable(let inner) = self { return inner.withoutNull }
    return self
  }

  func check(_ value: JSONValue, at path: String, into problems: inout [String]) {
    func fail(_ expected: String) { problems.append("\(path): expected \(expected)") }
    switch (self, value) {
    case (.any, _): return
    case (.nullable, .null): return
    case (.nullable(let inner), _): inner.check(value, at: path, into: &problems)
    case (.string, .string): return
    case (.integer, .number(let text)):
      if Int(text) == nil { fail("a whole number") }
    case (.number, .number): return
    case (.boolean, .bool): return
    case (.date, .string(let text)):
      if !Self.isDate(text) { fail("a date (YYYY-MM-DD)") }
    case (.time, .string(let text)):
      if Timestamps.epochSeconds(ofCanonical: text) == nil || text.count != 20 { fail("a time (RFC 3339 UTC)") }
    case (.oneOf(let allowed), .string(let text)):
      if !allowed.contains(text) { fail("one of \(allowed.joined(separator: ", "))") }
    case (.object(let specs), .object(let object)):
      RecordSchema.check(object, against: specs, at: path, into: &problems)
    case (.map(let shape), .object(let object)):
      for (key, nested) in object.entries { shape.check(nested, at: "\(path).\(key)", into: &problems) }
    case (.array(let shape), .array(let items)):
      for (index, item) in items.enumerated() { shape.check(item, at: "\(path)[\(index)]", into: &problems) }
    default:
      fail(description)
    }
  }

  private static func isDate(_ text: String) -> Bool {
    let bytes = Array(text.utf8)
    guard bytes.count == 10, bytes[4] == 0x2D, bytes[7] == 0x2D else { return false }
    return bytes.enumerated().allSatisfy { $0.offset == 4 || $0.offset == 7 || ($0.element >= 0x30 && $0.element <= 0x39) }
  }

  /// The shape as a person names it, for messages and docs.
  public var description: String {
    switch self {
    case .string: return "a string"
    case .integer: return "a whole number"
    case .number: return "a number"
    case .boolean: return "true or false"
    case .date: return "a date (YYYY-MM-DD)"
    case .time: return "a time (RFC 3339 UTC)"
    case .oneOf(let values): return "one of \(values.joined(separator: ", "))"
    case .nullable(let inner): return "\(inner.description) or null"
    case .object: return "an object"
    case .map(let inner): return "an object of \(inner.description)"
    case .array(let inner): return "an array of \(inner.description)"
    case .any: return "any value"
    }
  }
}
