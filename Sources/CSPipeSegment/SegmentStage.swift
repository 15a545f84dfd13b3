import CSPipeCore
import Foundation

/// Settings of one `segment` run beyond the shared I/O flags.
public struct SegmentOptions: Sendable {
  public enum Mode: Sendable {
    /// Canonical records in, account records out.
    case full
    /// Canonical records in, partial aggregates out (one per account), to merge later.
    case partial
    /// Partial aggregates in (from `--partial` runs over shards), account records out.
    case merge
  }

  public var config: SegmentConfig
  public var mode: Mode = .full
  /// Tier cut points computed by another run (`--cuts`): tiers by its MRR floors, no ranks.
  public var cuts: [Decimal]?
  /// The first instant after the as-of day.
  public var cutoff: Int
  public var asOfLabel: String
  public var rates: ExchangeRates?

  public init(config: SegmentConfig, cutoff: Int, asOfLabel: String, rates: ExchangeRates? = nil) {
    self.config = config
    self.cutoff = cutoff
    self.asOfLabel = asOfLabel
    self.rates = rates
  }

  /// The options from their files: tier rules and policies (`--config`, else the defaults),
  /// exchange rates (`--rates`) and another run's tier cut points (`--cuts`).
  public static func load(
    configPath: String?, ratesPath: String?, cutsPath: String?, mode: Mode, cutoff: Int, asOfLabel: String
  ) throws -> SegmentOptions {
    let config = try configPath.map(SegmentConfig.load(path:)) ?? SegmentConfig()
    var options = SegmentOptions(
      config: config, cutoff: cutoff, asOfLabel: asOfLabel, rates: try ratesPath.map(ExchangeRates.load(path:)))
    options.mode = mode
    options.cuts = try cutsPath.map(loadCuts)
    return options
  }

  /// The MRR floors of tier 1 and tier 2 from the portfolio line of another run's output.
  static func loadCuts(_ path: String) throws -> [Decimal] {
    let source = try ByteSource(path: path)
    var floors: [Decimal]?
    try LineReader(source: source).forEachLine { line, _, _ in
      guard floors == nil, let object = (try? JSONParser.parse(line))?.objectValue,
        object["kind"]?.stringValue == "portfolio", let tiers = object["tiers"]?.objectValue
      else { return }
      func floor(_ tier: String) -> Decimal? {
        tiers[tier]?.objectValue?["mrr_floor"]?.numberText.flatMap { Decimal(string: $0) }
      }
      let first = floor("tier1") ?? Decimal.greatestFiniteMagnitude
      floors = [first, floor("tier2") ?? first]
    }
    guard let floors else {
      throw RunError("\(path) has no portfolio line with tier cut points (segment writes it first)")
    }
    return floors
  }
}

/// What one `segment` run did. Records in = folded into accounts + rejected + after as-of.
public struct SegmentSummary: Equatable, Sendable, StageSummary {
  public var files = 0
  public var recordsIn = 0
  public var folded = 0
  public var rejected = 0
  public var afterAsOf = 0
  /// Partial records (--merge) of a shard and account already merged: the same partial twice.
  public var repeatedPartials = 0
  public var accounts = 0

  public var shares: [(count: Int, label: String)] {
    [(folded, "folded"), (rejected, "rejected"), (afterAsOf, "after --as-of")]
      + (repeatedPartials > 0 ? [(repeatedPartials, "repeated partials merged once")] : [])
  }

  public var notes: [String] { ["\(accounts) accounts out", Self.count(files, "file")] }
}

/// A failure of the MRR books to balance: names the account and month (DESIGN.md 4.1).
public struct ReconciliationError: ReportableError, CustomStringConvertible {
  public let account: String
  public let month: String
  public let detail: String
  public var description: String { "MRR does not reconcile for \(account) in \(month): \(detail)" }
  public var diagnostic: Diagnostic { Diagnostic(.error, description) }
}

/// `segment`: canonical records in, one record per account out, with revenue roll-ups, MRR
/// series and movements, Pareto tiers, usage, support and survey roll-ups (docs/SEGMENT.md).
///
/// Memory grows with the number of accounts: each record is folded into its account's running
/// sums as it streams past and then forgotten.
public final class Segment {
  private let options: SegmentOptions
  private let output: OutputSink
  private let rejects: RejectLog
  private let reporter: StderrReporter
  private var accounts: [String: AccountRollup] = [:]
  /// One copy of each file name, source name and other repeated label: each record would
  /// otherwise bring its own copy of the same text into every account it touches.
  private var labels = StringInterner()
  private var summary = SegmentSummary()
  private lazy var warnings = CappedWarnings(reporter: reporter)
  /// Canonical records folded, per kind (to tell a user what their input lacks).
  private var foldedKinds: [String: Int] = [:]
  /// --partial: a fingerprint of the shard's records, the same whatever their order, so that
  /// --merge can tell the same partial given twice from two shards of one account.
  private var shardFingerprint = ShardFingerprint()
  /// --merge: the shard and account of every partial merged so far.
  private var mergedPartials: Set<String> = []

  private let inputs: [String]

