import ArgumentParser
import CSPipeCLI
import CSPipeCore
import CSPipeSegment
import Foundation

@main
struct SegmentCommand: ToolCommand {
  static let configuration = CommandConfiguration(
    commandName: "segment",
    abstract: "Roll canonical records up to one record per account, with MRR, movements and revenue tiers.",
    discussion: """
      Reads what normalise writes. The first output line is the portfolio: as-of, the policies and tier rule in force, the tier cut points, total MRR and the monthly MRR movement book (start + new + reactivation + expansion − contraction − churn + fx = end, checked on every run) and each CSM's book of business. Then one record per account, in account order: current MRR and ARR in the base currency, the MRR at the last 13 month-ends and each month's movement, Pareto rank, cumulative share, tier and touch model, seats, active users and adoption, usage of the last 30 days and the 30 before, open tickets by severity, surveys, past-due invoices, milestones, programs, sponsors and data freshness (docs/SEGMENT.md).

      Tier rules and policies: the built-in defaults (the same as pipelines/segments.json), or --config FILE. Amounts in other currencies need --rates. For shards of a large input, fold each with --partial and combine the partials with --merge: the result is the same as one run.

      Examples:
        segment canonical.ndjson --as-of 2026-11-15 -o accounts.ndjson
        ingest exports/* | normalise --as-of 2026-11-15 | segment --as-of 2026-11-15 --config pipelines/segments.json
      """)

  @OptionGroup var io: IOOptions
  @OptionGroup var asOf: AsOfOption

  @Option(help: ArgumentHelp("Tier rule, touch models and MRR policies (JSON). Default: the built-in defaults, as in pipelines/segments.json.", valueName: "file"))
  var config: String?

  @Option(help: ArgumentHelp("Exchange rates to the base currency (CSV: date,currency,rate).", valueName: "file"))
  var rates: String?

  @Flag(help: "Write partial aggregates (one per account) to combine later with --merge, instead of account records.")
  var partial = false

  @Flag(help: "Read partial aggregates from --partial runs over shards of the input and combine them.")
  var merge = false

  @Option(help: ArgumentHelp("Take tier cut points (MRR floors) from another run's output (its portfolio line) instead of ranking this input.", valueName: "file"))
  var cuts: String?

  func validate() throws {
    if partial && merge { throw ValidationError("--partial and --merge are two steps: use one per run") }
    if partial && cuts != nil { throw ValidationError("--cuts applies to account records, not to --partial output") }
  }

  func run() throws {
    try ToolMain.run(tool: "segment") { reporter in
      let settings: SegmentConfig
      do {
        settings = try config.map(SegmentConfig.load(path:)) ?? SegmentConfig()
      } catch let error as ConfigError {
        reporter.emit(Diagnostic(.error, "config \(error.description)"))
        throw DataFailure()
      }
      let exchange = try rates.map(ExchangeRates.load(path:))
      let floors = try cuts.map(Self.loadCuts)
      let output = try OutputSink(path: io.output)
      let rejects = try RejectLog(tool: "segment", path: io.rejects, reporter: reporter, strict: io.strict)
      var options = SegmentOptions(config: settings, cutoff: asOf.cutoff, asOfLabel: asOf.label, rates: exchange)
      options.mode = partial ? .partial : merge ? .merge : .full
      options.cuts = floors
      let segment = Segment(options: options, output: output, rejects: rejects, reporter: reporter)
      let summary: SegmentSummary
      do {
        summary = try segment.run(inputs: io.distinctInputs(reporter: reporter))
      } catch let error as ReconciliationError {
        reporter.emit(Diagnostic(.error, error.description))
        throw DataFailure()
      }
      if !io.quiet { reporter.say(summary.line) }
      try output.commit()
      try rejects.commit()
    }
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
