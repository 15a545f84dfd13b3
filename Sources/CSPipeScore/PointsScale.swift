import CSPipeCore

/// How a measure's value becomes 0–100 points (docs/SCORE.md, "Points").
public enum PointsScale: Sendable {
  /// Steps: the points of the last step whose `from` the value reaches (lower bounds
  /// inclusive); a value below the first step gets the first step's points.
  case thresholds([(from: Double, points: Double)])
  /// 0 points at `poor`, 100 at `healthy`, straight in between and flat beyond either end;
  /// `poor` above `healthy` means lower values are healthier.
  case linear(poor: Double, healthy: Double)

  init(reader: ConfigReader, direction: HealthModel.Direction) throws {
    let kinds = reader.keys
    guard kinds.count == 1, let kind = kinds.first else {
      throw reader.fail(nil, "expected exactly one of thresholds, linear")
    }
    switch kind {
    case "linear":
      let spec = try reader.object("linear")
      let poor = try spec.number("poor")
      let healthy = try spec.number("healthy")
      try spec.finish()
      guard poor != healthy else { throw spec.fail("healthy", "must differ from poor") }
      guard (healthy > poor) == (direction == .higher) else {
        throw spec.fail(
          nil, "poor \(poor) and healthy \(healthy) contradict direction \"\(direction.rawValue)\"")
      }
      self = .linear(poor: poor, healthy: healthy)
    case "thresholds":
      let steps = try reader.objects("thresholds") { step in
        (from: try step.number("from"), points: try step.number("points"))
      }
      guard !steps.isEmpty else { throw reader.fail("thresholds", "expected at least one step") }
      for index in steps.indices {
        guard (0...100).contains(steps[index].points) else {
          throw reader.fail("thresholds[\(index)].points", "expected 0 to 100 points")
        }
        if index > 0 {
          guard steps[index].from > steps[index - 1].from else {
            throw reader.fail("thresholds[\(index)].from", "steps must rise: \(steps[index].from) after \(steps[index - 1].from)")
          }
          let rising = steps[index].points >= steps[index - 1].points
          let falling = steps[index].points <= steps[index - 1].points
          guard direction == .higher ? rising : falling else {
            throw reader.fail(
              "thresholds[\(index)].points", "points go against direction \"\(direction.rawValue)\"")
          }
        }
      }
      self = .thresholds(steps)
    default:
      throw reader.fail(kind, "not a points scale (thresholds, linear)")
    }
  }

  /// The points for `value`, 0–100.
  public func points(_ value: Double) -> Double {
    switch self {
    case .thresholds(let steps):
      var points = steps[0].points
      for step in steps where value >= step.from { points = step.points }
      return points
    case .linear(let poor, let healthy):
      let position = (value - poor) / (healthy - poor)
      return min(100, max(0, position * 100))
    }
  }
}