  public init(options: SegmentOptions, context: StageContext) {
    self.options = options
    output = context.output
    rejects = context.rejects
    reporter = context.reporter
    inputs = context.inputs
  }

  static let day = 86400

  public func run() throws -> SegmentSummary {
    summary.files = inputs.count
    var input = NDJSONInput(rejects: rejects)
    for path in inputs {
      try input.forEachLine(in: try ByteSource(path: path), parse: LazyJSONObject.parse) { object, location, line in
        if options.mode == .partial { shardFingerprint.add(line) }
        try fold(object, location: location, line: line)
      }
    }
    summary.recordsIn = input.recordsRead
    summary.rejected = rejects.count
    if options.mode == .full && foldedKinds["subscription"] == nil {
      let billing = (foldedKinds["payment"] ?? 0) + (foldedKinds["invoice"] ?? 0)
      if billing > 0 {
        reporter.emit(Diagnostic(.warning, "\(billing) payment and invoice records but no subscriptions: MRR is 0 for every account; MRR needs a subscriptions export (Stripe, Chargebee, Recurly, Zuora, Paddle …)"))
      }
    }
    try writeResults()
    warnings.finish()
    return summary
  }

  // MARK: - Folding records into accounts

  private func fold(_ record: LazyJSONObject, location: SourceLocation, line: UnsafeBufferPointer<UInt8>) throws {
    // Rejects keep the line as read.
    let raw = { String(decoding: line, as: UTF8.self) }
    guard let kind = record["kind"]?.stringValue, let key = record["account"]?.stringValue, !key.isEmpty else {
      return try rejects.reject(at: location, reason: "expected a canonical record with kind and account", raw: raw())
    }
    if options.mode == .merge || kind == "partial" {
      return try mergePartial(record, kind: kind, key: key, location: location, raw: raw)
    }
    guard let schema = CanonicalKind.named(kind) else {
      return try rejects.reject(at: location, reason: "unknown kind \(kind.debugDescription)", raw: raw())
    }
    func time(_ field: String) -> Int? {
      record[field]?.stringValue.flatMap(Timestamps.epochSeconds(ofCanonical:))
    }
    let cutoff = options.cutoff
    if let eventField = schema.eventTime, let at = time(eventField), at >= cutoff {
      summary.afterAsOf += 1
      return
    }
    let account = accounts[key] ?? {
      let created = AccountRollup(key: key)
      accounts[key] = created
      return created
    }()
    let source = record.nested("source")
    let system = labels(source?["system"]?.stringValue ?? "")
    let origin = Origin(file: labels(source?["file"]?.stringValue ?? ""), line: source?["line"]?.intValue ?? 0)
    if let eventField = schema.eventTime, let at = time(eventField) {
      let name = labels("\(system)/\(source?["dataset"]?.stringValue ?? "")")
      account.freshness[name] = max(account.freshness[name] ?? at, at)
    }
    let last30Start = cutoff - 30 * Self.day
    let last60Start = cutoff - 60 * Self.day
    let last90Start = cutoff - 90 * Self.day
    switch kind {
    case "account":
      account.mergeAttributes(record, system: system, origin: origin)
    case "subscription":
      let (fact, problem) = SubscriptionFact.make(record, cutoff: cutoff)
      guard let fact else {
        return try rejects.reject(at: location, reason: problem ?? "unusable subscription", raw: raw())
      }
      if let problem { warnings.warn("cancellation without an end", problem, at: location) }
      account.subscriptions.append(fact)
    case "invoice":
      let status = record["status"]?.stringValue
      // Paid after as-of: unpaid as of then (what was known that day, not what came later).
      let paidLater = status == "paid" && (time("paid_at").map { $0 >= cutoff } ?? false)
      if status == "open" || status == "uncollectible" || paidLater, let due = time("due_at"), due < cutoff {
        account.invoicesPastDue += 1
        if let amount = record["amount"]?.numberText.flatMap(DecimalSum.init),
          let currency = record["currency"]?.stringValue
        {
          account.pastDueAmount[currency, default: 0] += amount
        }
        let subscription = record["subscription"]?.stringValue ?? ""
        account.unpaidDue[subscription] = min(account.unpaidDue[subscription] ?? due, due)
      }
    case "payment":
      if record["status"]?.stringValue == "failed", let at = time("at"), at >= last90Start {
        account.failedPayments90 += 1
      }
    case "ticket":
      let created = time("created_at")
      let status = record["status"]?.stringValue
      let solvedLater = time("solved_at").map { $0 >= cutoff } ?? false
      if status == "new" || status == "open" || status == "pending" || solvedLater {
        let severity = record["severity"]?.intValue.map(String.init) ?? "unknown"
        account.openBySeverity[severity, default: 0] += 1
      }
      if let created {
        if created >= last90Start { account.tickets90 += 1 }
        account.lastTicket = max(account.lastTicket ?? created, created)
        let severity = record["severity"]?.intValue ?? 4
        let priority = record["priority"]?.stringValue
        if severity <= 2 || priority == "high" || priority == "urgent" {
          account.lastHighSeverity = max(account.lastHighSeverity ?? created, created)
        }
      }
      if let satisfaction = record["satisfaction"]?.stringValue {
        account.satisfaction[satisfaction, default: 0] += 1
      }
    case "survey":
      guard let type = record["type"]?.stringValue, let at = time("at"), let score = record["score"] else { break }
      account.offerSurvey(labels(type), AccountRollup.Survey(at: at, score: score, origin: origin))
    case "usage":
      guard let at = time("at"), let metricText = record["metric"]?.stringValue,
        let value = record["value"]?.numberText.flatMap(DecimalSum.init)
      else { break }
      let metric = labels(metricText)
      if at >= last30Start {
        account.usageLast30[metric, default: 0] += value
        // Peak daily active users of the last 30 days: a weekend day must not read as churn.
        if metric == "active_users" { account.offerActiveUsers(day: at, value: value) }
      } else if at >= last60Start {
        account.usagePrevious30[metric, default: 0] += value
      }
    case "user":
      let role = record["role"]?.stringValue
      let removed = time("removed_at")
      if removed == nil || removed! >= cutoff {
        if role == "sponsor" { account.sponsors += 1 }
        if role == "champion" { account.champions += 1 }
      } else if let removed, removed >= last90Start, role == "sponsor" || role == "champion" {
        account.sponsorChanges90 += 1
      }
    case "milestone":
      if let name = record["name"]?.stringValue, let at = time("at") {
        account.milestones[name] = min(account.milestones[name] ?? at, at)
      }
    case "program":
      var entry = JSONObject()
      for field in ["name", "cohort", "joined_at", "graduated_at"] {
        if let value = record[field] { entry[field] = value }
      }
      account.programs.append(.object(entry))
    default:
      break
    }
    foldedKinds[kind, default: 0] += 1
    summary.folded += 1
  }

