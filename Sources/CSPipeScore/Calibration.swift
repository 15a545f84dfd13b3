import CSPipeCore

/// Renewal probability per colour (and per tier and colour) learned from history
/// (docs/SCORE.md, "Calibration"): for every account in a past snapshot whose renewal date fell
/// after that snapshot and on or before as-of, the colour it had then and whether it renewed
/// (MRR above 0 in the first record dated on or after the renewal) or churned. An outcome dated
/// after as-of is never used: a backtest as of a past day sees only what was known then.
public struct Calibration: Sendable {
  public struct Cell: Sendable, Equatable {
    public var renewed = 0
    public var churned = 0
    public var total: Int { renewed + churned }
    public var probability: Double? { total > 0 ? Double(renewed) / Double(total) : nil }
  }

  public var asOf: String
  public var snapshots = 0
  public var byColor: [String: Cell] = [:]
  public var byTier: [String: [String: Cell]] = [:]
  /// Cells with fewer outcomes than this keep the model's probability.
  public var minimumSample: Int

  /// One renewal date seen: the colour at the snapshot before it, and the account's tier then.
  struct Observation {
    let account: String
    let snapshotDay: Int
    let renewalDay: Int
    let color: String
    let tier: String
  }

  /// Learns from the score outputs in `folder` (`*.ndjson`, each with its as-of on its lines) and
  /// the account records of the current run (`current`, as of `asOf`), for outcomes.
  public static func learn(
    folder: String, current: [String: [(day: Int, mrr: Double)]], asOfDay: Int, asOf: String, minimumSample: Int,
    reporter: StderrReporter
  ) throws -> Calibration {
    var calibration = Calibration(asOf: asOf, minimumSample: minimumSample)
    var observations: [Observation] = []
    // Every account's MRR at each snapshot day, for outcomes, besides the current records.
    var mrrSeen = current
    let read = try SnapshotFolder.forEachAccount(in: folder, throughDay: asOfDay) { record, key, day in
      mrrSeen[key, default: []].append((day, RecordValues.number(record["mrr"]) ?? 0))
      guard let color = record["health"]?.objectValue?["color"]?.stringValue,
        // stage's next renewal as of the snapshot (the CRM date moved by whole terms), else the CRM's.
        let renewal = (record["stage"]?.objectValue?["renewal"]?.objectValue?["at"]?.stringValue ?? record["renewal_at"]?.stringValue)
          .flatMap(Timestamps.epochSeconds(ofCanonical:)).map({ $0 / 86400 }),
        renewal > day, renewal <= asOfDay
      else { return }
      observations.append(
        Observation(
          account: key, snapshotDay: day, renewalDay: renewal, color: color,
          tier: record["tier"]?.stringValue ?? "unranked"))
    }
    calibration.snapshots = read.used
    for path in read.unused {
      reporter.emit(Diagnostic(.warning, "no account records as of \(asOf) or before: not used", at: SourceLocation(file: path)))
    }
    // Each renewal counts once: from the latest snapshot before it (the colour a CSM saw last).
    var latest: [String: Observation] = [:]
    for observation in observations {
      let key = "\(observation.account)\u{0}\(observation.renewalDay)"
      if let known = latest[key], known.snapshotDay >= observation.snapshotDay { continue }
      latest[key] = observation
    }
    for key in latest.keys.sortedAsText() {
      let observation = latest[key]!
      // The outcome: MRR in the first record dated on or after the renewal (and by as-of).
      guard
        let after = (mrrSeen[observation.account] ?? []).filter({ $0.day >= observation.renewalDay && $0.day <= asOfDay })
          .min(by: { $0.day < $1.day })
      else { continue }
      let renewed = after.mrr > 0
      func add(_ cell: inout Cell) { if renewed { cell.renewed += 1 } else { cell.churned += 1 } }
      add(&calibration.byColor[observation.color, default: Cell()])
      add(&calibration.byTier[observation.tier, default: [:]][observation.color, default: Cell()])
    }
    return calibration
  }

  /// The probability for a colour (and tier), when enough outcomes back it; nil keeps the model's.
  public func probability(color: String, tier: String?) -> Double? {
    if let tier, let cell = byTier[tier]?[color], cell.total >= minimumSample { return cell.probability }
    if let cell = byColor[color], cell.total >= minimumSample { return cell.probability }
    return nil
  }

  /// One NDJSON line, the file `--calibration` reads.
  public var record: JSONObject {
    func cells(_ table: [String: Cell]) -> JSONValue {
      .object(
        JSONObject(
          HealthModel.colors.reversed().compactMap { color in
            guard let cell = table[color] else { return nil }
            return (
              color,
              .object(
                JSONObject([
                  ("renewed", .number(String(cell.renewed))), ("churned", .number(String(cell.churned))),
                  ("probability", cell.probability.map { JSONNumber.fixed($0, places: 4) } ?? .null),
                  ("used", .bool(cell.total >= minimumSample)),
                ]))
            )
          }))
    }
    return JSONObject([
      ("kind", .string("calibration")), ("as_of", .string(asOf)), ("snapshots", .number(String(snapshots))),
      ("minimum_sample", .number(String(minimumSample))), ("by_color", cells(byColor)),
      ("by_tier", .object(JSONObject(byTier.keys.sortedAsText().map { ($0, cells(byTier[$0]!)) }))),
    ])
  }

  /// Reads a file `--calibrate` wrote.
  public static func load(path: String) throws -> Calibration {
    let reader = try ConfigReader.load(file: path)
    do {
      guard try reader.string("kind") == "calibration" else { throw reader.fail("kind", "expected \"calibration\"") }
      var calibration = Calibration(asOf: try reader.string("as_of"), minimumSample: try reader.optionalInt("minimum_sample") ?? 20)
      calibration.snapshots = try reader.optionalInt("snapshots") ?? 0
      func cells(_ table: ConfigReader) throws -> [String: Cell] {
        var result: [String: Cell] = [:]
        for color in table.keys {
          let cell = try table.object(color)
          result[color] = Cell(renewed: try cell.optionalInt("renewed") ?? 0, churned: try cell.optionalInt("churned") ?? 0)
          _ = try cell.optionalNumber("probability")
          _ = try cell.optionalBool("used")
          try cell.finish()
        }
        try table.finish()
        return result
      }
      calibration.byColor = try cells(try reader.object("by_color"))
      let tiers = try reader.object("by_tier")
      for tier in tiers.keys { calibration.byTier[tier] = try cells(try tiers.object(tier)) }
      try tiers.finish()
      try reader.finish()
      return calibration
    } catch let error as ConfigError {
      throw error.asRole("calibration")
    }
  }
}
