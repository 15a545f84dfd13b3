import CSPipeCore

/// One account's health, as written in its `health` object (docs/SCORE.md, "Output").
struct HealthReport {
  let score: Double?
  let color: String?
  let profile: String
  let tierWeights: String?
  let coverage: Double
  let renewalProbability: Double?
  let reasons: [(code: String, measure: String?, text: String)]
  let result: HealthScore
  let groupOrder: [String]
  let trend: Trend?
  /// With `--history`: per span (7, 30, 90 days) the snapshot compared with, or nil.
  let history: [(span: Int, asOf: String, score: Double?)?]?

  struct Trend {
    let previousAsOf: String
    let previousScore: Double?
    let previousColor: String?
    let daysInColor: Int?
  }

  func write(to out: inout JSONWriter) {
    out.openObject()
    out.key("score")
    if let score { out.fixed(score, places: 2) } else { out.null() }
    out.key("color")
    if let color { out.string(color) } else { out.null() }
    out.member("profile", string: profile)
    out.key("tier_weights")
    if let tierWeights { out.string(tierWeights) } else { out.null() }
    out.member("coverage", fixed: coverage, places: 4)
    out.key("renewal_probability")
    if let renewalProbability { out.fixed(renewalProbability, places: 4) } else { out.null() }
    out.array("reasons") { out in
      for reason in reasons {
        out.openObject()
        out.member("code", string: reason.code)
        if let measure = reason.measure { out.member("measure", string: measure) }
        out.member("text", string: reason.text)
        out.closeObject()
      }
    }
    out.object("measures") { out in
      for reading in result.readings where reading.state != .unused {
        out.object(reading.measure.name) { out in
          out.member("group", string: reading.measure.group)
          if let value = reading.value { out.member("value", fixed: value, places: 4) }
          if let age = reading.ageDays { out.member("age_days", int: age) }
          out.member("weight", fixed: reading.weight, places: 4)
          switch reading.state {
          case .scored(let points):
            out.member("points", fixed: points, places: 2)
            out.member("share", fixed: reading.share, places: 4)
            out.key("contribution")
            out.decimal(units: reading.contributionCents, scale: 2)
          case .stale:
            out.member("stale", .bool(true))
          case .missing:
            out.member("missing", .bool(true))
          case .unused:
            break
          }
        }
      }
    }
    out.object("groups") { out in
      for (index, name) in groupOrder.enumerated() {
        let weight = result.groupWeights[index]
        guard weight > 0 else { continue }
        out.object(name) { out in
          out.member("weight", fixed: weight, places: 4)
          out.key("score")
          if let score = result.groupScores[index] { out.fixed(score, places: 2) } else { out.null() }
        }
      }
    }
    if let trend {
      out.object("trend") { out in
        out.member("previous_as_of", string: trend.previousAsOf)
        out.key("previous_score")
        if let previous = trend.previousScore { out.fixed(previous, places: 2) } else { out.null() }
        out.key("score_change")
        if let previous = trend.previousScore, let score {
          out.fixed(score - previous, places: 2)
        } else {
          out.null()
        }
        out.key("previous_color")
        if let previous = trend.previousColor { out.string(previous) } else { out.null() }
        out.key("days_in_color")
        if let days = trend.daysInColor { out.int(days) } else { out.null() }
      }
    }
    if let history {
      out.object("history") { out in
        for (index, span) in ScoreHistory.spans.enumerated() {
          out.key("\(span)_days")
          guard let entry = history[index] else {
            out.null()
            continue
          }
          out.openObject()
          out.member("as_of", string: entry.asOf)
          out.key("score")
          if let earlier = entry.score { out.fixed(earlier, places: 2) } else { out.null() }
          out.key("score_change")
          if let earlier = entry.score, let score { out.fixed(score - earlier, places: 2) } else { out.null() }
          out.closeObject()
        }
      }
    }
    out.closeObject()
  }
}

