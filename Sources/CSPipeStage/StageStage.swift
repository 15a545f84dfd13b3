import CSPipeCore
import Glibc

/// Settings of one `stage` run beyond the shared I/O flags.
public struct StageOptions {
  public var journey: Journey
  /// The first instant after the as-of day; nil takes the records' own as-of.
  public var cutoff: Int?
  public var asOfLabel: String?
  public var snoozes = Snoozes()
  /// Where to write cohort proposals (`--cohorts FILE`).
  public var cohortsSink: OutputSink?
  /// A folder of earlier stage outputs: each account's effectiveness baseline.
  public var historyFolder: String?
  /// The first day of the usage data (`--usage-from`), else the earliest first use in the input.
  public var usageFrom: Int?

  public init(journey: Journey, cutoff: Int?, asOfLabel: String?) {
    self.journey = journey
    self.cutoff = cutoff
    self.asOfLabel = asOfLabel
  }
}

/// What one `stage` run did. In = staged + portfolio lines + rejected.
public struct StageRunSummary: Equatable, Sendable, StageSummary {
  public var files = 0
  public var recordsIn = 0
  public var staged = 0
  public var portfolios = 0
  public var rejected = 0
  public var bands: [String: Int] = [:]
  public var moments = 0

  public var shares: [(count: Int, label: String)] {
    [(staged, "staged"), (portfolios, "portfolio"), (rejected, "rejected")]
  }

  public var notes: [String] {
    Band.Name.allCases.map { Self.count(bands[$0.rawValue] ?? 0, $0.rawValue) } + [
      "\(bands["unbanded"] ?? 0) not paying", Self.count(moments, "moment"), Self.count(files, "file"),
    ]
  }
}

/// `stage`: scored account records in (score's output, or segment's), the same records out with
/// a `stage` object added (docs/STAGE.md): lifecycle phase, milestones against the baseline
/// journey, effectiveness stage, band and playbook, engagement moments. Sorted by account, the
/// portfolio line first with the counts and the baseline check. Memory grows with accounts: the
/// lines wait in temporary files, since the portfolio line and a cruiser's champion peer need
/// every account placed first.
public final class Stage {
  let options: StageOptions
  let output: OutputSink
  let rejects: RejectLog
  let reporter: StderrReporter
  let inputs: [String]
  var summary = StageRunSummary()
  /// The run's as-of (given, or taken from the first record) and the input's portfolio line.
  var intake: AccountRecordIntake
  var asOfLabel: String? { intake.asOfLabel }
  /// The earliest first use of any usage metric in the input: where the usage data starts.
  var earliestUsage: Int?
  var recordNames = Set<String>()
  var metrics = Set<String>()
  /// Per account, what the portfolio line, cohorts and peers need.
  var placed: [String: PlacedAccount] = [:]

  struct PlacedAccount {
    let phase: Phase.Name
    let band: Band.Name?
    let touch: String
    let tier: String
    let segmentValue: String?
    let score: Double?
    let nextStage: String?
    let overdue: [String]
    let milestones: [(name: String, state: MilestoneState.State, day: Int?, onTime: Bool)]
    let moments: [Moment.Status: Int]
    let expired: Int
    let capped: Int
    let inPrograms: [String]
    let playbook: String?
  }

  public init(options: StageOptions, context: StageContext) {
    self.options = options
    output = context.output
    rejects = context.rejects
    reporter = context.reporter
    inputs = context.inputs
    intake = AccountRecordIntake(
      reads: "stage reads account records (score's or segment's)", rejects: context.rejects, cutoff: options.cutoff,
      asOfLabel: options.asOfLabel)
  }

