import CLibXML2
import CSPipeCore
import Glibc

/// XML exports: the record elements found from the structure (or --record), streamed through
/// libxml2's push parser, each record flattened to one raw record.
extension Ingest {

  func ingestXML(_ source: ByteSource) throws {
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
      let recordPrefix =
        prefixes[record.elementName]
        ?? {
          let dataset = resolved.dataset(String(decoding: record.elementName, as: UTF8.self))
          let built = RawEnvelope.prefix(
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
        out.append(RawEnvelope.fieldsOpen)
        record.storage.withUnsafeBufferPointer { storage in
          for (index, field) in record.fields.enumerated() {
            if index > 0 { out.append(0x2C) }
            _ = JSONBytes.appendString(UnsafeBufferPointer(rebasing: storage[field.key]), to: &out)
            out.append(0x3A)
            _ = JSONBytes.appendString(UnsafeBufferPointer(rebasing: storage[field.value]), to: &out)
          }
        }
        out.append(RawEnvelope.recordClose)
      }
      summary.recordsOut += 1
      if summary.recordsIn & 0xFFFF == 0 { tickProgress(source, records: summary.recordsIn) }
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
          Diagnostic(
            .warning, "no records found at \(wanted.isEmpty ? rootName : wanted) (choose with --record PATH)",
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
  func skipHTTPPreamble(_ source: ByteSource) throws -> Int {
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
}
