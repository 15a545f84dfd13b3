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
            #"{"kind":"raw","source":{"system":"cspipe","dataset":"usage","file":"u.csv","line":\#(index + 2)},"fields":{"account":"\#(account)","day":"2026-0\#(Int.random(in: 1...9, using: &generator))-01","metric":"logins","value":"\#(value)"}}"#
          )
        } else {
          lines.append(
            #"{"kind":"usage","account":"\#(account)","source":{"system":"cspipe","dataset":"usage","file":"u.csv","line":\#(index + 2)},"at":"2026-0\#(Int.random(in: 1...9, using: &generator))-01","metric":"logins","value":\#(index)}"#
          )
        }
      }
    }
    return (lines.joined(separator: "\n") + "\n", records)
  }

  /// ingest over random CSV: rows of the right width, short and long rows, bad UTF-8, blank
  /// lines, quoted fields with delimiters and line breaks.
  @Test("ingest: in = out + rejected over random CSV, every reject located")
  func ingestReconciles() throws {
    for seed in 1...5 {
      var generator = SeededGenerator(seed: UInt64(seed) + 100)
      var bytes = Array("a,b,c\n".utf8)
      var good = 0
      var bad = 0
      for _ in 0..<300 {
        switch Int.random(in: 0..<8, using: &generator) {
        case 0:
          bytes += Array("1,2\n".utf8)
          bad += 1  // too short
        case 1:
          bytes += Array("1,2,3,4\n".utf8)
          bad += 1  // too long
        case 2:
          bytes += Array("x,".utf8) + [0xC3, 0x28] + Array(",z\n".utf8)
          bad += 1  // invalid UTF-8
        case 3: bytes += Array("\n".utf8)  // blank: no record
        case 4:
          bytes += Array("\"1,\n2\",\"say \"\"hi\"\"\",3\n".utf8)
          good += 1
        default:
          bytes += Array("p,q,r\n".utf8)
          good += 1
        }
      }
      let folder = try Tool.temporaryDirectory()
      let result = try Tool.run(
        "ingest", ["--format", "csv", "--rejects", "rejects.ndjson"], in: folder, stdinData: Data(bytes))
      #expect(result.status == 0)
      #expect(result.lines.count == good)
      #expect(
        result.stderr.contains("ingest: \(good + bad) in, \(good) out, \(bad) rejected"), "seed \(seed): \(result.stderr.suffix(200))")
      let rejects = try String(contentsOf: folder.appendingPathComponent("rejects.ndjson"), encoding: .utf8).split(separator: "\n")
      #expect(rejects.count == bad)
      for reject in rejects {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(reject.utf8)) as? [String: Any])
        #expect((object["line"] as? Int ?? 0) > 1 && object["error"] is String)
      }
    }
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
        // in = folded + rejected + after as-of (N accounts out, 1 file): one line per account
        #expect(numbers[0] == numbers[1] + numbers[2] + numbers[3], "\(summary)")
        #expect(numbers[4] == max(result.lines.count - 1, 0), "\(summary)")
      }
      #expect(numbers[2] == rejects.count, "every reject is in the rejects file")
      let strict = try Tool.run(tool, ["--as-of", "2026-06-15", "--strict"], stdinData: Data(text.utf8))
      #expect(strict.status == (rejects.isEmpty ? 0 : 1))
    }
  }
}
