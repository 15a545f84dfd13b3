import CSPipeCore
import Glibc

/// CSV exports: the delimiter (Excel's `sep=` line, else sniffed), the header's layout and one
/// raw record per row, straight to bytes.
extension Ingest {

  func ingestCSV(_ source: ByteSource) throws {
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
          .warning,
          "the file's first line declares \(Self.describe(delimiter: directive.delimiter)) as its delimiter; --delimiter overrides it",
          at: SourceLocation(file: source.name, line: 1)))
    }
    let delimiter =
      options.delimiter ?? directive?.delimiter
      ?? CSVReader.sniffDelimiter(text)
    let reader = CSVReader(
      source: source, delimiter: delimiter, maxFieldBytes: options.maxFieldBytes,
      skipsSeparatorDirective: directive != nil)
    var layout: CSVLayout?
    // Counted here and added once: the summary is the class's, checked for exclusive access
    // at every touch.
    var (rowsRead, rowsWritten) = (0, 0)
    defer {
      summary.recordsIn += rowsRead
      summary.recordsOut += rowsWritten
    }
    try reader.forEachRow { row in
      guard let current = layout else {
        layout = try CSVLayout(header: row, source: source, options: options, reporter: reporter)
        summary.sources[source.name] = layout!.tag
        return
      }
      rowsRead += 1
      if try emit(row, layout: current, file: source.name, delimiter: delimiter) { rowsWritten += 1 }
      if rowsRead & 0xFFFF == 0 { tickProgress(source, records: summary.recordsIn + rowsRead) }
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

  /// Writes a row's raw record, or rejects the row (false).
  func emit(_ row: CSVRow, layout: CSVLayout, file: String, delimiter: UInt8) throws -> Bool {
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
      try rejects.reject(
        at: location, field: field, reason: reason, raw: String(row.reassembled(delimiter: delimiter).prefix(4096)))
      return false
    }
    guard row.count == layout.names.count else {
      try rejects.reject(
        at: location,
        reason: "expected \(layout.names.count) fields as in the header, found \(row.count)",
        raw: row.reassembled(delimiter: delimiter))
      return false
    }
    var badField: (index: Int, offset: Int)?
    try layout.keyBytes.withUnsafeBufferPointer { keys in
      try output.write { out in
        let mark = out.count
        out.append(layout.recordPrefix)
        JSONBytes.appendInt(row.line, to: &out)
        out.append(RawEnvelope.fieldsOpen)
        for index in 0..<row.count {
          out.append(UnsafeBufferPointer(rebasing: keys[layout.keyRanges[index]]))
          if let offset = JSONBytes.appendString(row.field(index), to: &out) {
            badField = (index, offset)
            out.truncate(to: mark)
            return
          }
        }
        out.append(RawEnvelope.recordClose)
      }
    }
    if let badField {
      let value = row.field(badField.index)
      let byte = value[badField.offset]
      try rejects.reject(
        at: location, field: layout.names[badField.index],
        reason: "not valid UTF-8 (byte 0x\(String(byte, radix: 16, uppercase: true)) at offset "
          + "\(badField.offset) of the value; the row starts at byte \(row.byteOffset) of the file)",
        raw: row.reassembled(delimiter: delimiter))
      return false
    }
    return true
  }
}

/// The per-file constants of a CSV: column names, their JSON keys and the record prefix. A
/// class: each row holds it with one reference count, where a struct copied its four arrays'.
final class CSVLayout {
  let tag: SourceTag
  let names: [String]
  /// `"name":` for each column, with the separating comma before all but the first, one after
  /// the other in `keyBytes` (one buffer, so the hot loop retains nothing per field).
  let keyBytes: [UInt8]
  let keyRanges: [Range<Int>]
  let recordPrefix: [UInt8]

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
    var tag =
      SourceCatalog.detectCSV(header: names)
      ?? SourceTag(system: SourceTag.genericSystem, dataset: stem)
    if let forced = options.source {
      tag = SourceTag(system: forced.system, dataset: forced.dataset.isEmpty ? stem : forced.dataset)
    }
    self.tag = tag
    recordPrefix = RawEnvelope.prefix(tag, file: source.name)
  }

  /// `exports/Tickets 2024.csv` → `Tickets 2024`.
  static func stem(of path: String) -> String {
    let name = Ingest.withoutCompressionSuffix(path.split(separator: "/").last.map(String.init) ?? path)
    guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return name }
    return String(name[..<dot])
  }
}
