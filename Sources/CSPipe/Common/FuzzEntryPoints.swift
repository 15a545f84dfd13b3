import Foundation

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

  /// gzip decompression over arbitrary bytes after the magic number, fed a few bytes at a time
  /// into a small output buffer (every boundary case of the streaming loop); the checks for
  /// files that are not exports and Excel's separator line on the same bytes.
  public static func gzip(_ bytes: [UInt8]) {
    _ = CSVReader.separatorDirective(bytes[...])
    _ = ExportCheck.httpStatus(bytes[...])
    _ = ExportCheck.isWebPage(bytes[...])
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

  /// Every built-in mapping, loaded once (the fuzzer calls the entry point millions of times).
  static let builtinMappings: [ValidatedMapping] = {
    let set = (try? MappingSet.load(extra: [])) ?? MappingSet()
    return set.mappings.keys.sorted().compactMap { set.mappings[$0] }
  }()

  /// normalise's conversion: each line read as a raw record (the flat parser), then converted
  /// under the mapping of its source, or, for a source without one, a mapping chosen by the
  /// line's length, so that arbitrary fields meet every mapping's rules.
  public static func raw(_ bytes: [UInt8]) {
    let source = ByteSource(bytes: bytes, name: "fuzz.ndjson")
    let set = builtinMappings
    guard !set.isEmpty else { return }
    try? LineReader(source: source, maxLineBytes: 1 << 16).forEachLine { line, _, _ in
      guard let reading = try? RawRecord.parse(line), let raw = reading.record else { return }
      let mapping = set.first { $0.mapping.source == raw.tag.description } ?? set[line.count % set.count]
      let converter = RecordConverter(mapping: mapping)
      if let fields = try? converter.convert(raw) {
        _ = converter.sourceKey(fields, names: mapping.mapping.key)
      }
      for rule in mapping.mapping.account {
        if let value = raw.fields[rule.sourceField] {
          _ = IdentityIndex.keys(rule.kind, system: raw.tag.system, value: value)
        }
      }
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

  /// segment's revenue arithmetic with extreme values: the bytes are a line of
  /// `amount,quantity,interval_count,discount,interval,currency,rate`, made into a canonical
  /// subscription. It must be refused with a reason or give a monthly amount in bounds, whose
  /// conversion, ARR and shares never trap.
  public static func arithmetic(_ bytes: [UInt8]) {
    let parts = String(decoding: bytes, as: UTF8.self).split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    func part(_ index: Int) -> String? { index < parts.count && !parts[index].isEmpty ? parts[index] : nil }
    var members: [String] = [
      #""kind":"subscription""#, #""account":"a""#, #""id":"s""#, #""started_at":"2025-01-01T00:00:00Z""#,
      #""status":"active""#,
    ]
    for (index, name) in [(0, "amount"), (1, "quantity"), (2, "interval_count"), (3, "discount")] {
      if let value = part(index) { members.append("\"\(name)\":\(value)") }
    }
    var interval = "month"
    if let given = part(4) {
      interval = given
      var quoted: [UInt8] = []
      JSONBytes.appendString(given, to: &quoted)
      members.append("\"interval\":" + String(decoding: quoted, as: UTF8.self))
    }
    let currency = part(5).flatMap { try? Values.currency($0) } ?? "USD"
    members.append("\"currency\":\"\(currency)\"")
    let line = Array(("{" + members.joined(separator: ",") + "}").utf8)
    guard let record = line.withUnsafeBufferPointer({ try? LazyJSONObject.parse($0) }) else { return }
    let (fact, problem) = SubscriptionFact.make(record, cutoff: 1_800_000_000)
    guard let fact else {
      precondition(problem != nil, "a refused subscription must say why")
      return
    }
    precondition(fact.monthlyMinor >= 0 && fact.monthlyMinor <= SubscriptionFact.limitMinor, "monthly amount out of bounds")
    precondition(SubscriptionFact.monthsPer[interval] != nil, "an unknown interval was accepted")
    _ = Segment.money(minor: fact.monthlyMinor, digits: Values.minorUnitDigits(of: currency))
    let (annual, overflow) = fact.monthlyMinor.multipliedReportingOverflow(by: 12)
    precondition(!overflow, "ARR of one subscription overflows")
    _ = Segment.money(minor: annual, digits: 2)
    _ = Segment.share(fact.monthlyMinor, max(1, annual))
    if let rateText = part(6), let rate = Decimal(string: rateText), rate > 0 {
      var converted = fact.monthly * rate
      var rounded = Decimal()
      NSDecimalRound(&rounded, &converted, 2, .bankers)
      _ = rounded <= Decimal(SubscriptionFact.portfolioLimitMinor) ? SubscriptionFact.minorUnits(rounded, currency: "USD") : 0
    }
  }
}
