import CSPipe
import Foundation
import Testing

/// The README's "Shell use" examples run as they stand, each line from a copy of the samples,
/// so the documentation cannot drift from what the tools do.
@Suite("README shell examples")
struct ShellExamplesTests {
  static func examples() throws -> [String] {
    let readme = try String(contentsOf: Tool.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
    guard let section = readme.range(of: "## Shell use") else { return [] }
    let rest = readme[section.upperBound...]
    guard let open = rest.range(of: "```sh\n"), let close = rest[open.upperBound...].range(of: "```") else { return [] }
    return rest[open.upperBound..<close.lowerBound].split(separator: "\n").map(String.init).filter { !$0.isEmpty }
  }

  @Test("every line of the README's Shell use block runs and prints something")
  func readmeExamples() throws {
    let lines = try Self.examples()
    #expect(lines.count >= 5)
    let folder = try Tool.temporaryDirectory()
    let root = Tool.packageRoot.path
    let copied = try Tool.shell(
      "cp -r \(root)/samples/exports exports && mkdir pipelines && cp \(root)/pipelines/score_example.py pipelines/", in: folder)
    #expect(copied.status == 0)
    for line in lines {
      let result = try Tool.shell(line, in: folder)
      #expect(result.status == 0, "\(line)\n\(result.stderr)")
      #expect(!result.stdout.isEmpty, "\(line) printed nothing")
    }
  }
}
