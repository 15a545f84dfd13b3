import Foundation
import Testing

/// The shipped samples are what `make` runs on and what later stages build on: every file must
/// ingest cleanly, as the layout it imitates.
@Suite("Samples")
struct SampleTests {
  static let expected: [String: (source: String, records: Int)] = [
    "contacts.csv": ("cspipe/contacts", 30),
    "crm_accounts.csv": ("cspipe/accounts", 16),
    "milestones.csv": ("cspipe/milestones", 38),
    "programs.csv": ("cspipe/programs", 4),
    "freshdesk_tickets.csv": ("freshdesk/tickets", 15),
    "nps_responses.csv": ("cspipe/surveys", 40),
    "stripe_customers.csv": ("stripe/customers", 16),
    "stripe_invoices.csv": ("stripe/invoices", 193),
    "stripe_subscriptions.csv": ("stripe/subscriptions", 20),
    "usage_daily.csv": ("cspipe/usage", 3246),
    "usage_integrations.csv": ("cspipe/usage", 256),
    "zendesk_organizations.xml": ("zendesk/organizations", 16),
    "zendesk_tickets.xml": ("zendesk/tickets", 27),
  ]

  @Test("every sample ingests with no reject, as the layout it imitates", arguments: expected.keys.sorted())
  func sample(_ name: String) throws {
    let folder = Tool.packageRoot.appendingPathComponent("samples/exports")
    let result = try Tool.run("ingest", ["--strict", name], in: folder)
    let (source, records) = try #require(Self.expected[name])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.lines.count == records)
    #expect(
      result.lines.allSatisfy {
        $0.contains(#""source":{"system":"\#(source.split(separator: "/")[0])","dataset":"\#(source.split(separator: "/")[1])""#)
      })
  }

  @Test("the samples folder holds exactly the files listed here")
  func complete() throws {
    let names = try FileManager.default.contentsOfDirectory(
      atPath: Tool.packageRoot.appendingPathComponent("samples/exports").path)
    #expect(Set(names) == Set(Self.expected.keys))
  }

  @Test("ingest is deterministic: two runs give the same bytes")
  func deterministic() throws {
    let folder = Tool.packageRoot.appendingPathComponent("samples/exports")
    let names = Self.expected.keys.sorted()
    let first = try Tool.run("ingest", names, in: folder)
    let second = try Tool.run("ingest", names, in: folder)
    #expect(first.status == 0)
    #expect(first.stdout == second.stdout)
  }
}
