import CSPipeCore
import Glibc

/// Settings of one `score` run beyond the shared I/O flags.
public struct ScoreOptions: Sendable {
  public var model: HealthModel
  /// The first instant after the as-of day; nil takes the records' own as-of.
  public var cutoff: Int?
  public var asOfLabel: String?
  /// An earlier run's output: the change in score and colour, days in the colour.
  public var previous: PreviousScores?
  /// Check every account record against segment's declared schema first.
  public var validate = false
  /// Learn renewal probability from the score outputs in this folder instead of scoring.
  public var calibrateFolder: String?
  /// Outcomes a colour (or tier and colour) needs before its learned probability is used.
  public var minimumSample = 20
  /// Renewal probability learned earlier (`--calibration`), over the model's where it has data.
  public var calibration: Calibration?
  /// A folder of earlier score outputs: 7/30/90-day changes (`--history`).
  public var historyFolder: String?

  public init(model: HealthModel, cutoff: Int?, asOfLabel: String?) {
    self.model = model
    self.cutoff = cutoff
    self.asOfLabel = asOfLabel
  }
}

/// What one `score` run did. In = scored + portfolio lines + rejected.
public struct ScoreSummary: Equatable, Sendable, StageSummary {
  public var files = 0
  public var recordsIn = 0
  public var scored = 0
  public var portfolios = 0
  public var rejected = 0
  public var colors: [String: Int] = [:]
  /// --calibrate: the records read are outcomes, not scored.
  public var calibrating = false

  public var shares: [(count: Int, label: String)] {
    [(scored, calibrating ? "read as outcomes" : "scored"), (portfolios, "portfolio"), (rejected, "rejected")]
  }

  public var notes: [String] {
    if calibrating { return [Self.count(files, "file")] }
    var distribution = HealthModel.colors.reversed().map { "\(colors[$0] ?? 0) \($0)" }
    if let unscored = colors["unscored"] { distribution.append("\(unscored) without data") }
    return distribution + [Self.count(files, "file")]
  }
}

/// `score`: account records in (segment's output), the same records out with a `health`
/// object added (docs/SCORE.md), sorted by account; the portfolio line first with the model
/// and the colour distribution. Memory grows with accounts: scored lines wait in a temporary
/// file until the portfolio line, which needs them all, is written.
public final class Score {
  let options: ScoreOptions
  let output: OutputSink
  let rejects: RejectLog
  let reporter: StderrReporter
  let inputs: [String]
  var summary = ScoreSummary()
  lazy var warnings = CappedWarnings(reporter: reporter)
  /// The run's as-of (given, or taken from the first record) and the input's portfolio line.
  var intake: AccountRecordIntake
  var cutoff: Int? { intake.cutoff }
  var asOfLabel: String? { intake.asOfLabel }
  var spool: AccountSpool?
  /// Made once the run's as-of is known (given, or from the first record).
  var assessor: HealthAssessor?
  /// --calibrate: each account's MRR in the current records.
  var outcomes: [String: [(day: Int, mrr: Double)]] = [:]
  /// What the portfolio line counts, per account kept (a duplicate's replaced when it loses).
  var stats: [String: AccountStats] = [:]

  struct AccountStats {
    let color: String?
    let coverage: Double
    let profile: String
    let states: [(measure: String, state: MeasureReading.State)]

    init(_ health: HealthReport) {
      color = health.color
      coverage = health.coverage
      profile = health.profile
      states = health.result.readings.map { ($0.measure.name, $0.state) }
    }
  }

  public init(options: ScoreOptions, context: StageContext) {
    self.options = options
    output = context.output
    rejects = context.rejects
    reporter = context.reporter
    inputs = context.inputs
    intake = AccountRecordIntake(
      reads: "score reads segment's account records", rejects: context.rejects, cutoff: options.cutoff, asOfLabel: options.asOfLabel)
  }

  public func run() throws -> ScoreSummary {
    summary.files = inputs.count
    summary.calibrating = options.calibrateFolder != nil
    let spool = try AccountSpool(tool: "score")
    self.spool = spool
    defer { spool.close() }
    var input = NDJSONInput(rejects: rejects)
    for path in inputs {
      try input.forEachLine(
        in: try ByteSource(path: path),
        parse: { (line) throws(JSONSyntaxError) -> JSONObject? in try JSONParser.parse(line).objectValue }
      ) { record, location, line in
        try take(record, line: line, location: location)
      }
    }
    summary.recordsIn = input.recordsRead
    summary.rejected = rejects.count
    if let folder = options.calibrateFolder {
      let day = (cutoff ?? 86400) / 86400 - 1
      let calibration = try Calibration.learn(
        folder: folder, current: outcomes, asOfDay: day, asOf: asOfLabel ?? "", minimumSample: options.minimumSample,
        reporter: reporter)
      try output.write { out in
        JSONValue.object(calibration.record).write(to: &out)
        out.append(ASCII.lineFeed)
      }
      return summary
    }
    try writePortfolioLine()
    try spool.replay(into: output)
    warnings.finish()
    return summary
  }

