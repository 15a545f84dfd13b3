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

/// The model's groups as indices, built once: parents, child groups and measures of each, so
/// that scoring an account walks arrays instead of looking names up.
struct ModelTree: Sendable {
  let groupNames: [String]
  let childGroups: [[Int]]
  let measuresOf: [[Int]]
  let topGroups: [Int]

  init(groups: [HealthModel.Group], measures: [HealthModel.Measure]) {
    groupNames = groups.map(\.name)
    let index = Dictionary(uniqueKeysWithValues: groups.enumerated().map { ($1.name, $0) })
    var children = [[Int]](repeating: [], count: groups.count)
    var top: [Int] = []
    for (position, group) in groups.enumerated() {
      if let parent = group.parent.flatMap({ index[$0] }) { children[parent].append(position) } else { top.append(position) }
    }
    var measuresOf = [[Int]](repeating: [], count: groups.count)
    for (position, measure) in measures.enumerated() { measuresOf[index[measure.group]!].append(position) }
    childGroups = children
    self.measuresOf = measuresOf
    topGroups = top
  }
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
  /// Per group (model order): its score (0–100) over the measures with data in it, nil when none.
  let groupScores: [Double?]
  let groupWeights: [Double]

  init(tree: ModelTree, groupWeights: [Double], readings initial: [MeasureReading]) {
    var readings = initial
    let count = tree.groupNames.count
    // Per group: 0 unknown, 1 yes, 2 no.
    var usable = [UInt8](repeating: 0, count: count)
    var hasData = [UInt8](repeating: 0, count: count)
    // A group with no weighted measure anywhere below it is not part of this profile's model
    // (onboarding leaves value progress out): it takes no share of the nominal weight either.
    func groupUsable(_ group: Int) -> Bool {
      if usable[group] != 0 { return usable[group] == 1 }
      let result =
        tree.measuresOf[group].contains { readings[$0].weight > 0 }
        || tree.childGroups[group].contains { groupWeights[$0] > 0 && groupUsable($0) }
      usable[group] = result ? 1 : 2
      return result
    }
    func isScored(_ measure: Int) -> Bool {
      if case .scored = readings[measure].state { return readings[measure].weight > 0 }
      return false
    }
    func groupHasData(_ group: Int) -> Bool {
      if hasData[group] != 0 { return hasData[group] == 1 }
      let result =
        tree.measuresOf[group].contains(where: isScored)
        || tree.childGroups[group].contains { groupWeights[$0] > 0 && groupHasData($0) }
      hasData[group] = result ? 1 : 2
      return result
    }
    var groupScores = [Double?](repeating: nil, count: count)
    var coverage = 0.0
    // Walks down from the top sharing out weight: `actual` among children with data,
    // `nominal` among all children with weight (for coverage).
    func visit(_ group: Int, actual: Double, nominal: Double) -> Double? {
      let measures = tree.measuresOf[group].filter { readings[$0].weight > 0 }
      let groups = tree.childGroups[group].filter { groupWeights[$0] > 0 && groupUsable($0) }
      let nominalTotal = measures.reduce(0.0) { $0 + readings[$1].weight } + groups.reduce(0.0) { $0 + groupWeights[$1] }
      var actualTotal = 0.0
      for index in measures where isScored(index) { actualTotal += readings[index].weight }
      for child in groups where groupHasData(child) { actualTotal += groupWeights[child] }
      var sum = 0.0
      for index in measures {
        guard case .scored(let points) = readings[index].state else { continue }
        coverage += readings[index].weight / nominalTotal * nominal
        readings[index].share = actualTotal > 0 ? readings[index].weight / actualTotal * actual : 0
        sum += readings[index].weight * points
      }
      for child in groups {
        let childNominal = groupWeights[child] / nominalTotal * nominal
        let childActual = groupHasData(child) && actualTotal > 0 ? groupWeights[child] / actualTotal * actual : 0
        if let score = visit(child, actual: childActual, nominal: childNominal) {
          sum += groupWeights[child] * score
        }
      }
      let score: Double? = actualTotal > 0 ? sum / actualTotal : nil
      groupScores[group] = score
      return score
    }
    let top = tree.topGroups.filter { groupWeights[$0] > 0 && groupUsable($0) }
    let topNominal = top.reduce(0.0) { $0 + groupWeights[$1] }
    let topActual = top.filter(groupHasData).reduce(0.0) { $0 + groupWeights[$1] }
    for group in top {
      _ = visit(
        group, actual: groupHasData(group) ? groupWeights[group] / topActual : 0,
        nominal: topNominal > 0 ? groupWeights[group] / topNominal : 0)
    }

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
