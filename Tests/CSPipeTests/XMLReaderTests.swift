import Testing

@testable import CSPipe
@testable import CSPipeCore
@testable import CSPipeIngest
@testable import CSPipeNormalise
@testable import CSPipeSegment

/// Parses `xml` and returns each record as `[(key, value)]`, plus the parser's failure.
func xmlRecords(
  _ xml: String, paths: [String]? = nil, maxRecordBytes: Int = 1 << 20
) -> (records: [[(String, String)]], lines: [Int], failure: String?, guessed: [String]) {
  let bytes = Array(xml.utf8)
  let structure = XMLStructure()
  let scan = XMLPushParser(sink: structure, fileName: "test.xml")
  bytes.withUnsafeBytes { _ = scan.feed($0, last: false) }
  let guessed = structure.guessRecordPaths()
  var records: [[(String, String)]] = []
  var lines: [Int] = []
  let flattener = XMLRecordFlattener(
    paths: paths.map { $0.compactMap(XMLRecordPath.init) } ?? guessed,
    maxRecordBytes: maxRecordBytes
  ) { record in
    lines.append(record.line)
    if let problem = record.problem {
      records.append([("problem", problem)])
      return
    }
    records.append(
      record.fields.map { field in
        (
          String(decoding: record.storage[field.key], as: UTF8.self),
          String(decoding: record.storage[field.value], as: UTF8.self)
        )
      })
  }
  let parser = XMLPushParser(sink: flattener, fileName: "test.xml")
  // Feed in small pieces so records straddle chunk boundaries, as they do on real files.
  var offset = 0
  while offset < bytes.count {
    let end = min(offset + 7, bytes.count)
    bytes[offset..<end].withUnsafeBytes { _ = parser.feed($0) }
    offset = end
  }
  bytes[0..<0].withUnsafeBytes { _ = parser.feed($0, last: true) }
  return (records, lines, parser.failure?.message, guessed.map(\.description))
}

func pairs(_ record: [(String, String)]) -> [String] { record.map { "\($0.0)=\($0.1)" } }

@Suite("XML reader")
struct XMLReaderTests {
  @Test("flattens nested elements, attributes, repeats, nil markers and mixed content")
  func flattening() {
    let xml = """
      <subscriptions type="array">
        <subscription href="https://x/1">
          <plan><plan_code>gold</plan_code><name>Gold &amp; more</name></plan>
          <labels><label>a</label><label>b</label><label>c</label></labels>
          <canceled_at nil="nil"></canceled_at>,
          <empty/>
          <note><![CDATA[<b>raw</b>]]> &#1047;&#x44;</note>
        </subscription>
        <subscription href="https://x/2"><plan><plan_code>tin</plan_code></plan></subscription>
      </subscriptions>
      """
    let result = xmlRecords(xml)
    #expect(result.failure == nil)
    #expect(result.guessed == ["subscriptions/subscription"])
    #expect(result.records.count == 2)
    #expect(
      pairs(result.records[0]) == [
        "@href=https://x/1", "plan.plan_code=gold", "plan.name=Gold & more",
        "labels.label=a", "labels.label[2]=b", "labels.label[3]=c",
        "canceled_at@nil=nil", "canceled_at=", "empty=", "note=<b>raw</b> ЗD",
        // Mixed content keeps its text whole, whitespace included: ingest reinterprets nothing.
        "#text=\n    \n    \n    ,\n    \n    \n  ",
      ])
    #expect(pairs(result.records[1]) == ["@href=https://x/2", "plan.plan_code=tin"])
    #expect(result.lines == [2, 9])
  }

  @Test(
    "finds the records of real layouts",
    arguments: [
      (
        "<rss><channel><title>t</title><item><key>A-1</key><x><y>1</y></x></item><item><key>A-2</key></item></channel></rss>",
        ["rss/channel/item"]
      ),
      (
        "<unload><incident><a>1</a></incident><sys_journal_field><b>2</b></sys_journal_field><incident><a>3</a></incident></unload>",
        ["unload/incident", "unload/sys_journal_field"]
      ),
      ("<tickets type=\"array\"><ticket><id>1</id></ticket></tickets>", ["tickets/ticket"]),
      ("<rows><row a=\"1\"/><row a=\"2\"/></rows>", ["rows/row"]),
      (
        "<export><meta><when>now</when></meta><data><rec><v>1</v></rec><rec><v>2</v></rec></data></export>",
        ["export/meta", "export/data"]
      ),
      ("<account><code>x</code><name>y</name></account>", ["account"]),
    ])
  func recordDetection(xml: String, expected: [String]) {
    #expect(xmlRecords(xml).guessed == expected)
  }

  @Test("refuses entity declarations: XXE and billion laughs never expand")
  func entities() {
    let xxe = """
      <?xml version="1.0"?>
      <!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
      <r><a>&xxe;</a></r>
      """
    let result = xmlRecords(xxe, paths: ["r"])
    #expect(result.records.isEmpty)
    #expect(result.failure?.contains("entity declarations are refused") == true)

    let laughs = """
      <!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><l><x>&b;</x></l>
      """
    #expect(xmlRecords(laughs, paths: ["l"]).failure?.contains("refused") == true)
    #expect(xmlRecords("<r><a>&undeclared;</a></r>", paths: ["r"]).failure?.contains("undeclared") == true)
  }

  @Test("an external DTD is never loaded")
  func externalDTD() {
    let xml = "<!DOCTYPE r SYSTEM \"file:///etc/passwd\"><r><a>1</a></r>"
    let result = xmlRecords(xml, paths: ["r"])
    #expect(result.failure == nil)
    #expect(result.records.map(pairs) == [["a=1"]])
  }

  @Test("nesting deeper than the limit fails the parse")
  func depth() {
    let deep = String(repeating: "<a>", count: 300) + String(repeating: "</a>", count: 300)
    #expect(xmlRecords(deep, paths: ["a"]).failure?.contains("nested deeper") == true)
  }

  @Test("a record over the size limit is flagged, and the next one is whole again")
  func recordLimit() {
    let big = String(repeating: "x", count: 500)
    let result = xmlRecords("<r><i><v>\(big)</v></i><i><v>ok</v></i></r>", paths: ["r/i"], maxRecordBytes: 100)
    #expect(result.records.count == 2)
    #expect(result.records[0].first?.0 == "problem")
    #expect(result.records[1].map(\.1) == ["ok"])
  }

  @Test("a document that is not well-formed fails with its line")
  func malformed() {
    let result = xmlRecords("<r>\n<i><v>1</v></i>\n<i><v>2</i>\n</r>", paths: ["r/i"])
    #expect(result.records.count == 1)
    #expect(result.failure != nil)
  }
}

