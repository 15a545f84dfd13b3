import CSPipeCore

/// A scoring model (`pipelines/model.json`, docs/SCORE.md): measures read from the account
/// record, each mapped to 0–100 points, weighted within nested groups; colours by score; renewal
/// probability by colour; profiles that change weights by lifecycle and tier.
public struct HealthModel: Sendable {
  public let name: String
  public let version: String
  /// Lower bounds, inclusive: green ≥ green, yellow ≥ yellow, orange ≥ orange, red below.
  public let colorFloors: (green: Double, yellow: Double, orange: Double)
  public var renewalProbability: [String: Double]
  /// Where the probabilities came from: `model` defaults, or a calibration file.
  public var renewalSource = "model"
  public let groups: [Group]
  public let measures: [Measure]
  public let profiles: [Profile]
  /// Weights for an account's tier, applied over its profile's (`tier1` weighs sponsors more).
  public let tierWeights: [String: [String: Double]]
  /// A measure is a reason when its points are below this; at most `reasonCount` are given.
  public let reasonBelow: Double
  public let reasonCount: Int
  /// Coverage under this adds the `low_coverage` reason.
  public let coverageFloor: Double
  /// The groups and measures as indices, for scoring.
  let tree: ModelTree

  public static let colors = ["red", "orange", "yellow", "green"]

  public struct Group: Sendable {
    public let name: String
    /// The group it sits in; nil at the top.
    public let parent: String?
    public let weight: Double
  }

  public struct Measure: Sendable {
    public let name: String
    public let group: String
    public let weight: Double
    public let input: RecordInput
    public let direction: Direction
    public let scale: PointsScale
    /// Data older than this many days is stale and not scored (nil: no limit).
    public let staleDays: Int?
    /// Paths whose latest date dates the input (`freshness.*/usage`, `surveys.nps.at`); the
    /// measure is missing when none of them holds a date.
    public let datedBy: [RecordPath]
    /// The dating paths as one string: measures dated alike share one lookup per account.
    let datedByKey: String
    public let reasonCode: String
    /// The sentence of its reason, with `{value}`, `{percent}`, `{abs_percent}`, `{days}` (the
    /// input's age) and `{field:PATH}` filled in.
    public let reasonText: String
    /// The same, split once into text and placeholders.
    let reasonTemplate: [ReasonText.Piece]
  }

  public enum Direction: String, Sendable {
    case higher, lower
  }

  public struct Profile: Sendable {
    public let name: String
    public let rule: ProfileRule
    public let weights: [String: Double]
  }

  /// Picks the color for a score (already rounded).
  public func color(of score: Double) -> String {
    if score >= colorFloors.green { return "green" }
    if score >= colorFloors.yellow { return "yellow" }
    if score >= colorFloors.orange { return "orange" }
    return "red"
  }

  /// The model's identity and rules as every output echoes them.
  public var echo: JSONObject {
    JSONObject([
      ("model", .string(name)), ("version", .string(version)),
      (
        "colors",
        .object(
          JSONObject([
            ("green", JSONNumber.fixed(colorFloors.green, places: 2)),
            ("yellow", JSONNumber.fixed(colorFloors.yellow, places: 2)),
            ("orange", JSONNumber.fixed(colorFloors.orange, places: 2)),
          ]))
      ),
      (
        "renewal_probability",
        .object(JSONObject(Self.colors.reversed().map { ($0, JSONNumber.fixed(renewalProbability[$0] ?? 0, places: 4)) }))
      ),
      ("renewal_probability_from", .string(renewalSource)),
      ("profiles", .array(profiles.map { .string($0.name) })),
    ])
  }
}

extension HealthModel {
  /// Loads and checks a model file: every error names the file and the key.
  public static func load(path: String) throws -> HealthModel {
    try make(try ConfigReader.load(file: path))
  }

  /// The default model, `pipelines/model.json` as compiled into the binary.
  public static func builtin() throws -> HealthModel {
    try make(try ConfigReader.parse(Array(BuiltinModel.json.utf8), file: "(built-in model)"))
  }

  static func make(_ reader: ConfigReader) throws -> HealthModel {
    do {
      let model = try HealthModel(reader: reader)
      try reader.finish()
      return model
    } catch let error as ConfigError {
      throw error.asRole("model")
    }
  }

