import CSPipeCore
import Foundation
import Glibc

/// Settings of one `normalise` run beyond the shared I/O flags.
public struct NormaliseOptions: Sendable {
  public var mappings: MappingSet
  /// Facts dated at or after this instant (epoch seconds) are not known yet (`--as-of`).
  public var cutoff: Int
  public var aliasesPath: String?

  public init(mappings: MappingSet, cutoff: Int, aliasesPath: String? = nil) {
    self.mappings = mappings
    self.cutoff = cutoff
    self.aliasesPath = aliasesPath
  }

  /// The built-in mappings plus the user's (`--mappings`), with the zones declared for sources
  /// whose times carry none (`--timezone SOURCE=ZONE`). A mapping that does not fit the
  /// canonical schema is a `ConfigError` naming the file and key.
  public static func load(
    mappingPaths: [String], zones: [(source: String, zone: String)], cutoff: Int, aliasesPath: String?,
    reporter: StderrReporter
  ) throws -> NormaliseOptions {
    do {
      var mappings = try MappingSet.load(extra: mappingPaths)
      for (source, zone) in zones where try mappings.declareZone(zone, for: source) == 0 {
        reporter.emit(Diagnostic(.warning, "--timezone \(source.debugDescription): no mapping has that source"))
      }
      return NormaliseOptions(mappings: mappings, cutoff: cutoff, aliasesPath: aliasesPath)
    } catch let error as ConfigError {
      throw error.asRole("mapping")
    }
  }
}

/// What one `normalise` run did. In = out + rejected + duplicates + unmatched + after as-of.
public struct NormaliseSummary: Equatable, Sendable, StageSummary {
  public var files = 0
  public var recordsIn = 0
  public var recordsOut = 0
  public var rejected = 0
  public var duplicates = 0
  public var unmatched = 0
  public var afterAsOf = 0
  public var minted = 0
  /// Support records whose account was minted from their own organisation, company or domain
  /// (nothing in the run defines accounts), and how many accounts that made.
  public var mintedFromSupport = 0
  public var accountsMintedFromSupport = 0
  public var conflicts = 0
  public var ambiguous = 0

  public var shares: [(count: Int, label: String)] {
    [(recordsOut, "out"), (rejected, "rejected"), (duplicates, "duplicates merged"), (unmatched, "unmatched"),
     (afterAsOf, "after --as-of")]
  }

  public var notes: [String] { [Self.count(files, "file")] }
}

/// `normalise`: raw records in, canonical records out (docs/CONTRACT.md §3).
///
/// Two passes over the input. The first learns who is who (identity facts from customer,
/// organization and account records) and which duplicate of each source key is the newest; it
/// keeps only those (memory grows with accounts and keys, not with the size of the records).
/// The second converts and writes. Standard input is spooled to a temporary file to be read
/// twice.
public final class Normalise {
  private let options: NormaliseOptions
  private let output: OutputSink
  private let rejects: RejectLog
  private let unmatchedSink: OutputSink?
  private var supportMinted: Set<String> = []
  private let reporter: StderrReporter
  private var summary = NormaliseSummary()
  private var index = IdentityIndex()
  /// Accounts of the records that define identity facts, by position (pass 1 decides them once).
  /// A position is the input's index and the line number (`index << 40 | line`): both passes
  /// see the same lines, whether or not a line parses.
  private var definerAccounts: [Int: String] = [:]
  /// Per source key: the position of the record that wins (the newest).
  private var winners: [KeyDigest: (updated: Int?, ordinal: Int)] = [:]
  private var unknownSources: [String: Int] = [:]
  /// Sources read whose naive times are in a zone nobody declared, with their record counts.
  private var undeclaredZones: [String: Int] = [:]
  private var printedWarnings = 0

  private let inputs: [String]

  /// `context.extraOutputs[0]`, when given, receives the records that match no account.
  public init(options: NormaliseOptions, context: StageContext) {
    self.options = options
    output = context.output
    rejects = context.rejects
    unmatchedSink = context.extraOutputs.first ?? nil
    reporter = context.reporter
    inputs = context.inputs
  }

