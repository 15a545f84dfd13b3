import Foundation
import Testing

@testable import CSPipe
@testable import CSPipeCore
@testable import CSPipeIngest
@testable import CSPipeNormalise
@testable import CSPipeSegment

@Suite("JSONBytes")
struct JSONBytesTests {
  private func encoded(_ bytes: [UInt8]) -> (text: String, invalidAt: Int?) {
    var out: [UInt8] = []
    let invalid = bytes.withUnsafeBufferPointer { JSONBytes.appendString($0, to: &out) }
    return (String(decoding: out, as: UTF8.self), invalid)
  }

  @Test("escapes quotes, backslashes and control characters")
  func escapes() {
    #expect(encoded(Array("a\"b\\c\nd\re\tf".utf8)).text == #""a\"b\\c\nd\re\tf""#)
    #expect(encoded([0x00, 0x1F, 0x41]).text == #""\u0000\u001fA""#)
    #expect(
      encoded(Array("plain ascii text longer than eight bytes".utf8)).text
        == "\"plain ascii text longer than eight bytes\"")
  }

  @Test("passes valid UTF-8 through unchanged")
  func unicode() {
    let text = "Ça Va Café – “quoted” 日本 🎉"
    #expect(encoded(Array(text.utf8)).text == "\"\(text)\"")
  }

  @Test(
    "reports the offset of invalid UTF-8",
    arguments: [
      ([0x41, 0xFF], 1),  // not a lead byte
      ([0x41, 0x42, 0xC3], 2),  // truncated sequence
      ([0xC0, 0x80], 0),  // overlong
      ([0xED, 0xA0, 0x80], 0),  // surrogate
      ([0xF4, 0x90, 0x80, 0x80], 0),  // above U+10FFFF
      ([0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0xE9, 0x20], 9),  // Latin-1 é
    ])
  func invalidUTF8(bytes: [UInt8], offset: Int) {
    #expect(encoded(bytes).invalidAt == offset)
    #expect(bytes.withUnsafeBufferPointer { JSONBytes.firstInvalidUTF8($0) } == offset)
  }

  @Test("integers")
  func integers() {
    for value in [0, 7, 10, 1234567, -42, Int.max, Int.min] {
      var out: [UInt8] = []
      JSONBytes.appendInt(value, to: &out)
      #expect(String(decoding: out, as: UTF8.self) == String(value))
    }
  }

  /// Differential test: whatever bytes go in, Foundation's JSON parser reads back exactly the
  /// string (for valid UTF-8), and invalid UTF-8 is always caught.
  @Test("round-trips random strings through Foundation's JSON parser")
  func differentialAgainstFoundation() throws {
    var generator = SeededGenerator(seed: 42)
    let alphabet: [UInt8] = Array(0...0x7F) + [0xC3, 0xA9, 0xE2, 0x80, 0x9C, 0xF0, 0x9F, 0x8E, 0x89, 0xFF]
    for _ in 0..<3000 {
      let length = Int.random(in: 0...40, using: &generator)
      let bytes = (0..<length).map { _ in alphabet.randomElement(using: &generator)! }
      let result = encoded(bytes)
      let valid = String(validating: bytes, as: UTF8.self)
      if let valid {
        #expect(result.invalidAt == nil)
        let parsed =
          try JSONSerialization.jsonObject(
            with: Data("[\(result.text)]".utf8), options: []) as? [String]
        #expect(parsed == [valid], "bytes \(bytes)")
      } else {
        #expect(result.invalidAt != nil, "bytes \(bytes)")
      }
    }
  }
}

@Suite("JSONWriter")
struct JSONWriterTests {
  @Test("writes nested members in order with commas where JSON needs them")
  func structure() throws {
    var writer = JSONWriter()
    writer.openObject()
    writer.member("kind", string: "account")
    writer.object("empty") { _ in }
    writer.array("list") { out in
      out.int(1)
      out.null()
      out.openObject()
      out.member("a", .bool(true))
      out.closeObject()
    }
    writer.key("money")
    writer.decimal(units: -1999, scale: 2)
    writer.closeObject()
    let text = String(decoding: writer.bytes, as: UTF8.self)
    #expect(text == #"{"kind":"account","empty":{},"list":[1,null,{"a":true}],"money":-19.99}"#)
    #expect(try JSONSerialization.jsonObject(with: Data(text.utf8)) is [String: Any])
    writer.reset()
    writer.openArray()
    writer.closeArray()
    #expect(String(decoding: writer.bytes, as: UTF8.self) == "[]")
  }