  private func mergePartial(
    _ record: LazyJSONObject, kind: String, key: String, location: SourceLocation, raw: () -> String
  ) throws {
    guard options.mode == .merge else {
      return try rejects.reject(at: location, reason: "a partial aggregate: combine partials with --merge", raw: raw())
    }
    guard kind == "partial" else {
      return try rejects.reject(at: location, reason: "--merge reads partial aggregates (segment --partial), not \(kind) records", raw: raw())
    }
    guard record["as_of"]?.stringValue == options.asOfLabel else {
      return try rejects.reject(
        at: location,
        reason: "partial made as of \(record["as_of"]?.stringValue ?? "?"), this run is as of \(options.asOfLabel)",
        raw: raw())
    }
    guard let state = record["state"]?.objectValue, let partial = AccountRollup.fromPartial(key: key, state: state) else {
      return try rejects.reject(at: location, reason: "not a valid partial aggregate", raw: raw())
    }
    if let shard = record["shard"]?.stringValue, !mergedPartials.insert(shard + "\u{0}" + key).inserted {
      summary.repeatedPartials += 1
      warnings.warn(
        "repeated partial", "account \(key.debugDescription) of shard \(shard) was already merged (the same partial given twice?): merged once",
        at: location)
      return
    }
    if let existing = accounts[key] {
      existing.merge(partial)
    } else {
      accounts[key] = partial
    }
    summary.folded += 1
  }

  // MARK: - Revenue

  private struct Revenue {
    /// Amounts in minor units of the base currency (cents).
    var current = 0
    /// MRR at each month-end of the window, oldest first.
    var series: [Int] = []
    /// The ends of the movement periods: `series`, then MRR at as-of when as-of is not a
    /// month-end (the month-to-date period).
    var ends: [Int] = []
    /// MRR at the end of the month before, at this month's exchange rates (constant currency):
    /// movements compare against it, and the difference to `series[i - 1]` is the FX effect.
    var previousAtCurrentRates: [Int] = []
    /// Month-ends (labels) at which the account ever had MRR before each window month.
    var paidBefore: [Bool] = []
    var seats = 0
    /// MRR at as-of of subscriptions cancelled but still served (a renewal risk).
    var mrrAtRisk = 0
    /// The earliest cancellation among them, and when each ends.
    var cancellationScheduledAt: Int?
    var scheduledEnds: [Int] = []
    /// When the account's service ends, if every subscription served at as-of is cancelled.
    var endsAt: Int?
  }

  /// Where a past-due or unpaid subscription stops counting: `pastDueGraceDays` after its
  /// oldest unpaid invoice fell due (matched by subscription id, else any of the account's). An
  /// `unpaid` one (retries exhausted) never counts at as-of; without a dated unpaid invoice it
  /// never counts at all (Stripe: unpaid is churn), while a past-due one keeps counting.
  private func graceEnd(of subscription: SubscriptionFact, in account: AccountRollup) -> Int? {
    guard subscription.status == "past_due" || subscription.status == "unpaid" else { return nil }
    let due = account.unpaidDue[subscription.id] ?? account.unpaidDue[""]
    let graceEnd = due.map { $0 + options.config.pastDueGraceDays * Self.day }
    guard subscription.status == "unpaid" else { return graceEnd }
    return min(graceEnd ?? Int.min, options.cutoff - 1)
  }