  public func run() throws -> NormaliseSummary {
    summary.files = inputs.count
    var spooled: [String: String] = [:]
    defer { for path in spooled.values { unlink(path) } }
    for input in inputs where input == "-" { spooled[input] = try Self.spoolStandardInput() }
    func open(_ input: String) throws -> ByteSource {
      if let path = spooled[input] { return try ByteSource(path: path, displayName: ByteSource.standardInputName) }
      return try ByteSource(path: input)
    }

    if let aliases = options.aliasesPath {
      _ = try AliasFile.load(path: aliases, into: &index)
    }
    try learn(from: inputs.map(open))
    var input = NDJSONInput(rejects: rejects)
    for (index, path) in inputs.enumerated() {
      try input.forEachLine(in: try open(path), parse: RawRecord.parse) { reading, location, line in
        try normalise(reading, line: line, location: location, ordinal: index << 40 | (location.line ?? 0))
      }
    }
    summary.recordsIn = input.recordsRead
    summary.rejected = rejects.count
    for (source, count) in unknownSources.sorted(by: { $0.key < $1.key }) {
      reporter.emit(
        Diagnostic(
          .warning,
          "no mapping for \(source): its \(count) record(s) were rejected (write one, see docs/MAPPINGS.md, and pass --mappings)"))
    }
    for (source, count) in undeclaredZones.sorted(by: { $0.key < $1.key }) {
      let system = source.split(separator: "/").first.map(String.init) ?? source
      reporter.emit(
        Diagnostic(
          .warning,
          "\(source): its times carry no zone (the exporting account's own setting); \(count) record(s) read them as UTC: declare the zone with --timezone \(system)=Europe/Berlin (your helpdesk's zone)"))
    }
    if summary.mintedFromSupport > 0 {
      reporter.emit(Diagnostic(.warning, "nothing in this run defines accounts (no account list, billing customers or --aliases): \(summary.mintedFromSupport) support record(s) made \(summary.accountsMintedFromSupport) account(s) from their own e-mail domain, company or organisation (marked \"account_minted\"); to tie them to billing, add the billing exports or an alias file (account,domain,acme.com)"))
    }
    if summary.unmatched > 0 && unmatchedSink == nil {
      reporter.emit(Diagnostic(.warning, "\(summary.unmatched) record(s) matched no account (list them with --unmatched FILE; tie them with --aliases)"))
    }
    return summary
  }

  // MARK: - Pass 1: identity facts and duplicate winners

  private struct Definer {
    let ordinal: Int
    let raw: RawRecord
    let mapping: ValidatedMapping
  }

  private func learn(from sources: [ByteSource]) throws {
    var definers: [Definer] = []
    var businessKeys: [String: (sourceKey: String, line: Int, file: String)] = [:]
    for (index, source) in sources.enumerated() {
      try LineReader(source: source).forEachLine { line, number, tooLong in
        // Most records (usage facts) neither define identity nor have a key: recognise them
        // from the envelope ingest writes, without parsing the whole line.
        if let tag = Self.rawTag(line), let mapping = options.mappings.mapping(for: tag),
          mapping.mapping.defines == nil, mapping.mapping.key == nil, mapping.mapping.businessKey == nil
        {
          return
        }
        guard !tooLong, let reading = try? RawRecord.parse(line) else { return }
        let ordinal = index << 40 | number
        guard let raw = reading.record, let mapping = options.mappings.mapping(for: raw.tag) else { return }
        if mapping.mapping.defines != nil {
          // Kept until the rounds below: only the fields identity rules read, not the line.
          let slim = RawRecord(tag: raw.tag, file: raw.file, line: raw.line, fields: raw.fields.keeping(mapping.identityFields))
          definers.append(Definer(ordinal: ordinal, raw: slim, mapping: mapping))
        }
        let converter = RecordConverter(mapping: mapping)
        guard !mapping.keyFields.isEmpty, let fields = try? converter.convert(raw, only: mapping.keyFields),
          let key = converter.sourceKey(fields, names: mapping.mapping.key)
        else { return }
        let updated = mapping.mapping.updatedAt.flatMap { fields.times[$0] }
        let digest = KeyDigest(key)
        if let current = winners[digest], let currentUpdated = current.updated, (updated ?? Int.min) < currentUpdated {
          // An older copy: the one already seen stays the winner.
        } else {
          winners[digest] = (updated, ordinal)
        }
        if let business = converter.sourceKey(fields, names: mapping.mapping.businessKey) {
          if let first = businessKeys[business], first.sourceKey != key {
            summary.conflicts += 1
            warn(
              "\(raw.file):\(raw.line): \(mapping.mapping.source) record repeats \(business.split(separator: "|").dropFirst().joined(separator: ", ")) of \(first.file):\(first.line) under another id; both are kept")
          } else if businessKeys[business] == nil {
            businessKeys[business] = (key, raw.line, raw.file)
          }
        }
      }
    }
    // Definers may need each other's facts (an organization found through a domain the account
    // list defines), so resolve in rounds until nothing changes; minting is the last resort.
    var pending = definers
    for allowMint in [false, true] {
      var progress = true
      while progress && !pending.isEmpty {
        progress = false
        pending = pending.filter { definer in
          guard let (account, _) = resolve(definer.raw, mapping: definer.mapping, allowMint: allowMint) else { return true }
          definerAccounts[definer.ordinal] = account
          for rule in definer.mapping.mapping.defines ?? [] {
            guard let text = definer.raw.fields[rule.sourceField],
              !RecordConverter(mapping: definer.mapping).isPlaceholder(text, field: rule.sourceField, in: definer.raw)
            else { continue }
            for key in IdentityIndex.keys(rule.kind, system: definer.raw.tag.system, value: text)
            where !IdentityIndex.isFreeMail(key) {
              index.addFact(key: key, account: account)
            }
          }
          progress = true
          return false
        }
      }
    }
    let unsettled = index.unsettledAmbiguities
    summary.ambiguous = unsettled.count
    for (key, accounts) in unsettled.sorted(by: { $0.key < $1.key }) {
      warn(
        "\(key) belongs to several accounts (\(accounts.sorted().joined(separator: ", "))); it is not used to match records (settle it in the alias file)")
    }
  }

