import Foundation
import Testing

@testable import CSPipe
@testable import CSPipeCore
@testable import CSPipeIngest
@testable import CSPipeNormalise
@testable import CSPipeScore
@testable import CSPipeSegment
@testable import CSPipeStage

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

extension DocumentationTests {
  @Test("the built-in model and journey are pipelines/model.json and pipelines/journey.json, and both load")
  func builtinConfigs() throws {
    for (file, embedded) in [("pipelines/model.json", BuiltinModel.json), ("pipelines/journey.json", BuiltinJourney.json)] {
      let onDisk = try String(contentsOf: Self.root.appendingPathComponent(file), encoding: .utf8)
      #expect(onDisk == embedded + "\n", "\(file) differs from the embedded copy: run `make mappings`")
    }
    _ = try HealthModel.builtin()
    let journey = try Journey.builtin()
    #expect(journey.milestones.map(\.name) == ["first_login", "configured", "first_value", "ebr1", "ebr2"])
    #expect((3...5).contains(journey.stages.count))
  }

  @Test("docs/STAGE.md names every field of the stage object and every default moment type")
  func stageListsFields() throws {
    let text = try String(contentsOf: Self.root.appendingPathComponent("docs/STAGE.md"), encoding: .utf8)
    guard case .object(let fields) = AccountRecordSchema.stage else {
      Issue.record("stage is not an object shape")
      return
    }
    for field in fields { #expect(text.contains("`\(field.name)`"), "stage.\(field.name) is missing from docs/STAGE.md") }
    for rule in try Journey.builtin().moments {
      #expect(text.contains("`\(rule.type)`"), "moment \(rule.type) is missing from docs/STAGE.md")
    }
  }
}