  /// A delinquent subscription that no unpaid invoice dates has no end to its grace period.
  private func warnUndatedDelinquency(_ account: AccountRollup) {
    for subscription in account.subscriptions where subscription.status == "past_due" || subscription.status == "unpaid" {
      guard account.unpaidDue[subscription.id] == nil && account.unpaidDue[""] == nil else { continue }
      warnings.warn(
        "undated delinquency",
        "account \(account.key): \(subscription.status) subscription \(subscription.id) has no dated unpaid invoice: "
          + (subscription.status == "unpaid" ? "counted 0 throughout" : "counted in full, with no grace period to end it"))
    }
  }

  /// Counts on the day ending at `dayEnd`, under the run's churn policy?
  private func counts(_ subscription: SubscriptionFact, in account: AccountRollup, atDayEnd dayEnd: Int) -> Bool {
    subscription.counts(
      atDayEnd: dayEnd, end: subscription.end(options.config.churnRecognition),
      graceEnd: graceEnd(of: subscription, in: account))
  }

  /// MRR of one account on the day ending at `dayEnd`, converted to the base currency at the
  /// rates in force at `rateDayEnd` (by default the same day).
  private func mrr(_ account: AccountRollup, atDayEnd dayEnd: Int, ratesOf rateDayEnd: Int? = nil) throws -> Int {
    var total = 0
    for subscription in account.subscriptions where counts(subscription, in: account, atDayEnd: dayEnd) {
      total += try convert(subscription, at: (rateDayEnd ?? dayEnd) - 1)
    }
    return total
  }

  /// A subscription's monthly amount in minor units of the base currency.
  private func convert(_ subscription: SubscriptionFact, at instant: Int) throws -> Int {
    let base = options.config.baseCurrency
    let currency = subscription.currency
    if currency == base { return subscription.monthlyMinor }
    let amount = subscription.monthly
    guard let rate = options.rates?.rate(currency, at: instant) else {
      throw RunError(
        "subscriptions in \(currency) cannot be added to \(base) MRR without an exchange rate on or before "
          + "\(Timestamps.isoDate(instant)): pass --rates FILE (CSV date,currency,rate)")
    }
    var converted = amount * rate
    var rounded = Decimal()
    NSDecimalRound(&rounded, &converted, Values.minorUnitDigits(of: base), .bankers)
    return SubscriptionFact.minorUnits(rounded, currency: base)
  }

  private func revenue(_ account: AccountRollup, monthEnds: [Int]) throws -> Revenue {
    var result = Revenue()
    result.current = try mrr(account, atDayEnd: options.cutoff)
    result.series = try monthEnds.map { try mrr(account, atDayEnd: $0) }
    result.previousAtCurrentRates = try monthEnds.indices.map { index in
      index == 0 ? result.series[0] : try mrr(account, atDayEnd: monthEnds[index - 1], ratesOf: monthEnds[index])
    }
    // "Paid before" a window month: MRR > 0 at any month-end before that month's start, going
    // back to the first subscription (reactivation window: unlimited).
    let firstStart = account.subscriptions.map(\.start).min()
    var everPaidBefore = false
    if let firstStart, let windowStart = monthEnds.first {
      var monthEnd = Months.endOfMonth(containing: firstStart)
      while monthEnd < windowStart {
        if try mrr(account, atDayEnd: monthEnd) > 0 {
          everPaidBefore = true
          break
        }
        monthEnd = Months.endOfMonth(containing: monthEnd)
      }
    }
    result.ends = result.series
    if let last = monthEnds.last, last < options.cutoff {
      result.ends.append(result.current)
      result.previousAtCurrentRates.append(try mrr(account, atDayEnd: last, ratesOf: options.cutoff))
    }
    for value in result.ends {
      result.paidBefore.append(everPaidBefore)
      if value > 0 { everPaidBefore = true }
    }
    result.seats = account.subscriptions.filter {
      $0.counts(atDayEnd: options.cutoff, end: $0.end(options.config.churnRecognition), graceEnd: nil)
    }.reduce(0) { $0 + $1.quantity }
    // Renewal risk: live subscriptions, still served at as-of, that are cancelled and will end.
    for subscription in account.subscriptions where subscription.cancellationScheduled {
      guard let end = subscription.serviceEnd, end >= options.cutoff,
        subscription.counts(atDayEnd: options.cutoff, end: end, graceEnd: graceEnd(of: subscription, in: account))
      else { continue }
      result.mrrAtRisk += try convert(subscription, at: options.cutoff - 1)
      if let at = subscription.cancelledAt {
        result.cancellationScheduledAt = min(result.cancellationScheduledAt ?? at, at)
      }
      result.scheduledEnds.append(end)
    }
    // The account ends when every subscription still served at as-of is scheduled to end.
    let served = account.subscriptions.filter {
      $0.counts(atDayEnd: options.cutoff, end: $0.serviceEnd, graceEnd: graceEnd(of: $0, in: account))
    }
    if !served.isEmpty, served.allSatisfy({ $0.cancellationScheduled && $0.serviceEnd != nil }) {
      result.endsAt = served.compactMap(\.serviceEnd).max()
    }
    return result
  }

