import CSPipeCore
import Foundation

/// A raw record as `ingest` writes it, read back for normalising.
struct RawRecord {
  let tag: SourceTag
  let file: String
  let line: Int
  let fields: FlatFields

  var hasNilMarkers: Bool { fields.hasNilMarkers }

  /// A record or the reason it is not a raw record; nil when the line is JSON but not an object.
  typealias Reading = (record: RawRecord?, problem: String?)

  /// Parses one line, the `fields` object read flat (no tree, no dictionary).
  static func parse(_ line: UnsafeBufferPointer<UInt8>) throws(JSONSyntaxError) -> Reading? {
    guard let (object, fields, notString) = try JSONParser.parseObject(line, flatKey: "fields") else { return nil }
    return read(object, fields: fields, notString: notString)
  }

  /// Reads the raw envelope; nil with a reason when the object is not a raw record.
  static func read(_ object: JSONObject, fields: FlatFields?, notString: String?) -> Reading {
    guard object["kind"]?.stringValue == "raw" else {
      return (nil, "expected a raw record (\"kind\":\"raw\", as ingest writes)")
    }
    guard let source = object["source"]?.objectValue, let system = source["system"]?.stringValue,
      let dataset = source["dataset"]?.stringValue
    else { return (nil, "the record has no source system and dataset") }
    guard let fields else {
      return (nil, "the record has no \"fields\" object")
    }
    if let notString {
      return (nil, "field \(notString.debugDescription) is not a string (raw values are strings)")
    }
    return (
      RawRecord(
        tag: SourceTag(system: system, dataset: dataset), file: source["file"]?.stringValue ?? "",
        line: source["line"]?.intValue ?? 0, fields: fields),
      nil
    )
  }
}

/// Reads raw records, comparing each line's envelope with the one before instead of parsing
/// it: ingest writes runs of records from one file, whose lines agree up to the line number
/// (`RawEnvelope.prefix`). Only the line number and the fields are then scanned; any other line
/// goes through `RawRecord.parse`, with the same result.
final class RawRecordReader {
  private var prefix: [UInt8] = []
  private var tag = SourceTag(system: "", dataset: "")
  private var file = ""
  private static let fieldsOpen = Array(#"},"fields":"#.utf8)

  func parse(_ line: UnsafeBufferPointer<UInt8>) throws(JSONSyntaxError) -> RawRecord.Reading? {
    if let number = lineNumber(line), let fields = JSONParser.scanPlainFieldsTail(line, from: number.fieldsAt) {
      return (RawRecord(tag: tag, file: file, line: number.line, fields: fields), nil)
    }
    guard let reading = try RawRecord.parse(line) else { return nil }
    if let raw = reading.record, raw.tag != tag || raw.file != file || prefix.isEmpty {
      (tag, file) = (raw.tag, raw.file)
      prefix = RawEnvelope.prefix(raw.tag, file: raw.file)
    }
    return reading
  }

  /// The line number of a line that starts with the last envelope, and where its fields begin:
  /// digits as JSON writes an integer (no sign, no leading zero), then `},"fields":{`.
  private func lineNumber(_ line: UnsafeBufferPointer<UInt8>) -> (line: Int, fieldsAt: Int)? {
    guard !prefix.isEmpty, line.count > prefix.count + Self.fieldsOpen.count,
      memcmp(line.baseAddress!, prefix, prefix.count) == 0
    else { return nil }
    guard let (number, index) = RawEnvelope.plainInteger(line, at: prefix.count),
      line.count - index > Self.fieldsOpen.count, memcmp(line.baseAddress! + index, Self.fieldsOpen, Self.fieldsOpen.count) == 0,
      line[index + Self.fieldsOpen.count] == ASCII.openBrace
    else { return nil }
    return (number, index + Self.fieldsOpen.count)
  }
}

/// A record turned into canonical fields, before identity and `--as-of` are applied.
struct CanonicalFields {
  /// The values in canonical order.
  var values = NamedList<JSONValue>()
  /// Epoch seconds of every date and time field, for `--as-of`.
  var times = NamedList<Int>()

  subscript(name: String) -> JSONValue? {
    get { values[name] }
    set { values[name] = newValue }
  }
}

/// A record's few fields by name, in the order added: a list searched by name, not a
/// dictionary hashing each name per record. Setting nil removes the entry.
struct NamedList<Value> {
  /// `member`: the name as written before its value (`,"name":`), when the caller prepared it.
  private(set) var entries: [(name: String, value: Value, member: [UInt8])] = []

