import CSPipeCore
import Glibc

/// Settings of one `ingest` run beyond the shared I/O flags.
public struct IngestOptions: Sendable {
  public enum Format: String, Sendable, CaseIterable {
    case auto, csv, xml
  }

  public var format: Format = .auto
  /// The CSV delimiter; nil sniffs it from the header line.
  public var delimiter: UInt8?
  /// XML record element paths; empty finds them from the document's structure.
  public var recordPaths: [XMLRecordPath] = []
  /// Overrides source detection for every file.
  public var source: SourceTag?
  /// A longer CSV field rejects its row (bounded memory on hostile input).
  public var maxFieldBytes = 64 << 20
  /// A larger XML record is rejected (bounded memory on hostile input).
  public var maxRecordBytes = 64 << 20

  public init() {}

  /// The byte for `--delimiter`: one ASCII character, or `tab`; nil for anything else.
  public static func delimiter(named text: String) -> UInt8? {
    if text == "tab" || text == "\\t" || text == "\t" { return 0x09 }
    guard text.utf8.count == 1, let byte = text.utf8.first, byte < 0x80,
      byte != 0x22, byte != 0x0A, byte != 0x0D
    else { return nil }
    return byte
  }
}

/// What one `ingest` run did, for the summary line and for tests.
public struct IngestSummary: Equatable, Sendable, StageSummary {
  public var files = 0
  public var failedFiles = 0
  public var recordsIn = 0
  public var recordsOut = 0
  public var rejected = 0
  /// Records of files that failed part-way, taken back from the output so that no half of a
  /// file passes for all of it.
  public var droppedWithFailedFiles = 0
  public var bytesRead = 0
  /// One entry per file: its path and the detected source.
  public var sources: [String: SourceTag] = [:]

  public var shares: [(count: Int, label: String)] {
    [(recordsOut, "out"), (rejected, "rejected")]
      + (droppedWithFailedFiles > 0 ? [(droppedWithFailedFiles, "dropped with the failed file(s)")] : [])
  }

  public var notes: [String] {
    [Self.count(files, "file")] + (failedFiles > 0 ? ["\(failedFiles) failed"] : [])
  }

  public var incomplete: Bool { failedFiles > 0 }
}

/// `ingest`: CSV and XML exports in, one lossless raw NDJSON record per row or element out.
///
/// `{"kind":"raw","source":{"system":…,"dataset":…,"file":…,"line":…},"fields":{…}}`: field
/// names and values are the file's own strings, in the file's order (docs/CONTRACT.md).
public final class Ingest {
  let options: IngestOptions
  let output: OutputSink
  let rejects: RejectLog
  let reporter: StderrReporter
  var summary = IngestSummary()
  var progressClock = ProgressClock()

  let inputs: [String]

  public init(options: IngestOptions, context: StageContext) {
    self.options = options
    output = context.output
    rejects = context.rejects
    reporter = context.reporter
    inputs = context.inputs
  }

  /// Ingests every input in order. A file that cannot be read or is not well-formed is
  /// reported and counted, the others still run, and the run as a whole then fails.
  public func run() throws -> IngestSummary {
    for path in inputs {
      summary.files += 1
      let mark = output.mark
      let outBefore = summary.recordsOut
      do {
        let source = try ByteSource(path: path)
        try ingest(source)
        summary.bytesRead += source.bytesConsumed
      } catch let error as InputError {
        summary.failedFiles += 1
        reporter.emit(error.diagnostic)
        // The file's records before the fault are taken back where the output allows it (a
        // file written through -o); on a stream they have left, and the error said so.
        let written = summary.recordsOut - outBefore
        guard written > 0 else { continue }
        let location = SourceLocation(file: path)
        if try output.rollBack(to: mark) {
          summary.recordsOut = outBefore
          summary.droppedWithFailedFiles += written
          reporter.emit(
            Diagnostic(.note, "its \(written) record(s) before the error are left out; the other files go through", at: location))
        } else {
          reporter.emit(Diagnostic(.note, "its \(written) record(s) before the error were already written to the stream", at: location))
        }
      }
    }
    summary.rejected = rejects.count
    return summary
  }

  /// `subscriptions.csv.gz` → `subscriptions.csv`: the name says what the decompressed bytes are.
  static func withoutCompressionSuffix(_ name: String) -> String {
    for suffix in [".gz", ".gzip", ".GZ"] where name.hasSuffix(suffix) && name.count > suffix.count {
      return String(name.dropLast(suffix.count))
    }
    return name
  }

  func ingest(_ source: ByteSource) throws {
    let head = try source.peek(4096)
    try ExportCheck.refuseNonExport(head, source: source)
    // An empty file is an export with nothing in it, not a broken one: zero records, said so.
    let content = head.drop { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
    if content.isEmpty || content.elementsEqual([0xEF, 0xBB, 0xBF]) {
      reporter.emit(
        Diagnostic(.warning, "empty input (\(head.count) bytes: no header and no records)", at: SourceLocation(file: source.name)))
      return
    }
    switch try format(of: source, head: head) {
    case .csv: try ingestCSV(source)
    case .xml: try ingestXML(source)
    case .auto: preconditionFailure("format(of:) always decides")
    }
  }

  func format(of source: ByteSource, head: ArraySlice<UInt8>) throws -> IngestOptions.Format {
    if options.format != .auto { return options.format }
    let lowered = Self.withoutCompressionSuffix(source.name.lowercased())
    if lowered.hasSuffix(".xml") { return .xml }
    if lowered.hasSuffix(".csv") || lowered.hasSuffix(".tsv") || lowered.hasSuffix(".txt") {
      return .csv
    }
    var bytes = head.drop { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
    if bytes.first == 0x3C || bytes.starts(with: Array("HTTP/".utf8))
      || bytes.starts(with: [0xFF, 0xFE, 0x3C]) || bytes.starts(with: [0xFE, 0xFF, 0x00, 0x3C])
    {
      return .xml
    }
    return .csv
  }

  // Reading CSV: IngestStage+CSV.swift; reading XML: IngestStage+XML.swift.

  // MARK: - Shared

  /// Every 65,536 records (the caller counts): the live progress line, on a terminal.
  func tickProgress(_ source: ByteSource, records: Int) {
    guard reporter.isTerminal else { return }
    if let rate = progressClock.tick(bytes: summary.bytesRead + source.bytesConsumed) {
      reporter.progress("\(source.name): \(records) records, \(rate)")
    }
  }
}
/// Throttles the live progress line to about once a second and reports throughput.
struct ProgressClock {
  var started = ProgressClock.now()
  var last = 0.0

  mutating func tick(bytes: Int) -> String? {
    let now = Self.now()
    guard now - last >= 1 else { return nil }
    last = now
    let seconds = max(now - started, 0.001)
    let megabytes = Double(bytes) / 1_000_000
    return "\(Int(megabytes)) MB, \(Int(megabytes / seconds)) MB/s"
  }

  static func now() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
  }
}