  /// The source tag of a line in the exact form ingest writes
  /// (`{"kind":"raw","source":{"system":"…","dataset":"…"`), or nil for anything else.
  static func rawTag(_ line: UnsafeBufferPointer<UInt8>) -> SourceTag? {
    let head: StaticString = #"{"kind":"raw","source":{"system":""#
    let middle: StaticString = #"","dataset":""#
    guard line.count > head.utf8CodeUnitCount,
      memcmp(line.baseAddress!, head.utf8Start, head.utf8CodeUnitCount) == 0
    else { return nil }
    var index = head.utf8CodeUnitCount
    func string() -> String? {
      let start = index
      while index < line.count, line[index] != 0x22 {
        if line[index] == 0x5C { return nil }  // an escape: leave it to the full parser
        index += 1
      }
      guard index < line.count else { return nil }
      return String(decoding: UnsafeBufferPointer(rebasing: line[start..<index]), as: UTF8.self)
    }
    guard let system = string(), line.count - index > middle.utf8CodeUnitCount,
      memcmp(line.baseAddress! + index, middle.utf8Start, middle.utf8CodeUnitCount) == 0
    else { return nil }
    index += middle.utf8CodeUnitCount
    guard let dataset = string() else { return nil }
    return SourceTag(system: system, dataset: dataset)
  }

  /// The account of a record by its mapping's identity rules, and the rule that found it.
  private func resolve(
    _ raw: RawRecord, mapping: ValidatedMapping, allowMint: Bool
  ) -> (String, SourceMapping.IdentityRule)? {
    let converter = RecordConverter(mapping: mapping)
    for rule in mapping.mapping.account {
      guard let text = raw.fields[rule.sourceField],
        !converter.isPlaceholder(text, field: rule.sourceField, in: raw)
      else { continue }
      let value = text.trimmed
      switch rule.kind {
      case .field:
        return (value, rule)
      case .mint:
        if allowMint { return ("\(raw.tag.system):\(value)", rule) }
      default:
        for key in IdentityIndex.keys(rule.kind, system: raw.tag.system, value: value) {
          if let account = index.account(for: key) { return (account, rule) }
        }
      }
    }
    return nil
  }

  // MARK: - Pass 2: convert and write

  /// Kinds whose records may mint their own account when nothing in the run defines accounts
  /// (a support export on its own): a ticket or a user names the company it comes from.
  static let mintingKinds: Set<String> = ["ticket", "user"]

