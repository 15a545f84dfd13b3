import Foundation
import Testing

@testable import CSPipe
@testable import CSPipeCore
@testable import CSPipeIngest
@testable import CSPipeNormalise
@testable import CSPipeSegment

@Suite("JSON parser")
struct JSONParserTests {
  @Test("keeps key order and exact number text")
  func orderAndNumbers() throws {
    let value = try JSONParser.parse(#"{"b":1068.00,"a":[true,null,-0.5e3],"c":{"x":"y"}}"#)
    let object = try #require(value.objectValue)
    #expect(object.keys == ["b", "a", "c"])
    #expect(object["b"] == .number("1068.00"))
    #expect(value.jsonText == #"{"b":1068.00,"a":[true,null,-0.5e3],"c":{"x":"y"}}"#)
  }

  @Test("decodes escapes and surrogate pairs")
  func escapes() throws {
    let value = try JSONParser.parse(#""a\"b\\c\/d\n\u00e9\ud83c\udf89""#)
    #expect(value == .string("a\"b\\c/d\né🎉"))
  }

  @Test(
    "rejects what RFC 8259 rejects, with the byte offset",
    arguments: [
      (#"{"a":1,}"#, 7), (#"{"a" 1}"#, 5), ("[1 2]", 3), ("01", 1), ("1.", 2), ("-", 1),
      (#""\ud800""#, 7), ("\"a\u{01}b\"", 2), ("tru", 0), (#"{"a":1} x"#, 8), ("", 0),
    ])
  func rejects(text: String, offset: Int) {
    #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(text) }
    do {
      _ = try JSONParser.parse(text)
    } catch {
      #expect(error.offset == offset, "\(text): \(error)")
    }
  }

  @Test("deep nesting is an error, not a stack overflow")
  func depth() {
    let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
    #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(deep) }
  }

  /// Differential test: random documents, and random single-byte corruptions of them, are
  /// accepted or refused exactly as Foundation's JSONSerialization does, and accepted ones
  /// parse to the same values.
  @Test("agrees with Foundation's JSONSerialization on random and corrupted documents")
  func differential() throws {
    var generator = SeededGenerator(seed: 2026)
    func randomValue(_ depth: Int) -> Any {
      switch Int.random(in: 0..<(depth > 3 ? 4 : 6), using: &generator) {
      case 0: return NSNull()
      case 1: return Bool.random(using: &generator)
      case 2: return Int.random(in: -100000...100000, using: &generator)
      case 3:
        let pieces = ["a", "é", "\"", "\\", "\n", "🎉", " ", "\u{1}", "/"]
        return (0..<Int.random(in: 0...5, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined()
      case 4: return (0..<Int.random(in: 0...4, using: &generator)).map { _ in randomValue(depth + 1) }
      default:
        var object: [String: Any] = [:]
        for index in 0..<Int.random(in: 0...4, using: &generator) { object["k\(index)"] = randomValue(depth + 1) }
        return object
      }
    }
    for round in 0..<3000 {
      // Half the documents have the raw record's shape: a "fields" object of mostly strings.
      var document: [String: Any] = ["doc": randomValue(0)]
      if round % 2 == 1 {
        var fields: [String: Any] = [:]
        for index in 0..<Int.random(in: 0...5, using: &generator) {
          fields["f\(index)"] = Int.random(in: 0..<6, using: &generator) == 0 ? randomValue(2) : "\(randomValue(4))"
        }
        document["fields"] = fields
      }
      var bytes = [UInt8](try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys]))
      if Bool.random(using: &generator) {
        let position = Int.random(in: 0..<bytes.count, using: &generator)
        bytes[position] = [0x22, 0x2C, 0x7D, 0x5D, 0x5C, 0x30, 0x20, 0xFF].randomElement(using: &generator)!
      }
      let foundation = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
      let ours = bytes.withUnsafeBufferPointer { try? JSONParser.parse($0) }
      // The lazy and flat readers (segment, normalise) agree with the full parser.
      let disagreement = bytes.withUnsafeBufferPointer { FuzzEntryPoints.readersDisagree($0) }
      #expect(disagreement == nil, "\(disagreement ?? ""): \(String(decoding: bytes, as: UTF8.self))")
      #expect((foundation == nil) == (ours == nil), "\(String(decoding: bytes, as: UTF8.self))")
      if let foundation, let ours {
        let reparsed = try JSONSerialization.jsonObject(with: Data(ours.jsonText.utf8), options: [.fragmentsAllowed])
        #expect(NSDictionary(dictionary: ["v": foundation]) == NSDictionary(dictionary: ["v": reparsed]))
      }
    }
  }
}