  /// The movement of one month: prev and cur are MRR at the ends of the month before and of it.
  static func movement(previous: Int, current: Int, paidBefore: Bool) -> String? {
    if previous == 0 && current > 0 { return paidBefore ? "reactivation" : "new" }
    if previous > 0 && current == 0 { return "churn" }
    if previous > 0 && current > previous { return "expansion" }
    if previous > 0 && current < previous { return "contraction" }
    return nil
  }

  // MARK: - Output

  private func writeResults() throws {
    if options.mode == .partial {
      for key in accounts.keys.sorted() {
        let record = JSONObject([
          ("kind", .string("partial")), ("account", .string(key)), ("as_of", .string(options.asOfLabel)),
          ("shard", .string(shardFingerprint.text)), ("state", .object(accounts[key]!.partialState)),
        ])
        try output.write { JSONValue.object(record).write(to: &$0); $0.append(0x0A) }
        summary.accounts += 1
      }
      return
    }
    try checkPortfolioBound()
    var config = options.config
    if let cuts = options.cuts {
      config.tierRule = .mrrFloor
      config.mrrFloor = cuts
    }
    // The window: 13 month-ends, so 12 months of movements.
    let monthEnds = Months.lastMonthEnds(count: 13, cutoff: options.cutoff)
    // Movement periods: the 12 months, then the month to date when as-of is not a month-end.
    var labels = monthEnds.map(Months.label(ofMonthEndingAt:))
    let hasMonthToDate = monthEnds.last.map { $0 < options.cutoff } ?? false
    if hasMonthToDate { labels.append(String(options.asOfLabel.prefix(7))) }
    // Only current MRR is kept for every account (ranking needs all of them); the 13-month
    // series is computed again where it is used, one account at a time: holding it for every
    // account was a seventh of segment's memory.
    var current: [String: Int] = [:]
    current.reserveCapacity(accounts.count)
    for (key, account) in accounts {
      current[key] = try mrr(account, atDayEnd: options.cutoff)
    }
    // Parent/child: a parent's total includes its children's (any depth; a cycle is cut).
    var parentOf: [String: String] = [:]
    for (key, account) in accounts {
      if let parent = account.attributes["parent"]?.value.stringValue, parent != key { parentOf[key] = parent }
    }
    func topAncestor(_ key: String) -> String {
      var current = key
      var seen: Set<String> = [key]
      while let parent = parentOf[current], accounts[parent] != nil, !seen.contains(parent) {
        seen.insert(parent)
        current = parent
      }
      return current
    }
    let sortedKeys = accounts.keys.sorted()
    var totals: [String: Int] = [:]
    var children: [String: [String]] = [:]
    for key in sortedKeys {
      let top = topAncestor(key)
      totals[top, default: 0] += current[key]!
      if top != key { children[top, default: []].append(key) }
    }
    var ranking = Tiers.rank(
      totals: totals.filter { parentOf[$0.key] == nil || topAncestor($0.key) == $0.key }, config: config,
      digits: baseDigits)
    // Ranks computed on one shard would be wrong for the whole: with cut points from elsewhere,
    // only the tier is known.
    if options.cuts != nil {
      ranking.placements = ranking.placements.mapValues { Tiers.Placement(rank: 0, cumulative: -1, tier: $0.tier) }
    }

    // Portfolio movements, per month, and the reconciliation check.
    var movementTotals: [[String: Int]] = Array(repeating: [:], count: labels.count)
    var startTotals: [Int] = Array(repeating: 0, count: labels.count)
    var endTotals: [Int] = Array(repeating: 0, count: labels.count)
    for key in sortedKeys {
      let revenue = try revenue(accounts[key]!, monthEnds: monthEnds)
      for index in 1..<labels.count {
        let previous = revenue.previousAtCurrentRates[index]
        let current = revenue.ends[index]
        startTotals[index] += revenue.ends[index - 1]
        endTotals[index] += current
        movementTotals[index]["fx", default: 0] += previous - revenue.ends[index - 1]
        if let type = Self.movement(previous: previous, current: current, paidBefore: revenue.paidBefore[index]) {
          movementTotals[index][type, default: 0] += abs(current - previous)
        }
      }
    }
    var reconciliation: [JSONValue] = []
    for index in 1..<labels.count {
      let moves = movementTotals[index]
      let computed = startTotals[index] + (moves["new"] ?? 0) + (moves["reactivation"] ?? 0)
        + (moves["expansion"] ?? 0) - (moves["contraction"] ?? 0) - (moves["churn"] ?? 0) + (moves["fx"] ?? 0)
      guard computed == endTotals[index] else {
        throw ReconciliationError(
          account: "the portfolio", month: labels[index],
          detail: "start \(startTotals[index]) + movements = \(computed), end \(endTotals[index]) (minor units)")
      }
      var entry = JSONObject([("month", .string(labels[index]))])
      if hasMonthToDate && index == labels.count - 1 { entry["through"] = .string(options.asOfLabel) }
      entry["start"] = money(startTotals[index])
      for type in ["new", "reactivation", "expansion", "contraction", "churn", "fx"] {
        entry[type] = money(moves[type] ?? 0)
      }
      entry["end"] = money(endTotals[index])
      reconciliation.append(.object(entry))
    }

    let retention = try retentionBlock(
      topLevel: sortedKeys.filter { topAncestor($0) == $0 }, children: children, config: config)
    // The run's header: policies, tier cut points, totals and the movement book.
    var portfolio = JSONObject([
      ("kind", .string("portfolio")), ("as_of", .string(options.asOfLabel)),
      ("currency", .string(config.baseCurrency)),
      ("accounts", .number(String(accounts.count))),
      ("mrr", money(ranking.total)), ("arr", money(ranking.total * 12)),
      ("tiers", ranking.cutPoints), ("policies", config.echo),
      ("movements", .array(reconciliation)),
      ("retention", retention),
    ])
    if options.cuts != nil { portfolio["tiers_from"] = .string("--cuts") }
    portfolio["books"] = books(ranking: ranking, current: current, top: topAncestor)
    try output.write { JSONValue.object(portfolio).write(to: &$0); $0.append(0x0A) }

    var writer = JSONWriter()
    for key in sortedKeys {
      warnUndatedDelinquency(accounts[key]!)
      writer.reset()
      try writeAccountRecord(
        accounts[key]!, revenue: revenue(accounts[key]!, monthEnds: monthEnds), labels: labels, ranking: ranking,
        top: topAncestor(key), total: children[key] == nil ? nil : totals[key], children: children[key] ?? [],
        to: &writer)
      let record = writer.bytes
      try output.write { out in
        out.append(record)
        out.append(0x0A)
      }
      summary.accounts += 1
    }
  }