  /// The account a support record stands for by its own identity, from the first of its
  /// mapping's identity rules that gives a usable value (the order a mapping author ranks them
  /// in, as for lookups): an organisation id as `SYSTEM:ID`, a company name in lower case with
  /// its words joined by `-`, an e-mail or web domain as itself. Free-mail domains say nothing.
  static func mintFromOwnIdentity(_ raw: RawRecord, mapping: ValidatedMapping, converter: RecordConverter) -> String? {
    for rule in mapping.mapping.account {
      guard let text = raw.fields[rule.sourceField], !converter.isPlaceholder(text, field: rule.sourceField, in: raw)
      else { continue }
      for key in IdentityIndex.keys(rule.kind, system: raw.tag.system, value: text) {
        if key.hasPrefix("organization:") { return String(key.dropFirst("organization:".count)) }
        if key.hasPrefix("name:") { return key.dropFirst("name:".count).split(separator: " ").joined(separator: "-") }
        if key.hasPrefix("domain:") && !IdentityIndex.isFreeMail(key) { return String(key.dropFirst("domain:".count)) }
      }
    }
    return nil
  }

  private func normalise(
    _ reading: RawRecord.Reading, line: UnsafeBufferPointer<UInt8>, location: SourceLocation, ordinal: Int
  ) throws {
    // Rejects keep the line as read, to be corrected and fed again.
    func lineText() -> String { String(decoding: line, as: UTF8.self) }
    guard let raw = reading.record else {
      return try rejects.reject(at: location, reason: reading.problem ?? "not a raw record", raw: lineText())
    }
    guard let mapping = options.mappings.mapping(for: raw.tag) else {
      unknownSources[raw.tag.description, default: 0] += 1
      return try rejects.reject(at: location, reason: "no mapping for source \(raw.tag)", raw: lineText())
    }
    let converter = RecordConverter(mapping: mapping)
    if mapping.zoneUndeclared { undeclaredZones[raw.tag.description, default: 0] += 1 }
    var fields: CanonicalFields
    do throws(FieldError) {
      fields = try converter.convert(raw)
    } catch {
      return try rejects.reject(
        at: location, field: error.field, reason: "\(error.message) (\(raw.file):\(raw.line))",
        raw: lineText())
    }
    if let key = converter.sourceKey(fields, names: mapping.mapping.key),
      let winner = winners[KeyDigest(key)], winner.ordinal != ordinal
    {
      summary.duplicates += 1
      return
    }
    if let eventField = mapping.kind.eventTime, let time = fields.times[eventField], time >= options.cutoff {
      summary.afterAsOf += 1
      return
    }
    applyAsOf(&fields, kind: mapping.kind.name)

    let account: String
    var mintedAccount = false
    if let known = definerAccounts[ordinal] {
      account = known
    } else if let (found, rule) = resolve(raw, mapping: mapping, allowMint: true) {
      account = found
      if rule.kind == .mint { summary.minted += 1 }
    } else if index.isEmpty, Self.mintingKinds.contains(mapping.kind.name),
      let minted = Self.mintFromOwnIdentity(raw, mapping: mapping, converter: converter)
    {
      account = minted
      mintedAccount = true
      summary.mintedFromSupport += 1
      if supportMinted.insert(minted).inserted { summary.accountsMintedFromSupport += 1 }
    } else {
      summary.unmatched += 1
      try writeUnmatched(raw, mapping: mapping, location: location)
      return
    }
    try output.write { out in
      out.append(ascii: #"{"kind":"#)
      JSONBytes.appendString(mapping.kind.name, to: &out)
      out.append(ascii: #","account":"#)
      JSONBytes.appendString(account, to: &out)
      if mintedAccount { out.append(ascii: #","account_minted":true"#) }
      out.append(ascii: #","source":{"system":"#)
      JSONBytes.appendString(raw.tag.system, to: &out)
      out.append(ascii: #","dataset":"#)
      JSONBytes.appendString(raw.tag.dataset, to: &out)
      out.append(ascii: #","file":"#)
      JSONBytes.appendString(raw.file, to: &out)
      out.append(ascii: #","line":"#)
      JSONBytes.appendInt(raw.line, to: &out)
      out.append(0x7D)
      for (name, value) in fields.values {
        out.append(0x2C)
        JSONBytes.appendString(name, to: &out)
        out.append(0x3A)
        value.write(to: &out)
      }
      out.append(ascii: "}\n")
    }
    summary.recordsOut += 1
  }

  /// Forgets what was not yet known at `--as-of`: later dates are dropped, and a state they
  /// imply goes back to the one before (a subscription cancelled later was still active then).
  private func applyAsOf(_ fields: inout CanonicalFields, kind: String) {
    let scheduled = CanonicalKind.named(kind)?.scheduled ?? []
    let late = fields.times.filter { $0.value >= options.cutoff && !scheduled.contains($0.key) }.map(\.key)
    guard !late.isEmpty || kind == "subscription" else { return }
    for name in late {
      fields[name] = nil
      fields.times[name] = nil
    }
    let status = fields["status"]?.stringValue
    switch kind {
    case "subscription":
      // A cancellation made later was not known: nor was the end it scheduled.
      if late.contains("canceled_at") {
        fields["cancel_at"] = nil
        fields.times["cancel_at"] = nil
        fields["cancel_at_period_end"] = nil
      }
      let endsLater = fields.times["cancel_at"].map { $0 >= options.cutoff } ?? false
      if (late.contains("canceled_at") || late.contains("ended_at") || endsLater) && (status == "canceled" || status == "ended") {
        let inTrial = fields.times["trial_end"].map { $0 >= options.cutoff } ?? false
        fields["status"] = .string(inTrial ? "trialing" : "active")
      }
    case "ticket":
      if late.contains("solved_at") && (status == "solved" || status == "closed") {
        fields["status"] = .string("open")
      }
    case "invoice":
      if late.contains("paid_at") && status == "paid" {
        fields["status"] = .string("open")
      }
    default:
      break
    }
  }

  private func writeUnmatched(_ raw: RawRecord, mapping: ValidatedMapping, location: SourceLocation) throws {
    guard let unmatchedSink else { return }
    try unmatchedSink.write { out in
      out.append(ascii: #"{"file":"#)
      JSONBytes.appendString(raw.file, to: &out)
      out.append(ascii: #","line":"#)
      JSONBytes.appendInt(raw.line, to: &out)
      out.append(ascii: #","source":"#)
      JSONBytes.appendString(raw.tag.description, to: &out)
      out.append(ascii: #","kind":"#)
      JSONBytes.appendString(mapping.kind.name, to: &out)
      out.append(ascii: #","tried":["#)
      var first = true
      for rule in mapping.mapping.account {
        guard let value = raw.fields[rule.sourceField] else { continue }
        if !first { out.append(0x2C) }
        first = false
        out.append(ascii: #"{"rule":"#)
        JSONBytes.appendString(rule.kind.rawValue, to: &out)
        out.append(ascii: #","field":"#)
        JSONBytes.appendString(rule.sourceField, to: &out)
        out.append(ascii: #","value":"#)
        JSONBytes.appendString(value, to: &out)
        out.append(0x7D)
      }
      out.append(ascii: "]}\n")
    }
  }

  private func warn(_ message: String) {
    printedWarnings += 1
    if printedWarnings <= 20 { reporter.emit(Diagnostic(.warning, message)) }
  }

  /// Copies standard input to a temporary file so that it can be read twice.
  static func spoolStandardInput() throws -> String {
    let (fd, path) = try makeTemporaryFile(prefix: "cspipe-stdin", for: "<stdin>")
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: 1 << 20)
    let source = try ByteSource(path: "-")
    while true {
      let count = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
      if count == 0 { break }
      var offset = 0
      while offset < count {
        let written = buffer.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, count - offset) }
        guard written > 0 else {
          unlink(path)
          throw IOFailure(path: path, message: "cannot spool standard input: \(errnoDescription())")
        }
        offset += written
      }
    }
    return path
  }
}

/// A source key reduced to 128 bits. Pass 1 remembers one entry per distinct key; digests keep
/// that map at a third of the memory of the key strings. Two hashes with different leading
/// salts make a collision (which would merge two records) a 2^-128 event.
struct KeyDigest: Hashable {
  let high: Int
  let low: Int

  init(_ key: String) {
    var first = Hasher()
    first.combine(0x5EED_0001)
    first.combine(key)
    var second = Hasher()
    second.combine(0x5EED_0002)
    second.combine(key)
    high = first.finalize()
    low = second.finalize()
  }
}
