import CSPipeCore

/// Revenue sections: concentration, tiers and books, MRR movements, renewals and the re-plan.
extension ReportSections {
  func pareto() -> ReportSection {
    var section = ReportSection(
      id: "pareto", title: "Revenue concentration (Pareto)",
      definition:
        "Accounts with MRR above 0 ranked by MRR, highest first; the line is the cumulative share of MRR. Tier rule: "
        + (portfolio["policies"]?.objectValue?["tier_rule"]?.stringValue ?? "—") + " (docs/SEGMENT.md, Tiers).")
    // Segment's ranking: parents on their total with their children, children not ranked.
    let ranked = accounts.filter { $0.rank != nil }.sorted { ($0.rank!, TextOrder.Key($0.key)) < ($1.rank!, TextOrder.Key($1.key)) }
    guard !ranked.isEmpty else {
      section.needs = "account records with MRR and segment's revenue_rank (segment)"
      return section
    }
    section.chart = SVGChart.pareto(ranked.map { ($0.name, $0.rankedMrr, $0.tier) }, limit: 200)
    var tiers = ReportTable(
      name: "tiers", columns: ["tier", "accounts", "share of accounts", "MRR", "share of MRR", "MRR floor"], rows: [])
    let tierObject = portfolio["tiers"]?.objectValue
    for tier in ["tier1", "tier2", "tier3", "unranked"] {
      // Segment's own counts: a child account takes its parent's tier but is ranked with it.
      let entry = tierObject?[tier]?.objectValue
      tiers.rows.append([
        .text(tier), number(entry?["accounts"]).map { .number($0, places: 0) } ?? .empty,
        number(entry?["share_of_accounts"]).map { .number($0, places: 4) } ?? .empty,
        number(entry?["mrr"]).map { .number($0, places: 2) } ?? .empty,
        number(entry?["share_of_mrr"]).map { .number($0, places: 4) } ?? .empty,
        number(entry?["mrr_floor"]).map { .number($0, places: 2) } ?? .empty,
      ])
    }
    section.tables.append(tiers)
    var list = ReportTable(
      name: "accounts_by_mrr", columns: ["rank", "account", "name", "tier", "MRR ranked on (with children)"], rows: [], shown: top)
    for account in ranked {
      list.rows.append([
        .number(Double(account.rank!), places: 0), .text(account.key), .text(account.name), .text(account.tier),
        .number(account.rankedMrr, places: 2),
      ])
    }
    section.tables.append(list)
    return section
  }

  func tiersAndHealth() -> ReportSection {
    var section = ReportSection(
      id: "tiers-health", title: "Tiers × health, and each CSM's book",
      definition:
        "Accounts per tier and health colour (score's colours: green ≥ 75, yellow ≥ 50, orange ≥ 25, red below). Books: each CSM's accounts per tier against the capacity the segment config allows."
    )
    guard accounts.contains(where: { $0.health != nil }) else {
      section.needs = "health colours (score)"
      return section
    }
    var grid = ReportTable(name: "tiers_by_health", columns: ["tier"] + Self.colors + ["unscored"], rows: [])
    for tier in ["tier1", "tier2", "tier3", "unranked"] {
      let members = accounts.filter { $0.tier == tier }
      grid.rows.append(
        [.text(tier)]
          + (Self.colors + [nil]).map { color in
            .number(Double(members.filter { $0.health?.color == color }.count), places: 0)
          })
    }
    section.tables.append(grid)
    if let books = portfolio["books"]?.objectValue {
      var table = ReportTable(
        name: "csm_books", columns: ["CSM", "accounts", "MRR", "tier1", "tier2", "tier3", "over capacity"], rows: [])
      for (owner, value) in books.entries {
        let book = value.objectValue
        var over: [String] = []
        if case .array(let items)? = book?["over_capacity"] { over = items.compactMap(\.stringValue) }
        table.rows.append([
          .text(owner), .number(number(book?["accounts"]) ?? 0, places: 0), .number(number(book?["mrr"]) ?? 0, places: 2),
          .number(number(book?["tier1"]) ?? 0, places: 0), .number(number(book?["tier2"]) ?? 0, places: 0),
          .number(number(book?["tier3"]) ?? 0, places: 0), .text(over.isEmpty ? "no" : over.joined(separator: ", ")),
        ])
      }
      section.tables.append(table)
    }
    return section
  }

