import CSPipeCore
import Glibc

/// Settings of one `report` run beyond the shared I/O flags.
public struct ReportOptions {
  /// `-o DIR`: the report folder; nil writes the Markdown to standard output.
  public var folder: String?
  public var cutoff: Int?
  public var asOfLabel: String?
  /// A pipeline output folder (`make`'s OUT): its rejects and unmatched files are counted.
  public var runFolder: String?
  /// Rows a long list shows before it links to its CSV table.
  public var top = 25
  /// A folder of earlier score or stage outputs: trend, backtest, past renewals.
  public var historyFolder: String?

  public init(folder: String?, cutoff: Int?, asOfLabel: String?) {
    self.folder = folder
    self.cutoff = cutoff
    self.asOfLabel = asOfLabel
  }
}

/// What one `report` run did. In = accounts + portfolio lines + rejected.
public struct ReportSummary: Equatable, Sendable, StageSummary {
  public var files = 0
  public var recordsIn = 0
  public var accounts = 0
  public var portfolios = 0
  public var rejected = 0
  public var sectionsWithData = 0
  public var sections = 0

  public var shares: [(count: Int, label: String)] {
    [(accounts, "accounts"), (portfolios, "portfolio"), (rejected, "rejected")]
  }

  public var notes: [String] { ["\(sectionsWithData) of \(sections) sections with data", Self.count(files, "file")] }
}

/// `report`: account records in (stage's output, or any earlier stage's: each section says what
/// it needs when its data is absent), a report out: `report.html`, `report.md` and the tables
/// behind every chart as CSV and NDJSON, in a folder written whole (docs/REPORT.md).
public final class Report {
  let options: ReportOptions
  let output: OutputSink
  let rejects: RejectLog
  let inputs: [String]
  var summary = ReportSummary()
  var intake: AccountRecordIntake
  var data = ReportData()
  /// Per account: a 64-bit digest of its line, where its facts are, and where it was read.
  var seen: [String: (digest: UInt64, index: Int, location: SourceLocation)] = [:]

  /// FNV-1a over the line: which copy of a duplicated account is kept must not depend on the
  /// input's order, so the copy with the smaller digest is.
  static func digest(_ line: UnsafeBufferPointer<UInt8>) -> UInt64 { LineDigest.fnv1a(line) }

  public init(options: ReportOptions, context: StageContext) {
    self.options = options
    output = context.output
    rejects = context.rejects
    inputs = context.inputs
    intake = AccountRecordIntake(
      reads: "report reads account records (stage's, score's or segment's)", rejects: context.rejects, cutoff: options.cutoff,
      asOfLabel: options.asOfLabel)
  }

  public func run() throws -> ReportSummary {
    summary.files = inputs.count
    var input = NDJSONInput(rejects: rejects)
    for path in inputs {
      try input.forEachLine(
        in: try ByteSource(path: path),
        parse: { (line) throws(JSONSyntaxError) -> LazyJSONObject? in try JSONParser.parseLazyObject(line) }
      ) { lazy, location, line in
        let raw = { String(decoding: line.prefix(1 << 16), as: UTF8.self) }
        switch try intake.take(lazy, location: location, raw: raw) {
        case .rejected: return
        case .portfolio:
          summary.portfolios += 1
          data.take(lazy.object)
        case .account(let key):
          let digest = Self.digest(line)
          if let earlier = seen[key] {
            // The same copy is kept in any input order: the one with the smaller digest.
            let keepNew = digest < earlier.digest
            if keepNew {
              data.replace(at: earlier.index, with: ReportData.reportFields(lazy))
              seen[key] = (digest, earlier.index, location)
            }
            return try rejects.reject(
              at: location,
              reason: "account \(key.debugDescription) is in the input twice (also at \(earlier.location.rendered)); "
                + (keepNew ? "this copy is kept, the other dropped" : "the other copy is kept"), raw: raw())
          }
          summary.accounts += 1
          seen[key] = (digest, data.accounts.count, location)
          data.take(ReportData.reportFields(lazy))
        }
      }
    }
    summary.recordsIn = input.recordsRead
    summary.rejected = rejects.count
    // Accounts in key order, whatever the input order.
    data.accounts.sort { TextOrder.precedes($0.key, $1.key) }
    let asOf = intake.asOfLabel ?? data.asOf ?? ""
    let asOfDay = ((intake.cutoff ?? AsOfDay.cutoff(asOf) ?? 86400) - 1) / 86400
    var builder = ReportSections(data: data, asOfDay: asOfDay, runCounts: try runCounts(), top: options.top)
    builder.history = try options.historyFolder.map { try ReportHistory.load(folder: $0, asOfDay: asOfDay) }
    let sections = builder.all()
    summary.sections = sections.count
    summary.sectionsWithData = sections.filter { $0.needs == nil }.count
    let markdown = ReportRendering.markdown(sections, asOf: asOf)
    guard let folder = options.folder else {
      try output.write { $0.append(Array(markdown.utf8)) }
      return summary
    }
    var files: [(path: String, text: String)] = [("report.html", ReportRendering.html(sections, asOf: asOf)), ("report.md", markdown)]
    for table in sections.flatMap(\.tables) {
      files.append(("tables/\(table.name).csv", table.csvText()))
      files.append(("tables/\(table.name).ndjson", table.ndjsonText()))
    }
    try ReportFolder.write(files, to: folder)
    return summary
  }

  /// Rejected and unmatched records of each stage of a pipeline run (`--run DIR`).
  func runCounts() throws -> [(label: String, count: Int)] {
    guard let folder = options.runFolder else { return [] }
    var counts: [(String, Int)] = []
    let stages = try SnapshotFolder.subfolders(folder)
    for stage in stages {
      // `rejects.ndjson`, or one per export (`…csv.rejects.ndjson`) where a stage runs per file.
      let files = try SnapshotFolder.files("\(folder)/\(stage)")
      for kind in ["rejects", "unmatched"] {
        let matching = files.filter { $0.hasSuffix("/\(kind).ndjson") || $0.hasSuffix(".\(kind).ndjson") }
        guard !matching.isEmpty else { continue }
        var lines = 0
        for path in matching where access(path, R_OK) == 0 {
          try LineReader(source: try ByteSource(path: path)).forEachLine { _, _, _ in lines += 1 }
        }
        counts.append(("\(stage): \(kind == "rejects" ? "rejected" : "unmatched")", lines))
      }
    }
    return counts
  }
}
