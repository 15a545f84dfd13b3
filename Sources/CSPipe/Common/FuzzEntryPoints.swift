/// Entry points for the fuzzers in `Fuzz/` (`make fuzz`): each runs one reader over arbitrary
/// bytes in memory and must return, never crash, whatever the bytes are. Not for other use.
public enum FuzzEntryPoints {
  /// The CSV reader with delimiter sniffing, validating every field as JSON output would.
  public static func csv(_ bytes: [UInt8]) {
    let source = ByteSource(bytes: bytes, name: "fuzz.csv")
    let reader = CSVReader(
      source: source, delimiter: CSVReader.sniffDelimiter(bytes.prefix(4096)), maxFieldBytes: 1 << 16)
    var out: [UInt8] = []
    try? reader.forEachRow { row in
      for index in 0..<row.count {
        _ = JSONBytes.appendString(row.field(index), to: &out)
      }
      _ = row.reassembled(delimiter: reader.delimiter)
      out.removeAll(keepingCapacity: true)
    }
  }

  /// The XML structure scan and the record flattener, as ingest drives them.
  public static func xml(_ bytes: [UInt8]) {
    let structure = XMLStructure()
    let scan = XMLPushParser(sink: structure, fileName: "fuzz.xml")
    bytes.withUnsafeBytes { _ = scan.feed($0, last: true) }
    let paths = structure.guessRecordPaths()
    var out: [UInt8] = []
    let flattener = XMLRecordFlattener(paths: paths, maxRecordBytes: 1 << 16) { record in
      for field in record.fields {
        record.storage.withUnsafeBufferPointer { storage in
          _ = JSONBytes.appendString(UnsafeBufferPointer(rebasing: storage[field.key]), to: &out)
          _ = JSONBytes.appendString(UnsafeBufferPointer(rebasing: storage[field.value]), to: &out)
        }
      }
      out.removeAll(keepingCapacity: true)
    }
    let parser = XMLPushParser(sink: flattener, fileName: "fuzz.xml")
    // Two chunks, so records straddle a chunk boundary as they do on real files.
    let middle = bytes.count / 2
    bytes[..<middle].withUnsafeBytes { _ = parser.feed($0) }
    bytes[middle...].withUnsafeBytes { _ = parser.feed($0, last: true) }
  }

  /// The NDJSON line reader and JSON parser, writing back every value parsed.
  public static func ndjson(_ bytes: [UInt8]) {
    let source = ByteSource(bytes: bytes, name: "fuzz.ndjson")
    var out: [UInt8] = []
    try? LineReader(source: source, maxLineBytes: 1 << 16).forEachLine { line, _, _ in
      if let value = try? JSONParser.parse(line) {
        value.write(to: &out)
        out.removeAll(keepingCapacity: true)
      }
    }
  }
}
