import CSPipe
import Foundation
import Testing

/// Every record segment writes conforms to its declared schema (`AccountRecordSchema`), so
/// score, stage and report can rely on it, and a swapped-in stage can be held to it.
@Suite("Declared schemas")
struct SchemaConformanceTests {
  /// The problems of one output line against its kind's schema.
  static func problems(_ line: String) -> [String] {
    guard let object = (try? JSONParser.parse(line))?.objectValue else { return ["not a JSON object"] }
    guard let kind = object["kind"]?.stringValue, let schema = AccountRecordSchema.schema(forKind: kind) else {
      return ["no declared schema for kind \(object["kind"]?.stringValue ?? "?")"]
    }
    return schema.validate(object)
  }

  @Test("every record in segment's golden cases conforms")
  func goldenOutputs() throws {
    let folder = GoldenCase.casesRoot.appendingPathComponent("segment")
    var checked = 0
    for name in try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() where name != "0000-help" {
      let text = (try? String(contentsOf: folder.appendingPathComponent("\(name)/expected.ndjson"), encoding: .utf8)) ?? ""
      for (index, line) in text.split(separator: "\n").enumerated() {
        let found = Self.problems(String(line))
        #expect(found.isEmpty, "segment/\(name) line \(index + 1): \(found)")
        checked += 1
      }
    }
    #expect(checked > 50)
  }

  @Test("every record segment, score and stage write on the samples and a generated portfolio conforms")
  func pipelineOutputs() throws {
    let folder = try Tool.temporaryDirectory()
    let made = try Tool.shell(
      "python3 \(Tool.packageRoot.path)/scripts/generate_exports.py --out gen --accounts 300 --seed 7 > /dev/null", in: folder)
    #expect(made.status == 0, "\(made.stderr)")
    for exports in ["\(Tool.packageRoot.path)/samples/exports/*", "gen/*"] {
      let result = try Tool.shell(
        "ingest -q \(exports) | normalise -q --as-of 2026-11-15 --aliases \(Tool.packageRoot.path)/pipelines/aliases.csv | segment -q --as-of 2026-11-15 | score -q --as-of 2026-11-15 | stage -q --as-of 2026-11-15",
        in: folder)
      #expect(result.status == 0, "\(result.stderr)")
      #expect(result.lines.count > 10)
      for (index, line) in result.lines.enumerated() {
        let found = Self.problems(line)
        #expect(found.isEmpty, "\(exports) line \(index + 1): \(found)")
      }
    }
  }

  @Test("a user's own scoring program in place of score (pipelines/score_example.py) writes conforming records")
  func swappedScore() throws {
    let folder = try Tool.temporaryDirectory()
    let result = try Tool.shell(
      "ingest -q \(Tool.packageRoot.path)/samples/exports/* | normalise -q --as-of 2026-11-15 --aliases \(Tool.packageRoot.path)/pipelines/aliases.csv | segment -q --as-of 2026-11-15 | python3 \(Tool.packageRoot.path)/pipelines/score_example.py",
      in: folder)
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.lines.count == 17)
    for (index, line) in result.lines.enumerated() {
      let found = Self.problems(line)
      #expect(found.isEmpty, "line \(index + 1): \(found)")
      #expect(line.contains(#""health":{"#))
    }
  }
}
