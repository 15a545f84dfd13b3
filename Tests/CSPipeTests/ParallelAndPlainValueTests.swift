import Foundation
import Testing

@testable import CSPipeCore
@testable import CSPipeNormalise

/// The byte-level paths added for speed against the code they stand in for, and the parallel
/// runner's ordering and error rules.
@Suite("plain values and parallel parts")
struct ParallelAndPlainValueTests {
  typealias Seeded = FastPathDifferentialTests.Seeded

  /// `RecordConverter.writePlain` (strings and plain dates from the raw bytes) against
  /// `convertValue` (the String path it bypasses): the same JSON text and epoch, or it declines.
  @Test("values written from their bytes equal the String path's, on 60,000 near-miss strings and times")
  func plainValuesMatchTheStringPath() throws {
    let set = try MappingSet.load(extra: [])
    let mapping = try #require(set.mapping(for: SourceTag(system: "stripe", dataset: "subscriptions")))
    let converter = RecordConverter(mapping: mapping)
    let stringRule = try #require(mapping.rules.first { $0.type == .string && $0.rule.map == nil })
    let timeRule = try #require(mapping.rules.first { $0.type == .datetime && $0.rule.format == nil })
    var random = Seeded(state: 29)
    let pieces: [[UInt8]] = [
      Array(" ".utf8), Array("\t".utf8), Array("\n".utf8), Array("\"".utf8), Array("\\".utf8), [0x01], [0x7F],
      Array("é".utf8), Array("😀".utf8), [0xFF], [0xC3], [0xE2, 0x82], Array("a".utf8), Array("Z".utf8),
      Array("2024-06-07".utf8), Array(" 10:00:00".utf8), Array("T23:59:60".utf8), Array("-".utf8), Array(":".utf8),
      Array("0".utf8), Array("9".utf8), Array("13".utf8), Array("31".utf8), Array("02-30".utf8),
    ]
    var written = 0
    for round in 0..<60_000 {
      var bytes: [UInt8] = []
      if round % 3 == 0 {
        // A date or time near the plain form.
        let year = Int.random(in: 0...9999, using: &random)
        let text = String(
          format: "%04d-%02d-%02d%@%02d:%02d:%02d", year, Int.random(in: 0...13, using: &random),
          Int.random(in: 0...32, using: &random), ["T", " ", "x"].randomElement(using: &random)!,
          Int.random(in: 0...24, using: &random), Int.random(in: 0...60, using: &random),
          Int.random(in: 0...61, using: &random))
        bytes = Array(text.utf8)
        if Bool.random(using: &random) { bytes = Array(bytes.prefix(10)) }
      } else {
        for _ in 0..<Int.random(in: 0...6, using: &random) { bytes += pieces.randomElement(using: &random)! }
      }
      for rule in [stringRule, timeRule] {
        var plain: [UInt8] = []
        let result = bytes.withUnsafeBufferPointer {
          RecordConverter.writePlain($0, rule, zone: mapping.zone, currency: nil, to: &plain)
        }
        guard let result else {
          #expect(plain.isEmpty, "declined but wrote \(plain)")
          continue
        }
        written += 1
        let text = String(decoding: bytes, as: UTF8.self)
        let reference = try converter.convertValue(text, rule, currency: nil)
        var expected: [UInt8] = []
        reference.json.write(to: &expected)
        #expect(plain == expected, "\(bytes): \(String(decoding: plain, as: UTF8.self))")
        #expect(result.epoch == reference.epoch, "\(bytes)")
      }
    }
    #expect(written > 30_000, "\(written) written from bytes")
  }

