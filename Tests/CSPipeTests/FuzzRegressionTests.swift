import Foundation
import Testing

@testable import CSPipe

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

  @Test("CSV reader", arguments: files("csv"))
  func csv(_ file: URL) throws {
    FuzzEntryPoints.csv([UInt8](try Data(contentsOf: file)))
  }

  @Test("XML reader", arguments: files("xml"))
  func xml(_ file: URL) throws {
    FuzzEntryPoints.xml([UInt8](try Data(contentsOf: file)))
  }

  @Test("NDJSON reader", arguments: files("ndjson"))
  func ndjson(_ file: URL) throws {
    FuzzEntryPoints.ndjson([UInt8](try Data(contentsOf: file)))
  }
}
