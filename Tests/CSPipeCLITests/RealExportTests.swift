import Foundation
import Testing

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// Ingest over the real third-party exports in `../shared/real-exports/` (never copied into the
/// project; see its SOURCES.md). Skipped, with a message, where that folder is absent.
@Suite("Real exports")
struct RealExportTests {
  static let folder = Tool.packageRoot.deletingLastPathComponent().appendingPathComponent("shared/real-exports")
  static let available = FileManager.default.fileExists(atPath: folder.path)

  static let expected: [(path: String, records: Int, source: String)] = [
    ("chargebee/invoices_Input.csv", 66, "chargebee/invoices"),
    ("freshdesk/freshdesk_tickets.csv", 45, "freshdesk/tickets"),
    ("jira/SearchRequest_nichanl.xml", 15, "jira/issues"),
    ("recurly/subscriptions_index-200.xml", 6, "recurly/subscriptions"),
    ("stripe/payments_semicolon.csv", 622, "stripe/payments"),
  ]

  struct Record {
    var source: String
    var line: Int
    var fields: [String: String]
  }

  static func ingest(_ path: String) throws -> (result: Tool.Result, records: [Record]) {
    let result = try Tool.run("ingest", [path], in: folder)
    let records = try result.lines.map { line -> Record in
      let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
      let source = try #require(object["source"] as? [String: Any])
      return Record(
        source: "\(source["system"]!)/\(source["dataset"]!)", line: source["line"] as? Int ?? 0,
        fields: try #require(object["fields"] as? [String: String]))
    }
    return (result, records)
  }

  @Test(
    "each real export gives its exact record count and source", .enabled(if: available, "shared/real-exports is absent"),
    arguments: expected.map { "\($0.path)|\($0.records)|\($0.source)" })
  func counts(_ spec: String) throws {
    let parts = spec.split(separator: "|").map(String.init)
    let (result, records) = try Self.ingest(parts[0])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(records.count == Int(parts[1]))
    #expect(Set(records.map(\.source)) == [parts[2]])
    #expect(result.stderr.contains("\(parts[1]) in, \(parts[1]) out, 0 rejected"))
  }

  @Test("the browser-mangled Jira file fails cleanly at line 1", .enabled(if: available))
  func malformedJira() throws {
    let (result, records) = try Self.ingest("jira/SearchRequest_browser_saved_malformed.xml")
    #expect(result.status == 1)
    #expect(records.isEmpty)
    #expect(
      result.stderr.hasPrefix(
        "ingest: jira/SearchRequest_browser_saved_malformed.xml:1: error: not well-formed XML"))
  }

  /// The raw strings equal those in the file: every CSV is read again by an independent,
  /// deliberately simple parser (String-based, unlike ingest's byte scanner) and compared field
  /// by field.
  @Test(
    "CSV values are the file's own strings", .enabled(if: available),
    arguments: ["chargebee/invoices_Input.csv", "freshdesk/freshdesk_tickets.csv", "stripe/payments_semicolon.csv"])
  func csvLossless(_ path: String) throws {
    let text = try String(contentsOf: Self.folder.appendingPathComponent(path), encoding: .utf8)
    let delimiter: Character = text.prefix(while: { $0 != "\n" && $0 != "\r\n" }).contains(";") ? ";" : ","
    let table = referenceCSV(text, delimiter: delimiter).filter { $0 != [""] }
    let header = table[0]
    let (_, records) = try Self.ingest(path)
    #expect(records.count == table.count - 1)
    for (row, record) in zip(table.dropFirst(), records) {
      #expect(Dictionary(uniqueKeysWithValues: zip(header, row)) == record.fields)
    }
  }

  @Test("XML values are the file's own strings", .enabled(if: available))
  func xmlLossless() throws {
    let jira = try Data(contentsOf: Self.folder.appendingPathComponent("jira/SearchRequest_nichanl.xml"))
    let (_, issues) = try Self.ingest("jira/SearchRequest_nichanl.xml")
    #expect(issues.map { $0.fields["key"] ?? "" } == ElementTexts.collect("key", in: jira))
    #expect(issues.map { $0.fields["summary"] ?? "" } == ElementTexts.collect("summary", in: jira))

    let recurly = try Data(contentsOf: Self.folder.appendingPathComponent("recurly/subscriptions_index-200.xml"))
    let body = recurly.suffix(
      from: try #require(recurly.range(of: Data("\r\n\r\n".utf8)) ?? recurly.range(of: Data("\n\n".utf8))).upperBound)
    let (_, subscriptions) = try Self.ingest("recurly/subscriptions_index-200.xml")
    #expect(subscriptions.map { $0.fields["uuid"] ?? "" } == ElementTexts.collect("uuid", in: Data(body)))
    #expect(subscriptions.first?.fields["unit_amount_in_cents@type"] == "integer")
  }
}

/// A plain RFC 4180 reader over Swift Characters, as an independent reference.
func referenceCSV(_ text: String, delimiter: Character) -> [[String]] {
  var rows: [[String]] = []
  var row: [String] = []
  var field = ""
  var inQuotes = false
  var iterator = Array(text.unicodeScalars.map(Character.init))[...]
  while let char = iterator.popFirst() {
    if inQuotes {
      if char == "\"" {
        if iterator.first == "\"" {
          field.append("\"")
          iterator.removeFirst()
        } else {
          inQuotes = false
        }
      } else {
        field.append(char)
      }
    } else if char == "\"" {
      inQuotes = true
    } else if char == delimiter {
      row.append(field)
      field = ""
    } else if char == "\n" || char == "\r" {
      if char == "\r" && iterator.first == "\n" { iterator.removeFirst() }
      row.append(field)
      rows.append(row)
      row = []
      field = ""
    } else {
      field.append(char)
    }
  }
  if !field.isEmpty || !row.isEmpty {
    row.append(field)
    rows.append(row)
  }
  return rows
}

/// Collects the text of every element with a given name, using Foundation's XML parser.
final class ElementTexts: NSObject, XMLParserDelegate {
  let name: String
  var texts: [String] = []
  var current: String?

  init(name: String) { self.name = name }

  static func collect(_ name: String, in data: Data) -> [String] {
    let delegate = ElementTexts(name: name)
    let parser = XMLParser(data: data)
    parser.delegate = delegate
    parser.parse()
    return delegate.texts
  }

  func parser(
    _ parser: XMLParser, didStartElement element: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]
  ) {
    if element == name { current = "" }
  }

  func parser(_ parser: XMLParser, foundCharacters string: String) { current? += string }

  func parser(_ parser: XMLParser, foundCDATA block: Data) { current? += String(decoding: block, as: UTF8.self) }

  func parser(_ parser: XMLParser, didEndElement element: String, namespaceURI: String?, qualifiedName: String?) {
    if element == name, let text = current {
      texts.append(text)
      current = nil
    }
  }
}
