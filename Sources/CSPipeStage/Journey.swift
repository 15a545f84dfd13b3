import CSPipeCore

/// The customer journey (`pipelines/journey.json`, docs/STAGE.md): the phases' windows, the
/// baseline milestones, effectiveness stages, band and playbook rules, and the engagement
/// moments with their caps and expiry. Loaded strictly: a typo is an error naming its key path.
public struct Journey: Sendable {
  public let name: String
  public let version: String
  /// The usage metric `target_value` counts (per 30 days): value milestones and the champion test.
  public let valueMetric: String?
  public let onboardingDays: Int
  public let renewalWindowDays: Int
  /// Contract term: a renewal date in the past rolls forward by whole terms.
  public let termMonths: Int
  public let milestones: [Milestone]
  public let baselines: [Baseline]
  public let stages: [EffectivenessStage]
  public let championColors: [String]
  /// The value metric over the last 30 days ÷ `target_value` a champion reaches.
  public let championValueAtLeast: Double
  public let laggardColors: [String]
  /// The `segments` attribute a cruiser's champion peer shares (`industry`); nil: any.
  public let peerSegment: String?
  public let playbooks: [Playbook]
  public let championActions: [String]
  public let cruiserActions: [String]
  /// Per touch model: who owns a moment (`csm` is the account's owner) and the channel.
  public let owners: [String: String]
  public let channels: [String: String]
  /// Moments due up to this many days after as-of are listed.
  public let horizonDays: Int
  public let maxMomentsPerAccount: Int
  public let moments: [MomentRule]
  public let cohortMinimum: Int
  public let cohortMaximum: Int

  public struct Milestone: Sendable {
    public let name: String
    public let description: String?
    /// The baseline day (days after contract start) it is due by.
    public let day: Int
    /// Part of onboarding: onboarding ends when every such milestone is met.
    public let onboarding: Bool
    /// The time-to-value milestone.
    public let firstValue: Bool
    /// Whose work it is: `ours` (a delivery milestone), `customer`, `shared`.
    public let side: String
    /// Every source must hold; the milestone is met on the latest of their days.
    public let sources: [Source]
  }

  public enum Source: Sendable {
    /// A canonical `milestone` record of this name (segment's `milestones`).
    case record(String)
    /// The first day the usage metric was above 0 (`usage.first_seen`).
    case firstSeen(String)
    /// The first calendar month whose value-metric total reached this share of `target_value`.
    case valueShare(Double)
  }

  public struct Baseline: Sendable {
    public let name: String
    public let when: Selector
    public let days: [String: Int]
  }

  /// Which accounts a baseline applies to: every condition given must hold.
  public struct Selector: Sendable {
    public let tiers: [String]
    public let touches: [String]
    /// `segments` attributes and the values that select (`{"industry": ["Healthcare"]}`).
    public let segments: [(name: String, values: [String])]

    func selects(_ record: JSONObject) -> Bool {
      if !tiers.isEmpty && !tiers.contains(record["tier"]?.stringValue ?? "") { return false }
      if !touches.isEmpty && !touches.contains(record["touch"]?.stringValue ?? "") { return false }
      let attributes = record["segments"]?.objectValue
      for (name, values) in segments where !values.contains(attributes?[name]?.stringValue ?? "") { return false }
      return true
    }
  }

  public struct EffectivenessStage: Sendable {
    public let name: String
    public let behaviours: [Condition]
  }

  public struct Playbook: Sendable {
    public let name: String
    /// Whose side the cause is on: `ours` (rescue), `shared` (recover), `customer` (farewell).
    public let cause: String
    /// The playbook applies when any condition holds; with none, to every laggard left.
    public let conditions: [Condition]
    public let actions: [String]
  }

  /// The baseline day of `milestone` for this account: the first baseline that selects it
  /// and names the milestone, else the milestone's own day.
  func baselineDay(_ milestone: Milestone, for record: JSONObject) -> (day: Int, baseline: String?) {
    for baseline in baselines where baseline.when.selects(record) {
      if let day = baseline.days[milestone.name] { return (day, baseline.name) }
    }
    return (milestone.day, nil)
  }
}

extension Journey {
  public static func load(path: String) throws -> Journey {
    try make(try ConfigReader.load(file: path))
  }