  func movements() -> ReportSection {
    var section = ReportSection(
      id: "movements", title: "MRR movements by month",
      definition:
        "Segment's movement book: start + new + reactivation + expansion − contraction − churn + fx = end, checked on every run; "
        + (portfolio["policies"]?.objectValue?["movements"]?.stringValue ?? "") + ".")
    guard case .array(let items)? = portfolio["movements"], !items.isEmpty else {
      section.needs = "the movement book in segment's portfolio line"
      return section
    }
    let kinds = ["new", "reactivation", "expansion", "contraction", "churn", "fx"]
    var table = ReportTable(name: "mrr_movements", columns: ["month", "start"] + kinds + ["end", "reconciles"], rows: [])
    var waterfall: [(String, Double, Double)] = []
    for item in items {
      guard let month = item.objectValue else { continue }
      let start = number(month["start"]) ?? 0
      let values = kinds.map { number(month[$0]) ?? 0 }
      let end = number(month["end"]) ?? 0
      let computed = start + values[0] + values[1] + values[2] - values[3] - values[4] + values[5]
      table.rows.append(
        [.text(month["month"]?.stringValue ?? "")] + ([start] + values + [end]).map { .number($0, places: 2) } + [
          .text(abs(computed - end) < 0.005 ? "yes" : "NO")
        ])
      waterfall.append((month["month"]?.stringValue ?? "", start, end))
    }
    section.tables.append(table)
    section.chart = SVGChart.waterfall(waterfall)
    return section
  }

  func renewals() -> ReportSection {
    var section = ReportSection(
      id: "renewals", title: "Renewal forecast",
      definition:
        "ARR renewing in each of the next 12 months, by health colour, weighted by score's renewal probability for the colour ("
        + (portfolio["health"]?.objectValue?["renewal_probability_from"]?.stringValue ?? "model")
        + "). With --history, past months show the ARR that was due, the forecast, and what renewed and churned.")
    let upcoming = accounts.filter { $0.mrr > 0 && $0.renewalAt != nil && $0.renewalAt! >= asOfDay && $0.renewalAt! < asOfDay + 366 }
    guard !upcoming.isEmpty, accounts.contains(where: { $0.health != nil }) else {
      section.needs = "renewal dates (the account list) and health colours (score)"
      return section
    }
    var months: [String: [String: (arr: Double, expected: Double)]] = [:]
    for account in upcoming {
      let month = String(Timestamps.isoDate(account.renewalAt! * 86400).prefix(7))
      let color = account.health?.color ?? "unscored"
      var entry = months[month, default: [:]][color] ?? (0, 0)
      entry.arr += account.mrr * 12
      entry.expected += account.mrr * 12 * (account.health?.probability ?? 0)
      months[month, default: [:]][color] = entry
    }
    var table = ReportTable(name: "renewal_forecast", columns: ["month", "colour", "ARR due", "expected ARR"], rows: [])
    for month in months.keys.sortedAsText() {
      for color in Self.colors + ["unscored"] {
        guard let entry = months[month]![color] else { continue }
        table.rows.append([.text(month), .text(color), .number(entry.arr, places: 2), .number(entry.expected, places: 2)])
      }
    }
    section.tables.append(table)
    section.chart = SVGChart.stacked(
      months.keys.sortedAsText().map { month in (month, Self.colors.map { (months[month]![$0]?.arr ?? 0, $0) }) })
    if let history {
      let (known, _) = history.outcomes(current: Dictionary(uniqueKeysWithValues: accounts.map { ($0.key, $0.mrr) }), asOfDay: asOfDay)
      var past = ReportTable(
        name: "renewal_outcomes", caption: "Past months: forecast against outcome",
        columns: ["month", "renewals", "ARR due", "expected ARR", "renewed ARR", "churned ARR"], rows: [])
      var byMonth: [String: [ReportHistory.Outcome]] = [:]
      for outcome in known {
        byMonth[String(Timestamps.isoDate(outcome.prediction.renewalDay * 86400).prefix(7)), default: []].append(outcome)
      }
      for month in byMonth.keys.sortedAsText() {
        let group = byMonth[month]!
        past.rows.append([
          .text(month), .number(Double(group.count), places: 0), .number(group.reduce(0) { $0 + $1.prediction.arr }, places: 2),
          .number(group.reduce(0) { $0 + $1.prediction.arr * ($1.prediction.probability ?? 0) }, places: 2),
          .number(group.filter(\.renewed).reduce(0) { $0 + $1.prediction.arr }, places: 2),
          .number(group.filter { !$0.renewed }.reduce(0) { $0 + $1.prediction.arr }, places: 2),
        ])
      }
      section.tables.append(past)
      if let replan = replan(history) { section.tables.append(replan) }
    } else {
      section.lines.append("Past months against their outcomes: needs history (report --history DIR).")
    }
    return section
  }