  /// Every sum segment makes (an account's MRR, tier totals, ARR, movement books, retention) is
  /// at most twelve times the sum of all monthly amounts at each currency's highest rate; that
  /// sum is checked once here, so no later addition can overflow, and an implausible input
  /// fails with the subscription that made it so instead of wrapping.
  private func checkPortfolioBound() throws {
    var bound = Decimal(0)
    var largest: (account: String, id: String, amount: Decimal)?
    for key in accounts.keys.sorted() {
      for subscription in accounts[key]!.subscriptions {
        var amount = Decimal(subscription.monthlyMinor)
        if subscription.currency != options.config.baseCurrency {
          let rate = options.rates?.maxRate(subscription.currency) ?? 1
          amount = subscription.monthly * rate * pow(Decimal(10), baseDigits)
        }
        bound += amount
        if largest == nil || amount > largest!.amount { largest = (key, subscription.id, amount) }
      }
    }
    guard bound <= Decimal(SubscriptionFact.portfolioLimitMinor) else {
      throw RunError(
        "the monthly amounts add up to more than 5 × 10^17 minor units of \(options.config.baseCurrency), beyond exact "
          + "arithmetic: the largest is subscription \(largest.map { "\($0.id) of account \($0.account)" } ?? "?"); "
          + "check for an account or card number in an amount column")
    }
  }

  /// NRR, GRR and logo churn of the top-level accounts that had MRR on the window's first day.
  private func retentionBlock(topLevel: [String], children: [String: [String]], config: SegmentConfig) throws -> JSONValue {
    let months = config.retentionMonths
    let asOfDay = (options.cutoff - 1) / Self.day
    let startDay = Retention.startDay(asOfDay: asOfDay, months: months)
    let startDayEnd = (startDay + 1) * Self.day
    var starts: [String: Int] = [:]
    var groups: [String: [AccountRollup]] = [:]
    for key in topLevel {
      let group = ([key] + (children[key] ?? [])).compactMap { accounts[$0] }
      let start = try group.reduce(0) { try $0 + mrr($1, atDayEnd: startDayEnd) }
      if start > 0 {
        starts[key] = start
        groups[key] = group
      }
    }
    // Tiers as they stood on the window's first day, by the same rule.
    let tiersAtStart = Tiers.rank(totals: starts, config: config, digits: baseDigits)
    var members: [Retention.Member] = []
    for key in starts.keys.sorted() {
      let group = groups[key]!
      let end = try group.reduce(0) { try $0 + mrr($1, atDayEnd: options.cutoff) }
      // MRR changes only where a subscription starts, ends, leaves trial or runs out of grace.
      var instants: [Int] = []
      for account in group {
        for subscription in account.subscriptions {
          instants.append(subscription.start)
          if let end = subscription.end(config.churnRecognition) { instants.append(end) }
          if let trialEnd = subscription.trialEnd, trialEnd != Int.max { instants.append(trialEnd) }
          if let graceEnd = graceEnd(of: subscription, in: account), graceEnd > Int.min { instants.append(graceEnd) }
        }
      }
      var churned = false
      for dayEnd in Retention.dayEnds(of: instants, after: startDayEnd, through: options.cutoff) {
        if try group.reduce(0, { try $0 + mrr($1, atDayEnd: dayEnd) }) == 0 {
          churned = true
          break
        }
      }
      members.append(
        Retention.Member(
          key: key, start: starts[key]!, end: end, churnedInside: churned,
          tier: tiersAtStart.placements[key]?.tier ?? "tier3"))
    }
    return Retention.block(
      members: members, windowStart: Timestamps.isoDate(startDay * Self.day), windowEnd: options.asOfLabel,
      months: months, tiers: ["tier1", "tier2", "tier3"], money: money, share: Self.share)
  }

