import ArgumentParser
import CSPipeCLI
import CSPipeCore
import CSPipeScore

@main
struct ScoreCommand: ToolCommand {
  static let configuration = CommandConfiguration(
    commandName: "score",
    abstract: "Add an explainable health score to every account record.",
    discussion: """
      Reads what segment writes and writes the same records, in account order, each with a "health" object: the score (0–100), its colour, the profile that applied, coverage, renewal probability, the reasons that pulled it down, and every measure's value, points, weight and contribution (they add up to the score). The first line is segment's portfolio line with the model, its version and the colour distribution (docs/SCORE.md).

      The model is the built-in default (the same as pipelines/model.json), or --model FILE: measures read from the account record, mapped to points, weighted in nested groups; profiles by lifecycle and tier.

      Examples:
        score accounts.ndjson --as-of 2026-11-15 -o scored.ndjson
        segment canonical.ndjson --as-of 2026-11-15 | score --model my-model.json --previous last-week.ndjson
      """)

  @OptionGroup var io: IOOptions
  @OptionGroup var asOf: AsOfOption

  @Option(help: ArgumentHelp("The scoring model (JSON). Default: the built-in model, as in pipelines/model.json.", valueName: "file"))
  var model: String?

  @Option(
    help: ArgumentHelp(
      "An earlier run's output: adds each account's change in score and colour, and days in its colour.", valueName: "file"))
  var previous: String?

  @Option(
    help: ArgumentHelp(
      "Learn renewal probability per colour and tier from the score outputs in this folder (past snapshots) and the input's outcomes; writes a calibration record instead of scores.",
      valueName: "folder"))
  var calibrate: String?

  @Option(
    help: ArgumentHelp(
      "Renewal probability learned by --calibrate, used over the model's where it has enough renewals.", valueName: "file"))
  var calibration: String?

  @Option(
    help: ArgumentHelp(
      "A folder of earlier score outputs (one snapshot per file): adds each account's change in score over 7, 30 and 90 days.",
      valueName: "folder"))
  var history: String?

  @Option(help: ArgumentHelp("Renewals a colour (or tier and colour) needs before a learned probability is used.", valueName: "n"))
  var minimumSample = 20

  @Flag(
    name: .customLong("validate"),
    help:
      "Check each account record against segment's declared schema and reject those that do not conform (for records from your own program)."
  )
  var validateRecords = false

  func validate() throws {
    if calibrate != nil && (calibration != nil || previous != nil || history != nil) {
      throw ValidationError("--calibrate learns from history; --calibration, --previous and --history apply to scoring runs")
    }
    if minimumSample < 1 { throw ValidationError("--minimum-sample must be at least 1") }
  }

  func run() throws {
    try StageRunner.run(tool: "score", io: io) { context in
      var options = try ScoreOptions.load(
        modelPath: model, previousPath: previous, calibrationPath: calibration,
        asOf: asOf.text.map { _ in (asOf.cutoff, asOf.label) })
      options.validate = validateRecords
      options.calibrateFolder = calibrate
      options.historyFolder = history
      options.minimumSample = minimumSample
      return try Score(options: options, context: context).run()
    }
  }
}
