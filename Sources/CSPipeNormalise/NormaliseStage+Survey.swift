import CSPipeCore

/// What pass 1 learns, written out (`--survey`) and read back (`--identity`), so that shards of
/// one input decide identity and duplicates as one run would (docs/SCALE.md). A survey is
/// NDJSON: a header, the defining records slimmed to the fields identity rules read (plain raw
/// records, so any raw file of customers or organisations is an identity file too), and each
/// source key's best copy:
///
///     {"kind":"normalise_survey","cutoff":1763164800}
///     {"kind":"raw","source":{…},"fields":{"id":"cus_1","Email":"a@acme.com"}}
///     {"kind":"duplicate_key","key":"stripe/subscriptions|sub_1","updated":null,"file":"subs.csv","line":7,"digest":"…"}
///
/// Surveys merge by concatenation: reading several keeps the best copy of each key.
extension Normalise {
  static let surveyKind = "normalise_survey"
  static let duplicateKeyKind = "duplicate_key"

  /// Writes the survey of the inputs (after pass 1) to the output, in an order of its own.
  func writeSurvey() throws {
    try output.write { out in
      out.append(ascii: #"{"kind":"#)
      JSONBytes.appendString(Self.surveyKind, to: &out)
      out.append(ascii: #","cutoff":"#)
      JSONBytes.appendInt(options.cutoff, to: &out)
      out.append(ascii: "}\n")
    }
    for definer in definers { try output.write(bytes: definer.line) }
    for (digest, key) in winnerKeys.sorted(by: { $0.value < $1.value }) {
      guard let rank = winners[digest]?.rank else { continue }
      try output.write { out in
        out.append(ascii: #"{"kind":"#)
        JSONBytes.appendString(Self.duplicateKeyKind, to: &out)
        out.append(ascii: #","key":"#)
        JSONBytes.appendString(key, to: &out)
        out.append(ascii: #","updated":"#)
        if rank.updated == Int.min { out.append(ascii: "null") } else { JSONBytes.appendInt(rank.updated, to: &out) }
        out.append(ascii: #","file":"#)
        JSONBytes.appendString(exportFiles.names[Int(rank.file)], to: &out)
        out.append(ascii: #","line":"#)
        JSONBytes.appendInt(rank.line, to: &out)
        out.append(ascii: #","digest":"#)
        JSONBytes.appendString(LineDigest.hex(rank.digest), to: &out)
        out.append(ascii: "}\n")
      }
    }
    summary.surveyedDefiners = definers.count
    summary.surveyedKeys = winnerKeys.count
  }

  /// Reads one `--identity` file (after the inputs' pass 1): its defining records teach
  /// identity (nothing from it is written), its `duplicate_key` lines compete for keys the
  /// inputs hold (every key, for a survey of surveys). Records of other kinds are skipped and
  /// counted; a line that is not JSON, or a survey made as of another day, is an error naming
  /// the line (a shard that went on would decide differently from the others).
  func learnIdentity(from source: ByteSource, into definers: inout [Definer]) throws {
    let file = source.name
    try LineReader(source: source).forEachLine { line, number, tooLong in
      func fail(_ message: String) -> ConfigError {
        ConfigError(file: "\(file):\(number)", message: message).asRole("--identity")
      }
      if line.isEmpty || line.allSatisfy(String.isBlankByte) { return }
      // Raw records in ingest's own envelope (most of a survey's defining lines) are parsed once.
      if !tooLong, RawEnvelope.sourceTag(line) != nil, let reading = try? RawRecord.parse(line), let raw = reading.record {
        return learnDefiner(raw)
      }
      guard !tooLong, let object = try? LazyJSONObject.parse(line) else {
        throw fail("not a JSON object (an identity file holds raw records or normalise --survey lines)")
      }
      switch object["kind"]?.stringValue {
      case Self.surveyKind:
        guard let cutoff = object["cutoff"]?.intValue else { throw fail("a survey header without its cutoff") }
        guard cutoff == options.cutoff else {
          throw fail(
            "a survey of the facts before \(Timestamps.rfc3339(cutoff)), but this run reads those before \(Timestamps.rfc3339(options.cutoff)): survey again with this run's --as-of"
          )
        }
      case Self.duplicateKeyKind:
        guard let key = object["key"]?.stringValue else { throw fail("a duplicate_key line needs key, file, line and digest") }
        let digestOfKey = KeyDigest(key)
        // A shard's survey holds every key it saw; this run needs only its own.
        guard options.survey || seenKeys.mayContain(digestOfKey) else { return }
        guard let exportFile = object["file"]?.stringValue,
          let exportLine = object["line"]?.intValue, let digestText = object["digest"]?.stringValue,
          let digest = UInt64(digestText, radix: 16)
        else { throw fail("a duplicate_key line needs key, file, line and digest") }
        let updated: Int
        switch object["updated"] {
        case nil, .null?: updated = Int.min
        case let value?:
          guard let seconds = value.intValue else { throw fail("\"updated\" must be epoch seconds or null") }
          updated = seconds
        }
        offer(
          CopyRank(updated: updated, file: exportFiles.index(of: exportFile), line: exportLine, digest: digest),
          for: digestOfKey, named: key)
      default:
        guard let reading = try? RawRecord.parse(line), let raw = reading.record else {
          identitySkipped += 1
          return
        }
        learnDefiner(raw)
      }
    }

    func learnDefiner(_ raw: RawRecord) {
      guard let mapping = options.mappings.mapping(for: raw.tag, after: &lastMapping), mapping.mapping.defines != nil
      else {
        identitySkipped += 1
        return
      }
      definers.append(Definer(ordinal: nil, raw: raw, mapping: mapping))
      identityDefiners += 1
    }
  }
}
