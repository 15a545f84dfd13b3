import CSPipeCore
import Foundation

/// Where a fact came from: the export file and line normalise carried along. Ordering facts by
/// origin, not by the order they arrive in, makes every roll-up independent of input order, so
/// shards folded apart and merged (`--partial`, `--merge`) give the same result as one run.
struct Origin: Comparable, Sendable {
  var file: String
  var line: Int

  static func < (lhs: Origin, rhs: Origin) -> Bool {
    lhs.file != rhs.file ? lhs.file < rhs.file : lhs.line < rhs.line
  }

  init(file: String, line: Int) {
    self.file = file
    self.line = line
  }
}

/// Everything segment keeps about one account while it reads: sums, counts, latest values and
/// the account's subscriptions. Its size depends on the account, never on how many usage rows
/// or tickets stream past. Every field merges associatively and commutatively (sums, minima,
/// maxima, "best by a total order"), which is what makes partial aggregates possible.
final class AccountRollup {
  struct Attribute {
    var value: JSONValue
    /// The CRM list (0) wins over billing (1), billing over support (2); then the origin.
    var rank: Int
    var origin: Origin

    func beats(_ other: Attribute) -> Bool {
      rank != other.rank ? rank < other.rank : origin < other.origin
    }
  }

  struct Survey {
    var at: Int
    var score: JSONValue
    var origin: Origin

    /// The latest response wins; on the same instant, the first by origin.
    func beats(_ other: Survey) -> Bool {
      at != other.at ? at > other.at : origin < other.origin
    }
  }

  let key: String
  var attributes = AttributeSlots()
  var subscriptions: [SubscriptionFact] = []
  /// Earliest due date of an unpaid invoice, per subscription id ("" for invoices without one).
  var unpaidDue: [String: Int] = [:]
  var invoicesPastDue = 0
  var pastDueAmount: [String: DecimalSum] = [:]
  var failedPayments90 = 0
  var lastFailedPayment: Int?
  /// Usage, support, surveys, milestones, programs and users (`Engagement`), made on the
  /// first such fact; read through the forwarding properties below.
  private var engagement: Engagement?

  var freshness = SourceTimes()

  init(key: String) { self.key = key }

  /// The account's `Engagement`, made when first written. The properties below forward to it
  /// one by one: one generic `@dynamicMemberLookup` subscript over key paths did the same in
  /// four lines but cost 3% of segment's instructions (key paths applied per fact).
  private var engaged: Engagement {
    if let engagement { return engagement }
    let made = Engagement()
    engagement = made
    return made
  }

  var usageFirstSeen: [String: Int] {
    get { engagement?.usageFirstSeen ?? [:] }
    set { engaged.usageFirstSeen = newValue }
    _modify { yield &engaged.usageFirstSeen }
  }

  var usageLastSeen: [String: Int] {
    get { engagement?.usageLastSeen ?? [:] }
    set { engaged.usageLastSeen = newValue }
    _modify { yield &engaged.usageLastSeen }
  }

  var usageMonthly: [String: [Int: DecimalSum]] {
    get { engagement?.usageMonthly ?? [:] }
    set { engaged.usageMonthly = newValue }
    _modify { yield &engaged.usageMonthly }
  }

  var usageLast30: [String: DecimalSum] {
    get { engagement?.usageLast30 ?? [:] }
    set { engaged.usageLast30 = newValue }
    _modify { yield &engaged.usageLast30 }
  }

  var usagePrevious30: [String: DecimalSum] {
    get { engagement?.usagePrevious30 ?? [:] }
    set { engaged.usagePrevious30 = newValue }
    _modify { yield &engaged.usagePrevious30 }
  }

  var activeUsers: (day: Int, value: DecimalSum)? {
    get { engagement?.activeUsers ?? nil }
    set { engaged.activeUsers = newValue }
    _modify { yield &engaged.activeUsers }
  }

  var openBySeverity: [String: Int] {
    get { engagement?.openBySeverity ?? [:] }
    set { engaged.openBySeverity = newValue }
    _modify { yield &engaged.openBySeverity }
  }

  var tickets90: Int {
    get { engagement?.tickets90 ?? 0 }
    set { engaged.tickets90 = newValue }
    _modify { yield &engaged.tickets90 }
  }

  var lastTicket: Int? {
    get { engagement?.lastTicket ?? nil }
    set { engaged.lastTicket = newValue }
    _modify { yield &engaged.lastTicket }
  }

  var lastHighSeverity: Int? {
    get { engagement?.lastHighSeverity ?? nil }
    set { engaged.lastHighSeverity = newValue }
    _modify { yield &engaged.lastHighSeverity }
  }

  var satisfaction: [String: Int] {
    get { engagement?.satisfaction ?? [:] }
    set { engaged.satisfaction = newValue }
    _modify { yield &engaged.satisfaction }
  }

