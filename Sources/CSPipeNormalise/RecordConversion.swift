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

/// A record turned into canonical fields, before identity and `--as-of` are applied: each
/// value already the JSON text it will be written as, back to back in one buffer.
///
/// Why: a String and a `JSONValue` per field (their allocations and reference counts), then
/// escaping each value again to write it, were a fifth of normalise; most values (ids, names,
/// times) now go from the raw bytes to their JSON text without either.
struct CanonicalFields {
  struct Field {
    /// Its rule: the canonical name, and the member written before the value. Its mapping
    /// holds it for the whole run: no reference count per field, which the cores converting
    /// records at once would take turns on (a cache line moved per count).
    unowned(unsafe) let rule: CompiledFieldRule
    /// The value's JSON text in `text`.
    var start: Int
    var end: Int
    /// Epoch seconds of a date or time field, for `--as-of`.
    var epoch: Int?
  }

  /// In canonical order.
  private(set) var fields: [Field] = []
  private(set) var text: [UInt8] = []

  init(capacity: Int = 0) {
    fields.reserveCapacity(capacity)
    text.reserveCapacity(capacity * 24)
  }

  /// Adds the value `rule` wrote to `text` since `start`.
  mutating func add(_ rule: CompiledFieldRule, from start: Int, epoch: Int?) {
    fields.append(Field(rule: rule, start: start, end: text.count, epoch: epoch))
  }

  /// Writes a value's JSON text through `body`, for `add`.
  mutating func write<Result>(_ body: (inout [UInt8]) -> Result) -> Result { body(&text) }

  private func field(named name: String) -> Field? { fields.first { $0.rule.name == name } }

  /// The value of `name` as a `JSONValue` (keys and states: a few per record, parsed back).
  subscript(name: String) -> JSONValue? {
    guard let field = field(named: name) else { return nil }
    return text.withUnsafeBufferPointer { try? JSONParser.parse(UnsafeBufferPointer(rebasing: $0[field.start..<field.end])) }
  }

  /// The value of `name` as a key part: a string's text, any other value's JSON text.
  func keyText(named name: String) -> String? {
    guard let field = field(named: name) else { return nil }
    return text.withUnsafeBufferPointer { all in
      let bytes = UnsafeBufferPointer(rebasing: all[field.start..<field.end])
      guard bytes.first == ASCII.quote else { return String(decoding: bytes, as: UTF8.self) }
      if !bytes.contains(ASCII.backslash) {
        return String(decoding: UnsafeBufferPointer(rebasing: bytes.dropFirst().dropLast()), as: UTF8.self)
      }
      return (try? JSONParser.parse(bytes))?.stringValue
    }
  }

  func time(named name: String) -> Int? { field(named: name)?.epoch }

  /// Every date and time field, with its epoch seconds.
  var times: [(name: String, value: Int)] { fields.compactMap { field in field.epoch.map { (field.rule.name, $0) } } }

  mutating func remove(named name: String) { fields.removeAll { $0.rule.name == name } }

  /// Gives the field `name` (present) a new string value.
  mutating func setString(named name: String, _ value: String) {
    guard let index = fields.firstIndex(where: { $0.rule.name == name }) else { return }
    let start = text.count
    JSONBytes.appendString(value, to: &text)
    fields[index].start = start
    fields[index].end = text.count
  }

  /// The fields as a record writes them after its source: `,"name":value` each.
  func write(to out: inout ByteBuffer) {
    text.withUnsafeBufferPointer { text in
      for field in fields {
        out.append(field.rule.member)
        out.append(UnsafeBufferPointer(rebasing: text[field.start..<field.end]))
      }
    }
  }
}

/// A field whose value cannot be made canonical: the record is rejected, naming the field.
struct FieldError: Error {
  let field: String
  let message: String
}

/// Where each source field of a mapping's rules is in records whose field names are, in order,
/// those of the record it was made from (the rows of one CSV file): found by name once, then
/// read by position. Why: finding each rule's field by name scanned the record's names for
/// every rule of every record, 5% of normalise.
final class FieldLayout {
  let mapping: ObjectIdentifier
  /// The record the positions were found in (its names are compared with each later record's).
  let template: FlatFields
  /// Per rule (`CompiledFieldRule.index`), per source: the field's position, or -1.
  let positions: [[Int]]
  /// Per name of `ValidatedMapping.accountFields`: the field's position, or -1.
  let accountPositions: [Int]

  init(_ fields: FlatFields, mapping: ValidatedMapping) {
    self.mapping = ObjectIdentifier(mapping)
    template = fields
    positions = mapping.rules.map { rule in
      rule.sources.map { source in source.bytes.withUnsafeBufferPointer { fields.index(ofName: $0) } ?? -1 }
    }
    accountPositions = mapping.accountFields.map { name in
      name.withUnsafeBufferPointer { fields.index(ofName: $0) } ?? -1
    }
  }