  init(reader: ConfigReader) throws {
    _ = try reader.optionalString("description")
    name = try reader.string("model")
    version = try reader.string("version")
    let colors = try reader.object("colors")
    let green = try colors.number("green")
    let yellow = try colors.number("yellow")
    let orange = try colors.number("orange")
    try colors.finish()
    guard 0 <= orange, orange <= yellow, yellow <= green, green <= 100 else {
      throw colors.fail(nil, "expected 0 ≤ orange ≤ yellow ≤ green ≤ 100")
    }
    colorFloors = (green, yellow, orange)
    let probabilities = try reader.object("renewalProbability")
    var renewal: [String: Double] = [:]
    for color in Self.colors {
      let value = try probabilities.number(color)
      guard (0...1).contains(value) else { throw probabilities.fail(color, "expected a probability between 0 and 1") }
      renewal[color] = value
    }
    try probabilities.finish()
    renewalProbability = renewal
    if let reasons = try reader.optionalObject("reasons") {
      reasonBelow = try reasons.optionalNumber("below") ?? 60
      reasonCount = try reasons.optionalInt("top") ?? 3
      coverageFloor = try reasons.optionalNumber("coverageBelow") ?? 0.5
      try reasons.finish()
    } else {
      reasonBelow = 60
      reasonCount = 3
      coverageFloor = 0.5
    }

    groups = try reader.objects("groups") { group in
      Group(
        name: try group.string("name"), parent: try group.optionalString("parent"),
        weight: try Self.weight(group, "weight"))
    }
    var groupNames: Set<String> = []
    for (index, group) in groups.enumerated() {
      guard groupNames.insert(group.name).inserted else {
        throw reader.fail("groups[\(index)].name", "\(group.name.debugDescription) is declared twice")
      }
    }
    for (index, group) in groups.enumerated() {
      if let parent = group.parent, !groupNames.contains(parent) {
        throw reader.fail("groups[\(index)].parent", "no group named \(parent.debugDescription)")
      }
      // Nesting must end at the top: a group that is its own ancestor has no weight to share.
      var seen: Set<String> = [group.name]
      var current = group.parent
      while let name = current {
        guard seen.insert(name).inserted else {
          throw reader.fail("groups[\(index)].parent", "groups nest in a cycle through \(name.debugDescription)")
        }
        current = groups.first { $0.name == name }?.parent
      }
    }
    let knownGroups = groupNames
    measures = try reader.objects("measures") { measure in try Measure(reader: measure, groups: knownGroups) }
    guard !measures.isEmpty else { throw reader.fail("measures", "a model needs at least one measure") }
    var measureNames: Set<String> = []
    for (index, measure) in measures.enumerated() where !measureNames.insert(measure.name).inserted {
      throw reader.fail("measures[\(index)].name", "\(measure.name.debugDescription) is declared twice")
    }
    let weighted = measureNames.union(groupNames)
    func weights(_ reader: ConfigReader?) throws -> [String: Double] {
      guard let reader else { return [:] }
      var result: [String: Double] = [:]
      for key in reader.keys {
        guard weighted.contains(key) else { throw reader.fail(key, "no measure or group of that name") }
        result[key] = try Self.weight(reader, key)
      }
      try reader.finish()
      return result
    }
    profiles = try reader.objects("profiles") { profile in
      Profile(
        name: try profile.string("name"), rule: try ProfileRule(reader: try profile.optionalObject("when")),
        weights: try weights(try profile.optionalObject("weights")))
    }
    guard let last = profiles.last, last.rule.isAlways else {
      throw reader.fail("profiles", "the last profile must apply to every account (no \"when\"), so each account has one")
    }
    var tiers: [String: [String: Double]] = [:]
    if let tierReader = try reader.optionalObject("tiers") {
      for tier in tierReader.keys {
        tiers[tier] = try weights(try tierReader.object(tier))
      }
      try tierReader.finish()
    }
    tierWeights = tiers
    tree = ModelTree(groups: groups, measures: measures)
  }

  static func weight(_ reader: ConfigReader, _ key: String) throws -> Double {
    let value = try reader.number(key)
    guard value >= 0, value <= 1e6 else { throw reader.fail(key, "expected a weight from 0 to 1000000") }
    return value
  }
}

extension HealthModel.Measure {
  init(reader: ConfigReader, groups: Set<String>) throws {
    name = try reader.string("name")
    group = try reader.string("group")
    guard groups.contains(group) else { throw reader.fail("group", "no group named \(group.debugDescription)") }
    weight = try HealthModel.weight(reader, "weight")
    input = try RecordInput(reader: try reader.object("input"))
    let directionText = try reader.string("direction")
    guard let direction = HealthModel.Direction(rawValue: directionText) else {
      throw reader.fail("direction", "expected \"higher\" or \"lower\" (which values are healthier)")
    }
    self.direction = direction
    scale = try PointsScale(reader: try reader.object("points"), direction: direction)
    staleDays = try reader.optionalInt("staleDays")
    if let staleDays, staleDays < 0 { throw reader.fail("staleDays", "expected a number of days ≥ 0") }
    datedBy = try reader.strings("datedBy").map(RecordPath.init)
    datedByKey = datedBy.map(\.text).joined(separator: "\u{0}")
    if staleDays != nil && datedBy.isEmpty { throw reader.fail("staleDays", "needs \"datedBy\": the paths that date the input") }
    let reason = try reader.object("reason")
    reasonCode = try reason.string("code")
    reasonText = try reason.string("text")
    reasonTemplate = ReasonText.compile(reasonText)
    try reason.finish()
    guard reasonCode.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }), !reasonCode.isEmpty else {
      throw reason.fail("code", "expected a code of letters, digits and _ (a stable name)")
    }
  }
}