  /// Money is written from integer units without allocating: it must print exactly what
  /// `ExactDecimal` (itself checked against Foundation) prints.
  @Test("decimal(units:scale:) prints what ExactDecimal prints")
  func decimals() {
    var generator = SeededGenerator(seed: 99)
    var writer = JSONWriter()
    for _ in 0..<20_000 {
      let units = Int.random(in: -2_000_000...2_000_000, using: &generator) * [1, 10, 100, 1000].randomElement(using: &generator)!
      let scale = Int.random(in: 0...6, using: &generator)
      writer.reset()
      writer.decimal(units: units, scale: scale)
      let expected = ExactDecimal(negative: units < 0, digits: Array(String(units.magnitude).utf8), scale: scale).text
      #expect(String(decoding: writer.bytes, as: UTF8.self) == expected, "\(units) at scale \(scale)")
    }
    writer.reset()
    writer.decimal(units: Int.min, scale: 2)
    #expect(String(decoding: writer.bytes, as: UTF8.self) == "-92233720368547758.08")
  }

  /// The series writer (pre-encoded prefixes, repeated numbers copied) against the elements'
  /// text put together from `ExactDecimal`'s numbers.
  @Test("elements(prefixes:units:scale:suffix:) writes what the element-by-element calls write")
  func seriesElements() {
    var generator = SeededGenerator(seed: 123)
    let prefixes = (0..<14).map { Array(#"{"month":"2026-\#($0)","mrr":"#.utf8) }
    for _ in 0..<5_000 {
      let count = Int.random(in: 0...16, using: &generator)
      var units: [Int] = []
      for _ in 0..<count {
        let fresh = [0, 1, -1, 1999, 150_000, Int.max, Int.min, Int.random(in: -1_000_000...1_000_000, using: &generator)]
          .randomElement(using: &generator)!
        units.append(units.last.map { Bool.random(using: &generator) ? $0 : fresh } ?? fresh)
      }
      let scale = Int.random(in: 0...3, using: &generator)
      var fast = JSONWriter()
      fast.openArray()
      fast.elements(prefixes: prefixes, units: units, scale: scale, suffix: 0x7D)
      fast.closeArray()
      let expected =
        "["
        + zip(prefixes, units).map { prefix, value in
          let number = ExactDecimal(negative: value < 0, digits: Array(String(value.magnitude).utf8), scale: scale).text
          return String(decoding: prefix, as: UTF8.self) + number + "}"
        }.joined(separator: ",") + "]"
      #expect(String(decoding: fast.bytes, as: UTF8.self) == expected, "\(units) at scale \(scale)")
    }
  }
}

@Suite("Raw envelope")
struct RawEnvelopeTests {
  /// Whatever the tag and file, the envelope ingest writes parses as the raw record it says it
  /// is, and the fast reader gives the parser's tag or steps aside (nil) for escaped text.
  @Test("the fast tag reader agrees with the full parser on every envelope written")
  func differential() throws {
    var generator = SeededGenerator(seed: 1202)
    let pieces = ["stripe", "sub\"scriptions", "a\\b", "zendesk", "tickets", "ünïcode", "tab\there", "", "x/y", "\u{1}"]
    for _ in 0..<2000 {
      let system = pieces.randomElement(using: &generator)! + pieces.randomElement(using: &generator)!
      let dataset = pieces.randomElement(using: &generator)!
      let file = pieces.randomElement(using: &generator)! + ".csv"
      var line = RawEnvelope.prefix(SourceTag(system: system, dataset: dataset), file: file)
      JSONBytes.appendInt(Int.random(in: 1...1_000_000, using: &generator), to: &line)
      line += RawEnvelope.fieldsOpen
      JSONBytes.appendString("id", to: &line)
      line.append(0x3A)
      JSONBytes.appendString("1", to: &line)
      line += RawEnvelope.recordClose.dropLast()
      let parsed = try line.withUnsafeBufferPointer { try JSONParser.parse($0) }.objectValue
      let source = parsed?["source"]?.objectValue
      #expect(parsed?["kind"]?.stringValue == "raw")
      #expect(source?["system"]?.stringValue == system && source?["dataset"]?.stringValue == dataset)
      #expect(source?["file"]?.stringValue == file)
      let fast = line.withUnsafeBufferPointer { RawEnvelope.sourceTag($0) }
      if let fast {
        #expect(fast == SourceTag(system: system, dataset: dataset))
      } else {
        #expect(line.contains(0x5C), "only escaped text makes the fast reader step aside")
      }
    }
    // Anything not in ingest's exact form is left to the parser.
    for other in [#"{"source":{"system":"x","dataset":"y"},"kind":"raw"}"#, #"{"kind":"raw","source":{"system":"x""#, "", "{}"] {
      #expect(Array(other.utf8).withUnsafeBufferPointer { RawEnvelope.sourceTag($0) } == nil, "\(other)")
    }
  }
}
