import CSPipeCore
import Foundation
import Glibc

/// Settings of one `normalise` run beyond the shared I/O flags.
public struct NormaliseOptions: Sendable {
  public var mappings: MappingSet
  /// Facts dated at or after this instant (epoch seconds) are not known yet (`--as-of`).
  public var cutoff: Int
  public var aliasesPath: String?
  /// Files whose defining records (and survey lines) teach identity and duplicates without
  /// being written (`--identity`).
  public var identityPaths: [String]
  /// Write pass 1's survey instead of canonical records (`--survey`).
  public var survey: Bool

  public init(
    mappings: MappingSet, cutoff: Int, aliasesPath: String? = nil, identityPaths: [String] = [], survey: Bool = false
  ) {
    self.mappings = mappings
    self.cutoff = cutoff
    self.aliasesPath = aliasesPath
    self.identityPaths = identityPaths
    self.survey = survey
  }

  /// The built-in mappings plus the user's (`--mappings`), with the zones declared for sources
  /// whose times carry none (`--timezone SOURCE=ZONE`). A mapping that does not fit the
  /// canonical schema is a `ConfigError` naming the file and key.
  public static func load(
    mappingPaths: [String], zones: [(source: String, zone: String)], cutoff: Int, aliasesPath: String?,
    identityPaths: [String] = [], survey: Bool = false, reporter: StderrReporter
  ) throws -> NormaliseOptions {
    do {
      var mappings = try MappingSet.load(extra: mappingPaths)
      for (source, zone) in zones where try mappings.declareZone(zone, for: source) == 0 {
        reporter.emit(Diagnostic(.warning, "--timezone \(source.debugDescription): no mapping has that source"))
      }
      return NormaliseOptions(
        mappings: mappings, cutoff: cutoff, aliasesPath: aliasesPath, identityPaths: identityPaths, survey: survey)
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
  /// `--identity`: defining records read from its files, and records there that define nothing.
  public var identityDefiners = 0
  public var identitySkipped = 0
  /// `--survey`: the run wrote its survey (every record read went into it).
  public var surveyed = false
  public var surveyedDefiners = 0
  public var surveyedKeys = 0

  public var shares: [(count: Int, label: String)] {
    if surveyed { return [(recordsIn, "surveyed")] }
    return [
      (recordsOut, "out"), (rejected, "rejected"), (duplicates, "duplicates merged"), (unmatched, "unmatched"),
      (afterAsOf, "after --as-of"),
    ]
  }

  public var notes: [String] {
    var notes = [Self.count(files, "file")]
    if identityDefiners + identitySkipped > 0 {
      notes.append("\(Self.count(identityDefiners, "defining record")) from --identity, \(identitySkipped) other(s) there skipped")
    }
    if surveyed {
      notes.append(Self.count(surveyedDefiners, "defining record"))
      notes.append(Self.count(surveyedKeys, "source key"))
    }
    return notes
  }
}

/// `normalise`: raw records in, canonical records out (docs/CONTRACT.md §3).
///
/// One read of the input. Each record is converted as it is read and set aside in a temporary
/// file (`PendingRecord`); meanwhile the run learns who is who (identity facts from customer,
/// organization and account records) and which copy of each source key wins (`CopyRank`).
/// Once everything is read, the records are placed in their accounts and written in input
/// order. Memory grows with accounts and repeated keys, not with records (`SeenKeys`).
/// `--survey` writes what was learnt instead (docs/SCALE.md); `--identity` reads it back.
public final class Normalise {
  let options: NormaliseOptions
  let output: OutputSink
  let rejects: RejectLog
  let unmatchedSink: OutputSink?
  var supportMinted: Set<String> = []
  let reporter: StderrReporter
  var summary = NormaliseSummary()
  var index = IdentityIndex()
  /// Accounts of the records that define identity facts, by position (pass 1 decides them once).
  /// A position is the input's index and the line number (`index << 40 | line`): both passes
  /// see the same lines, whether or not a line parses.
  var definerAccounts: [Int: String] = [:]
  /// Per source key read more than once (or in a survey): the copy that wins so far
  /// (`CopyRank`). Keys read once are only in `seenKeys`.
  var winners = DigestTable<KeyWinner>()
  var seenKeys = SeenKeys()
  /// The keys themselves, kept only for a survey (a digest cannot be written for another run).
  var winnerKeys: [KeyDigest: String] = [:]
  var exportFiles = ExportFiles()
  /// The defining records, one copy each in their own order, kept only for a survey.
  var definers: [Definer] = []
  /// The defining records read so far, resolved once every input is read.
  var pendingDefiners: [Definer] = []
  /// Per business key (`businessKey`): the first record that had it, for the conflict warning.
  var businessKeys: [String: (sourceKey: String, line: Int, file: String)] = [:]
  /// The mappings and sources of the records set aside, which hold their indices.
  var setAsideMappings = InternTable<ObjectIdentifier, ValidatedMapping>()
  var setAsideTags = InternTable<SourceTag, SourceTag>()
  var linesSurveyed = 0
  var identityDefiners = 0
  var identitySkipped = 0
  var unknownSources: [String: Int] = [:]
  /// Sources read whose naive times are in a zone nobody declared, with their record counts.
  var undeclaredZones: [String: Int] = [:]
  var printedWarnings = 0
  /// The mapping of the record read last (`MappingSet.mapping(for:after:)`).
  var lastMapping: (tag: SourceTag, mapping: ValidatedMapping?)?

  let inputs: [String]

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
    if let aliases = options.aliasesPath {
      _ = try AliasFile.load(path: aliases, into: &index)
    }
    let sources = try inputs.map { try ByteSource(path: $0) }
    let identity = try options.identityPaths.map { try ByteSource(path: $0) }
    if options.survey {
      try survey(sources)
      try settleIdentity(identity)
      summary.identityDefiners = identityDefiners
      summary.identitySkipped = identitySkipped
      try writeSurvey()
      summary.surveyed = true
      summary.recordsIn = linesSurveyed
      return summary
    }
    // One read of the input: records converted and set aside; then, with identity and
    // duplicates known, placed and written in the order read.
    let spill = try SpillFile(tool: "normalise")
    var input = NDJSONInput(rejects: rejects)
    let copies = MappingCopies(options.mappings, separate: InParallel.threads > 1)
    for (index, source) in sources.enumerated() {
      // Each record is prepared on any core (it depends on no record before it), then taken in
      // input order.
      try input.forEachLineInParallel(in: source, makeParser: { [options] in RecordPreparer(options: options, copies: copies) }) {
        prepared, batch, location, line in
        try take(
          prepared, from: batch, line: line, location: location, ordinal: index << 40 | (location.line ?? 0), into: spill)
      }
    }
    try settleIdentity(identity)
    summary.identityDefiners = identityDefiners
    summary.identitySkipped = identitySkipped
    try forEachPending(in: spill) { try place($0) }
    summary.recordsIn = input.recordsRead
    summary.rejected = rejects.count
    for (source, count) in unknownSources.sorted(by: { TextOrder.precedes($0.key, $1.key) }) {
      reporter.emit(
        Diagnostic(
          .warning,
          "no mapping for \(source): its \(count) record(s) were rejected (write one, see docs/MAPPINGS.md, and pass --mappings)"))
    }
    for (source, count) in undeclaredZones.sorted(by: { TextOrder.precedes($0.key, $1.key) }) {
      let system = source.split(separator: "/").first.map(String.init) ?? source
      reporter.emit(
        Diagnostic(
          .warning,
          "\(source): its times carry no zone (the exporting account's own setting); \(count) record(s) read them as UTC: declare the zone with --timezone \(system)=Europe/Berlin (your helpdesk's zone)"
        ))
    }
    if summary.mintedFromSupport > 0 {
      reporter.emit(
        Diagnostic(
          .warning,
          "nothing in this run defines accounts (no account list, billing customers or --aliases): \(summary.mintedFromSupport) support record(s) made \(summary.accountsMintedFromSupport) account(s) from their own e-mail domain, company or organisation (marked \"account_minted\"); to tie them to billing, add the billing exports or an alias file (account,domain,acme.com)"
        ))
    }
    if summary.unmatched > 0 && unmatchedSink == nil {
      reporter.emit(
        Diagnostic(.warning, "\(summary.unmatched) record(s) matched no account (list them with --unmatched FILE; tie them with --aliases)")
      )
    }
    return summary
  }

  // Identity facts and duplicate winners: NormaliseStage+Identity.swift, +Duplicates.swift.
  // Conversion, as-of and output: NormaliseStage+Conversion.swift; records set aside: +SetAside.swift.

  func warn(_ message: String) {
    printedWarnings += 1
    if printedWarnings <= 20 { reporter.emit(Diagnostic(.warning, message)) }
  }
}

/// A source key reduced to 128 bits. Pass 1 keeps an entry for each key read more than once
/// (`SeenKeys`), and a survey one for each key; digests keep those entries at a third of the
/// memory of the key strings. Two hashes with different leading
/// salts make a collision (which would merge two records) a 2^-128 event.
struct KeyDigest: Hashable {
  let high: Int
  let low: Int

  init(high: Int, low: Int) {
    self.high = high
    self.low = low
  }

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
