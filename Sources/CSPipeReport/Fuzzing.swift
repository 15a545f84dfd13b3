import CSPipeCore

extension FuzzEntryPoints {
  /// report's reading and rendering: the bytes are NDJSON lines (account records, a portfolio
  /// line, anything); every section must build, and the HTML, Markdown and tables must render,
  /// without a trap, and no `<script` from an input may reach the page unescaped.
  public static func report(_ bytes: [UInt8]) {
    var data = ReportData()
    for line in bytes.split(separator: ASCII.lineFeed, omittingEmptySubsequences: true).prefix(64) {
      guard let lazy = try? Array(line).withUnsafeBufferPointer({ try JSONParser.parseLazyObject($0) }) else { continue }
      if lazy["kind"]?.stringValue == "portfolio" { data.take(lazy.object) } else { data.take(ReportData.reportFields(lazy)) }
    }
    data.accounts.sort { TextOrder.precedes($0.key, $1.key) }
    let sections = ReportSections(data: data, asOfDay: 20407, runCounts: [], top: 5).all()
    let html = ReportRendering.html(sections, asOf: data.asOf ?? "")
    _ = ReportRendering.markdown(sections, asOf: data.asOf ?? "")
    for table in sections.flatMap(\.tables) {
      _ = table.csvText()
      _ = table.ndjsonText()
    }
    precondition(!html.lowercased().contains("<script"), "a script reached the page")
  }
}