  /// The re-plan: what moved in the next 12 months' expected renewal ARR since the latest
  /// snapshot, account by account, and why.
  func replan(_ history: ReportHistory) -> ReportTable? {
    guard let then = history.latestDay else { return nil }
    var table = ReportTable(
      name: "renewal_replan",
      caption: "Re-plan: what moved since the run of \(history.labels[then] ?? Timestamps.isoDate(then * 86400))",
      columns: ["account", "name", "renewal", "colour then", "colour now", "expected ARR then", "expected ARR now", "why"], rows: [],
      shown: top)
    table.countInCaption = true
    let horizon = asOfDay + 366
    var moved: [(change: Double, key: String, row: [ReportTable.Cell])] = []
    for account in accounts {
      let before = history.latest[account.key]
      let renewalThen = before?.renewalDay.flatMap { $0 >= asOfDay && $0 < horizon ? $0 : nil }
      let renewalNow = account.renewalAt.flatMap { $0 >= asOfDay && $0 < horizon && account.mrr > 0 ? $0 : nil }
      let expectedThen = renewalThen == nil ? 0 : (before?.arr ?? 0) * (before?.probability ?? 0)
      let expectedNow = renewalNow == nil ? 0 : account.mrr * 12 * (account.health?.probability ?? 0)
      guard abs(expectedNow - expectedThen) >= 0.005 else { continue }
      var why: [String] = []
      if before == nil { why.append("new account") }
      if account.mrr <= 0 && (before?.arr ?? 0) > 0 { why.append("churned") }
      if let then = before?.color, let now = account.health?.color, then != now { why.append("colour \(then) → \(now)") }
      if let before, abs(before.arr - account.mrr * 12) >= 0.005, account.mrr > 0 {
        why.append("ARR \(ReportFormat.number(before.arr, places: 2)) → \(ReportFormat.number(account.mrr * 12, places: 2))")
      }
      if (renewalThen == nil) != (renewalNow == nil) {
        why.append(renewalNow == nil ? "renewal out of the 12 months" : "renewal into the 12 months")
      }
      let row: [ReportTable.Cell] = [
        .text(account.key), .text(account.name),
        .text((renewalNow ?? renewalThen).map { String(Timestamps.isoDate($0 * 86400).prefix(7)) } ?? "—"),
        .text(before?.color ?? "—"), .text(account.health?.color ?? "—"), .number(expectedThen, places: 2), .number(expectedNow, places: 2),
        .text(why.isEmpty ? "probability changed" : why.joined(separator: "; ")),
      ]
      moved.append((abs(expectedNow - expectedThen), account.key, row))
    }
    // The largest moves first; ties by account key, so the table is the same in any input order.
    table.rows = moved.sorted { ($0.change, TextOrder.Key($1.key)) > ($1.change, TextOrder.Key($0.key)) }.map(\.row)
    return table
  }
}