  /// Each CSM's book of business: accounts and MRR by tier, checked against the capacity the
  /// config gives a CSM of that tier (`capacity.tierN.accountsPerCsm`).
  private func books(ranking: Tiers.Ranking, current: [String: Int], top: (String) -> String) -> JSONValue {
    var owners: [String: (accounts: Int, mrr: Int, tiers: [String: Int])] = [:]
    for (key, account) in accounts {
      let owner = account.attributes["owner"]?.value.stringValue ?? "(no owner)"
      let tier = ranking.placements[top(key)]?.tier ?? "unranked"
      var entry = owners[owner] ?? (0, 0, [:])
      entry.accounts += 1
      entry.mrr += current[key] ?? 0
      entry.tiers[tier, default: 0] += 1
      owners[owner] = entry
    }
    return .object(JSONObject(owners.sorted { $0.key < $1.key }.map { owner, book in
      var entry = JSONObject([("accounts", .number(String(book.accounts))), ("mrr", money(book.mrr))])
      for tier in ["tier1", "tier2", "tier3", "unranked"] {
        entry[tier] = .number(String(book.tiers[tier] ?? 0))
      }
      // Over capacity when a tier holds more accounts than one CSM of that tier can carry.
      let over = ["tier1", "tier2"].filter { tier in
        guard let limit = options.config.capacity[tier]?.accountsPerCsm, limit > 0 else { return false }
        return (book.tiers[tier] ?? 0) > limit
      }
      entry["over_capacity"] = .array(over.map(JSONValue.string))
      return (owner, .object(entry))
    }))
  }

