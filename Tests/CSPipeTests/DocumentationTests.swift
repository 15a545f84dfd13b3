import Foundation
import Testing

@testable import CSPipe
@testable import CSPipeCore
@testable import CSPipeIngest
@testable import CSPipeNormalise
@testable import CSPipeSegment

/// The documentation is part of the contract: these checks fail when code and docs drift.
@Suite("Documentation")
struct DocumentationTests {
  static let root = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  @Test("docs/SOURCES.md lists every layout ingest detects")
  func sourcesListed() throws {
    let text = try String(contentsOf: Self.root.appendingPathComponent("docs/SOURCES.md"), encoding: .utf8)
    for signature in SourceCatalog.csv {
      #expect(text.contains("| \(signature.tag) |"), "\(signature.tag) is missing from docs/SOURCES.md")
    }
    for signature in SourceCatalog.xml {
      #expect(text.contains("| \(signature.system) |"), "\(signature.system) is missing from docs/SOURCES.md")
    }
  }
}

extension DocumentationTests {
  @Test("docs/CONTRACT.md describes every canonical kind and field")
  func contractListsSchema() throws {
    let text = try String(contentsOf: Self.root.appendingPathComponent("docs/CONTRACT.md"), encoding: .utf8)
    for kind in CanonicalKind.all {
      guard let row = text.split(separator: "\n").first(where: { $0.hasPrefix("| `\(kind.name)` |") }) else {
        Issue.record("kind \(kind.name) has no row in docs/CONTRACT.md")
        continue
      }
      for field in kind.fields {
        #expect(row.contains("`\(field.name)`"), "\(kind.name).\(field.name) is missing from docs/CONTRACT.md")
      }
    }
  }

  /// A link to a file that moved or never existed is a dead end for the next reader.
  @Test("every relative link in README.md and docs/ points to a file that exists")
  func linksResolve() throws {
    let documents =
      ["README.md", "samples/README.md"]
      + (try FileManager.default.contentsOfDirectory(atPath: Self.root.appendingPathComponent("docs").path))
      .filter { $0.hasSuffix(".md") }.map { "docs/" + $0 }
    let link = /\]\(([^)#:\s]+)(#[^)]*)?\)/
    for document in documents {
      let url = Self.root.appendingPathComponent(document)
      let text = try String(contentsOf: url, encoding: .utf8)
      for match in text.matches(of: link) {
        let target = url.deletingLastPathComponent().appendingPathComponent(String(match.1)).standardizedFileURL
        #expect(FileManager.default.fileExists(atPath: target.path), "\(document) links to \(match.1), which does not exist")
      }
    }
  }
}

extension DocumentationTests {
  @Test("docs/SEGMENT.md names every field of the declared account record")
  func segmentListsAccountFields() throws {
    let text = try String(contentsOf: Self.root.appendingPathComponent("docs/SEGMENT.md"), encoding: .utf8)
    let table = text.split(separator: "\n").filter { $0.hasPrefix("| `") }.joined(separator: "\n")
    for field in AccountRecordSchema.account.fields where field.name != "kind" {
      #expect(table.contains("`\(field.name)`"), "account.\(field.name) is missing from docs/SEGMENT.md's field table")
    }
  }
}

extension DocumentationTests {
  /// The shipped config is what `segment` does without one (its help says so), and it loads.
  @Test("pipelines/segments.json loads and says what the built-in defaults are")
  func shippedSegmentConfig() throws {
    let shipped = try SegmentConfig.load(path: Self.root.appendingPathComponent("pipelines/segments.json").path)
    #expect(shipped.echo == SegmentConfig().echo)
  }
}
