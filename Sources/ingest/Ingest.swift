import ArgumentParser
import CSPipeCLI
import CSPipeCore
import CSPipeIngest

@main
struct IngestCommand: ToolCommand {
  static let configuration = CommandConfiguration(
    commandName: "ingest",
    abstract: "Turn CSV and XML exports into raw NDJSON records, one per row or record element.",
    discussion: """
      Each output line is one record: {"kind":"raw","source":{"system":…,"dataset":…,"file":…,"line":…},"fields":{…}}, with the file's own field names and strings. Nothing is reinterpreted; normalise gives the values meaning.

      The source system (stripe, zendesk, jira, …) is detected from the CSV header or the XML root; --source overrides it. CSV delimiters (, ; tab |) are sniffed from the header line. XML record elements are found from the document's structure unless --record names them. XML is read by libxml2 in streaming mode; DTD entity declarations are refused, so no external file or network is ever read.

      Examples:
        ingest exports/*.csv exports/tickets.xml -o raw.ndjson --rejects rejects.ndjson
        ingest --record rss/channel/item < SearchRequest.xml | head -n 3
      """)

  @OptionGroup var io: IOOptions

  @Option(help: "Input format: auto (from the extension, then the content), csv or xml.")
  var format: IngestOptions.Format = .auto

  @Option(help: ArgumentHelp("CSV delimiter: a single character, or 'tab'. Default: sniffed.", valueName: "char"))
  var delimiter: String?

  @Option(
    name: .customLong("record"),
    help: ArgumentHelp(
      "XML record element path from the root, '*' for any name (repeatable), e.g. rss/channel/item.",
      valueName: "path"))
  var recordPaths: [String] = []

  @Option(help: ArgumentHelp("Tag every record with this source instead of detecting it.", valueName: "system[/dataset]"))
  var source: String?

  @Option(help: ArgumentHelp("Reject CSV rows with a longer field (bytes).", valueName: "n"))
  var maxFieldBytes = 64 << 20

  @Option(help: ArgumentHelp("Reject XML records larger than this (bytes).", valueName: "n"))
  var maxRecordBytes = 64 << 20

  func validate() throws {
    if let delimiter, IngestOptions.delimiter(named: delimiter) == nil {
      throw ValidationError("--delimiter takes one ASCII character or 'tab', not '\(delimiter)'")
    }
    for path in recordPaths where XMLRecordPath(path) == nil {
      throw ValidationError("--record takes a path such as rss/channel/item, not '\(path)'")
    }
    if let source, SourceTag(source) == nil {
      throw ValidationError("--source takes SYSTEM or SYSTEM/DATASET, not '\(source)'")
    }
    if maxFieldBytes < 1 || maxRecordBytes < 1 {
      throw ValidationError("--max-field-bytes and --max-record-bytes must be positive")
    }
  }

  func run() throws {
    var options = IngestOptions()
    options.format = format
    options.delimiter = delimiter.flatMap(IngestOptions.delimiter(named:))
    options.recordPaths = recordPaths.compactMap(XMLRecordPath.init)
    options.source = source.flatMap(SourceTag.init)
    options.maxFieldBytes = maxFieldBytes
    options.maxRecordBytes = maxRecordBytes
    try StageRunner.run(tool: "ingest", io: io) { try Ingest(options: options, context: $0).run() }
  }
}

extension IngestOptions.Format: ExpressibleByArgument {}