  /// One account record (docs/SEGMENT.md), written straight to bytes in the documented order.
  private func writeAccountRecord(
    _ account: AccountRollup, revenue: Revenue, labels: [String], ranking: Tiers.Ranking, top: String,
    total: Int?, children: [String], to out: inout JSONWriter
  ) {
    let config = options.config
    let digits = baseDigits
    func money(_ out: inout JSONWriter, _ name: String, _ minor: Int) {
      out.key(name)
      out.decimal(units: minor, scale: digits)
    }
    func stamps(_ out: inout JSONWriter, _ name: String, _ values: [String: Int], _ format: (Int) -> String) {
      out.object(name) { out in
        for (key, value) in values.sorted(by: { $0.key < $1.key }) { out.member(key, string: format(value)) }
      }
    }
    func metrics(_ out: inout JSONWriter, _ name: String, _ values: [String: DecimalSum]) {
      out.object(name) { out in
        for (metric, value) in values.sorted(by: { $0.key < $1.key }) { out.member(metric, .number(value.text)) }
      }
    }
    out.openObject()
    out.member("kind", string: "account")
    out.member("account", string: account.key)
    out.member("as_of", string: options.asOfLabel)
    for name in ["name", "domain", "parent", "owner"] {
      if let value = account.attributes[name]?.value { out.member(name, value) }
    }
    if !children.isEmpty {
      out.array("children") { out in for child in children { out.string(child) } }
    }
    out.object("segments") { out in
      for name in config.attributes {
        if let value = account.attributes[name]?.value { out.member(name, value) }
      }
    }
    for name in ["contract_start", "renewal_at", "target_value"] {
      if let value = account.attributes[name]?.value { out.member(name, value) }
    }
    out.member("currency", string: config.baseCurrency)
    money(&out, "mrr", revenue.current)
    money(&out, "arr", revenue.current * 12)
    out.key("cancellation_scheduled_at")
    if let at = revenue.cancellationScheduledAt { out.string(Timestamps.rfc3339(at)) } else { out.null() }
    out.key("ends_at")
    if let end = revenue.endsAt { out.string(Timestamps.rfc3339(end)) } else { out.null() }
    money(&out, "mrr_at_risk", revenue.mrrAtRisk)
    if let total {
      money(&out, "mrr_with_children", total)
      money(&out, "arr_with_children", total * 12)
    }
    out.array("mrr_series") { out in
      for (label, value) in zip(labels, revenue.series) {
        out.openObject()
        out.member("month", string: label)
        money(&out, "mrr", value)
        out.closeObject()
      }
    }
    out.array("movements") { out in
      let toDate = revenue.ends.count > revenue.series.count ? labels.count - 1 : nil
      func movement(_ out: inout JSONWriter, _ index: Int, _ type: String, _ amount: Int) {
        out.openObject()
        out.member("month", string: labels[index])
        if index == toDate { out.member("through", string: options.asOfLabel) }
        out.member("type", string: type)
        money(&out, "amount", amount)
        out.closeObject()
      }
      for index in 1..<labels.count {
        let previous = revenue.previousAtCurrentRates[index]
        let current = revenue.ends[index]
        if let type = Self.movement(previous: previous, current: current, paidBefore: revenue.paidBefore[index]) {
          movement(&out, index, type, current - previous)
        }
        let fx = previous - revenue.ends[index - 1]
        if fx != 0 { movement(&out, index, "fx", fx) }
      }
    }
    // Tier: ranked on the top account's total; children take their parent's tier.
    let placement = ranking.placements[top]
    out.key("revenue_rank")
    if let rank = placement?.rank, rank > 0 { out.int(rank) } else { out.null() }
    out.key("cumulative_share")
    if let cumulative = placement?.cumulative, cumulative >= 0 {
      out.value(Self.share(cumulative, ranking.total))
    } else {
      out.null()
    }
    let tier = placement?.tier ?? "unranked"
    out.member("tier", string: tier)
    if top != account.key { out.member("tier_from", string: top) }
    out.member("touch", string: config.touch[tier] ?? "tech")

    out.member("seats", int: revenue.seats)
    if let active = account.activeUsers?.value {
      out.member("active_users", .number(active.text))
      if revenue.seats > 0 { out.member("adoption", Self.share(active.decimal / Decimal(revenue.seats))) }
    }
    out.object("usage") { out in
      metrics(&out, "last_30_days", account.usageLast30)
      metrics(&out, "previous_30_days", account.usagePrevious30)
    }
    out.object("tickets") { out in
      out.object("open_by_severity") { out in
        for (severity, count) in account.openBySeverity.sorted(by: { $0.key < $1.key }) { out.member(severity, int: count) }
      }
      out.member("last_90_days", int: account.tickets90)
      if let last = account.lastTicket {
        out.member("last_at", string: Timestamps.rfc3339(last))
        out.member("days_since_last", int: (options.cutoff - 1 - last) / Self.day)
      }
      if let high = account.lastHighSeverity { out.member("last_high_severity_at", string: Timestamps.rfc3339(high)) }
      for (name, count) in account.satisfaction.sorted(by: { $0.key < $1.key }) {
        out.member("satisfaction_\(name)", int: count)
      }
    }
    out.object("surveys") { out in
      for (type, survey) in account.surveys.sorted(by: { $0.key < $1.key }) {
        out.object(type) { out in
          out.member("score", survey.score)
          out.member("at", string: Timestamps.rfc3339(survey.at))
        }
      }
    }
    out.object("billing") { out in
      out.member("invoices_past_due", int: account.invoicesPastDue)
      for (currency, amount) in account.pastDueAmount.sorted(by: { $0.key < $1.key }) {
        // Rounded to the currency's unit: an input amount of 1e-22 is not a debt to report.
        let text = amount.text
        let rounded = ExactDecimal(text)?.rounded(toScale: Values.minorUnitDigits(of: currency)).text
        out.member("past_due_\(currency)", .number(rounded ?? text))
      }
      out.member("failed_payments_90_days", int: account.failedPayments90)
    }
    stamps(&out, "milestones", account.milestones, Timestamps.rfc3339)
    out.array("programs") { out in
      for program in account.programs.sorted(by: { $0.jsonText < $1.jsonText }) { out.value(program) }
    }
    out.object("users") { out in
      out.member("sponsors", int: account.sponsors)
      out.member("champions", int: account.champions)
      out.member("sponsor_changes_90_days", int: account.sponsorChanges90)
    }
    stamps(&out, "freshness", account.freshness, Timestamps.isoDate)
    out.closeObject()
  }

  /// Decimal places of the base currency's minor unit (2 for USD, 0 for JPY).
  var baseDigits: Int { Values.minorUnitDigits(of: options.config.baseCurrency) }

  /// An amount in minor units as a JSON number in major units, without trailing zeros.
  func money(_ minor: Int) -> JSONValue {
    Self.money(minor: minor, digits: baseDigits)
  }

  static func money(minor: Int, digits: Int) -> JSONValue {
    .number(ExactDecimal(negative: minor < 0, digits: Array(String(minor.magnitude).utf8), scale: digits).text)
  }

  /// `numerator ÷ denominator` rounded half-even to 4 decimals, in integers (Foundation's
  /// Decimal division per account was a sixth of segment's time). Exact, so it agrees with
  /// Decimal wherever Decimal is exact.
  static func share(_ numerator: Int, _ denominator: Int) -> JSONValue {
    guard denominator != 0 else { return .number("0") }
    let (scaled, overflow) = numerator.multipliedReportingOverflow(by: 10_000)
    guard !overflow else { return share(Decimal(numerator) / Decimal(denominator)) }
    let negative = (scaled < 0) != (denominator < 0)
    let n = scaled.magnitude
    let d = denominator.magnitude
    var quotient = n / d
    let twiceRemainder = (n % d) * 2
    if twiceRemainder > d || (twiceRemainder == d && quotient % 2 == 1) { quotient += 1 }
    return .number(ExactDecimal(negative: negative, digits: Array(String(quotient).utf8), scale: 4).text)
  }

  static func share(_ value: Decimal) -> JSONValue {
    var copy = value
    var rounded = Decimal()
    NSDecimalRound(&rounded, &copy, 4, .bankers)
    return .number(Values.numberText(rounded))
  }
}