/// Scores account records under one model as of one day: the rules of docs/SCORE.md, apart
/// from reading and writing (the `score` stage drives it; the fuzzer calls it directly).
public struct HealthAssessor: Sendable {
  let model: HealthModel
  /// The first instant after the as-of day.
  let cutoff: Int
  let asOfLabel: String
  let previous: PreviousScores?
  let calibration: Calibration?
  let history: ScoreHistory?

  public init(
    model: HealthModel, cutoff: Int, asOfLabel: String, previous: PreviousScores? = nil, calibration: Calibration? = nil,
    history: ScoreHistory? = nil
  ) {
    self.history = history
    self.model = model
    self.cutoff = cutoff
    self.asOfLabel = asOfLabel
    self.previous = previous
    self.calibration = calibration
  }

  /// The health of one account record as of the day.
  func assess(_ record: JSONObject) -> HealthReport {
    let model = self.model
    let profile = model.profiles.first { $0.rule.holds(for: record, cutoff: cutoff) }!
    var weights = profile.weights
    let tier = record["tier"]?.stringValue
    let tierWeights = tier.flatMap { model.tierWeights[$0] }
    for (name, weight) in tierWeights ?? [:] { weights[name] = weight }
    let asOfMonth = String(asOfLabel.prefix(7))
    // Measures often share their dating paths (four read the usage source's freshness).
    var dates: [String: Int?] = [:]
    let readings = model.measures.map { measure -> MeasureReading in
      let weight = weights[measure.name] ?? measure.weight
      if weight == 0 {
        return MeasureReading(measure: measure, weight: 0, value: nil, ageDays: nil, state: .unused)
      }
      var age: Int?
      if !measure.datedBy.isEmpty {
        // The input's date: without one, the source is not in this run (no silent zero).
        let dated: Int?
        if let known = dates[measure.datedByKey] {
          dated = known
        } else {
          dated = RecordValues.latestInstant(measure.datedBy, in: record, before: cutoff)
          dates[measure.datedByKey] = .some(dated)
        }
        guard let dated else {
          return MeasureReading(measure: measure, weight: weight, value: nil, ageDays: nil, state: .missing)
        }
        age = RecordValues.days(from: dated, toDayEndingAt: cutoff)
      }
      guard let value = measure.input.value(in: record, cutoff: cutoff, asOfMonth: asOfMonth), value.isFinite else {
        return MeasureReading(measure: measure, weight: weight, value: nil, ageDays: age, state: .missing)
      }
      if let limit = measure.staleDays, let age, age > limit {
        return MeasureReading(measure: measure, weight: weight, value: value, ageDays: age, state: .stale)
      }
      return MeasureReading(
        measure: measure, weight: weight, value: value, ageDays: age, state: .scored(points: measure.scale.points(value)))
    }
    let groupWeights = model.groups.map { weights[$0.name] ?? $0.weight }
    let result = HealthScore(tree: model.tree, groupWeights: groupWeights, readings: readings)
    let color = result.score.map(model.color(of:))
    return HealthReport(
      score: result.score, color: color, profile: profile.name, tierWeights: tierWeights == nil ? nil : tier,
      coverage: result.coverage,
      renewalProbability: color.flatMap { calibration?.probability(color: $0, tier: tier) ?? model.renewalProbability[$0] },
      reasons: reasons(result, record: record), result: result, groupOrder: model.groups.map(\.name),
      trend: trend(record, score: result.score, color: color),
      history: history.map { history in
        history.earlier(record["account"]?.stringValue ?? "", asOfDay: cutoff / 86400 - 1).map { found in
          found.map { (span: $0.span, asOf: Timestamps.isoDate($0.day * 86400), score: $0.score) }
        }
      })
  }

