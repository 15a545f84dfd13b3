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

  @Option(
    help: ArgumentHelp(
      "Tier rule, touch models and MRR policies (JSON). Default: the built-in defaults, as in pipelines/segments.json.", valueName: "file"))
  var config: String?

  @Option(help: ArgumentHelp("Exchange rates to the base currency (CSV: date,currency,rate).", valueName: "file"))
  var rates: String?

  @Flag(help: "Write partial aggregates (one per account) to combine later with --merge, instead of account records.")
  var partial = false

  @Flag(help: "Read partial aggregates from --partial runs over shards of the input and combine them.")
  var merge = false

  @Option(
    help: ArgumentHelp(
      "Take tier cut points (MRR floors) from another run's output (its portfolio line) instead of ranking this input.", valueName: "file"))
  var cuts: String?

  func validate() throws {
    if partial && merge { throw ValidationError("--partial and --merge are two steps: use one per run") }
    if partial && cuts != nil { throw ValidationError("--cuts applies to account records, not to --partial output") }
  }

  func run() throws {
    try StageRunner.run(tool: "segment", io: io) { context in
      let options = try SegmentOptions.load(
        configPath: config, ratesPath: rates, cutsPath: cuts, mode: partial ? .partial : merge ? .merge : .full,
        cutoff: asOf.cutoff, asOfLabel: asOf.label)
      let segment = Segment(options: options, context: context)
      // The process ends after this run: its roll-ups (an object and its dictionaries per
      // account) are left to the OS instead of freed one by one, a twentieth of the run.
      _ = Unmanaged.passRetained(segment)
      return try segment.run()
    }
  }
}
