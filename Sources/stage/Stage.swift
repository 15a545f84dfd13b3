import ArgumentParser
import CSPipeCLI
import CSPipeCore
import CSPipeStage

@main
struct StageCommand: ToolCommand {
  static let configuration = CommandConfiguration(
    commandName: "stage",
    abstract: "Place every account in its customer journey and list the engagement moments due.",
    discussion: """
      Reads what score (or segment) writes and writes the same records, in account order, each with a "stage" object: lifecycle phase (onboarding, ongoing, renewal, churned, never-paid) with the rule that placed it, milestones against the baseline journey (met, due, overdue with days late), time to value, effectiveness stage and what the next one lacks, band (champion, cruiser, laggard) with its playbook (celebrate, connect-and-expand, rescue, recover, farewell) and evidence, and the engagement moments due, each with a stable key. The first line is the portfolio line with the counts and the baseline check (docs/STAGE.md).

      The journey is the built-in default (the same as pipelines/journey.json), or --journey FILE.

      Examples:
        stage scored.ndjson --as-of 2026-11-15 -o staged.ndjson
        score accounts.ndjson --as-of 2026-11-15 | stage --as-of 2026-11-15 --cohorts cohorts.ndjson | jq -c '.stage.moments[]?'
      """)

  @OptionGroup var io: IOOptions
  @OptionGroup var asOf: AsOfOption

  @Option(help: ArgumentHelp("The journey (JSON). Default: the built-in one, as in pipelines/journey.json.", valueName: "file"))
  var journey: String?

  @Option(
    help: ArgumentHelp(
      "Moments put off (NDJSON: {\"key\",\"until\"} or {\"account\",\"type\",\"at\"[,\"until\"]}): listed as snoozed until then.",
      valueName: "file"))
  var snoozes: String?

  @Option(help: ArgumentHelp("Write program cohort proposals (NDJSON) to this file.", valueName: "file"))
  var cohorts: String?

  @Option(
    help: ArgumentHelp(
      "A folder of earlier stage outputs (one snapshot per file): each account's effectiveness stage when onboarding ended.",
      valueName: "folder"))
  var history: String?

  @Option(
    help: ArgumentHelp(
      "The first day of the usage data (YYYY-MM-DD). Default: the earliest first use in the input (give it when staging shards).",
      valueName: "date"))
  var usageFrom: String?

  func validate() throws {
    try io.checkDistinctOutputs(also: [("--cohorts", cohorts)])
    if let usageFrom, AsOfDay.cutoff(usageFrom) == nil { throw ValidationError("--usage-from takes YYYY-MM-DD, not '\(usageFrom)'") }
  }

  func run() throws {
    try StageRunner.run(tool: "stage", io: io, extraOutputs: [cohorts]) { context in
      var options = try StageOptions.load(
        journeyPath: journey, snoozesPath: snoozes, asOf: asOf.text.map { _ in (asOf.cutoff, asOf.label) })
      options.cohortsSink = context.extraOutputs.first ?? nil
      options.historyFolder = history
      options.usageFrom = usageFrom.flatMap(AsOfDay.cutoff).map { $0 / 86400 - 1 }
      return try Stage(options: options, context: context).run()
    }
  }
}
