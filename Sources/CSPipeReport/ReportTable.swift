import CSPipeCore

/// One table behind a report section: what the Markdown and HTML show (top rows) and what the
/// CSV and NDJSON files hold (every row). Cells keep their kind so numbers stay numbers in the
/// NDJSON file and line up in the page.
struct ReportTable {
  enum Cell {
    case text(String)
    case number(Double, places: Int)
    case empty

    var display: String {
      switch self {
      case .text(let text): return text
      case .number(let value, let places): return ReportFormat.number(value, places: places)
      case .empty: return "—"
      }
    }

    var json: JSONValue {
      switch self {
      case .text(let text): return .string(text)
      case .number(let value, let places): return JSONNumber.fixed(value, places: places)
      case .empty: return .null
      }
    }

    /// Plain digits for a spreadsheet (no thousands separators).
    var csv: String {
      switch self {
      case .text(let text): return OutputSafety.csvCell(text)
      case .number(let value, let places): return ReportFormat.plain(value, places: places)
      case .empty: return ""
      }
    }
  }

  /// The file name stem: `tables/<name>.csv` and `.ndjson`.
  let name: String
  /// A heading above the table when a section has several (`Rescue: the cause is ours`).
  var caption: String?
  /// Lists say how many rows they hold beside their caption.
  var countInCaption = false
  let columns: [String]
  var rows: [[Cell]]
  /// How many rows the page shows; the rest are counted and linked to the CSV.
  var shown = 25

  init(name: String, caption: String? = nil, columns: [String], rows: [[Cell]], shown: Int = 25) {
    self.name = name
    self.caption = caption
    self.columns = columns
    self.rows = rows
    self.shown = shown
  }

  func csvText() -> String {
    var text = columns.map { OutputSafety.csvCell($0) }.joined(separator: ",") + "\n"
    for row in rows { text += row.map(\.csv).joined(separator: ",") + "\n" }
    return text
  }

  func ndjsonText() -> String {
    var text = ""
    for row in rows {
      var writer = JSONWriter()
      writer.value(.object(JSONObject(zip(columns, row.map(\.json)).map { ($0, $1) })))
      text += String(decoding: writer.bytes, as: UTF8.self) + "\n"
    }
    return text
  }
}

/// Numbers as the report prints them: thousands separated, fixed places, half away from zero.
enum ReportFormat {
  static func plain(_ value: Double, places: Int) -> String {
    var writer = JSONWriter()
    writer.fixed(value, places: places)
    return String(decoding: writer.bytes, as: UTF8.self)
  }

  static func number(_ value: Double, places: Int) -> String {
    let text = plain(value, places: places)
    let negative = text.hasPrefix("-")
    let body = negative ? String(text.dropFirst()) : text
    let parts = body.split(separator: ".", maxSplits: 1)
    var whole = String(parts[0])
    var grouped = ""
    while whole.count > 3 {
      grouped = "," + whole.suffix(3) + grouped
      whole = String(whole.dropLast(3))
    }
    grouped = whole + grouped
    if parts.count > 1 { grouped += "." + parts[1] }
    return (negative ? "-" : "") + grouped
  }

  static func percent(_ share: Double?) -> String {
    guard let share else { return "—" }
    return plain(share * 100, places: 1) + "%"
  }
}