  mutating func append(_ name: String, _ value: Value, member: [UInt8] = []) { entries.append((name, value, member)) }

  mutating func reserveCapacity(_ count: Int) { entries.reserveCapacity(count) }

  subscript(name: String) -> Value? {
    get { entries.first { $0.name == name }?.value }
    set {
      if let index = entries.firstIndex(where: { $0.name == name }) {
        if let newValue { entries[index].value = newValue } else { entries.remove(at: index) }
      } else if let newValue {
        entries.append((name, newValue, []))
      }
    }
  }
}

/// A field whose value cannot be made canonical: the record is rejected, naming the field.
struct FieldError: Error {
  let field: String
  let message: String
}

/// Converts the fields of raw records under one validated mapping.
struct RecordConverter {
  let mapping: ValidatedMapping

  /// The first source value of `rule` that is present and not a placeholder.
  ///
  /// A name ending in `[*]` gathers every repeat of an XML element (`labels.label`,
  /// `labels.label[2]`, …), joined by the rule's separator (a space by default).
  func sourceValue(_ compiled: CompiledFieldRule, in raw: RawRecord) -> (text: String, field: String)? {
    // Through the compiled rule, a class: binding `compiled.rule` copied the rule (a dozen
    // optional strings, each retained) for every field of every record.
    for source in compiled.sources {
      if source.gathers {
        var parts: [String] = []
        var position = 1
        while let text = raw.fields[position == 1 ? source.name : "\(source.name)[\(position)]"] {
          if !isPlaceholder(text, field: source.name, in: raw) { parts.append(text) }
          position += 1
        }
        if !parts.isEmpty { return (parts.joined(separator: compiled.rule.separator ?? " "), source.name) }
        continue
      }
      // The value is tested on its bytes; a String is made only for the one used.
      let found = source.bytes.withUnsafeBufferPointer { name in
        raw.fields.withValue(named: name) { value in
          isPlaceholder(value, field: source.name, in: raw) ? nil : String(decoding: value, as: UTF8.self)
        }
      }
      guard case .some(.some(let text)) = found else { continue }
      return (text, source.name)
    }
    if let constant = compiled.rule.value { return (constant, "") }
    if let fallback = compiled.rule.default { return (fallback, "") }
    return nil
  }

  func isPlaceholder(_ text: String, field: String, in raw: RawRecord) -> Bool {
    var text = text
    return text.withUTF8 { isPlaceholder($0, field: field, in: raw) }
  }

  func isPlaceholder(_ bytes: UnsafeBufferPointer<UInt8>, field: String, in raw: RawRecord) -> Bool {
    guard let start = bytes.firstIndex(where: { !String.isBlankByte($0) }) else { return true }
    let placeholders = mapping.placeholders
    // Most values are longer than any placeholder: a length check spares hashing them.
    if bytes.count <= mapping.longestPlaceholder && mapping.placeholderFirstBytes[Int(bytes[0])]
      && placeholders.contains(String(decoding: bytes, as: UTF8.self))
    {
      return true
    }
    if start > 0 || String.isBlankByte(bytes[bytes.count - 1]) {
      var end = bytes.count
      while String.isBlankByte(bytes[end - 1]) { end -= 1 }
      if end - start <= mapping.longestPlaceholder
        && placeholders.contains(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self))
      {
        return true
      }
    }
    // Rails and Recurly XML mark empty values with nil="true" / nil="nil".
    if raw.hasNilMarkers, let marker = raw.fields[field + "@nil"], marker == "true" || marker == "nil" { return true }
    return false
  }

  /// All mapped fields, in canonical order; only those of `rules` when given (the first pass
  /// needs just the keys: `ValidatedMapping.keyRules`).
  func convert(_ raw: RawRecord, rules: [CompiledFieldRule]? = nil) throws(FieldError) -> CanonicalFields {
    var result = CanonicalFields()
    result.values.reserveCapacity((rules ?? mapping.rules).count)
    var currency: String?
    for compiled in rules ?? mapping.rules {
      let name = compiled.name
      guard let (text, field) = sourceValue(compiled, in: raw) else { continue }
      let label = field.isEmpty ? name : field
      do throws(ValueError) {
        guard let mapped = try applyMap(compiled, to: text) else { continue }
        let value = try convertValue(mapped, compiled, currency: currency)
        if name == "currency", case .string(let code) = value.json { currency = code }
        result.values.append(name, value.json, member: compiled.member)
        if let epoch = value.epoch { result.times[name] = epoch }
      } catch {
        throw FieldError(field: label, message: error.message)
      }
    }
    return result
  }