  public func run() throws -> StageRunSummary {
    summary.files = inputs.count
    let spool = try AccountSpool(tool: "stage")
    defer { spool.close() }
    var input = NDJSONInput(rejects: rejects)
    for path in inputs {
      try input.forEachLine(
        in: try ByteSource(path: path),
        parse: { (line) throws(JSONSyntaxError) -> LazyJSONObject? in try JSONParser.parseLazyObject(line) }
      ) { record, location, line in
        try take(record, line: line, location: location, spool: spool)
      }
    }
    summary.recordsIn = input.recordsRead
    summary.rejected = rejects.count
    let cutoff = intake.cutoff ?? AsOfDay.cutoff(Timestamps.isoDate(Int(time(nil))))!
    let asOfDay = (cutoff - 1) / 86400
    let context = PlacementContext(
      journey: options.journey, cutoff: cutoff, asOfDay: asOfDay, asOfMonth: String(Timestamps.isoDate(asOfDay * 86400).prefix(7)),
      usageFrom: options.usageFrom ?? earliestUsage, recordNames: recordNames, metrics: metrics, snoozes: options.snoozes,
      history: try options.historyFolder.map { try EffectivenessHistory.load(folder: $0, beforeDay: asOfDay) })
    // Placed lines wait in a second spool, open at their end when a cruiser's peer is to come.
    let placedSpool = try AccountSpool(tool: "stage")
    defer { placedSpool.close() }
    try spool.forEachLine { key, line in
      let lazy = try line.withUnsafeBufferPointer { try JSONParser.parseLazyObject($0) }!
      let record = Self.placementFields(lazy)
      let placement = context.place(record, key: key)
      placed[key] = PlacedAccount(placement, record: record, journey: options.journey)
      var out = ByteBuffer(capacity: line.count + 4096)
      line.withUnsafeBufferPointer { Self.appendStage(lazy, line: $0, placement: placement, to: &out) }
      _ = try placedSpool.add(key: key, line: out.bytes)
    }
    for account in placed.values {
      summary.bands[account.band?.rawValue ?? "unbanded", default: 0] += 1
      summary.moments += account.moments.values.reduce(0, +)
    }
    let peers = ChampionPeers(placed)
    let cohorts = CohortProposals(placed, journey: options.journey)
    try writePortfolioLine(asOfDay: asOfDay, usageFrom: context.usageFrom, cohorts: cohorts)
    try placedSpool.forEachLine { key, line in
      var out = ByteBuffer(capacity: line.count + 64)
      line.withUnsafeBufferPointer { out.append($0) }
      if let account = placed[key], account.band != nil {
        let peer = peers.peer(for: account, segmentName: options.journey.peerSegment)
        Placement.finish(peer: account.band == .cruiser ? .some(peer) : nil, to: &out)
      }
      out.append(ASCII.closeBrace)
      out.append(ASCII.lineFeed)
      try output.write { $0.append(out.bytes) }
    }
    if let sink = options.cohortsSink { try cohorts.write(to: sink, asOf: asOfLabel ?? Timestamps.isoDate(asOfDay * 86400)) }
    return summary
  }

  /// The record as placement reads it: every member but score's health object, of which only
  /// the score and colour are kept (building the measures was a third of stage's time).
  static func placementFields(_ record: LazyJSONObject) -> JSONObject {
    var fields = record.object(skipping: ["health"])
    if let health = record.nested("health") {
      fields["health"] = .object(JSONObject([("score", health["score"] ?? .null), ("color", health["color"] ?? .null)]))
    }
    return fields
  }

  private func take(_ record: LazyJSONObject, line: UnsafeBufferPointer<UInt8>, location: SourceLocation, spool: AccountSpool) throws {
    let raw = { String(decoding: line.prefix(1 << 16), as: UTF8.self) }
    let key: String
    switch try intake.take(record, location: location, raw: raw) {
    case .rejected: return
    case .portfolio:
      summary.portfolios += 1
      return
    case .account(let taken): key = taken
    }
    let cutoff = intake.cutoff!
    if let names = record["milestones"]?.objectValue?.keys { recordNames.formUnion(names) }
    if let firstSeen = record.nested("usage")?["first_seen"]?.objectValue {
      for entry in firstSeen.entries {
        metrics.insert(entry.key)
        if let day = RecordValues.day(entry.value.stringValue), day < cutoff / 86400 {
          earliestUsage = min(earliestUsage ?? day, day)
        }
      }
    }
    if let duplicate = try spool.add(key: key, line: line) {
      // The record kept is the same whatever the input order: the smaller line.
      return try rejects.reject(
        at: location,
        reason: "account \(key.debugDescription) is in the input twice; "
          + (duplicate.keptNew ? "this one is kept, the other dropped" : "the other one is kept"),
        raw: duplicate.keptNew ? duplicate.droppedLine : raw())
    }
    summary.staged += 1
  }

  /// The input line with `"stage":{…` added at its end; the caller closes it.
  static func appendStage(_ record: some JSONRecordFields, line: UnsafeBufferPointer<UInt8>, placement: Placement, to out: inout ByteBuffer)
  {
    RecordLine.open(record, line: line, adding: "stage", to: &out)
    var writer = JSONWriter()
    placement.write(to: &writer)
    out.append(writer.bytes)
  }
}

extension StageOptions {
  /// The options from their files: the journey (`--journey`, else the built-in one) and the
  /// snoozes (`--snoozes`).
  public static func load(
    journeyPath: String?, snoozesPath: String?, asOf: (cutoff: Int, label: String)?
  ) throws -> StageOptions {
    let journey = try journeyPath.map(Journey.load(path:)) ?? Journey.builtin()
    var options = StageOptions(journey: journey, cutoff: asOf?.cutoff, asOfLabel: asOf?.label)
    if let snoozesPath { options.snoozes = try Snoozes.load(path: snoozesPath) }
    return options
  }
}
