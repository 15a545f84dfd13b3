import CSPipeCore
import Foundation

/// One mapping file: how the raw records of one source system and dataset become canonical
/// records. The format is documented in docs/MAPPINGS.md; the built-in files live in
/// `pipelines/mappings/` and a user adds a system by writing one more (no code change).
public struct SourceMapping: Decodable, Sendable {
  public enum MoneyUnit: String, Decodable, Sendable {
    case major, minor
  }

  public enum Unmapped: String, Decodable, Sendable {
    /// The record is rejected, naming the field and value (the default: never a guess).
    case reject
    /// The field is left out of the record.
    case absent
    /// The value is kept as written.
    case keep
  }

  /// How one canonical field is filled.
  public struct FieldRule: Decodable, Sendable {
    /// Source field names, tried in order: the first present, non-placeholder value wins.
    public var from: [String] = []
    /// A constant instead of a source field.
    public var value: String?
    /// Source value → canonical value, matched without regard to case or surrounding spaces.
    public var map: [String: String]?
    public var unmapped: Unmapped?
    /// Dates: `epoch` (seconds), `epoch-ms`, or a day/month order `mdy` / `dmy`.
    public var format: String?
    public var unit: MoneyUnit?
    /// Lists (tags): the separator; default: any run of spaces or commas.
    public var separator: String?
    public var timezone: String?
    /// Used when no source field has a value.
    public var `default`: String?

    enum CodingKeys: String, CodingKey {
      case from, value, map, unmapped, format, unit, separator, timezone, `default`
    }

    public init(from decoder: Decoder) throws {
      if let single = try? decoder.singleValueContainer().decode(String.self) {
        from = [single]
        return
      }
      let container = try decoder.container(keyedBy: CodingKeys.self)
      if let one = try? container.decode(String.self, forKey: .from) {
        from = [one]
      } else {
        from = try container.decodeIfPresent([String].self, forKey: .from) ?? []
      }
      value = try container.decodeIfPresent(String.self, forKey: .value)
      map = try container.decodeIfPresent([String: String].self, forKey: .map)
      unmapped = try container.decodeIfPresent(Unmapped.self, forKey: .unmapped)
      format = try container.decodeIfPresent(String.self, forKey: .format)
      unit = try container.decodeIfPresent(MoneyUnit.self, forKey: .unit)
      separator = try container.decodeIfPresent(String.self, forKey: .separator)
      timezone = try container.decodeIfPresent(String.self, forKey: .timezone)
      self.default = try container.decodeIfPresent(String.self, forKey: .default)
    }
  }

  /// One way to find a record's account, or one identity fact a record establishes.
  public struct IdentityRule: Decodable, Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
      /// The field holds the canonical account key itself.
      case field
      /// A billing customer id of this system.
      case customer
      /// A support organisation id of this system.
      case organization
      /// An e-mail address: its domain.
      case email
      /// A web domain, or several separated by spaces or commas.
      case domain
      /// A company name (compared without case and extra spaces).
      case name
      /// Last resort: a new account key `system:value` (billing data with no account list).
      case mint
    }

    public var kind: Kind
    public var sourceField: String

    public init(kind: Kind, sourceField: String) {
      self.kind = kind
      self.sourceField = sourceField
    }

    public init(from decoder: Decoder) throws {
      let object = try decoder.singleValueContainer().decode([String: String].self)
      guard object.count == 1, let (name, field) = object.first, let kind = Kind(rawValue: name) else {
        throw DecodingError.dataCorrupted(
          .init(
            codingPath: decoder.codingPath,
            debugDescription:
              "an identity rule is one of {\"field\"|\"customer\"|\"organization\"|\"email\"|\"domain\"|\"name\"|\"mint\": \"<source field>\"}"
          ))
      }
      self.kind = kind
      self.sourceField = field
    }
  }

  public var description: String?
  /// `system/dataset`, as ingest tags the records.
  public var source: String
  public var kind: String
  /// The zone of naive timestamps (IANA name); default UTC. `local` says the export writes
  /// times in its account's own zone without saying which: read as UTC, with a warning, until
  /// `normalise --timezone SOURCE=ZONE` declares it.
  public var timezone: String?
  public var dateOrder: DateOrder?
  public var moneyUnit: MoneyUnit?
  /// Values that mean "no value" in this source, besides the shared ones (docs/MAPPINGS.md).
  public var placeholders: [String]?
  /// Canonical fields that identify a record within its source (duplicates merge on it).
  public var key: [String]?
  /// The canonical field that says which duplicate is newest; default: the last one read.
  public var updatedAt: String?
  /// Canonical fields that should be unique per source key (reported when they are not).
  public var businessKey: [String]?
  /// How to find the account, in order of precedence.
  public var account: [IdentityRule]
  /// Identity facts this record establishes for its account (customer ids, domains, names).
  public var defines: [IdentityRule]?
  public var fields: [String: FieldRule]

  public var tag: SourceTag { SourceTag(source) ?? SourceTag(system: source, dataset: "") }
}