  var surveys: [String: Survey] {
    get { engagement?.surveys ?? [:] }
    set { engaged.surveys = newValue }
    _modify { yield &engaged.surveys }
  }

  var milestones: [String: Int] {
    get { engagement?.milestones ?? [:] }
    set { engaged.milestones = newValue }
    _modify { yield &engaged.milestones }
  }

  var programs: [JSONValue] {
    get { engagement?.programs ?? [] }
    set { engaged.programs = newValue }
    _modify { yield &engaged.programs }
  }

  var sponsors: Int {
    get { engagement?.sponsors ?? 0 }
    set { engaged.sponsors = newValue }
    _modify { yield &engaged.sponsors }
  }

  var champions: Int {
    get { engagement?.champions ?? 0 }
    set { engaged.champions = newValue }
    _modify { yield &engaged.champions }
  }

  var sponsorChanges90: Int {
    get { engagement?.sponsorChanges90 ?? 0 }
    set { engaged.sponsorChanges90 = newValue }
    _modify { yield &engaged.sponsorChanges90 }
  }

  var lastSponsorChange: Int? {
    get { engagement?.lastSponsorChange ?? nil }
    set { engaged.lastSponsorChange = newValue }
    _modify { yield &engaged.lastSponsorChange }
  }

  static let attributeNames = [
    "name", "domain", "parent", "owner", "industry", "region", "country", "line_of_business", "size",
    "growth_potential", "contract_start", "renewal_at", "target_value",
  ]

  /// Account lists first, then billing, then support systems, then anything else.
  static func sourceRank(_ system: String) -> Int {
    switch system {
    case "cspipe", "salesforce", "hubspot": 0
    case "stripe", "chargebee", "recurly", "zuora", "paddle", "braintree", "xero", "quickbooks": 1
    case "zendesk", "freshdesk", "jira", "servicenow", "intercom": 2
    default: 3
    }
  }

  func offer(_ name: String, _ candidate: Attribute) {
    if let existing = attributes[name], !candidate.beats(existing) { return }
    attributes[name] = candidate
  }

  func offerSurvey(_ type: String, _ candidate: Survey) {
    if let existing = surveys[type], !candidate.beats(existing) { return }
    surveys[type] = candidate
  }

  func offerActiveUsers(day: Int, value: DecimalSum) {
    if let current = activeUsers, (current.value, current.day) >= (value, day) { return }
    activeUsers = (day, value)
  }

  func mergeAttributes(_ record: LazyJSONObject, system: String, origin: Origin) {
    let rank = Self.sourceRank(system)
    for name in Self.attributeNames {
      guard let value = record[name] else { continue }
      offer(name, Attribute(value: value, rank: rank, origin: origin))
    }
  }

  /// Folds another roll-up of the same account into this one.
  func merge(_ other: AccountRollup) {
    for (name, attribute) in other.attributes { offer(name, attribute) }
    subscriptions += other.subscriptions
    for (key, due) in other.unpaidDue { unpaidDue[key] = min(unpaidDue[key] ?? due, due) }
    invoicesPastDue += other.invoicesPastDue
    for (currency, amount) in other.pastDueAmount { pastDueAmount[currency, default: 0] += amount }
    failedPayments90 += other.failedPayments90
    if let last = other.lastFailedPayment { lastFailedPayment = max(lastFailedPayment ?? last, last) }
    for (metric, day) in other.usageFirstSeen { usageFirstSeen[metric] = min(usageFirstSeen[metric] ?? day, day) }
    for (metric, day) in other.usageLastSeen { usageLastSeen[metric] = max(usageLastSeen[metric] ?? day, day) }
    for (metric, months) in other.usageMonthly {
      for (month, value) in months { usageMonthly[metric, default: [:]][month, default: 0] += value }
    }
    for (metric, value) in other.usageLast30 { usageLast30[metric, default: 0] += value }
    for (metric, value) in other.usagePrevious30 { usagePrevious30[metric, default: 0] += value }
    if let active = other.activeUsers { offerActiveUsers(day: active.day, value: active.value) }
    for (severity, count) in other.openBySeverity { openBySeverity[severity, default: 0] += count }
    tickets90 += other.tickets90
    if let last = other.lastTicket { lastTicket = max(lastTicket ?? last, last) }
    if let high = other.lastHighSeverity { lastHighSeverity = max(lastHighSeverity ?? high, high) }
    for (name, count) in other.satisfaction { satisfaction[name, default: 0] += count }
    for (type, survey) in other.surveys { offerSurvey(type, survey) }
    for (name, at) in other.milestones { milestones[name] = min(milestones[name] ?? at, at) }
    programs += other.programs
    sponsors += other.sponsors
    champions += other.champions
    sponsorChanges90 += other.sponsorChanges90
    if let last = other.lastSponsorChange { lastSponsorChange = max(lastSponsorChange ?? last, last) }
    for (source, at) in other.freshness { freshness.raise(source, to: at) }
  }
}

