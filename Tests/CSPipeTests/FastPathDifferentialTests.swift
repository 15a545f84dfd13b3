import Foundation
import Testing

@testable import CSPipeCore
@testable import CSPipeNormalise
@testable import CSPipeSegment

/// Fast paths against the code they bypass: the same answer for every input, valid or not.
@Suite("fast paths agree with the general code")
struct FastPathDifferentialTests {
  /// A seeded generator, so a failure repeats.
  struct Seeded: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return state >> 11 ^ state << 7
    }
  }

  @Test("the plain date-time reader gives what the general parser gives, on 200,000 near-miss dates and times")
  func plainDateTime() {
    var random = Seeded(state: 17)
    let pieces = ["0", "1", "2", "9", "00", "12", "13", "29", "30", "31", "59", "60", "61", "23", "24", "-", ":", " ", "T", "x"]
    // Mostly in range (so that many are valid), sometimes out of it or not digits at all.
    func two(_ range: ClosedRange<Int>) -> String {
      switch Int.random(in: 0..<10, using: &random) {
      case 0: return pieces.randomElement(using: &random)!
      case 1: return String(format: "%02d", Int.random(in: 0...99, using: &random))
      default: return String(format: "%02d", Int.random(in: range, using: &random))
      }
    }
    var fastHits = 0
    for _ in 0..<200_000 {
      let year = [String(Int.random(in: 0...2100, using: &random)), "2024", "1900", "2000", "2023", "0000", "20x4"]
        .randomElement(using: &random)!
      let separator = ["-", "-", "-", "-", "/"].randomElement(using: &random)!
      let middle = [" ", "T", " ", "T", "t", "  "].randomElement(using: &random)!
      let date = "\(year)\(separator)\(two(1...12))-\(two(1...31))"
      // One in four a bare date (a usage day), the rest with a time.
      let text =
        Int.random(in: 0..<4, using: &random) == 0
        ? date : "\(date)\(middle)\(two(0...23)):\(two(0...59)):\(two(0...60))"
      let general = try? Timestamps.parseAnyForm(text, order: nil)
      let fast = Timestamps.plainDateTime(text)
      if let fast {
        fastHits += 1
        #expect(fast == general, "\(text)")
      }
      #expect((try? Timestamps.parse(text, order: nil)) == general, "\(text)")
    }
    // Both kinds of input were tried: many the fast path reads, many it leaves to the parser.
    #expect(fastHits > 5_000 && fastHits < 195_000, "\(fastHits) read by the fast path")
  }
}