/// The mappings in force: the built-in ones, then the user's, a later file replacing an earlier
/// one for the same `system/dataset`.
public struct MappingSet: Sendable {
  public private(set) var mappings: [String: ValidatedMapping] = [:]
  /// Each mapping's JSON and file, and the zone `--timezone` declared for it: what
  /// `separateCopy` builds its copy from.
  private var origins: [String: (json: Data, file: String, zone: String?)] = [:]

  public init() {}

  public mutating func add(json: Data, file: String) throws {
    let mapping = try Self.decode(json, file: file)
    let validated = try ValidatedMapping(mapping, file: file)
    mappings[mapping.source] = validated
    origins[mapping.source] = (json, file, nil)
  }

  private static func decode(_ json: Data, file: String) throws -> SourceMapping {
    do {
      return try JSONDecoder().decode(SourceMapping.self, from: json)
    } catch let error as DecodingError {
      throw ConfigError(file: file, message: ConfigError.describe(error))
    }
  }

  /// The same mappings built again from their JSON: objects and strings of their own, down to
  /// the last rule. A thread converting records reads its own copy, so the reference counts it
  /// takes on rules and names for every field are not a cache line other cores take turns on
  /// (with one set shared by two threads, `swift_retain` was 13% of the time; 4.5% with copies).
  public func separateCopy() throws -> MappingSet {
    var copy = MappingSet()
    for (source, origin) in origins {
      var mapping = try Self.decode(origin.json, file: origin.file)
      if let zone = origin.zone { mapping.timezone = zone }
      copy.mappings[source] = try ValidatedMapping(mapping, file: origin.file)
      copy.origins[source] = origin
    }
    return copy
  }

  /// `--timezone SOURCE=ZONE`: the zone of naive times in the sources named `SOURCE`
  /// (`freshdesk` or `freshdesk/tickets`). Returns how many mappings it applied to.
  public mutating func declareZone(_ zone: String, for source: String) throws -> Int {
    var applied = 0
    for (name, validated) in mappings where name == source || name.hasPrefix(source + "/") {
      var mapping = validated.mapping
      mapping.timezone = zone
      mappings[name] = try ValidatedMapping(mapping, file: validated.file)
      origins[name]?.zone = zone
      applied += 1
    }
    return applied
  }

  public func mapping(for tag: SourceTag) -> ValidatedMapping? {
    mappings[tag.description]
  }

  /// `mapping(for:)` of the record read before, when it has the same source: records come in
  /// runs from one export, and the lookup built and hashed `system/dataset` for each.
  public func mapping(for tag: SourceTag, after last: inout (tag: SourceTag, mapping: ValidatedMapping?)?) -> ValidatedMapping? {
    if let last, last.tag == tag { return last.mapping }
    let found = mapping(for: tag)
    last = (tag, found)
    return found
  }

  /// The built-in mappings plus every `*.json` in `paths` (files or folders, in name order).
  public static func load(extra paths: [String]) throws -> MappingSet {
    var set = MappingSet()
    for (name, json) in BuiltinMappings.files {
      try set.add(json: Data(json.utf8), file: "pipelines/mappings/\(name)")
    }
    for path in paths {
      var isFolder: ObjCBool = false
      guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
        throw ConfigError(file: path, message: "no such file or folder")
      }
      let files =
        isFolder.boolValue
        ? try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".json") }.sortedAsText()
          .map { "\(path)/\($0)" }
        : [path]
      for file in files {
        try set.add(json: try Data(contentsOf: URL(fileURLWithPath: file)), file: file)
      }
    }
    return set
  }
}

/// A mapping checked against the canonical schema, with its lookups prepared.
public final class ValidatedMapping: Sendable {
  public let mapping: SourceMapping
  public let file: String
  public let kind: CanonicalKind
  /// Field rules in the canonical output order.
  let rules: [CompiledFieldRule]
  public let placeholders: Set<String>
  public let zone: TimeZone
  /// Naive times in a zone the export does not state (`"timezone": "local"`), none declared.
  public let zoneUndeclared: Bool
  /// The longest placeholder in bytes: longer values are not compared against the set.
  let longestPlaceholder: Int
  /// Which bytes begin a placeholder: a value beginning with any other is none, unhashed.
  let placeholderFirstBytes: [Bool]
  /// The fields pass 1 needs: keys, business keys and the update time.
  let keyFields: Set<String>
  /// Their rules, in canonical order (pass 1 converts only these, without a set lookup per rule).
  let keyRules: [CompiledFieldRule]
  /// The source fields identity rules read (and their nil markers): all a record that
  /// defines identity facts must keep until the facts are resolved.
  let identityFields: Set<String>
  /// `identityFields` as bytes, when every one is ASCII (`FlatFields.keeping`).
  let identityFieldBytes: [[UInt8]]?
  /// The source fields the account rules read (and their nil markers), as bytes: what a
  /// record set aside until identity is known keeps of its raw fields.
  let accountFields: [[UInt8]]

