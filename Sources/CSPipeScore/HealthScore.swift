import CSPipeCore

/// One measure as read for one account.
struct MeasureReading {
  enum State: Equatable {
    /// Scored: its points count.
    case scored(points: Double)
    /// Its data is older than the measure's limit: shown, not scored.
    case stale
    /// No data: left out, its weight shared out.
    case missing
    /// Weight 0 under the account's profile: not part of its score.
    case unused
  }

  let measure: HealthModel.Measure
  let weight: Double
  let value: Double?
  /// Days since the input's latest date (datedBy), when it has one.
  let ageDays: Int?
  let state: State
  /// Share of the score this measure carries (Σ over scored measures = 1), once computed.
  var share = 0.0
  /// Its contribution in hundredths, rounded so that they add up to the score exactly.
  var contributionCents = 0
}

/// The arithmetic of docs/SCORE.md ("Arithmetic"): a weighted average of points within each
/// group, groups averaged by weight up the tree, a measure or group with no data left out with
/// its weight shared out proportionally among the rest; coverage is the share of nominal
/// weight that had data; contributions are each measure's share × points, rounded by largest
/// remainder so they add up to the (rounded) score exactly.
struct HealthScore {
  var readings: [MeasureReading]
  /// In hundredths (72.35 is 7235); nil when no measure had data.
  let scoreCents: Int?
  let coverage: Double
  /// Per group: its score (0–100) over the measures with data in it, nil when none.
  let groupScores: [String: Double?]
  let groupWeights: [String: Double]

  init(model: HealthModel, weights: [String: Double], readings initial: [MeasureReading]) {
    var readings = initial
    func weight(ofGroup name: String) -> Double {
      weights[name] ?? model.groups.first { $0.name == name }!.weight
    }
    var groupWeights: [String: Double] = [:]
    for group in model.groups { groupWeights[group.name] = weight(ofGroup: group.name) }
    // Children of each group, in model order: measures first, then subgroups.
    var childGroups: [String?: [String]] = [:]
    for group in model.groups { childGroups[group.parent, default: []].append(group.name) }
    var measuresOf: [String: [Int]] = [:]
    for (index, reading) in readings.enumerated() { measuresOf[reading.measure.group, default: []].append(index) }

    // Which groups have data (a scored measure with weight somewhere below them).
    var hasData: [String: Bool] = [:]
    func groupHasData(_ name: String) -> Bool {
      if let known = hasData[name] { return known }
      let own = (measuresOf[name] ?? []).contains {
        if case .scored = readings[$0].state { return readings[$0].weight > 0 } else { return false }
      }
      let below = (childGroups[name] ?? []).contains { groupWeights[$0]! > 0 && groupHasData($0) }
      hasData[name] = own || below
      return own || below
    }
    // A group with no weighted measure anywhere below it is not part of this profile's model
    // (onboarding leaves value progress out): it takes no share of the nominal weight either.
    var usable: [String: Bool] = [:]
    func groupUsable(_ name: String) -> Bool {
      if let known = usable[name] { return known }
      let own = (measuresOf[name] ?? []).contains { readings[$0].weight > 0 }
      let below = (childGroups[name] ?? []).contains { groupWeights[$0]! > 0 && groupUsable($0) }
      usable[name] = own || below
      return own || below
    }
    // Walks down from the top sharing out weight: `actual` among children with data,
    // `nominal` among all children with weight (for coverage).
    var groupScores: [String: Double?] = [:]
    var coverage = 0.0
    func visit(_ group: String, actual: Double, nominal: Double) -> Double? {
      let measures = (measuresOf[group] ?? []).filter { readings[$0].weight > 0 }
      let groups = (childGroups[group] ?? []).filter { groupWeights[$0]! > 0 && groupUsable($0) }
      let nominalTotal = measures.reduce(0.0) { $0 + readings[$1].weight } + groups.reduce(0.0) { $0 + groupWeights[$1]! }
      var actualTotal = 0.0
      for index in measures {
        if case .scored = readings[index].state { actualTotal += readings[index].weight }
      }
      for child in groups where groupHasData(child) { actualTotal += groupWeights[child]! }
      var sum = 0.0
      for index in measures {
        let share = readings[index].weight / nominalTotal * nominal
        guard case .scored(let points) = readings[index].state else { continue }
        coverage += share
        readings[index].share = actualTotal > 0 ? readings[index].weight / actualTotal * actual : 0
        sum += readings[index].weight * points
      }
      for child in groups {
        let childNominal = groupWeights[child]! / nominalTotal * nominal
        let childActual = groupHasData(child) && actualTotal > 0 ? groupWeights[child]! / actualTotal * actual : 0
        if let score = visit(child, actual: childActual, nominal: childNominal) {
          sum += groupWeights[child]! * score
        }
      }
      let score: Double? = actualTotal > 0 ? sum / actualTotal : nil
      groupScores[group] = score
      return score
    }
    let top = (childGroups[nil] ?? []).filter { groupWeights[$0]! > 0 && groupUsable($0) }
    let topNominal = top.reduce(0.0) { $0 + groupWeights[$1]! }
    let topActual = top.filter(groupHasData).reduce(0.0) { $0 + groupWeights[$1]! }
    for group in top {
      _ = visit(
        group, actual: groupHasData(group) ? groupWeights[group]! / topActual : 0,
        nominal: topNominal > 0 ? groupWeights[group]! / topNominal : 0)
    }
    for group in model.groups where groupScores[group.name] == nil { groupScores[group.name] = .some(nil) }

    // Contributions in hundredths by largest remainder: they add up to the rounded score.
    let exact = readings.map { reading -> Double in
      if case .scored(let points) = reading.state { return reading.share * points }
      return 0
    }
    if topActual > 0 {
      let total = exact.reduce(0, +)
      let target = Int((total * 100).rounded(.toNearestOrEven))
      var floors = exact.map { Int(($0 * 100).rounded(.down)) }
      var missing = target - floors.reduce(0, +)
      let order = exact.indices.sorted { left, right in
        let a = exact[left] * 100 - Double(floors[left])
        let b = exact[right] * 100 - Double(floors[right])
        return a != b ? a > b : left < right
      }
      var position = 0
      while missing > 0 && !order.isEmpty {
        floors[order[position % order.count]] += 1
        missing -= 1
        position += 1
      }
      for index in readings.indices { readings[index].contributionCents = floors[index] }
      scoreCents = target
    } else {
      scoreCents = nil
    }
    self.readings = readings
    self.coverage = coverage
    self.groupScores = groupScores
    self.groupWeights = groupWeights
  }

  var score: Double? { scoreCents.map { Double($0) / 100 } }
}