@Suite("Source detection")
struct SourceDetectionTests {
  @Test(
    "CSV headers name their system",
    arguments: [
      (["id", "Customer ID", "Plan", "Quantity", "Interval", "Status", "Current Period End (UTC)"], "stripe/subscriptions"),
      (["Created date (UTC)", "Amount", "Currency", "Captured", "Converted Amount", "Customer ID"], "stripe/payments"),
      (["Customer Id", "Subscription Id", "Invoice Number", "Invoice Date", "Amount", "Status"], "chargebee/invoices"),
      (["Ticket ID", "Subject", "Status", "Priority", "Created time", "Company Name"], "freshdesk/tickets"),
      (["Ticket ID", "Ticket name", "Pipeline", "Ticket status", "Create date"], "hubspot/tickets"),
      (["Transaction ID", "Subscription ID", "Transaction Type", "Transaction Status", "Created Datetime"], "braintree/transactions"),
      (["*ContactName", "EmailAddress", "*InvoiceNumber", "*InvoiceDate", "*DueDate"], "xero/invoices"),
      (["Id", "IsDeleted", "CaseNumber", "AccountId", "Status", "Priority"], "salesforce/cases"),
      (["account", "day", "metric", "value"], "cspipe/usage"),
    ])
  func csv(header: [String], expected: String) {
    #expect(SourceCatalog.detectCSV(header: header)?.description == expected)
  }

  @Test("unknown headers are not guessed")
  func unknown() {
    #expect(SourceCatalog.detectCSV(header: ["foo", "bar"]) == nil)
  }

  @Test("--source and --record arguments parse strictly")
  func arguments() {
    #expect(SourceTag("stripe/payments") == SourceTag(system: "stripe", dataset: "payments"))
    #expect(SourceTag("acme") == SourceTag(system: "acme", dataset: ""))
    #expect(SourceTag("") == nil)
    #expect(SourceTag("a/") == nil)
    #expect(XMLRecordPath("rss/channel/item")?.steps == ["rss", "channel", "item"])
    #expect(XMLRecordPath("/unload/*")?.steps == ["unload", nil])
    #expect(XMLRecordPath("a//b") == nil)
  }
}