  /// The top negative drivers (points below the model's bar, by points lost), then stale
  /// inputs and low coverage: stable codes with a sentence a person reads.
  func reasons(_ result: HealthScore, record: JSONObject) -> [(code: String, measure: String?, text: String)] {
    var drivers: [(loss: Double, index: Int)] = []
    for (index, reading) in result.readings.enumerated() {
      guard case .scored(let points) = reading.state, points < model.reasonBelow else { continue }
      drivers.append((reading.share * (100 - points), index))
    }
    drivers.sort { $0.loss != $1.loss ? $0.loss > $1.loss : $0.index < $1.index }
    var reasons = drivers.prefix(model.reasonCount).map { driver -> (code: String, measure: String?, text: String) in
      let reading = result.readings[driver.index]
      return (reading.measure.reasonCode, reading.measure.name, ReasonText.fill(reading.measure.reasonTemplate, reading, record))
    }
    for reading in result.readings where reading.state == .stale {
      reasons.append(
        (
          "stale_input", reading.measure.name,
          "\(reading.measure.name): its data is \(reading.ageDays ?? 0) days old (limit \(reading.measure.staleDays ?? 0)), not scored"
        ))
    }
    if result.scoreCents == nil {
      reasons.append(("no_data", nil, "no measure of the model has data for this account"))
    } else if result.coverage < model.coverageFloor {
      reasons.append(
        ("low_coverage", nil, "only \(Int((result.coverage * 100).rounded()))% of the model's weight had data"))
    }
    return reasons
  }

  func trend(_ record: JSONObject, score: Double?, color: String?) -> HealthReport.Trend? {
    guard let previous, let key = record["account"]?.stringValue else { return nil }
    guard let earlier = previous.accounts[key] else {
      return HealthReport.Trend(previousAsOf: previous.asOf, previousScore: nil, previousColor: nil, daysInColor: nil)
    }
    var days: Int?
    if let color, color == earlier.color, let since = AsOfDay.cutoff(previous.asOf) {
      days = (earlier.daysInColor ?? 0) + max(0, (cutoff - since) / 86400)
    } else if color != nil {
      days = 0
    }
    return HealthReport.Trend(
      previousAsOf: previous.asOf, previousScore: earlier.score, previousColor: earlier.color, daysInColor: days)
  }
}

/// A reason's sentence: `{value}`, `{percent}`, `{abs_percent}`, `{days}` and `{field:PATH}`,
/// split into pieces when the model loads; an unknown placeholder stays as written.
enum ReasonText {
  enum Piece: Sendable {
    case text(String)
    case value, percent, absPercent, days
    case field(RecordPath)
  }

  static func compile(_ template: String) -> [Piece] {
    var pieces: [Piece] = []
    var rest = Substring(template)
    while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
      if open > rest.startIndex { pieces.append(.text(String(rest[..<open]))) }
      let name = String(rest[rest.index(after: open)..<close])
      switch name {
      case "value": pieces.append(.value)
      case "percent": pieces.append(.percent)
      case "abs_percent": pieces.append(.absPercent)
      case "days": pieces.append(.days)
      default:
        pieces.append(name.hasPrefix("field:") ? .field(RecordPath(String(name.dropFirst(6)))) : .text(String(rest[open...close])))
      }
      rest = rest[rest.index(after: close)...]
    }
    if !rest.isEmpty { pieces.append(.text(String(rest))) }
    return pieces
  }

  static func fill(_ pieces: [Piece], _ reading: MeasureReading, _ record: JSONObject) -> String {
    var text = ""
    for piece in pieces {
      switch piece {
      case .text(let literal): text += literal
      case .value: text += reading.value.map { number($0) } ?? "{value}"
      case .percent: text += reading.value.map { String(Int(($0 * 100).rounded())) } ?? "{percent}"
      case .absPercent: text += reading.value.map { String(Int((abs($0) * 100).rounded())) } ?? "{abs_percent}"
      case .days: text += reading.ageDays.map(String.init) ?? "{days}"
      case .field(let path):
        switch path.first(in: record) {
        case .string(let value)?: text += value.count > 10 && value.dropFirst(10).first == "T" ? String(value.prefix(10)) : value
        case .number(let value)?: text += value
        case .bool(let flag)?: text += flag ? "yes" : "no"
        default: text += "unknown"
        }
      }
    }
    return text
  }

  /// Up to two decimals, no trailing zeros.
  static func number(_ value: Double) -> String {
    JSONNumber.fixed(value, places: 2).numberText ?? String(value)
  }
}
