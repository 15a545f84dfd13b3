import CSPipeCore

/// The report's charts, drawn as inline SVG (no script, no font, nothing fetched). Every label
/// taken from the input is escaped; sizes are fixed so the page prints as it shows.
enum SVGChart {
  static let palette: [String: String] = [
    "green": "#2e7d32", "yellow": "#f9a825", "orange": "#ef6c00", "red": "#c62828", "tier1": "#1565c0", "tier2": "#42a5f5",
    "tier3": "#90caf9", "unranked": "#bdbdbd", "champion": "#2e7d32", "cruiser": "#1e88e5", "laggard": "#c62828", "funnel": "#5e35b1",
  ]

  static func fill(_ key: String) -> String { palette[key] ?? "#607d8b" }

  static func text(_ x: Double, _ y: Double, _ content: String, anchor: String = "start", size: Int = 11) -> String {
    "<text x=\"\(f(x))\" y=\"\(f(y))\" font-size=\"\(size)\" text-anchor=\"\(anchor)\">\(OutputSafety.htmlText(content))</text>"
  }

  static func f(_ value: Double) -> String { ReportFormat.plain(value, places: 1) }

  static func open(_ width: Int, _ height: Int, _ title: String) -> String {
    "<svg viewBox=\"0 0 \(width) \(height)\" width=\"\(width)\" height=\"\(height)\" role=\"img\" aria-label=\"\(OutputSafety.htmlText(title))\" font-family=\"sans-serif\">"
  }

  /// Accounts by MRR, descending, as bars coloured by tier, the cumulative share as a line, and a
  /// dashed line where each tier ends. Beyond `limit` accounts the rest is one grey bar.
  static func pareto(_ ranked: [(name: String, mrr: Double, tier: String)], limit: Int) -> String {
    let width = 760.0
    let height = 300.0
    let left = 50.0
    let bottom = 260.0
    let total = ranked.reduce(0) { $0 + $1.mrr }
    var bars = Array(ranked.prefix(limit))
    if ranked.count > limit {
      bars.append(("\(ranked.count - limit) more", ranked.dropFirst(limit).reduce(0) { $0 + $1.mrr }, "unranked"))
    }
    let top = bars.map(\.mrr).max() ?? 1
    let step = (width - left - 20) / Double(max(bars.count, 1))
    var svg = open(Int(width), Int(height), "Accounts by MRR with the cumulative share")
    svg += "<line x1=\"\(f(left))\" y1=\"\(f(bottom))\" x2=\"\(f(width - 20))\" y2=\"\(f(bottom))\" stroke=\"#333\"/>"
    var cumulative = 0.0
    var points: [String] = []
    var previousTier: String?
    var cuts = 0
    for (index, bar) in bars.enumerated() {
      let x = left + Double(index) * step
      let h = (bar.mrr / top) * (bottom - 30)
      svg +=
        "<rect x=\"\(f(x))\" y=\"\(f(bottom - h))\" width=\"\(f(max(step - 1, 0.5)))\" height=\"\(f(h))\" fill=\"\(fill(bar.tier))\"><title>\(OutputSafety.htmlText(bar.name)): \(ReportFormat.number(bar.mrr, places: 2))</title></rect>"
      cumulative += bar.mrr
      points.append("\(f(x + step / 2)),\(f(bottom - (cumulative / max(total, 1)) * (bottom - 30)))")
      if let previousTier, previousTier != bar.tier {
        svg += "<line x1=\"\(f(x))\" y1=\"20\" x2=\"\(f(x))\" y2=\"\(f(bottom))\" stroke=\"#555\" stroke-dasharray=\"4 3\"/>"
        cuts += 1
        svg += text(x + 3, 18 + Double(cuts) * 13, "\(bar.tier) from here")
      }
      previousTier = bar.tier
    }
    svg += "<polyline points=\"\(points.joined(separator: " "))\" fill=\"none\" stroke=\"#000\" stroke-width=\"1.5\"/>"
    svg += text(left - 5, 34, "100%", anchor: "end") + text(left - 5, bottom, "0", anchor: "end")
    svg += text(left, bottom + 18, "accounts ranked by MRR (\(ranked.count)); line: cumulative share of MRR")
    return svg + "</svg>"
  }

