import CSPipe
import Foundation
import Testing

/// Nothing is lost without a count: over random inputs, every stage's summary reconciles
/// (in = out + rejected + the stage's declared other outcomes), every reject carries a location
/// and a reason, and --strict fails on the first.
@Suite("Conservation")
struct ConservationTests {
  /// Random lines: good records of the stage's input kind, broken JSON, wrong shapes, blanks.
  static func randomInput(for tool: String, seed: UInt64, count: Int) -> (text: String, records: Int) {
    var generator = SeededGenerator(seed: seed)
    var lines: [String] = []
    var records = 0
    for index in 0..<count {
      let account = "acct-\(Int.random(in: 0..<20, using: &generator))"
      switch Int.random(in: 0..<10, using: &generator) {
      case 0:
        lines.append("{\"kind\":")  // broken JSON
        records += 1
      case 1:
        lines.append("[1,2,3]")  // not an object
        records += 1
      case 2:
        lines.append("")  // blank: not a record
      case 3:
        lines.append(#"{"kind":"nonsense","account":"\#(account)"}"#)
        records += 1
      default:
        records += 1
        if tool == "normalise" {
          let value = Bool.random(using: &generator) ? "\(index)" : "not-a-number"
          lines.append(
            #"{"kind":"raw","source":{"system":"cspipe","dataset":"usage","file":"u.csv","line":\#(index + 2)},"fields":{"account":"\#(account)","day":"2026-0\#(Int.random(in: 1...9, using: &generator))-01","metric":"logins","value":"\#(value)"}}"#)
        } else {
          lines.append(
            #"{"kind":"usage","account":"\#(account)","source":{"system":"cspipe","dataset":"usage","file":"u.csv","line":\#(index + 2)},"at":"2026-0\#(Int.random(in: 1...9, using: &generator))-01","metric":"logins","value":\#(index)}"#)
        }
      }
    }
    return (lines.joined(separator: "\n") + "\n", records)
  }

  @Test("summaries reconcile and every reject is located, over random inputs", arguments: ["normalise", "segment"])
  func reconcile(tool: String) throws {
    for seed in 1...5 {
      let (text, records) = Self.randomInput(for: tool, seed: UInt64(seed), count: 400)
      let folder = try Tool.temporaryDirectory()
      let result = try Tool.run(
        tool, ["--as-of", "2026-06-15", "--rejects", "rejects.ndjson"], in: folder, stdinData: Data(text.utf8))
      #expect(result.status == 0, "\(result.stderr)")
      let summary = try #require(result.stderr.split(separator: "\n").last { $0.hasPrefix("\(tool): ") && $0.contains(" in, ") })
      let numbers = summary.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
      let recordsIn = numbers[0]
      #expect(recordsIn == records, "seed \(seed): \(summary)")
      let rejects = try String(contentsOf: folder.appendingPathComponent("rejects.ndjson"), encoding: .utf8)
        .split(separator: "\n")
      for reject in rejects {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(reject.utf8)) as? [String: Any])
        #expect((object["line"] as? Int ?? 0) > 0 && object["file"] is String && object["error"] is String)
      }
      if tool == "normalise" {
        // in, out, rejected, duplicates, unmatched, after as-of
        #expect(numbers[0] == numbers[1] + numbers[2] + numbers[3] + numbers[4] + numbers[5], "\(summary)")
        #expect(numbers[1] == result.lines.count)
      } else {
        // in = folded + rejected + after as-of; folded records all land in some account
        #expect(numbers[2] == rejects.count)
        #expect(numbers[1] == max(result.lines.count - 1, 0), "\(summary)")
      }
      #expect(numbers[2] == rejects.count, "every reject is in the rejects file")
      let strict = try Tool.run(tool, ["--as-of", "2026-06-15", "--strict"], stdinData: Data(text.utf8))
      #expect(strict.status == (rejects.isEmpty ? 0 : 1))
    }
  }
}
