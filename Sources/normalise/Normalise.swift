import ArgumentParser
import CSPipeCLI
import CSPipeCore
import CSPipeNormalise
import Foundation

@main
struct NormaliseCommand: ToolCommand {
  static let configuration = CommandConfiguration(
    commandName: "normalise",
    abstract: "Turn raw records into canonical customer-success records.",
    discussion: """
      Reads what ingest writes and emits canonical records (account, subscription, invoice, payment, ticket, survey, usage, …; docs/CONTRACT.md): dates in RFC 3339 UTC, money as exact decimals in major units with an ISO currency, statuses and priorities from each system's codes, and every record's account.

      Each source system and dataset is mapped by a JSON mapping file (docs/MAPPINGS.md). The built-in ones are in pipelines/mappings/; --mappings adds yours or replaces a built-in one for the same source. Accounts are found through the mapping's identity rules and the alias file (--aliases, CSV: account,type,value); records that match no account go to --unmatched and are counted, never dropped silently. The same source key seen twice is merged and counted: the copy known at --as-of with the newest update wins, then the later export file and line, whatever order the input is in.

      Examples:
        ingest exports/* | normalise --aliases pipelines/aliases.csv --as-of 2026-11-15 > canonical.ndjson
        normalise raw.ndjson --mappings my-mappings/ --unmatched unmatched.ndjson -o canonical.ndjson
        normalise --survey --as-of 2026-11-15 shard-1.ndjson -o s1.ndjson     # each shard, then:
        cat s*.ndjson > surveys.ndjson; normalise --identity surveys.ndjson --as-of 2026-11-15 shard-1.ndjson
      """)

  @OptionGroup var io: IOOptions
  @OptionGroup var asOf: AsOfOption

  @Option(
    name: .customLong("mappings"),
    help: ArgumentHelp("A mapping file, or a folder of them, used besides the built-in ones (repeatable).", valueName: "path"))
  var mappingPaths: [String] = []

  @Option(help: ArgumentHelp("Alias file (CSV: account,type,value) tying ids, domains and names to accounts.", valueName: "file"))
  var aliases: String?

  @Option(help: ArgumentHelp("Write records that match no account to this NDJSON file.", valueName: "file"))
  var unmatched: String?

  @Option(
    name: .customLong("timezone"),
    help: ArgumentHelp(
      "The zone of times written without one, for a source (repeatable): freshdesk=Europe/Berlin or freshdesk/tickets=America/New_York.",
      valueName: "source=zone"))
  var zones: [String] = []

  @Option(
    name: .customLong("identity"),
    help: ArgumentHelp(
      "Learn identity (and, from a survey, duplicates) from this file without writing its records (repeatable): raw records that define accounts, or a normalise --survey of the other shards.",
      valueName: "file"))
  var identityPaths: [String] = []

  @Flag(
    help: ArgumentHelp(
      "Write what the first pass learns (defining records, each source key's best copy) instead of canonical records: for --identity in shards of the same input (docs/SCALE.md)."
    ))
  var survey = false

  func validate() throws {
    try io.checkDistinctOutputs(
      also: [("--unmatched", unmatched)], alsoRead: mappingPaths + identityPaths + (aliases.map { [$0] } ?? []))
    if survey && unmatched != nil {
      throw ValidationError("--survey writes no canonical records, so --unmatched would stay empty: leave it out")
    }
    for zone in zones {
      let parts = zone.split(separator: "=", maxSplits: 1)
      guard parts.count == 2, !parts[0].isEmpty, TimeZone(identifier: String(parts[1])) != nil else {
        throw ValidationError("--timezone takes SOURCE=ZONE with an IANA zone (freshdesk=Europe/Berlin), not \(zone.debugDescription)")
      }
    }
  }

  func run() throws {
    try StageRunner.run(tool: "normalise", io: io, extraOutputs: [unmatched]) { context in
      let declared = zones.map { zone in
        let parts = zone.split(separator: "=", maxSplits: 1).map(String.init)
        return (source: parts[0], zone: parts[1])
      }
      let options = try NormaliseOptions.load(
        mappingPaths: mappingPaths, zones: declared, cutoff: asOf.cutoff, aliasesPath: aliases,
        identityPaths: identityPaths, survey: survey, reporter: context.reporter)
      return try Normalise(options: options, context: context).run()
    }
  }
}