  /// Whether `fields` (under `mapping`) has this layout.
  func fits(_ fields: FlatFields, mapping: ValidatedMapping) -> Bool {
    self.mapping == ObjectIdentifier(mapping) && fields.hasSameNames(as: template)
  }
}

/// Converts the fields of raw records under one validated mapping.
struct RecordConverter {
  let mapping: ValidatedMapping
  /// The record's layout, when it has the one of records before it (`FieldLayout`).
  var layout: FieldLayout?

  init(mapping: ValidatedMapping, layout: FieldLayout? = nil) {
    self.mapping = mapping
    self.layout = layout
  }

  /// Where a field's value comes from: bytes of the raw record's fields, or a text of its own
  /// (a rule's constant or default, repeats gathered).
  enum SourceValue {
    case bytes(Range<Int>)
    case text(String)
  }

  /// The first source value of `rule` that is present and not a placeholder.
  ///
  /// A name ending in `[*]` gathers every repeat of an XML element (`labels.label`,
  /// `labels.label[2]`, …), joined by the rule's separator (a space by default).
  func sourceValue(_ compiled: CompiledFieldRule, in raw: RawRecord) -> (value: SourceValue, field: String)? {
    // Through the compiled rule, a class: binding `compiled.rule` copied the rule (a dozen
    // optional strings, each retained) for every field of every record.
    for (sourceIndex, source) in compiled.sources.enumerated() {
      if source.gathers {
        var parts: [String] = []
        var position = 1
        while let text = raw.fields[position == 1 ? source.name : "\(source.name)[\(position)]"] {
          if !isPlaceholder(text, field: source.name, in: raw) { parts.append(text) }
          position += 1
        }
        if !parts.isEmpty { return (.text(parts.joined(separator: compiled.rule.separator ?? " ")), source.name) }
        continue
      }
      // The value is tested on its bytes; no String is made for it here.
      let position =
        layout.map { $0.positions[compiled.index][sourceIndex] }
        ?? source.bytes.withUnsafeBufferPointer { raw.fields.index(ofName: $0) } ?? -1
      guard position >= 0, case let range = raw.fields.valueRange(at: position),
        !raw.fields.withBytes(of: range, { isPlaceholder($0, field: source.name, in: raw) })
      else { continue }
      return (.bytes(range), source.name)
    }
    if let constant = compiled.rule.value { return (.text(constant), "") }
    if let fallback = compiled.rule.default { return (.text(fallback), "") }
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
    let rules = rules ?? mapping.rules
    var result = CanonicalFields(capacity: rules.count)
    var currency: String?
    for compiled in rules {
      let name = compiled.name
      guard let (source, field) = sourceValue(compiled, in: raw) else { continue }
      let start = result.text.count
      if case .bytes(let range) = source,
        let written = raw.fields.withBytes(
          of: range,
          { bytes in result.write { Self.writePlain(bytes, compiled, zone: mapping.zone, currency: currency, to: &$0) } })
      {
        // The code as just written, `"USD"`, for the amounts after it.
        if compiled.isCurrencyField, written.isCurrency {
          currency = String(decoding: result.text[(start + 1)..<(result.text.count - 1)], as: UTF8.self)
        }
        result.add(compiled, from: start, epoch: written.epoch)
        continue
      }
      let text: String
      switch source {
      case .bytes(let range): text = raw.fields.withBytes(of: range) { String(decoding: $0, as: UTF8.self) }
      case .text(let own): text = own
      }
      let label = field.isEmpty ? name : field
      do throws(ValueError) {
        guard let mapped = try applyMap(compiled, to: text) else { continue }
        let value = try convertValue(mapped, compiled, currency: currency)
        if compiled.isCurrencyField, case .string(let code) = value.json { currency = code }
        result.write { value.json.write(to: &$0) }
        result.add(compiled, from: start, epoch: value.epoch)
      } catch {
        throw FieldError(field: label, message: error.message)
      }
    }
    return result
  }

  /// A value `writePlain` wrote.
  struct PlainValue {
    var epoch: Int?
    /// A currency code, written as `"USD"` (no String here: a value made per field).
    var isCurrency = false
  }