/// What an account has beyond billing: usage, support, surveys, milestones, programs, users.
/// Made on the first such fact: the accounts of a billing export (all of a subscription-only
/// run) carry one pointer instead of two hundred bytes of empty tables and counters, a sixth
/// of segment's memory at a million accounts (docs/PERFORMANCE.md, "Memory").
final class Engagement {
  /// First and last day (epoch day) each metric had a value above 0: first login, first use
  /// of a feature, long silence.
  var usageFirstSeen: [String: Int] = [:]
  var usageLastSeen: [String: Int] = [:]
  /// Calendar-month totals (month index year × 12 + month − 1) of the metrics the config's
  /// `monthlyUsage` names, over the last 13 months and the month to date: value milestones.
  var usageMonthly: [String: [Int: DecimalSum]] = [:]
  var usageLast30: [String: DecimalSum] = [:]
  var usagePrevious30: [String: DecimalSum] = [:]
  /// Peak daily active users of the last 30 days (ties: the later day).
  var activeUsers: (day: Int, value: DecimalSum)?
  var openBySeverity: [String: Int] = [:]
  var tickets90 = 0
  var lastTicket: Int?
  var lastHighSeverity: Int?
  var satisfaction: [String: Int] = [:]
  var surveys: [String: AccountRollup.Survey] = [:]
  var milestones: [String: Int] = [:]
  var programs: [JSONValue] = []
  var sponsors = 0
  var champions = 0
  var sponsorChanges90 = 0
  var lastSponsorChange: Int?
}

/// An account's attributes, one slot per name in `AccountRollup.attributeNames`.
///
/// Why not a dictionary: 13 entries make a Swift dictionary allocate 32 buckets of 72 bytes,
/// which was the largest part of segment's memory per account (2.3 of ~3.4 KB). Slots take
/// 64 bytes each, allocated on the first attribute. Names outside the list are not kept.
struct AttributeSlots: Sequence {
  typealias Element = (key: String, value: AccountRollup.Attribute)

  private var slots: [AccountRollup.Attribute?] = []

  static let index: [String: Int] = Dictionary(
    uniqueKeysWithValues: AccountRollup.attributeNames.enumerated().map { ($1, $0) })

  subscript(name: String) -> AccountRollup.Attribute? {
    get {
      // Most accounts of a billing export have no attributes: no name hashed for them.
      guard !slots.isEmpty, let slot = Self.index[name] else { return nil }
      return slots[slot]
    }
    set {
      guard let slot = Self.index[name] else { return }
      if slots.isEmpty {
        guard newValue != nil else { return }
        slots = Array(repeating: nil, count: AccountRollup.attributeNames.count)
      }
      slots[slot] = newValue
    }
  }

  /// The attributes present, in the order of `attributeNames`.
  func makeIterator() -> [Element].Iterator {
    zip(AccountRollup.attributeNames, slots).compactMap { name, slot in slot.map { (key: name, value: $0) } }
      .makeIterator()
  }
}

/// An account's latest event time per source (`system/dataset`, the account record's
/// `freshness`). An account has a few sources: they are kept in a short list and found by
/// comparing names, which the fold interns (`Segment.labels`), so most comparisons are of one
/// String with itself; a dictionary hashed the name on every record. Past sixteen sources (a
/// hostile input could give each record its own), the rest go to a dictionary, so the cost
/// stays linear in the records.
struct SourceTimes: Sequence {
  private var listed: [(key: String, value: Int)] = []
  private var overflow: [String: Int] = [:]
  static let listedLimit = 16

  init() {}

  init(_ times: [String: Int]) {
    for (name, at) in times.sorted(by: { TextOrder.precedes($0.key, $1.key) }) { raise(name, to: at) }
  }

  /// `name`'s time becomes `at` if it has none or an earlier one.
  mutating func raise(_ name: String, to at: Int) {
    for index in listed.indices where listed[index].key == name {
      if at > listed[index].value { listed[index].value = at }
      return
    }
    if listed.count < Self.listedLimit {
      listed.append((name, at))
    } else {
      overflow[name] = Swift.max(overflow[name] ?? at, at)
    }
  }

  var count: Int { listed.count + overflow.count }

  /// Every source and its time, in no particular order (the listed first).
  var entries: [(key: String, value: Int)] {
    overflow.isEmpty ? listed : listed + overflow.map { (key: $0.key, value: $0.value) }
  }

  func makeIterator() -> Array<(key: String, value: Int)>.Iterator { entries.makeIterator() }

  var dictionary: [String: Int] {
    var all = overflow
    for (name, at) in listed { all[name] = at }
    return all
  }
}