  /// Horizontal bars with their values: counts per colour, band or milestone.
  static func bars(_ items: [(label: String, value: Double, color: String)], unit: String) -> String {
    let rowHeight = 24.0
    let height = Double(items.count) * rowHeight + 20
    let top = max(items.map(\.value).max() ?? 1, 1)
    var svg = open(760, Int(height), "\(unit) per category")
    for (index, item) in items.enumerated() {
      let y = 10 + Double(index) * rowHeight
      let w = item.value / top * 500
      svg += text(150, y + 15, item.label, anchor: "end")
      svg += "<rect x=\"160\" y=\"\(f(y))\" width=\"\(f(w))\" height=\"18\" fill=\"\(fill(item.color))\"/>"
      svg += text(165 + w, y + 14, "\(ReportFormat.number(item.value, places: 0)) \(unit)")
    }
    return svg + "</svg>"
  }

  /// Each month as a floating bar from its start MRR to its end MRR: green up, red down.
  static func waterfall(_ months: [(month: String, start: Double, end: Double)]) -> String {
    let height = 260.0
    let bottom = 220.0
    let low = min(months.map { min($0.start, $0.end) }.min() ?? 0, 0)
    let high = max(months.map { max($0.start, $0.end) }.max() ?? 1, 1)
    let scale = (bottom - 20) / max(high - low, 1)
    let step = 700.0 / Double(max(months.count, 1))
    var svg = open(760, Int(height), "MRR movements by month")
    for (index, month) in months.enumerated() {
      let x = 50 + Double(index) * step
      let top = bottom - (max(month.start, month.end) - low) * scale
      let h = max(abs(month.end - month.start) * scale, 1)
      let color = month.end >= month.start ? "#2e7d32" : "#c62828"
      svg +=
        "<rect x=\"\(f(x))\" y=\"\(f(top))\" width=\"\(f(step * 0.7))\" height=\"\(f(h))\" fill=\"\(color)\"><title>\(OutputSafety.htmlText(month.month)): \(ReportFormat.number(month.start, places: 2)) → \(ReportFormat.number(month.end, places: 2))</title></rect>"
      svg +=
        "<line x1=\"\(f(x))\" y1=\"\(f(bottom - (month.end - low) * scale))\" x2=\"\(f(x + step))\" y2=\"\(f(bottom - (month.end - low) * scale))\" stroke=\"#999\" stroke-dasharray=\"2 2\"/>"
      svg += text(x + step * 0.35, bottom + 16, String(month.month.suffix(5)), anchor: "middle", size: 9)
    }
    return svg + "</svg>"
  }

  /// One stacked column per month: ARR renewing by colour.
  static func stacked(_ months: [(month: String, parts: [(value: Double, color: String)])]) -> String {
    let bottom = 220.0
    let high = max(months.map { $0.parts.reduce(0) { $0 + $1.value } }.max() ?? 1, 1)
    let step = 700.0 / Double(max(months.count, 1))
    var svg = open(760, 260, "ARR renewing by month and colour")
    for (index, month) in months.enumerated() {
      let x = 50 + Double(index) * step
      var y = bottom
      for part in month.parts where part.value > 0 {
        let h = part.value / high * (bottom - 20)
        y -= h
        svg +=
          "<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(step * 0.7))\" height=\"\(f(h))\" fill=\"\(fill(part.color))\"><title>\(OutputSafety.htmlText(month.month)) \(part.color): \(ReportFormat.number(part.value, places: 2))</title></rect>"
      }
      svg += text(x + step * 0.35, bottom + 16, month.month, anchor: "middle", size: 9)
    }
    return svg + "</svg>"
  }
}