  /// The JSON text of the commonest values, straight from their bytes: a string without a
  /// value map (trimmed), a date or time in the plain form (`YYYY-MM-DD HH:MM:SS`, a bare
  /// date), an ASCII value of an enumeration or value map, and, without a value map, plain
  /// digits, a currency code, `true`/`false`/`1`/`0` and a plain decimal amount. Nil, with
  /// nothing written, for anything else: `applyMap` and `convertValue` read it as a String,
  /// with the same result. `currency`: the record's, as far as converted.
  static func writePlain(
    _ bytes: UnsafeBufferPointer<UInt8>, _ compiled: CompiledFieldRule, zone: TimeZone, currency: String?,
    to out: inout [UInt8]
  ) -> PlainValue? {
    if let choices = compiled.plainChoices { return writeChoice(bytes, choices, to: &out) }
    // A value map applies before any conversion: such values take the String path.
    if compiled.rule.map != nil { return nil }
    switch compiled.type {
    case .integer:
      guard let value = Values.plainDigits(bytes: bytes) else { return nil }
      JSONBytes.appendInt(value, to: &out)
      return PlainValue()
    case .currency:
      guard let code = Values.asciiCurrencyCode(utf8: bytes) else { return nil }
      out.append(ASCII.quote)
      out.append(contentsOf: code.utf8)
      out.append(ASCII.quote)
      return PlainValue(isCurrency: true)
    case .boolean:
      // The exports' own spellings; the rest (`yes`, ` TRUE `) through `Values.boolean`.
      guard let value = Values.exportBoolean(utf8: bytes) else { return nil }
      out.append(contentsOf: (value ? "true" : "false").utf8)
      return PlainValue()
    case .decimal:
      guard let parsed = ExactDecimal(utf8: trimmedBlanks(bytes)) else { return nil }
      parsed.write(to: &out)
      return PlainValue()
    case .money, .price:
      let minor = compiled.moneyUnit == .minor
      // Exponents, and minor units without a currency (an error), take the String path.
      guard !(minor && currency == nil), let parsed = ExactDecimal(utf8: trimmedBlanks(bytes)) else { return nil }
      let extra = compiled.type == .price ? Values.priceExtraDigits : 0
      Values.amount(parsed, minorUnits: minor, currency: currency, extraDigits: extra).write(to: &out)
      return PlainValue()
    case .string:
      let mark = out.count
      // Not valid UTF-8: the String reading repairs it, so it takes that path.
      guard JSONBytes.appendString(trimmedBlanks(bytes), to: &out) == nil else {
        out.removeSubrange(mark...)
        return nil
      }
      return PlainValue()
    case .datetime, .date:
      guard compiled.rule.format != "epoch" && compiled.rule.format != "epoch-ms",
        let civil = Timestamps.plainDateTime(bytes: bytes)
      else { return nil }
      let epoch = Timestamps.epochSeconds(civil, zone: compiled.zone ?? zone)
      if compiled.type == .date && !civil.hasTime {
        // A bare date is written as read (the plain form is exactly `YYYY-MM-DD`).
        out.append(ASCII.quote)
        out.append(contentsOf: bytes)
        out.append(ASCII.quote)
      } else {
        Timestamps.appendQuoted(epoch, withTime: compiled.type == .datetime, to: &out)
      }
      return PlainValue(epoch: epoch)
    default:
      return nil
    }
  }

  /// An enumeration's or value map's choice matching `bytes` (trimmed, ASCII case folded), as
  /// `applyMap` then `convertValue` would write it; nil when none matches (the String path
  /// then rejects, keeps or leaves out the value, as the rule says).
  static func writeChoice(
    _ bytes: UnsafeBufferPointer<UInt8>, _ choices: [(key: [UInt8], json: [UInt8])], to out: inout [UInt8]
  ) -> PlainValue? {
    let value = trimmedBlanks(bytes)
    for choice in choices where choice.key.count == value.count {
      var matches = true
      for offset in 0..<value.count {
        let byte = value[offset]
        // Capitals folded; any other byte (a non-ASCII one included) compares as it is.
        let folded = byte >= ASCII.upperA && byte <= ASCII.upperZ ? byte | 0x20 : byte
        if folded != choice.key[offset] {
          matches = false
          break
        }
      }
      if matches {
        out.append(contentsOf: choice.json)
        return PlainValue()
      }
    }
    return nil
  }

  /// `bytes` without the blanks `String.trimmed` removes.
  static func trimmedBlanks(_ bytes: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
    var start = 0
    var end = bytes.count
    while start < end && String.isBlankByte(bytes[start]) { start += 1 }
    while end > start && String.isBlankByte(bytes[end - 1]) { end -= 1 }
    return UnsafeBufferPointer(rebasing: bytes[start..<end])
  }

  /// The value after the field's value map; nil when it is to be left out.
  func applyMap(_ compiled: CompiledFieldRule, to text: String) throws(ValueError) -> String? {
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

  func convertValue(
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
    // The parts joined by `|` as they are found: no array of parts per record.
    var key = mapping.mapping.source
    for name in names {
      guard let text = fields.keyText(named: name) else { return nil }
      key.append("|")
      key.append(text)
    }
    return key
  }
}