  /// The value after the field's value map; nil when it is to be left out.
  private func applyMap(_ compiled: CompiledFieldRule, to text: String) throws(ValueError) -> String? {
    let allowed: [String]?
    if case .enumeration(let values) = compiled.type { allowed = values } else { allowed = nil }
    guard compiled.rule.map != nil || allowed != nil else { return text }
    let trimmed = text.trimmed
    let lowered = trimmed.lowercased()
    if let target = compiled.lowercasedMap?[lowered] {
      return target
    }
    if let allowed, allowed.contains(lowered) { return lowered }
    if allowed == nil && compiled.rule.map == nil { return text }
    switch compiled.rule.unmapped ?? .reject {
    case .absent: return nil
    case .keep: return allowed == nil ? text : nil
    case .reject:
      let expected = allowed.map { " (expected \($0.joined(separator: ", ")))" } ?? ""
      throw ValueError(
        "unknown value \(trimmed.debugDescription)\(expected); map it in \(mapping.file)")
    }
  }

  private func convertValue(
    _ text: String, _ compiled: CompiledFieldRule, currency: String?
  ) throws(ValueError) -> (json: JSONValue, epoch: Int?) {
    let type = compiled.type
    switch type {
    case .string:
      return (.string(text.trimmed), nil)
    case .enumeration:
      return (.string(text), nil)
    case .integer:
      return (.number(String(try Values.integer(text))), nil)
    case .decimal:
      return (.number(try Values.exactDecimal(text).text), nil)
    case .money, .price:
      let unit = compiled.rule.unit ?? mapping.mapping.moneyUnit ?? .major
      if unit == .minor && currency == nil {
        throw ValueError("an amount in minor units needs a currency (map \"currency\" or give it a default)")
      }
      let parse = type == .price ? Values.price : Values.money
      return (.number(try parse(text, unit == .minor, currency).text), nil)
    case .currency:
      return (.string(try Values.currency(text)), nil)
    case .boolean:
      return (.bool(try Values.boolean(text)), nil)
    case .list:
      let parts: [Substring]
      if let separator = compiled.rule.separator, separator.count == 1, let char = separator.first {
        parts = text.split(separator: char)
      } else {
        parts = text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\n" })
      }
      let items = parts.map { String($0).trimmed }.filter { !$0.isEmpty }
      return (.array(items.map(JSONValue.string)), nil)
    case .datetime, .date:
      let epoch: Int
      var civilDate: String?
      switch compiled.rule.format {
      case "epoch":
        epoch = try Values.integer(text)
      case "epoch-ms":
        epoch = try Values.integer(text) / 1000
      default:
        let order = compiled.dateOrder ?? mapping.mapping.dateOrder
        let civil: CivilTime
        do throws(TimestampError) {
          civil = try Timestamps.parse(text, order: order)
        } catch {
          throw ValueError(error.message)
        }
        let zone = compiled.zone ?? mapping.zone
        epoch = Timestamps.epochSeconds(civil, zone: zone)
        if !civil.hasTime && civil.offset == nil {
          civilDate = "\(Timestamps.pad(civil.year, 4))-\(Timestamps.pad(civil.month, 2))-\(Timestamps.pad(civil.day, 2))"
        }
      }
      if type == .date {
        return (.string(civilDate ?? Timestamps.isoDate(epoch)), epoch)
      }
      return (.string(Timestamps.rfc3339(epoch)), epoch)
    }
  }

  /// The record's source key (`stripe/subscriptions|sub_1`), when the mapping declares one.
  func sourceKey(_ fields: CanonicalFields, names: [String]?) -> String? {
    guard let names, !names.isEmpty else { return nil }
    var parts: [String] = [mapping.mapping.source]
    for name in names {
      guard let value = fields[name] else { return nil }
      parts.append(value.stringValue ?? value.jsonText)
    }
    return parts.joined(separator: "|")
  }
}