  /// The default journey, `pipelines/journey.json` as compiled into the binary.
  public static func builtin() throws -> Journey {
    try make(try ConfigReader.parse(Array(BuiltinJourney.json.utf8), file: "(built-in journey)"))
  }

  static func make(_ reader: ConfigReader) throws -> Journey {
    do {
      let journey = try Journey(reader: reader)
      try reader.finish()
      return journey
    } catch let error as ConfigError {
      throw error.asRole("journey")
    }
  }

  init(reader: ConfigReader) throws {
    _ = try reader.optionalString("description")
    name = try reader.string("name")
    version = try reader.optionalString("version") ?? "1"
    valueMetric = try reader.optionalString("valueMetric")
    let phases = try reader.optionalObject("phases")
    func days(_ reader: ConfigReader?, _ key: String, _ fallback: Int, _ range: ClosedRange<Int>) throws -> Int {
      guard let reader else { return fallback }
      let value = try reader.optionalInt(key) ?? fallback
      guard range.contains(value) else {
        throw reader.fail(key, "expected \(range.lowerBound) to \(range.upperBound)")
      }
      return value
    }
    onboardingDays = try days(phases, "onboardingDays", 90, 1...3650)
    renewalWindowDays = try days(phases, "renewalWindowDays", 120, 0...3650)
    termMonths = try days(phases, "termMonths", 12, 1...120)
    try phases?.finish()
    milestones = try reader.objects("milestones") { try Milestone(reader: $0) }
    var seen = Set<String>()
    for (index, milestone) in milestones.enumerated() where !seen.insert(milestone.name).inserted {
      throw reader.fail("milestones[\(index)].name", "\(milestone.name.debugDescription) is named twice")
    }
    if milestones.filter(\.firstValue).count > 1 {
      throw reader.fail("milestones", "only one milestone can be the firstValue one")
    }
    let names = seen
    baselines = try reader.objects("baselines") { baseline in
      let days = try baseline.object("days")
      var table: [String: Int] = [:]
      for key in days.keys {
        guard names.contains(key) else { throw days.fail(key, "not a milestone of this journey") }
        guard let day = try days.optionalInt(key), day >= 0 else { throw days.fail(key, "expected a day ≥ 0") }
        table[key] = day
      }
      try days.finish()
      return Baseline(
        name: try baseline.string("name"), when: try Selector(reader: try baseline.optionalObject("when")), days: table)
    }
    stages = try reader.objects("stages") { stage in
      EffectivenessStage(name: try stage.string("name"), behaviours: try stage.objects("behaviours") { try Condition(reader: $0) })
    }
    guard stages.isEmpty || (1...8).contains(stages.count) else { throw reader.fail("stages", "expected 1 to 8 stages") }
    let champion = try reader.optionalObject("champion")
    championColors = try champion.map { try $0.strings("colors") } ?? ["green"]
    championValueAtLeast = try champion?.optionalNumber("valueAtLeast") ?? 1
    try champion?.finish()
    let laggard = try reader.optionalObject("laggard")
    laggardColors = try laggard.map { try $0.strings("colors") } ?? ["red", "orange"]
    try laggard?.finish()
    peerSegment = try reader.optionalString("peerSegment")
    playbooks = try reader.objects("playbooks") { playbook in
      let cause = try playbook.string("cause")
      guard ["ours", "shared", "customer"].contains(cause) else {
        throw playbook.fail("cause", "expected \"ours\", \"shared\" or \"customer\"")
      }
      return Playbook(
        name: try playbook.string("name"), cause: cause, conditions: try playbook.objects("conditions") { try Condition(reader: $0) },
        actions: try playbook.strings("actions"))
    }
    championActions = try reader.strings("championActions")
    cruiserActions = try reader.strings("cruiserActions")
    owners = try Self.table(reader, "owners", ["high": "csm", "hybrid": "pooled-csm-team", "tech": "automated"])
    channels = try Self.table(reader, "channels", ["high": "meeting", "hybrid": "call", "tech": "email"])
    horizonDays = try days(reader, "horizonDays", 30, 0...366)
    maxMomentsPerAccount = try days(reader, "maxMomentsPerAccount", 8, 1...100)
    moments = try reader.objects("moments") { try MomentRule(reader: $0) }
    var types = Set<String>()
    for (index, rule) in moments.enumerated() where !types.insert(rule.type).inserted {
      throw reader.fail("moments[\(index)].type", "\(rule.type.debugDescription) is configured twice")
    }
    let cohorts = try reader.optionalObject("cohorts")
    cohortMinimum = try days(cohorts, "minimum", 8, 2...1000)
    cohortMaximum = try days(cohorts, "maximum", 15, 2...1000)
    try cohorts?.finish()
    guard cohortMinimum <= cohortMaximum else { throw reader.fail("cohorts", "minimum is above maximum") }
  }

