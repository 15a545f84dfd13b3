import CSPipeCore

/// One section of the report: a heading, a definition box (what is measured, over which period,
/// under which policy), its tables and chart, or what it needs when its data is absent.
struct ReportSection {
  let id: String
  let title: String
  let definition: String
  var lines: [String] = []
  var tables: [ReportTable] = []
  var chart: String?
  /// Set when the input lacks the data: what is needed and which stage makes it.
  var needs: String?
}

/// The sections in the order docs/REPORT.md lists, each built from the report's data alone.
struct ReportSections {
  let data: ReportData
  let asOfDay: Int
  let runCounts: [(label: String, count: Int)]
  let top: Int
  /// Earlier runs (`--history`): the health trend, the backtest, past renewals' outcomes.
  var history: ReportHistory? = nil

  static let colors = ["green", "yellow", "orange", "red"]
  var portfolio: JSONObject { data.portfolio ?? JSONObject() }
  var accounts: [AccountFacts] { data.accounts }
  var currency: String { portfolio["currency"]?.stringValue ?? "" }

  func number(_ value: JSONValue?) -> Double? { RecordValues.number(value) }

  func all() -> [ReportSection] {
    [
      summary(), pareto(), tiersAndHealth(), health(), bands(), onboarding(), effectiveness(), moments(), movements(),
      renewals(), backtest(), programs(),
    ]
  }

  func summary() -> ReportSection {
    var section = ReportSection(
      id: "summary", title: "Portfolio summary",
      definition:
        "MRR is monthly recurring revenue at as-of in the base currency; ARR = 12 × MRR. NRR and GRR over the retention window: "
        + (portfolio["policies"]?.objectValue?["retention"]?.stringValue ?? "as segment computes them")
        + ". Churn: " + (portfolio["policies"]?.objectValue?["churn"]?.stringValue ?? "—") + ".")
    guard data.portfolio != nil else {
      section.needs = "the portfolio line segment writes (run segment, then score and stage, before report)"
      return section
    }
    let retention = portfolio["retention"]?.objectValue
    let window = retention?["window"]?.objectValue
    var table = ReportTable(name: "summary", columns: ["measure", "value"], rows: [])
    table.rows.append([.text("as of"), .text(data.asOf ?? "—")])
    table.rows.append([.text("accounts"), .number(Double(accounts.count), places: 0)])
    table.rows.append([.text("MRR (\(currency))"), .number(number(portfolio["mrr"]) ?? 0, places: 2)])
    table.rows.append([.text("ARR (\(currency))"), .number(number(portfolio["arr"]) ?? 0, places: 2)])
    for (label, key) in [("NRR", "nrr"), ("GRR", "grr"), ("logo churn", "logo_churn")] {
      table.rows.append([.text(label), number(retention?[key]).map { .number($0, places: 4) } ?? .empty])
    }
    table.rows.append([
      .text("retention window"), .text("\(window?["start"]?.stringValue ?? "—") to \(window?["end"]?.stringValue ?? "—")"),
    ])
    section.tables.append(table)
    var freshness = ReportTable(
      name: "data_freshness", caption: "Data freshness per source",
      columns: ["source", "latest fact", "days before as-of", "accounts with data"], rows: [])
    let sources = data.freshness
    for source in sources.keys.sortedAsText() {
      let entry = sources[source]!
      let behind = RecordValues.day(entry.latest).map { Double(asOfDay - $0) }
      freshness.rows.append([
        .text(source), .text(entry.latest), behind.map { .number($0, places: 0) } ?? .empty, .number(Double(entry.accounts), places: 0),
      ])
    }
    section.tables.append(freshness)
    var counts = ReportTable(name: "run_counts", caption: "Records set aside by the run", columns: ["what", "records"], rows: [])
    for (label, count) in runCounts { counts.rows.append([.text(label), .number(Double(count), places: 0)]) }
    if counts.rows.isEmpty { counts.rows.append([.text("rejected and unmatched (give --run DIR)"), .empty]) }
    section.tables.append(counts)
    return section
  }
}
