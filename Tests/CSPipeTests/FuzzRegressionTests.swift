import Foundation
import Testing

@testable import CSPipe
@testable import CSPipeCore
@testable import CSPipeIngest
@testable import CSPipeNormalise
@testable import CSPipeSegment

/// The fuzzers' regression corpus (Tests/FuzzCorpus/<reader>/), run in CI: every input that once
/// crashed or hung a reader, and the tricky seeds, must go through without a crash. A crash
/// found by `make fuzz` is added here as a file named after what it broke.
@Suite("Fuzz regression corpus")
struct FuzzRegressionTests {
  static let corpus = DocumentationTests.root.appendingPathComponent("Tests/FuzzCorpus")

  static func files(_ reader: String) -> [URL] {
    let folder = corpus.appendingPathComponent(reader)
    return ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted().map {
      folder.appendingPathComponent($0)
    }
  }

  static let entryPoints: [String: @Sendable ([UInt8]) -> Void] = [
    "csv": FuzzEntryPoints.csv, "xml": FuzzEntryPoints.xml, "ndjson": FuzzEntryPoints.ndjson,
    "raw": FuzzEntryPoints.raw, "values": FuzzEntryPoints.values, "arithmetic": FuzzEntryPoints.arithmetic,
    "stage": FuzzEntryPoints.stage, "report": FuzzEntryPoints.report,
  ]

  /// Every corpus file with the entry point of its folder.
  static let cases: [(reader: String, file: URL)] = entryPoints.keys.sorted().flatMap { reader in
    files(reader).map { (reader, $0) }
  }

  @Test("every corpus input goes through its reader", arguments: cases.map { "\($0.reader)/\($0.file.lastPathComponent)" })
  func corpusInput(_ name: String) throws {
    let reader = String(name.prefix { $0 != "/" })
    FuzzRegressionTests.entryPoints[reader]!([UInt8](try Data(contentsOf: Self.corpus.appendingPathComponent(name))))
  }

  @Test("the corpus covers every reader")
  func coverage() {
    for reader in Self.entryPoints.keys {
      #expect(!Self.files(reader).isEmpty, "no corpus for \(reader)")
    }
  }
}
