import Foundation

/// Entry points for the fuzzers in `Fuzz/` (`make fuzz`): each runs one reader over arbitrary
/// bytes in memory and must return, never crash, whatever the bytes are. Not for other use.
/// Each module adds the entry points of its own readers (`Fuzzing.swift` beside them).
public enum FuzzEntryPoints {
  /// The CSV reader with delimiter sniffing, validating every field as JSON output would.
  public static func csv(_ bytes: [UInt8]) {
    _ = CSVReader.separatorDirective(bytes[...])
    let delimiter = CSVReader.sniffDelimiter(bytes.prefix(4096))
    // Read twice, with and without the plain-row path: the rows must be the same.
    var readings: [[[UInt8]]] = []
    for plainRows in [true, false] {
      let reader = CSVReader(source: ByteSource(bytes: bytes, name: "fuzz.csv"), delimiter: delimiter, maxFieldBytes: 64)
      reader.readsPlainRows = plainRows
      var out: [UInt8] = []
      var rows: [[UInt8]] = []
      try? reader.forEachRow { row in
        var summary = Array("\(row.line) \(row.byteOffset) \(String(describing: row.problem)) \(row.count):".utf8)
        for index in 0..<row.count {
          _ = JSONBytes.appendString(row.field(index), to: &out)
          summary += row.field(index)
          summary.append(0)
        }
        _ = row.reassembled(delimiter: reader.delimiter)
        out.removeAll(keepingCapacity: true)
        rows.append(summary)
      }
      rows.append(Array("blank \(reader.blankLines)".utf8))
      readings.append(rows)
    }
    precondition(readings[0] == readings[1], "the plain-row path read other rows than the state machine")
  }

  /// gzip decompression over arbitrary bytes after the magic number, fed a few bytes at a time
  /// into a small output buffer (every boundary case of the streaming loop).
  public static func gzip(_ bytes: [UInt8]) {
    let compressed = GzipInflater.magic + bytes
    var offset = 2
    guard let inflater = try? GzipInflater(initial: compressed[..<2], name: "fuzz.gz") else { return }
    var output = [UInt8](repeating: 0, count: 97)
    var total = 0
    while total < 1 << 20 {
      let got = try? output.withUnsafeMutableBytes { buffer in
        try inflater.read(into: buffer) { raw in
          let count = min(raw.count, 7, compressed.count - offset)
          compressed[offset..<(offset + count)].withUnsafeBytes { raw.copyMemory(from: $0) }
          offset += count
          return count
        }
      }
      guard let got, got > 0 else { return }
      total += got
    }
  }

  /// The NDJSON line reader and JSON parser, writing back every value parsed; and a
  /// differential check: the lazy and the flat object readers must accept, refuse (same
  /// offset, same message) and read exactly what the full parser does. A mismatch traps.
  public static func ndjson(_ bytes: [UInt8]) {
    let source = ByteSource(bytes: bytes, name: "fuzz.ndjson")
    var out: [UInt8] = []
    try? LineReader(source: source, maxLineBytes: 1 << 16).forEachLine { line, _, _ in
      if let value = try? JSONParser.parse(line) {
        value.write(to: &out)
        out.removeAll(keepingCapacity: true)
      }
      if let mismatch = readersDisagree(line) { fatalError(mismatch) }
    }
  }

  /// Why the lazy or flat reader differs from the full parser on `line`, or nil when they agree.
  static func readersDisagree(_ line: UnsafeBufferPointer<UInt8>) -> String? {
    let full = Result { () throws(JSONSyntaxError) -> JSONValue in try JSONParser.parse(line) }
    let lazy = Result { () throws(JSONSyntaxError) -> LazyJSONObject? in try LazyJSONObject.parse(line) }
    let flat = Result { () throws(JSONSyntaxError) in try JSONParser.parseObject(line, flatKey: "fields") }
    switch (full, lazy, flat) {
    case (.failure(let a), .failure(let b), .failure(let c)):
      return a == b && a == c ? nil : "errors differ: \(a), \(b), \(c)"
    case (.success(let value), .success(let object), .success(let flatRead)):
      guard case .object(let expected) = value else {
        return object == nil && flatRead == nil ? nil : "a non-object read as an object"
      }
      guard let object, object.object == expected else { return "lazy object differs" }
      guard let (rest, fields, notString) = flatRead else { return "flat reader missed the object" }
      // The flat reader takes the first "fields" that is an object; the rest stay members.
      guard let index = expected.entries.firstIndex(where: { $0.key == "fields" && $0.value.objectValue != nil }) else {
        return fields == nil && rest == expected ? nil : "flat reader invented fields"
      }
      var others = expected
      others.entries.remove(at: index)
      guard rest == others, let fields, case .object(let inner) = expected.entries[index].value else {
        return "flat reader's other members differ"
      }
      let strings = inner.entries.filter { $0.value.stringValue != nil }
      let firstNonString = inner.entries.first { $0.value.stringValue == nil }?.key
      guard notString == firstNonString, fields.pairs.count == strings.count,
        zip(fields.pairs, strings).allSatisfy({ $0.name == $1.key && $0.value == $1.value.stringValue })
      else { return "flat fields differ" }
      return nil
    default:
      return "one reader accepted what another refused"
    }
  }

  /// The value parsers normalise applies to every field: dates under each day/month order,
  /// decimals, integers, money, booleans, currencies, e-mail domains.
  public static func values(_ bytes: [UInt8]) {
    let text = String(decoding: bytes, as: UTF8.self)
    for order in [nil, DateOrder.dayFirst, DateOrder.monthFirst] {
      if let civil = try? Timestamps.parse(text, order: order) {
        let epoch = Timestamps.epochSeconds(civil, zone: Timestamps.utc)
        _ = Timestamps.rfc3339(epoch)
        _ = Timestamps.isoDate(epoch)
      }
    }
    _ = Timestamps.epochSeconds(ofCanonical: text)
    if let decimal = try? Values.exactDecimal(text) {
      _ = decimal.text
      _ = decimal.dividedByPowerOfTen(3).text
      _ = decimal.units(atScale: decimal.scale + 2)
    }
    _ = try? Values.integer(text)
    _ = try? Values.money(text, minorUnits: true, currency: "KWD")
    // Money is whole minor units, prices keep 12 places more, whatever the notation.
    if let money = try? Values.money(text, minorUnits: false, currency: "USD") { precondition(money.scale <= 2) }
    if let price = try? Values.price(text, minorUnits: true, currency: "JPY") {
      precondition(price.scale <= Values.priceExtraDigits)
    }
    _ = try? Values.boolean(text)
    _ = try? Values.currency(text)
    _ = Values.emailDomain(text)
  }

}
