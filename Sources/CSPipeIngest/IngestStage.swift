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
  private let options: IngestOptions
  private let output: OutputSink
  private let rejects: RejectLog
  private let reporter: StderrReporter
  private var summary = IngestSummary()
  private var progressClock = ProgressClock()

  private let inputs: [String]

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
          reporter.emit(Diagnostic(.note, "its \(written) record(s) before the error are left out; the other files go through", at: location))
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

  private func ingest(_ source: ByteSource) throws {
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

  private func format(of source: ByteSource, head: ArraySlice<UInt8>) throws -> IngestOptions.Format {
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

  // MARK: - CSV

  private func ingestCSV(_ source: ByteSource) throws {
    let head = try source.peek(64 << 10)
    if UTF16Transcoding.hasByteOrderMark(head) {
      // Excel's "Unicode Text": decoded to UTF-8 on the way in; line numbers stay the file's.
      let path = try UTF16Transcoding.transcode(source)
      defer { unlink(path) }
      let decoded = try ByteSource(path: path, displayName: source.name)
      try ingestCSV(decoded)
      return
    }
    let text = head.starts(with: [0xEF, 0xBB, 0xBF]) ? head.dropFirst(3) : head
    let directive = CSVReader.separatorDirective(text)
    if let directive, options.delimiter.map({ $0 != directive.delimiter }) ?? false {
      reporter.emit(
        Diagnostic(
          .warning, "the file's first line declares \(Self.describe(delimiter: directive.delimiter)) as its delimiter; --delimiter overrides it",
          at: SourceLocation(file: source.name, line: 1)))
    }
    let delimiter = options.delimiter ?? directive?.delimiter
      ?? CSVReader.sniffDelimiter(text)
    let reader = CSVReader(
      source: source, delimiter: delimiter, maxFieldBytes: options.maxFieldBytes,
      skipsSeparatorDirective: directive != nil)
    var layout: CSVLayout?
    try reader.forEachRow { row in
      guard let current = layout else {
        layout = try CSVLayout(header: row, source: source, options: options, reporter: reporter)
        summary.sources[source.name] = layout!.tag
        return
      }
      summary.recordsIn += 1
      try emit(row, layout: current, file: source.name, delimiter: delimiter)
      tickProgress(source)
    }
    if reader.blankLines > 0 && layout != nil {
      reporter.emit(
        Diagnostic(
          .note, "\(reader.blankLines) blank line(s) skipped (they hold no data)",
          at: SourceLocation(file: source.name)))
    }
  }

  /// A delimiter as a user would name it in a message.
  static func describe(delimiter: UInt8) -> String {
    switch delimiter {
    case 0x09: return "tab"
    case 0x20...0x7E: return "`\(Character(UnicodeScalar(delimiter)))`"
    default: return "byte \(delimiter)"
    }
  }

  private func emit(_ row: CSVRow, layout: CSVLayout, file: String, delimiter: UInt8) throws {
    let location = SourceLocation(file: file, line: row.line)
    if let problem = row.problem {
      let reason: String
      var field: String?
      switch problem {
      case .fieldTooLong(let index, let limit):
        field = index < layout.names.count ? layout.names[index] : nil
        reason = "longer than the \(limit)-byte field limit (--max-field-bytes)"
      case .unterminatedQuote(let line):
        reason = "the file ends inside a quoted field opened on line \(line)"
      }
      return try rejects.reject(
        at: location, field: field, reason: reason, raw: String(row.reassembled(delimiter: delimiter).prefix(4096)))
    }
    guard row.count == layout.names.count else {
      return try rejects.reject(
        at: location,
        reason: "expected \(layout.names.count) fields as in the header, found \(row.count)",
        raw: row.reassembled(delimiter: delimiter))
    }
    var badField: (index: Int, offset: Int)?
    try layout.keyBytes.withUnsafeBufferPointer { keys in try output.write { out in
      let mark = out.count
      out.append(layout.recordPrefix)
      JSONBytes.appendInt(row.line, to: &out)
      out.append(CSVLayout.fieldsOpen)
      for index in 0..<row.count {
        out.append(UnsafeBufferPointer(rebasing: keys[layout.keyRanges[index]]))
        if let offset = JSONBytes.appendString(row.field(index), to: &out) {
          badField = (index, offset)
          out.truncate(to: mark)
          return
        }
      }
      out.append(CSVLayout.recordClose)
    } }
    if let badField {
      let value = row.field(badField.index)
      let byte = value[badField.offset]
      return try rejects.reject(
        at: location, field: layout.names[badField.index],
        reason: "not valid UTF-8 (byte 0x\(String(byte, radix: 16, uppercase: true)) at offset "
          + "\(badField.offset) of the value; the row starts at byte \(row.byteOffset) of the file)",
        raw: row.reassembled(delimiter: delimiter))
    }
    summary.recordsOut += 1
  }

  // MARK: - XML

  private func ingestXML(_ source: ByteSource) throws {
    let lineOffset = try skipHTTPPreamble(source)
    let structure = XMLStructure()
    let scan = XMLPushParser(sink: structure, fileName: source.name, lineOffset: lineOffset)
    let prefix = try source.peek(XMLStructure.scanBytes)
    prefix.withUnsafeBytes { _ = scan.feed($0, last: false) }

    let rootName = structure.root?.name ?? ""
    var tag: (system: String, dataset: (String) -> String)?
    var paths = options.recordPaths
    let guessed = structure.guessRecordPaths()
    for signature in SourceCatalog.xml where signature.roots.contains(rootName) {
      let candidatePaths = signature.recordPaths(root: rootName, guessed: guessed)
      let names = candidatePaths.compactMap(structure.node(at:)).flatMap {
        $0.childOrder + $0.attributeNames.map { "@" + $0 }
      }
      if signature.anyOfRecordNames.contains(where: names.contains) {
        if paths.isEmpty { paths = candidatePaths }
        tag = (signature.system, { record in signature.dataset(rootName, record) })
        break
      }
    }
    if paths.isEmpty { paths = guessed }
    // An export with no records (an empty list, a Jira search that found nothing) is still
    // that system's export: named by its root, with zero records.
    var noRecords = paths.allSatisfy { structure.node(at: $0) == nil }
    if tag == nil, options.recordPaths.isEmpty {
      for signature in SourceCatalog.xml where signature.roots.contains(rootName) {
        let expected = signature.recordPaths(root: rootName, guessed: guessed)
        guard expected.allSatisfy({ structure.node(at: $0) == nil }) else { continue }
        paths = expected
        noRecords = true
        tag = (signature.system, { record in signature.dataset(rootName, record) })
        break
      }
    }
    if let forced = options.source {
      tag = (forced.system, { record in forced.dataset.isEmpty ? record : forced.dataset })
    }
    let resolved = tag ?? (SourceTag.genericSystem, { record in record })
    var prefixes: [[UInt8]: [UInt8]] = [:]

    let flattener = XMLRecordFlattener(paths: paths, maxRecordBytes: options.maxRecordBytes) {
      [self] record in
      summary.recordsIn += 1
      let location = SourceLocation(file: source.name, line: record.line)
      if let problem = record.problem {
        return try rejects.reject(
          at: location, reason: problem,
          raw: "<\(String(decoding: record.elementName, as: UTF8.self))> (not kept: too large)")
      }
      let recordPrefix = prefixes[record.elementName] ?? {
        let dataset = resolved.dataset(String(decoding: record.elementName, as: UTF8.self))
        let built = Self.recordPrefix(
          SourceTag(system: resolved.system, dataset: dataset), file: source.name)
        prefixes[record.elementName] = built
        if summary.sources[source.name] == nil {
          summary.sources[source.name] = SourceTag(system: resolved.system, dataset: dataset)
        }
        return built
      }()
      try output.write { out in
        out.append(recordPrefix)
        JSONBytes.appendInt(record.line, to: &out)
        out.append(CSVLayout.fieldsOpen)
        record.storage.withUnsafeBufferPointer { storage in
          for (index, field) in record.fields.enumerated() {
            if index > 0 { out.append(0x2C) }
            _ = JSONBytes.appendString(UnsafeBufferPointer(rebasing: storage[field.key]), to: &out)
            out.append(0x3A)
            _ = JSONBytes.appendString(UnsafeBufferPointer(rebasing: storage[field.value]), to: &out)
          }
        }
        out.append(CSVLayout.recordClose)
      }
      summary.recordsOut += 1
      tickProgress(source)
    }

    let parser = XMLPushParser(sink: flattener, fileName: source.name, lineOffset: lineOffset)
    var chunk = [UInt8](repeating: 0, count: 256 << 10)
    while true {
      let count = try chunk.withUnsafeMutableBytes { try source.read(into: $0) }
      let ok = chunk.withUnsafeBytes { parser.feed(UnsafeRawBufferPointer(rebasing: $0[0..<count]), last: count == 0) }
      if let error = flattener.deliveryError { throw error }
      if !ok || count == 0 { break }
    }
    if let failure = parser.failure {
      var message = "not well-formed XML: \(failure.message)"
      if structure.root == nil, let text = Self.leadingText(prefix) {
        message += "; the file starts with text, not markup: \(text.debugDescription)"
      }
      throw InputError(message, at: SourceLocation(file: source.name, line: failure.line))
    }
    if flattener.recordCount == 0 {
      let wanted = paths.map(\.description).joined(separator: ", ")
      if let tag, noRecords {
        let dataset = tag.dataset(paths.first.flatMap { $0.steps.last ?? nil } ?? rootName)
        reporter.emit(
          Diagnostic(.note, "an empty \(tag.system)/\(dataset) export: no records", at: SourceLocation(file: source.name)))
      } else {
        reporter.emit(
          Diagnostic(.warning, "no records found at \(wanted.isEmpty ? rootName : wanted) (choose with --record PATH)",
            at: SourceLocation(file: source.name)))
      }
    }
    if flattener.ignoredOutside > 0 && !(noRecords && flattener.recordCount == 0) {
      reporter.emit(
        Diagnostic(
          .note,
          "\(flattener.ignoredOutside) element(s) outside the records were not ingested "
            + "(first: \(flattener.firstIgnoredPath ?? "?")); --record PATH chooses other records",
          at: SourceLocation(file: source.name)))
    }
  }

  /// Skips an HTTP response header saved in front of the XML (API fixtures such as Recurly's),
  /// with a warning, and returns how many lines it took. Anything else before the first `<`
  /// is left for libxml2 to reject as not well-formed.
  private func skipHTTPPreamble(_ source: ByteSource) throws -> Int {
    let head = try source.peek(64 << 10)
    guard head.starts(with: Array("HTTP/".utf8)) else { return 0 }
    var lines = 0
    var index = head.startIndex
    var lineStart = index
    while index < head.endIndex {
      if head[index] == 0x0A {
        lines += 1
        let line = head[lineStart..<index]
        if line.isEmpty || line.elementsEqual([0x0D]) {
          try source.skip(index + 1 - head.startIndex)
          reporter.emit(
            Diagnostic(
              .warning, "skipped an HTTP response header (\(lines) lines) saved before the XML",
              at: SourceLocation(file: source.name, line: 1)))
          return lines
        }
        lineStart = index + 1
      }
      index += 1
    }
    return 0
  }

  /// The first words of a document that does not start with markup (a browser's "This XML
  /// file does not appear to have any style information" banner), for the error message.
  /// Callers print it with `debugDescription`, so control bytes from a hostile file cannot
  /// reach the terminal as escape sequences.
  static func leadingText(_ head: ArraySlice<UInt8>) -> String? {
    let text = head.drop { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 || $0 == 0xEF || $0 == 0xBB || $0 == 0xBF }
    guard let first = text.first, first != 0x3C else { return nil }
    let line = text.prefix { $0 != 0x0A && $0 != 0x0D }.prefix(60)
    var words = String(decoding: line, as: UTF8.self)
    if line.count == 60 { words += "…" }
    return words
  }

  // MARK: - Shared

  static func recordPrefix(_ tag: SourceTag, file: String) -> [UInt8] {
    var bytes = Array(#"{"kind":"raw","source":{"system":"#.utf8)
    JSONBytes.appendString(tag.system, to: &bytes)
    bytes.append(contentsOf: #","dataset":"#.utf8)
    JSONBytes.appendString(tag.dataset, to: &bytes)
    bytes.append(contentsOf: #","file":"#.utf8)
    JSONBytes.appendString(file, to: &bytes)
    bytes.append(contentsOf: #","line":"#.utf8)
    return bytes
  }

  private func tickProgress(_ source: ByteSource) {
    guard reporter.isTerminal, summary.recordsIn & 0xFFFF == 0 else { return }
    if let rate = progressClock.tick(bytes: summary.bytesRead + source.bytesConsumed) {
      reporter.progress("\(source.name): \(summary.recordsIn) records, \(rate)")
    }
  }
}

/// The per-file constants of a CSV: column names, their JSON keys and the record prefix.
struct CSVLayout {
  let tag: SourceTag
  let names: [String]
  /// `"name":` for each column, with the separating comma before all but the first, one after
  /// the other in `keyBytes` (one buffer, so the hot loop retains nothing per field).
  let keyBytes: [UInt8]
  let keyRanges: [Range<Int>]
  let recordPrefix: [UInt8]

  static let fieldsOpen = Array(#"},"fields":{"#.utf8)
  static let recordClose = Array("}}\n".utf8)

  init(header: CSVRow, source: ByteSource, options: IngestOptions, reporter: StderrReporter) throws {
    let location = SourceLocation(file: source.name, line: header.line)
    var names: [String] = []
    // Final names taken so far, and the last number given to each repeated name: keys are
    // unique by construction (`name,name[2],name` keeps the third as `name[3]`).
    var taken = Set<String>()
    var lastNumber: [String: Int] = [:]
    let warnings = CappedWarnings(reporter: reporter)
    defer { warnings.finish() }
    for index in 0..<header.count {
      let raw = header.field(index)
      if let offset = JSONBytes.firstInvalidUTF8(raw) {
        throw InputError(
          "column \(index + 1) of the header is not valid UTF-8 (offset \(offset)); "
            + "is the file in another encoding?", at: location)
      }
      var name = header.fieldString(index)
      if name.isEmpty {
        name = "column_\(index + 1)"
        warnings.warn("unnamed column", "column \(index + 1) has no name; it is kept as \"\(name)\"", at: location)
      }
      if taken.contains(name) {
        var number = (lastNumber[name] ?? 1) + 1
        while taken.contains("\(name)[\(number)]") { number += 1 }
        lastNumber[name] = number
        let renamed = "\(name)[\(number)]"
        warnings.warn(
          "repeated column",
          "column \(name.debugDescription) repeats; column \(index + 1) is kept as \(renamed.debugDescription)",
          at: location)
        name = renamed
      }
      taken.insert(name)
      names.append(name)
    }
    self.names = names
    var keyBytes: [UInt8] = []
    var keyRanges: [Range<Int>] = []
    for (index, name) in names.enumerated() {
      let start = keyBytes.count
      if index > 0 { keyBytes.append(0x2C) }
      JSONBytes.appendString(name, to: &keyBytes)
      keyBytes.append(0x3A)
      keyRanges.append(start..<keyBytes.count)
    }
    self.keyBytes = keyBytes
    self.keyRanges = keyRanges
    let stem = source.name == ByteSource.standardInputName ? "stdin" : Self.stem(of: source.name)
    var tag = SourceCatalog.detectCSV(header: names)
      ?? SourceTag(system: SourceTag.genericSystem, dataset: stem)
    if let forced = options.source {
      tag = SourceTag(system: forced.system, dataset: forced.dataset.isEmpty ? stem : forced.dataset)
    }
    self.tag = tag
    recordPrefix = Ingest.recordPrefix(tag, file: source.name)
  }

  /// `exports/Tickets 2024.csv` → `Tickets 2024`.
  static func stem(of path: String) -> String {
    let name = Ingest.withoutCompressionSuffix(path.split(separator: "/").last.map(String.init) ?? path)
    guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return name }
    return String(name[..<dot])
  }
}

/// Throttles the live progress line to about once a second and reports throughput.
struct ProgressClock {
  private var started = ProgressClock.now()
  private var last = 0.0

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
