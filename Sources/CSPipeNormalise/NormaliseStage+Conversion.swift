import CSPipeCore
import Foundation
import Glibc

/// Each record converted under its mapping and cut to what was known at `--as-of` as it is read;
/// placed in its account and written (or listed as unmatched) once the whole input is known.
extension Normalise {

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

  /// Takes one prepared line, in input order: rejected, counted, or set aside until identity
  /// and duplicates are known (`place`). A record that cannot be converted is rejected; its
  /// copy still competes for its source key.
  func take(
    _ prepared: PreparedLine, from batch: RecordPreparer, line: UnsafeBufferPointer<UInt8>, location: SourceLocation,
    ordinal: Int, into spill: SpillFile
  ) throws {
    // Rejects keep the line as read, to be corrected and fed again.
    func lineText() -> String { String(decoding: line, as: UTF8.self) }
    let record: PreparedRecord
    switch prepared {
    case .notRaw(let problem):
      return try rejects.reject(at: location, reason: problem ?? "not a raw record", raw: lineText())
    case .noMapping(let tag):
      unknownSources[tag.description, default: 0] += 1
      return try rejects.reject(at: location, reason: "no mapping for source \(tag)", raw: lineText())
    case .record(let prepared):
      record = prepared
    }
    let source = batch.sources[record.source]
    if let index = record.definer {
      var definer = batch.definers[index]
      definer.ordinals = [ordinal]
      pendingDefiners.append(definer)
    }
    if record.mapping.zoneUndeclared { undeclaredZones[source.tag.description, default: 0] += 1 }
    // A key's first copy is ranked when it is placed, and only if later copies came
    // (`SeenKeys`); a rejected copy never is placed, so it is ranked now.
    let copy = record.copy.map { facts in
      var ranked = seenKeys.insert(facts.digest)
      if case .unconvertible = record.outcome { ranked = true }
      let (key, rank) = offer(facts, source: record.mapping.mapping.source, file: source.file, line: record.line, ranked: ranked)
      return (key: key, rank: rank, ranked: ranked)
    }
    switch record.outcome {
    case .unconvertible(let error):
      try rejects.reject(
        at: location, field: error.field, reason: "\(error.message) (\(source.file):\(record.line))", raw: lineText())
    case .afterAsOf:
      // Without a key it cannot be a duplicate: counted now, not kept.
      guard let copy else {
        summary.afterAsOf += 1
        return
      }
      try setAside(record, source: source, ordinal: ordinal, copy: copy, body: nil, into: spill)
    case .converted(let body):
      try setAside(
        record, source: source, ordinal: ordinal, copy: copy, body: UnsafeBufferPointer(rebasing: batch.bodies.bytes[body]),
        into: spill)
    }
  }

  /// Places a record set aside by `take`: a copy that lost to another of its key is a
  /// duplicate, one known only after as-of is counted, the rest go to their account (or to the
  /// unmatched) and are written.
  func place(_ pending: PendingRecord) throws {
    if let copy = pending.copy {
      // The first copy of a key read again, placed before any other copy of it: ranked now,
      // the result is the same (the order of copies is total).
      if !copy.ranked, winners[copy.key] != nil { offer(copy.rank, for: copy.key, named: "") }
      if !isWinner(key: copy.key, copy: copy.rank) {
        summary.duplicates += 1
        return
      }
    }
    if pending.afterAsOf {
      summary.afterAsOf += 1
      return
    }
    let raw = pending.raw
    let mapping = pending.mapping
    let account: String
    var mintedAccount = false
    if let known = definerAccounts[pending.ordinal] {
      account = known
    } else if let (found, rule) = resolve(raw, mapping: mapping, allowMint: true) {
      account = found
      if rule.kind == .mint { summary.minted += 1 }
    } else if index.isEmpty, Self.mintingKinds.contains(mapping.kind.name),
      let minted = Self.mintFromOwnIdentity(raw, mapping: mapping, converter: RecordConverter(mapping: mapping))
    {
      account = minted
      mintedAccount = true
      summary.mintedFromSupport += 1
      if supportMinted.insert(minted).inserted { summary.accountsMintedFromSupport += 1 }
    } else {
      summary.unmatched += 1
      try writeUnmatched(raw, mapping: mapping)
      return
    }
    try output.write { out in
      out.append(ascii: #"{"kind":"#)
      JSONBytes.appendString(mapping.kind.name, to: &out)
      out.append(ascii: #","account":"#)
      JSONBytes.appendString(account, to: &out)
      if mintedAccount { out.append(ascii: #","account_minted":true"#) }
      out.append(pending.rest)
    }
    summary.recordsOut += 1
  }

  /// Forgets what was not yet known at `--as-of`: later dates are dropped with what they
  /// imply, and a state they imply goes back to the one before, as the kind's schema declares
  /// (`CanonicalKind.forgottenWith`, `.rewinds`).
  static func applyAsOf(_ fields: inout CanonicalFields, kind schema: CanonicalKind, cutoff: Int) {
    // Most records hold no fact dated at or after as-of: found without an array or a set
    // lookup per date (the schema's plans are marked on each rule).
    var late: [String] = []
    for field in fields.fields {
      guard let epoch = field.epoch, epoch >= cutoff, !field.rule.isScheduled else { continue }
      late.append(field.rule.name)
    }
    guard !late.isEmpty || !schema.rewinds.isEmpty else { return }
    for name in late {
      fields.remove(named: name)
      for dependent in schema.forgottenWith[name] ?? [] { fields.remove(named: dependent) }
    }
    // The status is read only for a rewind whose facts are late or whose plan lies ahead.
    for rewind in schema.rewinds {
      let plannedLater = rewind.laterPlan.flatMap { fields.time(named: $0) }.map { $0 >= cutoff } ?? false
      guard plannedLater || late.contains(where: rewind.lateFacts.contains),
        let status = fields["status"]?.stringValue, rewind.statuses.contains(status)
      else { continue }
      if let ahead = rewind.beforeWhileAhead, let at = fields.time(named: ahead.field), at >= cutoff {
        fields.setString(named: "status", ahead.status)
      } else {
        fields.setString(named: "status", rewind.before)
      }
      break
    }
  }

  func writeUnmatched(_ raw: RawRecord, mapping: ValidatedMapping) throws {
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
}