  private func take(_ record: JSONObject, line: UnsafeBufferPointer<UInt8>, location: SourceLocation) throws {
    let raw = { String(decoding: line.prefix(1 << 16), as: UTF8.self) }
    let key: String
    switch try intake.take(record, location: location, raw: raw) {
    case .rejected: return
    case .portfolio:
      summary.portfolios += 1
      return
    case .account(let taken): key = taken
    }
    if options.validate {
      var bare = record
      bare["health"] = nil
      let problems = AccountRecordSchema.account.validate(bare)
      if !problems.isEmpty {
        return try rejects.reject(
          at: location,
          reason: "does not conform to segment's account record (docs/SEGMENT.md): " + problems.prefix(5).joined(separator: "; "),
          raw: raw())
      }
    }
    if options.calibrateFolder != nil {
      // Calibrating: the current records are outcomes (MRR as of the run), not scored.
      let day = (AsOfDay.cutoff(record["as_of"]?.stringValue ?? "") ?? cutoff!) / 86400 - 1
      outcomes[key, default: []].append((day, RecordValues.number(record["mrr"]) ?? 0))
      summary.scored += 1
      return
    }
    if assessor == nil {
      assessor = HealthAssessor(
        model: options.model, cutoff: cutoff!, asOfLabel: asOfLabel!, previous: options.previous,
        calibration: options.calibration,
        history: try options.historyFolder.map { try ScoreHistory.load(folder: $0, beforeDay: cutoff! / 86400 - 1) })
    }
    let health = assessor!.assess(record)
    var out = ByteBuffer(capacity: line.count + 2048)
    Self.appendRecord(record, line: line, health: health, to: &out)
    if let duplicate = try spool!.add(key: key, line: out.bytes) {
      if duplicate.keptNew { stats[key] = AccountStats(health) }
      let reason = "account \(key.debugDescription) is in the input twice; "
      // The record kept is the same whatever the input order: the smaller line.
      return try rejects.reject(
        at: location, reason: reason + (duplicate.keptNew ? "this one is kept, the other dropped" : "the other one is kept"),
        raw: duplicate.keptNew ? duplicate.droppedLine : raw())
    }
    summary.scored += 1
    stats[key] = AccountStats(health)
  }

  /// The input line with `"health":{…}` added at its end.
  static func appendRecord(_ record: JSONObject, line: UnsafeBufferPointer<UInt8>, health: HealthReport, to out: inout ByteBuffer) {
    RecordLine.open(record, line: line, adding: "health", to: &out)
    var writer = JSONWriter()
    health.write(to: &writer)
    out.append(writer.bytes)
    out.append(ASCII.closeBrace)
    out.append(ASCII.lineFeed)
  }
}

extension ScoreOptions {
  /// The options from their files: the model (`--model`, else the built-in one) and an
  /// earlier run's output (`--previous`).
  public static func load(
    modelPath: String?, previousPath: String?, calibrationPath: String? = nil, asOf: (cutoff: Int, label: String)?
  ) throws -> ScoreOptions {
    var model = try modelPath.map(HealthModel.load(path:)) ?? HealthModel.builtin()
    let calibration = try calibrationPath.map(Calibration.load(path:))
    if let calibration, let calibrationPath {
      model.renewalSource =
        "calibration \(calibrationPath) (as of \(calibration.asOf), \(calibration.snapshots) snapshots; colours with under \(calibration.minimumSample) renewals keep the model's)"
      if let asOf, let made = AsOfDay.cutoff(calibration.asOf), made > asOf.cutoff {
        throw RunError(
          "\(calibrationPath) was learned as of \(calibration.asOf), after this run's as-of \(asOf.label): it holds outcomes not known then"
        )
      }
    }
    var options = ScoreOptions(model: model, cutoff: asOf?.cutoff, asOfLabel: asOf?.label)
    options.previous = try previousPath.map(PreviousScores.load(path:))
    options.calibration = calibration
    return options
  }
}