  /// `writePlain` for every field rule of every built-in mapping (enumerations and value maps,
  /// integers, decimals, amounts in major and minor units, currencies, booleans) against what
  /// the String path makes of the same value: `applyMap`, then `convertValue`.
  @Test("every built-in rule's values written from bytes equal applyMap and convertValue, on 200,000 near-miss values")
  func everyRuleMatchesTheStringPath() throws {
    let set = try MappingSet.load(extra: [])
    let rules = set.mappings.values.sorted { $0.mapping.source < $1.mapping.source }.flatMap { mapping in
      mapping.rules.map { (RecordConverter(mapping: mapping), $0) }
    }
    var random = Seeded(state: 47)
    var words = Set<String>()
    for (_, rule) in rules {
      if case .enumeration(let values) = rule.type { words.formUnion(values) }
      words.formUnion(rule.rule.map?.keys.map { $0 } ?? [])
    }
    let seeds =
      words.sorted() + [
        "0", "1", "007", "-0", "12.50", "0.005", ".5", "5.", "+5", "1e3", "1,234.56", "123456789012345678901",
        "1.2345678901234567", "true", "false", "TRUE", "usd", "EUR", "US", "\u{212A}", "\u{17F}", "é", "İ", "ı", "\t", " ", "",
      ]
    func near(_ word: String) -> String {
      var text = word
      switch Int.random(in: 0..<6, using: &random) {
      case 0: text = text.uppercased()
      case 1: text = " " + text + "\t"
      case 2: text = String(text.map { Bool.random(using: &random) ? Character($0.uppercased()) : $0 })
      case 3 where !text.isEmpty: text.remove(at: text.index(text.startIndex, offsetBy: Int.random(in: 0..<text.count, using: &random)))
      case 4: text += ["s", "0", ".", "\u{130}", "\u{212A}"].randomElement(using: &random)!
      default: break
      }
      return text
    }
    var written = 0
    for _ in 0..<200_000 {
      let (converter, rule) = rules.randomElement(using: &random)!
      let text = near(seeds.randomElement(using: &random)!)
      let currency = [nil, "USD", "JPY", "KWD"].randomElement(using: &random)!
      var plain: [UInt8] = []
      let bytes = Array(text.utf8)
      let result = bytes.withUnsafeBufferPointer {
        RecordConverter.writePlain($0, rule, zone: converter.mapping.zone, currency: currency, to: &plain)
      }
      guard let result else {
        #expect(plain.isEmpty, "declined but wrote \(plain)")
        continue
      }
      written += 1
      let context = "\(converter.mapping.mapping.source) \(rule.name) \(text.debugDescription) \(currency ?? "-")"
      let mapped = try #require(try converter.applyMap(rule, to: text), "\(context): written, but the map leaves it out")
      let reference = try converter.convertValue(mapped, rule, currency: currency)
      var expected: [UInt8] = []
      reference.json.write(to: &expected)
      #expect(plain == expected, "\(context): \(String(decoding: plain, as: UTF8.self))")
      #expect(result.epoch == reference.epoch, "\(context)")
      #expect(result.isCurrency == (rule.type == .currency), "\(context)")
    }
    #expect(written > 50_000, "\(written) written from bytes")
  }