  /// Values that mean "no value" in every source.
  public static let sharedPlaceholders: Set<String> = ["#N/A", "N/A", "NULL", "null", "(null)", "#NULL!"]

  init(_ mapping: SourceMapping, file: String) throws {
    func fail(_ message: String) -> ConfigError { ConfigError(file: file, message: message) }
    guard SourceTag(mapping.source) != nil, mapping.source.contains("/") else {
      throw fail("\"source\" must be system/dataset, not \(mapping.source.debugDescription)")
    }
    guard let kind = CanonicalKind.named(mapping.kind) else {
      let names = CanonicalKind.all.map(\.name).joined(separator: ", ")
      throw fail("unknown kind \(mapping.kind.debugDescription) (one of \(names))")
    }
    for name in mapping.fields.keys.sortedAsText() where kind.type(of: name) == nil {
      let names = kind.fields.map(\.name).joined(separator: ", ")
      throw fail("\(kind.name) has no field \(name.debugDescription) (fields: \(names))")
    }
    for (name, rule) in mapping.fields.sorted(by: { TextOrder.precedes($0.key, $1.key) }) {
      if rule.from.isEmpty && rule.value == nil && rule.default == nil {
        throw fail("field \(name.debugDescription) needs \"from\", \"value\" or \"default\"")
      }
      if case .enumeration(let allowed) = kind.type(of: name), let map = rule.map {
        for target in Set(map.values).sortedAsText() where !allowed.contains(target) {
          throw fail("field \(name.debugDescription) maps to \(target.debugDescription), not one of \(allowed.joined(separator: ", "))")
        }
      }
    }
    for field in (mapping.key ?? []) + (mapping.businessKey ?? []) + [mapping.updatedAt].compactMap({ $0 })
    where mapping.fields[field] == nil {
      throw fail("\(field.debugDescription) is used as a key but has no field rule")
    }
    if mapping.account.isEmpty {
      throw fail("\"account\" needs at least one identity rule")
    }
    zoneUndeclared = mapping.timezone == "local"
    guard let zone = TimeZone(identifier: zoneUndeclared ? "UTC" : mapping.timezone ?? "UTC") else {
      throw fail("unknown time zone \(mapping.timezone ?? "").debugDescription) (an IANA name, or \"local\")")
    }
    self.mapping = mapping
    self.file = file
    self.kind = kind
    self.zone = zone
    var rules: [CompiledFieldRule] = []
    for field in kind.fields {
      guard let rule = mapping.fields[field.name] else { continue }
      var zone: TimeZone?
      if let name = rule.timezone {
        guard let found = TimeZone(identifier: name) else {
          throw fail("field \(field.name.debugDescription): unknown time zone \(name.debugDescription)")
        }
        zone = found
      }
      rules.append(
        CompiledFieldRule(
          index: rules.count, name: field.name, type: field.type, rule: rule, zone: zone,
          isScheduled: kind.scheduled.contains(field.name), moneyUnit: rule.unit ?? mapping.moneyUnit ?? .major))
    }
    self.rules = rules
    placeholders = Self.sharedPlaceholders.union(mapping.placeholders ?? [])
    longestPlaceholder = placeholders.map(\.utf8.count).max() ?? 0
    var firstBytes = Array(repeating: false, count: 256)
    for placeholder in placeholders { firstBytes[Int(placeholder.utf8.first ?? 0)] = true }
    placeholderFirstBytes = firstBytes
    let keyFields = Set((mapping.key ?? []) + (mapping.businessKey ?? []) + [mapping.updatedAt].compactMap { $0 })
    self.keyFields = keyFields
    keyRules = rules.filter { keyFields.contains($0.name) }
    let identity = (mapping.defines ?? []).map(\.sourceField) + mapping.account.map(\.sourceField)
    identityFields = Set(identity + identity.map { $0 + "@nil" })
    identityFieldBytes =
      identityFields.allSatisfy { $0.utf8.allSatisfy { $0 < 0x80 } } ? identityFields.sortedAsText().map { Array($0.utf8) } : nil
    var accountFields: [[UInt8]] = []
    for field in mapping.account.map(\.sourceField) {
      for name in [field, field + "@nil"] where !accountFields.contains(Array(name.utf8)) { accountFields.append(Array(name.utf8)) }
    }
    self.accountFields = accountFields
  }
}

