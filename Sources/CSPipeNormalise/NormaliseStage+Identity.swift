import CSPipeCore
import Foundation
import Glibc

/// What the whole input teaches before any record is written: the records that define accounts
/// (customers, organisations, aliases) decide every record's account once, and each source
/// key's duplicate winner is chosen (by `CopyRank`).
extension Normalise {

  /// A record that defines identity facts, slimmed to the fields identity rules read. `line`
  /// is its slim raw record as bytes: one text for sorting, deduplicating and the survey.
  struct Definer {
    /// Where it was read in the input (pass 2 looks its account up there); none for a record
    /// read from an `--identity` file, which is never written.
    var ordinals: [Int]
    let raw: RawRecord
    let mapping: ValidatedMapping
    let line: [UInt8]

    init(ordinal: Int?, raw: RawRecord, mapping: ValidatedMapping) {
      let slim = RawRecord(
        tag: raw.tag, file: raw.file, line: raw.line, fields: raw.fields.keeping(mapping.identityFields, ascii: mapping.identityFieldBytes))
      ordinals = ordinal.map { [$0] } ?? []
      self.raw = slim
      self.mapping = mapping
      var line = RawEnvelope.prefix(slim.tag, file: slim.file)
      JSONBytes.appendInt(slim.line, to: &line)
      line.append(contentsOf: RawEnvelope.fieldsOpen)
      for (index, field) in slim.fields.pairs.enumerated() {
        if index > 0 { line.append(0x2C) }
        JSONBytes.appendString(field.name, to: &line)
        line.append(0x3A)
        JSONBytes.appendString(field.value, to: &line)
      }
      line.append(contentsOf: RawEnvelope.recordClose)
      self.line = line
    }
  }

  /// `--survey`: the inputs read for identity facts and duplicate winners alone (no record is
  /// converted beyond its keys).
  func survey(_ sources: [ByteSource]) throws {
    let reader = RawRecordReader()
    for (index, source) in sources.enumerated() {
      try LineReader(source: source).forEachLine { line, number, tooLong in
        linesSurveyed += 1
        // Most records (usage facts) neither define identity nor have a key: recognise them
        // from the envelope ingest writes, without parsing the whole line.
        if let tag = RawEnvelope.sourceTag(line), let mapping = options.mappings.mapping(for: tag, after: &lastMapping),
          mapping.mapping.defines == nil, mapping.mapping.key == nil, mapping.mapping.businessKey == nil
        {
          return
        }
        guard !tooLong, let reading = try? reader.parse(line) else { return }
        guard let raw = reading.record, let mapping = options.mappings.mapping(for: raw.tag, after: &lastMapping) else { return }
        keepDefiner(raw, mapping: mapping, ordinal: index << 40 | number)
        guard !mapping.keyRules.isEmpty,
          let fields = try? RecordConverter(mapping: mapping).convert(raw, rules: mapping.keyRules)
        else { return }
        _ = offerCopy(raw, mapping: mapping, fields: fields, line: line)
      }
    }
  }

  /// Keeps a record that defines accounts (slimmed) until every input has been read.
  func keepDefiner(_ raw: RawRecord, mapping: ValidatedMapping, ordinal: Int) {
    if mapping.mapping.defines != nil { pendingDefiners.append(Definer(ordinal: ordinal, raw: raw, mapping: mapping)) }
  }

  /// Offers a keyed record's copy for its source key (and warns when its business key repeats
  /// another record's under another id); the key and the copy's rank, when it has a key.
  func offerCopy(
    _ raw: RawRecord, mapping: ValidatedMapping, fields: CanonicalFields, line: UnsafeBufferPointer<UInt8>
  ) -> (key: KeyDigest, rank: CopyRank)? {
    guard let facts = Self.copyFacts(raw, mapping: mapping, fields: fields, line: line, keepKey: true) else { return nil }
    return offer(facts, source: mapping.mapping.source, file: raw.file, line: raw.line)
  }

