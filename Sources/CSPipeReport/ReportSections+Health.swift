import CSPipeCore

/// Health sections: the distribution, its reasons and trend, and the backtest.
extension ReportSections {
  func health() -> ReportSection {
    var section = ReportSection(
      id: "health", title: "Health distribution and its reasons",
      definition:
        "Score's colours as of the run; the reason is each account's top reason code (the measure that pulled its score down most). Trend needs history: score --history."
    )
    let scored = accounts.filter { $0.health != nil }
    guard !scored.isEmpty else {
      section.needs = "health scores (score)"
      return section
    }
    let counts: [(label: String, value: Double, color: String)] = Self.colors.map { color in
      (color, Double(scored.filter { $0.health?.color == color }.count), color)
    }
    section.chart = SVGChart.bars(counts, unit: "accounts")
    var distribution = ReportTable(name: "health_colors", columns: ["colour", "accounts", "MRR"], rows: [])
    for color in Self.colors {
      let members = scored.filter { $0.health?.color == color }
      distribution.rows.append([
        .text(color), .number(Double(members.count), places: 0), .number(members.reduce(0) { $0 + $1.mrr }, places: 2),
      ])
    }
    section.tables.append(distribution)
    var reasons: [String: Int] = [:]
    for account in scored { if let reason = account.health?.reason { reasons[reason, default: 0] += 1 } }
    var table = ReportTable(name: "top_reasons", columns: ["reason", "accounts"], rows: [])
    for (reason, count) in reasons.sorted(by: { ($0.value, TextOrder.Key($1.key)) > ($1.value, TextOrder.Key($0.key)) }) {
      table.rows.append([.text(reason), .number(Double(count), places: 0)])
    }
    section.tables.append(table)
    if let history, !history.colors.isEmpty {
      var trend = ReportTable(
        name: "health_trend", caption: "Trend: colours in each earlier run", columns: ["as of"] + Self.colors, rows: [])
      for day in history.colors.keys.sorted() {
        trend.rows.append(
          [.text(history.labels[day] ?? Timestamps.isoDate(day * 86400))]
            + Self.colors.map {
              .number(Double(history.colors[day]![$0] ?? 0), places: 0)
            })
      }
      trend.rows.append([.text(data.asOf ?? "now")] + distribution.rows.map { $0[1] })
      section.tables.append(trend)
    } else {
      section.lines.append("Trend: no earlier runs given (report --history DIR, a folder of dated score or stage outputs).")
    }
    return section
  }

  func backtest() -> ReportSection {
    var section = ReportSection(
      id: "backtest", title: "Health against outcome (backtest)",
      definition:
        "Each renewal that has passed: the colour the account had in the run nearest 75 days before it (60–90 days), against what happened (renewed: still paying 30 days after the renewal). At risk = red or orange. Precision = churned among those flagged at risk; recall = flagged among those that churned."
    )
    guard let history else {
      section.needs = "history: dated snapshots of past runs (report --history DIR; make backtest makes them)"
      return section
    }
    let (known, pending) = history.outcomes(current: Dictionary(uniqueKeysWithValues: accounts.map { ($0.key, $0.mrr) }), asOfDay: asOfDay)
    guard !known.isEmpty else {
      section.needs =
        "renewals 60–90 days after a snapshot that have since passed: \(history.files) snapshot files gave none (\(pending) still pending)"
      return section
    }
    let atRisk = Set(["red", "orange"])
    let tp = known.filter { atRisk.contains($0.prediction.color) && !$0.renewed }.count
    let fp = known.filter { atRisk.contains($0.prediction.color) && $0.renewed }.count
    let fn = known.filter { !atRisk.contains($0.prediction.color) && !$0.renewed }.count
    let tn = known.filter { !atRisk.contains($0.prediction.color) && $0.renewed }.count
    var matrix = ReportTable(
      name: "backtest_confusion", caption: "Confusion matrix", columns: ["predicted", "churned", "renewed"],
      rows: [
        [.text("at risk (red, orange)"), .number(Double(tp), places: 0), .number(Double(fp), places: 0)],
        [.text("not at risk (green, yellow)"), .number(Double(fn), places: 0), .number(Double(tn), places: 0)],
      ])
    matrix.shown = 2
    section.tables.append(matrix)
    let precision = tp + fp > 0 ? Double(tp) / Double(tp + fp) : nil
    let recall = tp + fn > 0 ? Double(tp) / Double(tp + fn) : nil
    section.lines.append(
      "\(known.count) renewals with a known outcome (\(pending) pending): precision \(ReportFormat.percent(precision)), recall \(ReportFormat.percent(recall))."
    )
    var calibration = ReportTable(
      name: "backtest_calibration", caption: "Calibration: renewal probability against what happened",
      columns: ["colour", "renewals", "renewed", "renewed share", "probability used"], rows: [])
    for color in Self.colors {
      let group = known.filter { $0.prediction.color == color }
      guard !group.isEmpty else { continue }
      let renewed = group.filter(\.renewed).count
      let probabilities = group.compactMap(\.prediction.probability)
      calibration.rows.append([
        .text(color), .number(Double(group.count), places: 0), .number(Double(renewed), places: 0),
        .number(Double(renewed) / Double(group.count), places: 4),
        probabilities.isEmpty ? .empty : .number(probabilities.reduce(0, +) / Double(probabilities.count), places: 4),
      ])
    }
    section.tables.append(calibration)
    if known.count < 20 { section.lines.append("Fewer than 20 renewals: too few to read much into.") }
    return section
  }
}
