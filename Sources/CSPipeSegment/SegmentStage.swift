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

/// A failure of the MRR books to balance: names the account and month (docs/SEGMENT.md, "MRR").
public struct ReconciliationError: ReportableError, CustomStringConvertible {
  public let account: String
  public let month: String
  public let detail: String
  public var description: String { "MRR does not reconcile for \(account) in \(month): \(detail)" }
  public var diagnostic: Diagnostic { Diagnostic(.error, description) }
}

/// A record's source, interned.
struct SourceLabels {
  let system: String
  let dataset: String
  let file: String
  let name: String
}

/// `segment`: canonical records in, one record per account out, with revenue roll-ups, MRR
/// series and movements, Pareto tiers, usage, support and survey roll-ups (docs/SEGMENT.md).
///
/// Memory grows with the number of accounts: each record is folded into its account's running
/// sums as it streams past and then forgotten.
public final class Segment {
  let options: SegmentOptions
  let output: OutputSink
  let rejects: RejectLog
  let reporter: StderrReporter
  var accounts: [String: AccountRollup] = [:]
  /// The roll-ups once the output phase holds them by position (`writeResults`).
  var keptUntilExit: [AccountRollup] = []
  /// One copy of each file name, source name and other repeated label: each record would
  /// otherwise bring its own copy of the same text into every account it touches.
  var labels = StringInterner()
  /// The kinds folded so far (`foldedKind`).
  var foldedKinds: [FoldedKind] = []
  /// The kinds and accounts of the last records, by token (`fold`).
  var recentKinds = RecentTokens<FoldedKind>(capacity: 4)
  var recentAccounts = RecentTokens<AccountRollup>(capacity: 1)
  var subscriptionVocabulary = SubscriptionFact.Vocabulary()
  /// The source of the record folded last (`sourceLabels`).
  var lastSource: SourceLabels?
  /// `lastSource` as normalise writes a source object, up to the line number (`readSource`).
  var lastSourcePrefix: [UInt8] = []
  var summary = SegmentSummary()
  lazy var warnings = CappedWarnings(reporter: reporter)
  /// Canonical records folded, per kind (to tell a user what their input lacks).
  /// Billing records folded, by kind (the warning when there are payments but no subscriptions).
  var folded = FoldedBilling()
  /// The sum of every folded subscription's monthly amount while all are in the base currency
  /// and the sum is within `SubscriptionFact.portfolioLimitMinor` (`checkPortfolioBound`): one
  /// addition per subscription, not a pass over every account after the fold.
  var baseAmountsBound = 0
  var baseAmountsWithinBound = true
  /// Per metric name, whether `monthlyUsage` keeps its monthly series.
  var monthlyMetric: [String: Bool] = [:]
  /// The first month (index) of the monthly usage series: the movement window's first month.
  lazy var firstMonthlyIndex: Int = {
    let window = MovementWindow(cutoff: options.cutoff, asOfLabel: options.asOfLabel)
    return Months.index(containing: (window.monthEnds.first ?? options.cutoff) - 1) ?? 0
  }()
  /// --partial: a fingerprint of the shard's records, the same whatever their order, so that
  /// --merge can tell the same partial given twice from two shards of one account.
  var shardFingerprint = ShardFingerprint()
  /// --merge: the shard and account of every partial merged so far.
  var mergedPartials: Set<String> = []

  let inputs: [String]

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
    if options.mode == .full && folded.subscriptions == 0 {
      let billing = folded.payments + folded.invoices
      if billing > 0 {
        reporter.emit(
          Diagnostic(
            .warning,
            "\(billing) payment and invoice records but no subscriptions: MRR is 0 for every account; MRR needs a subscriptions export (Stripe, Chargebee, Recurly, Zuora, Paddle …)"
          ))
      }
    }
    try writeResults()
    warnings.finish()
    return summary
  }

  // Folding: Segment+Folding.swift; the output phase: Segment+Output.swift; MRR and movements:
  // Segment+MRR.swift; portfolio books: Segment+Portfolio.swift; the account record:
  // Segment+AccountRecord.swift.
}

/// Billing records folded, by kind: three counters, not a table hashed for every record.
struct FoldedBilling {
  var subscriptions = 0
  var payments = 0
  var invoices = 0

  mutating func count(_ kind: String) {
    switch kind {
    case "subscription": subscriptions += 1
    case "payment": payments += 1
    case "invoice": invoices += 1
    default: break
    }
  }
}