  /// The facts of a record's copy, when it has a source key (any thread: no state is read).
  static func copyFacts(
    _ raw: RawRecord, mapping: ValidatedMapping, fields: CanonicalFields, line: UnsafeBufferPointer<UInt8>,
    keepKey: Bool
  ) -> CopyFacts? {
    let converter = RecordConverter(mapping: mapping)
    guard let key = converter.sourceKey(fields, names: mapping.mapping.key) else { return nil }
    return CopyFacts(
      digest: KeyDigest(key), key: keepKey ? key : nil, updated: mapping.mapping.updatedAt.flatMap { fields.time(named: $0) },
      lineDigest: LineDigest.words(line), businessKey: converter.sourceKey(fields, names: mapping.mapping.businessKey))
  }

  /// Ranks a copy whose facts were found already (`copyFacts`), in input order.
  /// `ranked`: false leaves the copy out of the winners (a key's first copy, `SeenKeys`).
  func offer(
    _ facts: CopyFacts, source: String, file: String, line: Int, ranked: Bool = true
  ) -> (key: KeyDigest, rank: CopyRank) {
    let rank = CopyRank(
      updated: facts.updated ?? Int.min, file: exportFiles.index(of: file), line: line, digest: facts.lineDigest)
    if ranked { offer(rank, for: facts.digest, named: facts.key ?? "") }
    if let business = facts.businessKey, let key = facts.key {
      if let first = businessKeys[business], first.sourceKey != key {
        summary.conflicts += 1
        warn(
          "\(file):\(line): \(source) record repeats \(business.split(separator: "|").dropFirst().joined(separator: ", ")) of \(first.file):\(first.line) under another id; both are kept"
        )
      } else if businessKeys[business] == nil {
        businessKeys[business] = (key, line, file)
      }
    }
    return (facts.digest, rank)
  }

  /// After the inputs: the `--identity` files read, then every account-defining record
  /// resolved to its account, and the facts it defines learnt.
  func settleIdentity(_ identity: [ByteSource]) throws {
    var definers = pendingDefiners
    pendingDefiners = []
    // After the inputs: a survey's copies matter only for keys the inputs hold.
    for source in identity { try learnIdentity(from: source, into: &definers) }
    // One copy of each defining record, in an order of their own (not the input's): the facts
    // learnt, and so every record's account, are the same for any order or split of the input.
    definers.sort { $0.line.lexicographicallyPrecedes($1.line) }
    var unique: [Definer] = []
    for definer in definers {
      if let last = unique.last, last.line == definer.line {
        unique[unique.count - 1].ordinals += definer.ordinals
      } else {
        unique.append(definer)
      }
    }
    self.definers = options.survey ? unique : []
    // Definers may need each other's facts (an organization found through a domain the account
    // list defines), so resolve in rounds until nothing changes; minting is the last resort.
    var pending = unique
    for allowMint in [false, true] {
      var progress = true
      while progress && !pending.isEmpty {
        progress = false
        pending = pending.filter { definer in
          guard let (account, _) = resolve(definer.raw, mapping: definer.mapping, allowMint: allowMint) else { return true }
          for ordinal in definer.ordinals { definerAccounts[ordinal] = account }
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
    for (key, accounts) in unsettled.sorted(by: { TextOrder.precedes($0.key, $1.key) }) {
      warn(
        "\(key) belongs to several accounts (\(accounts.sortedAsText().joined(separator: ", "))); it is not used to match records (settle it in the alias file)"
      )
    }
  }

  /// The account of a record by its mapping's identity rules, and the rule that found it.
  func resolve(
    _ raw: RawRecord, mapping: ValidatedMapping, allowMint: Bool
  ) -> (String, SourceMapping.IdentityRule)? {
    let converter = RecordConverter(mapping: mapping)
    for rule in mapping.mapping.account {
      // Nothing learnt and no aliases: no lookup can succeed, so its field is not even read (a
      // billing export on its own mints every account).
      if index.isEmpty && rule.kind != .field && rule.kind != .mint { continue }
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
}
