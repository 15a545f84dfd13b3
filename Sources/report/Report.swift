import ArgumentParser
import CSPipeCLI
import CSPipeCore
import CSPipeReport

@main
struct ReportCommand: ToolCommand {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract: "Write the report a CS leader reads: HTML, Markdown and the tables behind it.",
    discussion: """
      Reads what stage writes (or score's or segment's output: each section says what it needs when its data is absent). With -o DIR it writes DIR/report.html (one self-contained page: inline SVG charts and CSS, no script, nothing fetched), DIR/report.md and DIR/tables/*.csv and *.ndjson, the folder replaced whole only when the run succeeds; without -o it writes the Markdown to standard output (docs/REPORT.md).

      Examples:
        report staged.ndjson --as-of 2026-11-15 -o out/report
        stage scored.ndjson --as-of 2026-11-15 | report --as-of 2026-11-15 | less
      """)

  @OptionGroup var io: IOOptions
  @OptionGroup var asOf: AsOfOption

  @Option(
    name: .customLong("run"),
    help: ArgumentHelp(
      "A pipeline output folder (make's OUT): its rejects and unmatched files are counted in the summary.", valueName: "folder"))
  var runFolder: String?

  @Option(
    help: ArgumentHelp(
      "A folder of earlier score or stage outputs (one dated snapshot per file): the health trend, the backtest and past renewals' outcomes.",
      valueName: "folder"))
  var history: String?

  @Option(help: ArgumentHelp("Rows a long list shows before it links to its CSV table.", valueName: "n"))
  var top = 25

  func validate() throws {
    if top < 1 { throw ValidationError("--top must be at least 1") }
  }

  func run() throws {
    // -o names a folder here, not a file: report writes it itself, whole, at the end; a device
    // or pipe (`-o /dev/null`) takes the Markdown, as with the other tools.
    let toStream = io.output.map(ReportFolder.isStream) ?? false
    var streams = io
    if !toStream { streams.output = nil }
    try StageRunner.run(tool: "report", io: streams) { context in
      var options = ReportOptions(
        folder: toStream ? nil : io.output, cutoff: asOf.text.map { _ in asOf.cutoff }, asOfLabel: asOf.text.map { _ in asOf.label })
      options.runFolder = runFolder
      options.top = top
      options.historyFolder = history
      return try Report(options: options, context: context).run()
    }
  }
}