  static func table(_ reader: ConfigReader, _ key: String, _ fallback: [String: String]) throws -> [String: String] {
    guard let object = try reader.optionalObject(key) else { return fallback }
    var table: [String: String] = [:]
    for name in object.keys { table[name] = try object.string(name) }
    try object.finish()
    return table
  }
}

extension Journey.Milestone {
  init(reader: ConfigReader) throws {
    name = try reader.string("name")
    description = try reader.optionalString("description")
    guard let day = try reader.optionalInt("day"), day >= 0 else { throw reader.fail("day", "expected a day ≥ 0") }
    self.day = day
    onboarding = try reader.optionalBool("onboarding") ?? false
    firstValue = try reader.optionalBool("firstValue") ?? false
    side = try reader.optionalString("side") ?? "shared"
    guard ["ours", "customer", "shared"].contains(side) else {
      throw reader.fail("side", "expected \"ours\", \"customer\" or \"shared\"")
    }
    sources = try reader.objects("from") { source in
      guard source.keys.count == 1, let kind = source.keys.first else {
        throw source.fail(nil, "expected exactly one of record, firstSeen, valueShare")
      }
      switch kind {
      case "record": return .record(try source.string("record"))
      case "firstSeen": return .firstSeen(try source.string("firstSeen"))
      case "valueShare":
        let share = try source.number("valueShare")
        guard share > 0 && share <= 10 else { throw source.fail("valueShare", "expected a share above 0") }
        return .valueShare(share)
      default: throw source.fail(kind, "not a milestone source (record, firstSeen, valueShare)")
      }
    }
    guard !sources.isEmpty else { throw reader.fail("from", "expected at least one source") }
  }
}

extension Journey.Selector {
  init(reader: ConfigReader?) throws {
    guard let reader else {
      tiers = []
      touches = []
      segments = []
      return
    }
    tiers = try reader.strings("tier")
    touches = try reader.strings("touch")
    var segments: [(String, [String])] = []
    if let object = try reader.optionalObject("segments") {
      for name in object.keys.sortedAsText() { segments.append((name, try object.strings(name))) }
      try object.finish()
    }
    self.segments = segments
    try reader.finish()
  }
}

/// A named test over an account record: an input (docs/SCORE.md, "Inputs") and bounds it must
/// lie within. No value (the record lacks the data) never holds.
public struct Condition: Sendable {
  public let name: String
  public let input: RecordInput
  public let above: Double?
  public let atLeast: Double?
  public let below: Double?
  public let atMost: Double?

  init(reader: ConfigReader) throws {
    name = try reader.optionalString("name") ?? ""
    input = try RecordInput(reader: try reader.object("input"))
    above = try reader.optionalNumber("above")
    atLeast = try reader.optionalNumber("atLeast")
    below = try reader.optionalNumber("below")
    atMost = try reader.optionalNumber("atMost")
    guard above != nil || atLeast != nil || below != nil || atMost != nil else {
      throw reader.fail(nil, "expected a bound: above, atLeast, below or atMost")
    }
  }

  func value(in record: JSONObject, cutoff: Int, asOfMonth: String) -> Double? {
    input.value(in: record, cutoff: cutoff, asOfMonth: asOfMonth)
  }

  func holds(_ value: Double?) -> Bool {
    guard let value else { return false }
    if let above, !(value > above) { return false }
    if let atLeast, !(value >= atLeast) { return false }
    if let below, !(value < below) { return false }
    if let atMost, !(value <= atMost) { return false }
    return true
  }
}