/// One canonical field's rule, prepared once per mapping. A class: the per-record loop passes
/// one reference instead of copying a struct of a dozen strings and arrays (that retain and
/// release traffic was a quarter of the conversion's cost).
final class CompiledFieldRule: Sendable {
  /// Its position in the mapping's `rules` (a `FieldLayout` is indexed by it).
  let index: Int
  let name: String
  let type: CanonicalKind.FieldType
  let rule: SourceMapping.FieldRule
  /// The value map with lower-cased keys (values match without regard to case). Keys that
  /// differ only in case: the first in sorted order wins.
  let lowercasedMap: [String: String]?
  /// The rule's own time zone for naive times, if it names one.
  let zone: TimeZone?
  /// The rule's own day/month order, if its `format` is one.
  let dateOrder: DateOrder?
  /// The source fields `from` names, prepared once: the name, its bytes (looked up without a
  /// String per record), and whether it gathers repeats (`labels.label[*]`, named by its base).
  let sources: [(name: String, bytes: [UInt8], gathers: Bool)]
  /// The canonical name as a record writes it before the value (`,"name":`), escaped once.
  let member: [UInt8]
  /// A date that may lie after as-of as a plan, not a fact (`CanonicalKind.scheduled`).
  let isScheduled: Bool
  /// The record's `currency`: the code that amounts converted after it are in.
  let isCurrencyField: Bool
  /// The unit of an amount's source values (the rule's, else the mapping's, else major).
  let moneyUnit: SourceMapping.MoneyUnit
  /// For an enumeration or a string with a value map: every lower-cased value that matches,
  /// as bytes, with the JSON text it becomes (the map's target, else the value itself), so
  /// that an ASCII value is matched without a String. Nil when a key or value is not ASCII:
  /// Unicode's case mapping and equivalences then need the String path.
  let plainChoices: [(key: [UInt8], json: [UInt8])]?

  init(
    index: Int, name: String, type: CanonicalKind.FieldType, rule: SourceMapping.FieldRule, zone: TimeZone?,
    isScheduled: Bool, moneyUnit: SourceMapping.MoneyUnit
  ) {
    self.isScheduled = isScheduled
    self.moneyUnit = moneyUnit
    isCurrencyField = name == "currency"
    self.index = index
    self.name = name
    self.type = type
    self.rule = rule
    self.zone = zone
    dateOrder = rule.format.flatMap(DateOrder.init(rawValue:))
    var member: [UInt8] = [0x2C]
    JSONBytes.appendString(name, to: &member)
    member.append(0x3A)
    self.member = member
    sources = rule.from.map { name in
      let gathers = name.hasSuffix("[*]")
      let field = gathers ? String(name.dropLast(3)) : name
      return (field, Array(field.utf8), gathers)
    }
    let lowercasedMap = rule.map.map { map in
      Dictionary(
        map.sorted { TextOrder.precedes($0.key, $1.key) }.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
    }
    self.lowercasedMap = lowercasedMap
    plainChoices = Self.plainChoices(type: type, lowercasedMap: lowercasedMap)
  }

  /// What `RecordConverter.applyMap` and `convertValue` make of each value an enumeration or a
  /// mapped string accepts: the map's entries first, then the allowed values it does not map.
  static func plainChoices(type: CanonicalKind.FieldType, lowercasedMap: [String: String]?) -> [(key: [UInt8], json: [UInt8])]? {
    var allowed: [String] = []
    switch type {
    case .enumeration(let values): allowed = values
    case .string where lowercasedMap != nil: break
    default: return nil
    }
    func isASCII(_ text: String) -> Bool { text.utf8.allSatisfy { $0 < 0x80 } }
    var choices: [(key: [UInt8], json: [UInt8])] = []
    func add(_ key: String, becoming value: String) {
      var json: [UInt8] = []
      JSONBytes.appendString(value, to: &json)
      choices.append((Array(key.utf8), json))
    }
    for (key, target) in (lowercasedMap ?? [:]).sorted(by: { TextOrder.precedes($0.key, $1.key) }) {
      guard isASCII(key) else { return nil }
      add(key, becoming: type == .string ? target.trimmed : target)
    }
    // A value matches an allowed one as lower-cased text: one with a capital never does.
    for value in allowed where lowercasedMap?[value] == nil && value == value.lowercased() {
      guard isASCII(value) else { return nil }
      add(value, becoming: value)
    }
    return choices
  }
}
