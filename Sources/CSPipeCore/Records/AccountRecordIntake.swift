/// How the stages after segment (score, stage) take their input: account records and one
/// portfolio line, all made as of the run's day. Each record is checked the same way, rejected
/// with the same reasons, and the run's as-of is the one given or the first record's.
public struct AccountRecordIntake {
  public enum Taken {
    case portfolio
    case account(String)
    /// Set aside in the rejects log.
    case rejected
  }

  /// The tool's own description of what it reads, for the reject reason.
  let reads: String
  let rejects: RejectLog
  /// True when `--as-of` was given: records made earlier are accepted.
  let asOfGiven: Bool
  /// The first instant after the run's as-of day, and its label; set from the first record
  /// when not given.
  public private(set) var cutoff: Int?
  public private(set) var asOfLabel: String?
  /// The input's portfolio line (segment's), kept to be written first.
  public private(set) var portfolio: JSONObject?
  var portfolioAt: SourceLocation?

  public init(reads: String, rejects: RejectLog, cutoff: Int?, asOfLabel: String?) {
    self.reads = reads
    self.rejects = rejects
    self.cutoff = cutoff
    self.asOfLabel = asOfLabel
    asOfGiven = cutoff != nil
  }

  public mutating func take(_ record: some JSONRecordFields, location: SourceLocation, raw: () -> String) throws -> Taken {
    func reject(_ field: String?, _ reason: String) throws -> Taken {
      try rejects.reject(at: location, field: field, reason: reason, raw: raw())
      return .rejected
    }
    let kind = record["kind"]?.stringValue
    guard kind == "account" || kind == "portfolio" else {
      return try reject(nil, "\(reads), not \(kind.map { "\"\($0)\"" } ?? "a record without kind")")
    }
    guard let recordAsOf = record["as_of"]?.stringValue, let recordCutoff = AsOfDay.cutoff(recordAsOf) else {
      return try reject("as_of", "expected the as-of day segment writes")
    }
    if cutoff == nil {
      cutoff = recordCutoff
      asOfLabel = recordAsOf
    }
    guard recordCutoff <= cutoff! else {
      return try reject("as_of", "made as of \(recordAsOf), after this run's as-of \(asOfLabel!): its facts were not known then")
    }
    if !asOfGiven && recordCutoff != cutoff! {
      return try reject("as_of", "as of \(recordAsOf) while the run is as of \(asOfLabel!) (from the first record): pass --as-of")
    }
    if kind == "portfolio" {
      guard portfolio == nil else {
        return try reject(nil, "a second portfolio line (the first is at \(portfolioAt?.rendered ?? "?"))")
      }
      portfolio = record.object
      portfolioAt = location
      return .portfolio
    }
    guard let key = record["account"]?.stringValue, !key.isEmpty else {
      return try reject("account", "an account record needs its account key")
    }
    return .account(key)
  }

  /// The portfolio line to write first: the input's without the stage's own member (`name`),
  /// or a bare one when the input had none.
  public func portfolioLine(without name: String) -> JSONObject {
    var line = portfolio ?? JSONObject([("kind", .string("portfolio")), ("as_of", .string(asOfLabel ?? ""))])
    if portfolio == nil && asOfLabel == nil { line["as_of"] = .null }
    line[name] = nil
    return line
  }
}

/// An account line with one member added at its end (`"health":{…}`, `"stage":{…}`), the line's
/// own bytes kept as they are. A record that already has the member (scored or staged before)
/// is written again from its tree without it.
public enum RecordLine {
  /// Appends the line up to and including `"name":`; the caller writes the value and the
  /// closing brace.
  public static func open(
    _ record: some JSONRecordFields, line: UnsafeBufferPointer<UInt8>, adding name: String, to out: inout ByteBuffer
  ) {
    var trimmed = line[...]
    while let last = trimmed.last, last == ASCII.space || last == ASCII.tab || last == ASCII.carriageReturn || last == ASCII.lineFeed {
      trimmed = trimmed.dropLast()
    }
    if record[name] == nil, trimmed.last == ASCII.closeBrace, trimmed.count > 2 {
      let body = trimmed.dropLast()
      out.append(UnsafeBufferPointer(rebasing: body))
      // `{ }`: an empty object takes the member without a comma.
      let last = body.last { $0 != ASCII.space && $0 != ASCII.tab && $0 != ASCII.carriageReturn && $0 != ASCII.lineFeed }
      if last != ASCII.openBrace { out.append(ASCII.comma) }
    } else {
      var bare = record.object
      bare[name] = nil
      var writer = JSONWriter()
      writer.value(.object(bare))
      out.append(UnsafeBufferPointer(rebasing: writer.bytes.dropLast()))
      if !bare.entries.isEmpty { out.append(ASCII.comma) }
    }
    var key = JSONWriter()
    key.string(name)
    out.append(key.bytes)
    out.append(ASCII.colon)
  }
}