extension FastPathDifferentialTests {
  @Test("plain digits are read as the exact decimal reader reads them, on 100,000 near-miss inputs")
  func plainDigits() {
    var random = Seeded(state: 29)
    let pieces = ["0", "1", "9", "00", "007", "-", "+", ".", ".0", " ", "e2", "x", "99999999", "٣"]
    for _ in 0..<100_000 {
      let text = (0..<Int.random(in: 1...4, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
      let general: Int? = (try? Values.exactDecimal(text))?.integerValue
      let read: Int? = try? Values.integer(text)
      #expect(read == general, "\(text.debugDescription)")
      if let fast = Values.plainDigits(text) { #expect(fast == general, "\(text.debugDescription)") }
    }
  }
}

/// normalise's raw reader compares each line's envelope with the one before instead of parsing
/// it; on near-misses of that envelope it must read exactly what the full parser reads.
@Suite("raw envelope fast path agrees with the full parser")
struct RawEnvelopeDifferentialTests {
  @Test("10,000 mutated lines after a run of good ones: the same record, problem or error")
  func nearMisses() {
    var random = FastPathDifferentialTests.Seeded(state: 23)
    let good =
      #"{"kind":"raw","source":{"system":"stripe","dataset":"subscriptions","file":"subs.csv","line":12},"#
      + #""fields":{"id":"sub_1","Customer ID":"cus_1","Amount":"9.00"}}"#
    let pieces = [
      "0", "7", "007", "-1", "1.5", "1e3", "99999999999999999999", " ", "\\n", "\\u0041", "\"", ",", "}", "{", ":",
      #","x":1"#, "null", "true", #""line":3"#, "é", "\t", #"\""#, #"\ud83d\ude00"#, #"\ud83d"#, #"\x"#, #"\/"#,
    ]
    var agreed = 0
    for round in 0..<10_000 {
      let reader = RawRecordReader()
      // A good line first, so that the envelope is cached; then the near-miss.
      _ = good.utf8CString.withUnsafeBufferPointer { buffer in
        buffer.withMemoryRebound(to: UInt8.self) { try? reader.parse(UnsafeBufferPointer(rebasing: $0.dropLast())) }
      }
      var bytes = Array(good.utf8)
      for _ in 0..<Int.random(in: 1...2, using: &random) {
        // Mutations near the line number and the fields, where the fast path decides.
        let anchor = [bytes.count - 70, bytes.count - 60, bytes.count / 2, bytes.count - 2, bytes.count - 1].randomElement(
          using: &random)!
        let at = max(0, min(bytes.count, anchor + Int.random(in: -4...4, using: &random)))
        switch Int.random(in: 0..<3, using: &random) {
        case 0: bytes.insert(contentsOf: Array(pieces.randomElement(using: &random)!.utf8), at: at)
        case 1: if at < bytes.count { bytes.remove(at: at) }
        default: if at < bytes.count { bytes[at] = Array(pieces.randomElement(using: &random)!.utf8).first ?? 0x20 }
        }
      }
      // The fuzz target's own description of a reading, so both compare the same things.
      func outcome(_ parse: (UnsafeBufferPointer<UInt8>) throws(JSONSyntaxError) -> RawRecord.Reading?) -> String {
        bytes.withUnsafeBufferPointer { line in FuzzEntryPoints.describe(Result { () throws(JSONSyntaxError) in try parse(line) }) }
      }
      let fast = outcome(reader.parse)
      let full = outcome(RawRecord.parse)
      #expect(fast == full, "round \(round): \(String(decoding: bytes, as: UTF8.self))")
      if fast == full { agreed += 1 }
    }
    #expect(agreed == 10_000)
  }
}

/// The plain scanner jumps to the first byte of a word that needs a look; a special byte at
/// any offset of any word, in keys and values, must read as the exact parser reads it.
@Suite("plain scanner agrees with the exact parser")
struct PlainScannerDifferentialTests {
  /// The lazy reader's object and the exact parser's value of `line`, or their errors, as text.
  static func lazyAndExact(_ line: [UInt8]) -> (lazy: String, exact: String) {
    line.withUnsafeBufferPointer { bytes in
      let lazy: String
      do throws(JSONSyntaxError) {
        lazy = try JSONParser.parseLazyObject(bytes).map { "\(JSONValue.object($0.object))" } ?? "nil"
      } catch { lazy = "error \(error.offset) \(error.message)" }
      let exact: String
      do throws(JSONSyntaxError) {
        exact = "\(try JSONParser.parse(bytes))"
      } catch { exact = "error \(error.offset) \(error.message)" }
      return (lazy, exact)
    }
  }

  @Test("special bytes at every offset of 20,000 lines: the same object, or the same error")
  func specialBytesEverywhere() {
    var random = FastPathDifferentialTests.Seeded(state: 31)
    let specials: [[UInt8]] = [
      [0x22], [0x5C, 0x22], [0x5C, 0x6E], [0x5C], [0x09], [0x01], [0x7F], Array("é".utf8), Array("€".utf8), [0xC3], [0xFF],
      Array("\u{1F600}".utf8), [0x20], [0x7D], [0x2C], [0x3A],
    ]
    for round in 0..<20_000 {
      var line = Array(#"{"a":"#.utf8)
      for member in 0..<Int.random(in: 1...4, using: &random) {
        if member > 0 { line += Array(#","k\#(member)":"#.utf8) }
        line.append(0x22)
        let length = Int.random(in: 0...19, using: &random)
        var value = (0..<length).map { _ in UInt8.random(in: 0x61...0x7A, using: &random) }
        if Int.random(in: 0..<3, using: &random) > 0 {
          value.insert(contentsOf: specials.randomElement(using: &random)!, at: Int.random(in: 0...value.count, using: &random))
        }
        line += value
        line.append(0x22)
      }
      line.append(0x7D)
      let (lazy, exact) = Self.lazyAndExact(line)
      #expect(lazy == exact, "round \(round): \(String(decoding: line, as: UTF8.self).debugDescription)")
    }
  }
}

/// segment reads a record's source by comparing it with the last one's canonical text; when it
/// takes that path, the full parser must read the same labels and line.
@Suite("segment's source fast path agrees with the parser")
struct SourceFastPathTests {
  @Test("10,000 near-miss source objects: the fast path's line is the parsed line, labels equal")
  func nearMisses() throws {
    var random = FastPathDifferentialTests.Seeded(state: 37)
    let prefix = RawEnvelope.sourcePrefix(system: "stripe", dataset: "subscriptions", file: "a \"b\".csv")
    let good = prefix + Array("12}".utf8)
    let pieces = ["0", "7", "07", "-1", "1.5", "1e3", "99999999999999999999", " ", "}", ",", #","x":1"#, "\"", "\\"]
    var taken = 0
    for _ in 0..<10_000 {
      var bytes = good
      let at = max(0, min(bytes.count, bytes.count - Int.random(in: 0...6, using: &random)))
      switch Int.random(in: 0..<3, using: &random) {
      case 0: bytes.insert(contentsOf: Array(pieces.randomElement(using: &random)!.utf8), at: at)
      case 1: if at < bytes.count { bytes.remove(at: at) }
      default: if at < bytes.count { bytes[at] = Array(pieces.randomElement(using: &random)!.utf8)[0] }
      }
      guard let line = bytes.withUnsafeBufferPointer({ Segment.lineNumber(in: $0, after: prefix) }) else { continue }
      taken += 1
      let parsed = try #require(try? bytes.withUnsafeBufferPointer { try JSONParser.parse($0) }.objectValue)
      #expect(parsed["system"]?.stringValue == "stripe")
      #expect(parsed["dataset"]?.stringValue == "subscriptions")
      #expect(parsed["file"]?.stringValue == "a \"b\".csv")
      #expect(parsed["line"]?.intValue == line)
      #expect(parsed.entries.count == 4, "\(String(decoding: bytes, as: UTF8.self))")
    }
    #expect(taken > 100)
  }
}

/// The plain scanner follows shallow nested objects and arrays itself; on any line, nested or
/// not, plain or not, it must give the exact parser's object or error.
@Suite("the plain scanner's nested values agree with the exact parser")
struct NestedPlainScanTests {
  @Test("30,000 lines of random nested members, valid and broken: the same object, or the same error")
  func nestedValues() {
    var random = FastPathDifferentialTests.Seeded(state: 41)
    let scalars = [#""x""#, "1", "-0", "2.5e3", "true", "false", "null", #""é""#, #""a\"b""#, "01", "1.", "tru", #""\#u{01}""#, ""]
    func value(_ depth: Int) -> String {
      switch Int.random(in: 0..<(depth > 6 ? 1 : 4), using: &random) {
      case 0: return scalars.randomElement(using: &random)!
      case 1:
        let members = (0..<Int.random(in: 0...3, using: &random)).map { _ in
          "\"k\(Int.random(in: 0...2, using: &random))\":\(value(depth + 1))"
        }
        return "{" + members.joined(separator: [",", ", ", ",,"].randomElement(using: &random)!) + "}"
      case 2:
        let elements = (0..<Int.random(in: 0...3, using: &random)).map { _ in value(depth + 1) }
        return "[" + elements.joined(separator: [",", " , ", ""].randomElement(using: &random)!) + "]"
      default: return [" {} ", "[]", "[{}]", "{\"a\":[[[]]]}", "[", "{\"a\"}", "]"].randomElement(using: &random)!
      }
    }
    for round in 0..<30_000 {
      let line = Array("{\"kind\":\"x\",\"source\":\(value(1)),\"z\":\(value(2))}".utf8)
      let (lazy, exact) = PlainScannerDifferentialTests.lazyAndExact(line)
      #expect(lazy == exact, "round \(round): \(String(decoding: line, as: UTF8.self).debugDescription)")
    }
  }
}

/// `LazyJSONObject.select` finds many members in one pass; every read through it must equal the
/// same read by name, first of repeated keys included.
@Suite("a selection of members reads what lookups by name read")
struct MemberSelectionTests {
  enum Probe: Int, LazyJSONMemberNames {
    case a, ab, b, amount, at, atx, quote, long

    var name: String {
      switch self {
      case .a: "a"
      case .ab: "ab"
      case .b: "b"
      case .amount: "amount"
      case .at: "at"
      case .atx: "atx"
      case .quote: "q\"uote"
      case .long: "a_rather_long_member_name"
      }
    }

    static let table = LazyJSONMemberTable(Self.self)
  }

  @Test("20,000 objects with repeated, escaped and missing keys: every accessor agrees")
  func agrees() throws {
    var random = FastPathDifferentialTests.Seeded(state: 43)
    let keys = [
      #""a""#, #""ab""#, #""b""#, #""amount""#, #""at""#, #""atx""#, #""q\"uote""#, #""\u0061""#, #""a\u0062""#,
      #""a_rather_long_member_name""#, #""amounts""#, #""""#, #""x""#, #""c""#,
    ]
    let values = [
      #""2024-05-06T07:08:09Z""#, #""2024-05-06""#, "12", "-7", "123456789012345678901", "1.0", "1e2", "-0", "true",
      "false", "null", #""text""#, #""t\"ext""#, "{\"x\":1}", "[1,2]", #""""#, "999999999999999999",
    ]
    for round in 0..<20_000 {
      let members = (0..<Int.random(in: 0...12, using: &random)).map { _ in
        keys.randomElement(using: &random)! + ":" + values.randomElement(using: &random)!
      }
      let line = Array(("{" + members.joined(separator: ",") + "}").utf8)
      let object = try #require(try line.withUnsafeBufferPointer { try LazyJSONObject.parse($0) })
      let selection = object.select(Probe.self)
      for name in Probe.allCases {
        let context = "round \(round), \(name.name): \(String(decoding: line, as: UTF8.self))"
        #expect(selection[name] == object[name.name], "\(context)")
        #expect(selection.contains(name) == (object[name.name] != nil), "\(context)")
        #expect(selection.string(name) == object.string(name.name), "\(context)")
        #expect(selection.numberText(name) == object.numberText(name.name), "\(context)")
        #expect(selection.epochSeconds(name) == object.epochSeconds(name.name), "\(context)")
        #expect(selection.int(name) == object[name.name]?.intValue, "\(context)")
        #expect(selection.bool(name) == object[name.name]?.boolValue, "\(context)")
        let raw = selection.withRawValue(name) { Array($0) }
        #expect(raw == object.withRawValue(name.name) { Array($0) }, "\(context)")
      }
    }
  }

  @Test("the fold's member names are the canonical schema's fields (or the envelope's)")
  func canonicalNames() {
    let fields = Set(CanonicalKind.all.flatMap { $0.fields.map(\.name) })
    for member in CanonicalMember.allCases where !["kind", "account", "source"].contains(member.name) {
      #expect(fields.contains(member.name), "\(member.name) is no canonical field")
    }
  }
}
