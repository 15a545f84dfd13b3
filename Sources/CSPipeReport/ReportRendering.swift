import CSPipeCore

/// The same sections as Markdown (terminals, pull requests) and as one self-contained HTML page
/// (inline CSS and SVG, no script, nothing fetched, prints well). Every value from the input is
/// escaped for the format it lands in.
enum ReportRendering {
  /// Markdown-safe text: characters that would start markup or break a table cell are escaped,
  /// and control characters (a terminal escape sequence in an account name) are dropped.
  static func markdown(_ text: String) -> String {
    var out = ""
    for scalar in text.unicodeScalars {
      if scalar.value < 0x20 || scalar.value == 0x7F {
        out += " "
        continue
      }
      if "\\`*_{}[]<>()#+!|~".unicodeScalars.contains(scalar) { out += "\\" }
      out.unicodeScalars.append(scalar)
    }
    return out
  }

  static func markdown(_ sections: [ReportSection], asOf: String) -> String {
    var text = "# Customer Success report, as of \(markdown(asOf))\n\n"
    text += sections.map { "- [\($0.title)](#\($0.id))" }.joined(separator: "\n") + "\n"
    for section in sections {
      text += "\n## \(section.title)\n\n> \(markdown(section.definition))\n\n"
      if let needs = section.needs {
        text += "_No data: this section needs \(markdown(needs))._\n"
        continue
      }
      for line in section.lines { text += markdownKeepingBold(line) + "\n\n" }
      for table in section.tables {
        if let caption = table.caption {
          text += "**\(markdown(caption))**" + (table.countInCaption ? " (\(table.rows.count))" : "") + "\n\n"
        }
        text += "| " + table.columns.map(markdown).joined(separator: " | ") + " |\n"
        text += "|" + table.columns.map { _ in " --- |" }.joined() + "\n"
        for row in table.rows.prefix(table.shown) {
          text += "| " + row.map { markdown($0.display) }.joined(separator: " | ") + " |\n"
        }
        if table.rows.count > table.shown {
          text += "\n\(table.rows.count - table.shown) more rows of \(table.rows.count): tables/\(table.name).csv\n"
        }
        text += "\n"
      }
    }
    return text
  }

  /// Lines the report wrote itself may carry `**bold**`; the values inside are escaped.
  static func markdownKeepingBold(_ line: String) -> String {
    line.split(separator: "**", omittingEmptySubsequences: false).enumerated().map { index, part in
      index % 2 == 1 ? "**\(markdown(String(part)))**" : markdown(String(part))
    }.joined()
  }

  static let style = """
    body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:960px;color:#212121;line-height:1.4}
    h1{font-size:1.6rem}h2{font-size:1.25rem;border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2.2rem}
    .definition{background:#f5f7fa;border-left:4px solid #90a4ae;padding:.5rem .8rem;font-size:.9rem;margin:.5rem 0 1rem}
    .needs{background:#fff8e1;border-left:4px solid #f9a825;padding:.5rem .8rem}
    table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.85rem}th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left}
    td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#eceff1}
    nav a{margin-right:.8rem;font-size:.85rem}.more{font-size:.85rem;color:#555}
    @media print{nav{display:none}h2{break-after:avoid}section{break-inside:avoid-page}}
    """

  static func html(_ sections: [ReportSection], asOf: String) -> String {
    let title = "Customer Success report, as of \(OutputSafety.htmlText(asOf))"
    var page = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    page += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    page += "<title>\(title)</title><style>\(style)</style></head><body>\n<h1>\(title)</h1>\n<nav>"
    page += sections.map { "<a href=\"#\($0.id)\">\(OutputSafety.htmlText($0.title))</a>" }.joined() + "</nav>\n"
    for section in sections {
      page += "<section id=\"\(section.id)\"><h2>\(OutputSafety.htmlText(section.title))</h2>"
      page += "<div class=\"definition\">\(OutputSafety.htmlText(section.definition))</div>"
      if let needs = section.needs {
        page += "<p class=\"needs\">No data: this section needs \(OutputSafety.htmlText(needs)).</p></section>\n"
        continue
      }
      if let chart = section.chart { page += "<figure>\(chart)</figure>" }
      for line in section.lines { page += "<p>\(htmlKeepingBold(line))</p>" }
      for table in section.tables {
        if let caption = table.caption {
          page += "<h3>\(OutputSafety.htmlText(caption))" + (table.countInCaption ? " (\(table.rows.count))" : "") + "</h3>"
        }
        page += "<table><thead><tr>" + table.columns.map { "<th>\(OutputSafety.htmlText($0))</th>" }.joined() + "</tr></thead><tbody>"
        for row in table.rows.prefix(table.shown) {
          page += "<tr>"
          for cell in row {
            if case .number = cell {
              page += "<td class=\"n\">\(OutputSafety.htmlText(cell.display))</td>"
            } else {
              page += "<td>\(OutputSafety.htmlText(cell.display))</td>"
            }
          }
          page += "</tr>"
        }
        page += "</tbody></table>"
        if table.rows.count > table.shown {
          page +=
            "<p class=\"more\">\(table.rows.count - table.shown) more rows of \(table.rows.count): <a href=\"tables/\(table.name).csv\">tables/\(table.name).csv</a></p>"
        }
      }
      page += "</section>\n"
    }
    return page + "</body></html>\n"
  }

  static func htmlKeepingBold(_ line: String) -> String {
    line.split(separator: "**", omittingEmptySubsequences: false).enumerated().map { index, part in
      index % 2 == 1 ? "<strong>\(OutputSafety.htmlText(String(part)))</strong>" : OutputSafety.htmlText(String(part))
    }.joined()
  }
}