  /// A value map applies to every type before its value is read: a date in the plain form
  /// is not written from its bytes past the map (it was, until the byte path learnt to step
  /// aside for mapped rules).
  @Test("a value map on a date field applies to dates in the plain form too")
  func mappedDates() throws {
    var set = try MappingSet.load(extra: [])
    let json = #"""
      {"source": "acme/tickets", "kind": "ticket", "account": [{"field": "org"}],
       "fields": {"created_at": {"from": "Opened", "map": {"2024-01-01 00:00:00": "2024-02-01 00:00:00"}, "unmapped": "keep"}}}
      """#
    try set.add(json: Data(json.utf8), file: "acme.json")
    let mapping = try #require(set.mapping(for: SourceTag(system: "acme", dataset: "tickets")))
    let rule = try #require(mapping.rules.first { $0.name == "created_at" })
    var plain: [UInt8] = []
    let written = Array("2024-01-01 00:00:00".utf8).withUnsafeBufferPointer {
      RecordConverter.writePlain($0, rule, zone: mapping.zone, currency: nil, to: &plain)
    }
    #expect(written == nil && plain.isEmpty)
    let converter = RecordConverter(mapping: mapping)
    let mapped = try #require(try converter.applyMap(rule, to: "2024-01-01 00:00:00"))
    #expect(try converter.convertValue(mapped, rule, currency: nil).json == .string("2024-02-01T00:00:00Z"))
    #expect(try converter.applyMap(rule, to: "2024-03-04 05:06:07") == "2024-03-04 05:06:07")
  }

  /// The minor-unit table read by three capitals against the dictionary it is built from,
  /// for every three-letter code and for codes that only Unicode equivalence matches.
  @Test("minor-unit digits by table equal the dictionary's, for all 17,576 codes and Unicode equivalents")
  func minorUnitTable() {
    let letters = (0..<26).map { String(UnicodeScalar(UInt8(0x41 + $0))) }
    for a in letters {
      for b in letters {
        for c in letters {
          let code = a + b + c
          #expect(Values.minorUnitDigits(of: code) == (Values.minorUnitDigits[code] ?? 2), "\(code)")
        }
      }
    }
    for code in ["\u{212A}WD", "\u{212A}RW", "jpy", "JP", "JPYY", "", "J\u{0301}PY"] {
      #expect(Values.minorUnitDigits(of: code) == (Values.minorUnitDigits[code] ?? 2), "\(code.debugDescription)")
    }
    #expect(Values.minorUnitDigits(of: "\u{212A}WD") == 3)
  }

  /// `Timestamps.appendQuoted` against the String formatters, across years of any width.
  /// The byte paths of `Values.currency` and `Values.boolean` against the general rule they
  /// stand in for (trimmed, case-mapped by Unicode's rules), on near-miss strings.
  @Test("currency codes and booleans read by bytes equal the general path, on 50,000 near-miss strings")
  func currencyAndBooleanFastPaths() {
    func currency(_ text: String) -> String? {
      let code = text.trimmed.uppercased()
      return code.count == 3 && code.allSatisfy({ $0 >= "A" && $0 <= "Z" }) ? code : nil
    }
    func boolean(_ text: String) -> Bool? {
      switch text.trimmed.lowercased() {
      case "true", "t", "yes", "y", "1": return true
      case "false", "f", "no", "n", "0": return false
      default: return nil
      }
    }
    var random = Seeded(state: 41)
    let pieces = [
      "u", "S", "d", "E", "ß", "é", " ", "\t", "\n", "\r", "1", "0", "@", "[", "`", "{", "z", "Z", "a", "A", "true",
      "false", "TRUE", "no", "İ", "ﬀ", "\u{0}",
    ]
    for _ in 0..<50_000 {
      let text = (0..<Int.random(in: 0...5, using: &random)).map { _ in pieces.randomElement(using: &random)! }
        .joined()
      #expect((try? Values.currency(text)) == currency(text), "\(text.debugDescription)")
      #expect((try? Values.boolean(text)) == boolean(text), "\(text.debugDescription)")
    }
  }

  @Test("times appended as bytes equal rfc3339 and isoDate, on 100,000 instants")
  func quotedTimesMatchTheFormatters() {
    var random = Seeded(state: 31)
    for _ in 0..<100_000 {
      let epoch = Int.random(in: -70_000_000_000_000...400_000_000_000_000, using: &random) / 1000
      for withTime in [true, false] {
        var bytes: [UInt8] = []
        Timestamps.appendQuoted(epoch, withTime: withTime, to: &bytes)
        var expected: [UInt8] = []
        JSONBytes.appendString(withTime ? Timestamps.rfc3339(epoch) : Timestamps.isoDate(epoch), to: &expected)
        #expect(bytes == expected, "\(epoch)")
      }
    }
  }

  @Test("parallel parts: ranges cover every item once, in order; results in index order; the first failure wins")
  func parallelParts() throws {
    for count in [0, 1, 7, 2048, 4095, 4096, 100_003] {
      let ranges = InParallel.ranges(of: count, minimum: 2048)
      #expect(ranges.first?.lowerBound ?? 0 == 0)
      #expect(ranges.last?.upperBound ?? 0 == count)
      for (left, right) in zip(ranges, ranges.dropFirst()) { #expect(left.upperBound == right.lowerBound) }
      #expect(ranges.allSatisfy { $0.count >= min(count, 2048) || ranges.count == 1 })
    }
    let squares = try InParallel.map(1000) { $0 * $0 }
    #expect(squares == (0..<1000).map { $0 * $0 })
    struct PartFailed: Error, Equatable { let part: Int }
    #expect(throws: PartFailed(part: 3)) {
      _ = try InParallel.map(64) { part in
        if part % 10 == 3 { throw PartFailed(part: part) }
        return part
      }
    }
  }

  @Test("parts streamed in order: consumed in index order, at most `ahead` waiting, failures as a sequential run meets them")
  func partsStreamedInOrder() throws {
    final class Counter: @unchecked Sendable {
      let lock = NSLock()
      var waiting = 0
      var most = 0
      func change(_ delta: Int) {
        lock.lock()
        waiting += delta
        most = max(most, waiting)
        lock.unlock()
      }
    }
    for ahead in [1, 3, 8] {
      let counter = Counter()
      var consumed: [Int] = []
      try InParallel.forEachInOrder(500, ahead: ahead) { part in
        counter.change(1)
        // Uneven parts, so that later ones often finish first.
        var sum = 0
        for value in 0..<((part * 7919) % 5000) { sum &+= value }
        return (part, sum)
      } consume: { part, _ in
        counter.change(-1)
        consumed.append(part)
      }
      #expect(consumed == Array(0..<500))
      // The one being consumed is no longer waiting: one more may be started meanwhile.
      #expect(counter.most <= ahead + 1)
    }
    struct PartFailed: Error, Equatable { let part: Int }
    var before: [Int] = []
    #expect(throws: PartFailed(part: 13)) {
      try InParallel.forEachInOrder(200, ahead: 4) { part in
        if part == 13 || part == 17 { throw PartFailed(part: part) }
        return part
      } consume: {
        before.append($0)
      }
    }
    #expect(before == Array(0..<13))
    var consumedBeforeStop = 0
    #expect(throws: PartFailed(part: -1)) {
      try InParallel.forEachInOrder(10_000, ahead: 4) {
        $0
      } consume: { part in
        consumedBeforeStop += 1
        if part == 20 { throw PartFailed(part: -1) }
      }
    }
    #expect(consumedBeforeStop == 21)
  }
}
