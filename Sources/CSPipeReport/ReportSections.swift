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
    for source in data.freshness.keys.sorted() {
      let entry = data.freshness[source]!
      let behind = ReportData.day(entry.latest).map { Double(asOfDay - $0) }
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

  func pareto() -> ReportSection {
    var section = ReportSection(
      id: "pareto", title: "Revenue concentration (Pareto)",
      definition:
        "Accounts with MRR above 0 ranked by MRR, highest first; the line is the cumulative share of MRR. Tier rule: "
        + (portfolio["policies"]?.objectValue?["tier_rule"]?.stringValue ?? "—") + " (docs/SEGMENT.md, Tiers).")
    // Segment's ranking: parents on their total with their children, children not ranked.
    let ranked = accounts.filter { $0.rank != nil }.sorted { ($0.rank!, $0.key) < ($1.rank!, $1.key) }
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
    for (reason, count) in reasons.sorted(by: { ($0.value, $1.key) > ($1.value, $0.key) }) {
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

  func bands() -> ReportSection {
    var section = ReportSection(
      id: "bands", title: "Champions, cruisers, laggards",
      definition:
        "Stage's bands (docs/STAGE.md): champion = ahead of the milestone baseline, at or above the value target, health green; laggard = an overdue milestone or health red/orange; cruiser = the rest. Laggards split into rescue (the cause is ours), recover (shared) and farewell (the customer's)."
    )
    let staged = accounts.filter { $0.stage != nil }
    guard !staged.isEmpty else {
      section.needs = "stage's placement (run stage after score)"
      return section
    }
    let counts: [(label: String, value: Double, color: String)] = ["champion", "cruiser", "laggard"].map { band in
      (band, Double(staged.filter { $0.stage?.band == band }.count), band)
    }
    section.chart = SVGChart.bars(counts, unit: "accounts")
    let captions = [
      "rescue": "Rescue: the cause is on our side", "recover": "Recover: behind plan, still engaged",
      "farewell": "Farewell: the cause is on the customer's side",
    ]
    for playbook in ["rescue", "recover", "farewell"] {
      var table = ReportTable(
        name: "playbook_\(playbook)", caption: captions[playbook], columns: ["account", "name", "owner", "MRR", "why"], rows: [], shown: top
      )
      table.countInCaption = true
      for account in staged.filter({ $0.stage?.playbook == playbook }).sorted(by: { ($0.mrr, $1.key) > ($1.mrr, $0.key) }) {
        table.rows.append([
          .text(account.key), .text(account.name), .text(account.owner ?? "—"), .number(account.mrr, places: 2),
          .text(account.stage?.evidence.joined(separator: "; ") ?? ""),
        ])
      }
      section.tables.append(table)
    }
    return section
  }

  func onboarding() -> ReportSection {
    var section = ReportSection(
      id: "onboarding", title: "Onboarding funnel",
      definition:
        "Accounts reaching each milestone of the baseline journey, and the days between consecutive milestones (median and 90th percentile, nearest rank) against the baseline's gap. Only milestones met with a known day count in the days; accounts older than the usage data are met 'by' a day and are counted as reached."
    )
    let staged = accounts.compactMap(\.stage).filter { !$0.milestones.isEmpty }
    guard let first = staged.first else {
      section.needs = "milestones (stage)"
      return section
    }
    var table = ReportTable(
      name: "funnel",
      columns: [
        "milestone", "baseline day", "reached", "share reached", "median days from previous", "p90 days from previous", "baseline gap",
      ],
      rows: [])
    var previousBaseline = 0
    var worst: (name: String, drop: Double)?
    var previousShare = 1.0
    var funnel: [(label: String, value: Double, color: String)] = []
    for (index, milestone) in first.milestones.enumerated() {
      let reached = staged.filter { index < $0.milestones.count && $0.milestones[index].state == "met" }
      let share = Double(reached.count) / Double(staged.count)
      funnel.append((milestone.name, Double(reached.count), "funnel"))
      var gaps: [Int] = []
      for stage in staged where index < stage.milestones.count {
        guard let day = stage.milestones[index].day else { continue }
        let before = index == 0 ? 0 : stage.milestones[index - 1].day
        if let before { gaps.append(day - before) }
      }
      gaps.sort()
      table.rows.append([
        .text(milestone.name), .number(Double(milestone.baselineDay), places: 0), .number(Double(reached.count), places: 0),
        .number(share, places: 4), ReportSections.rank(gaps, 0.5).map { .number(Double($0), places: 0) } ?? .empty,
        ReportSections.rank(gaps, 0.9).map { .number(Double($0), places: 0) } ?? .empty,
        .number(Double(milestone.baselineDay - previousBaseline), places: 0),
      ])
      if worst == nil || previousShare - share > worst!.drop { worst = (milestone.name, previousShare - share) }
      previousShare = share
      previousBaseline = milestone.baselineDay
    }
    section.tables.append(table)
    section.chart = SVGChart.bars(funnel, unit: "accounts")
    if let worst, worst.drop > 0 {
      section.lines.append("Onboarding stalls most before **\(worst.name)**: \(ReportFormat.percent(worst.drop)) of accounts drop there.")
    }
    let ttv = staged.compactMap(\.timeToValue).sorted()
    section.lines.append(
      "Time to value: median \(ReportSections.rank(ttv, 0.5).map(String.init) ?? "—") days, 90th percentile \(ReportSections.rank(ttv, 0.9).map(String.init) ?? "—") days (\(ttv.count) of \(staged.count) accounts with a known day)."
    )
    return section
  }

  func effectiveness() -> ReportSection {
    var section = ReportSection(
      id: "effectiveness", title: "Effectiveness stages",
      definition:
        "Accounts per effectiveness stage (the last stage whose behaviours all hold, docs/STAGE.md), and the movement since the stage each had when onboarding ended (needs stage --history)."
    )
    let staged = accounts.compactMap(\.stage?.effectiveness)
    guard !staged.isEmpty else {
      section.needs = "effectiveness stages (stage)"
      return section
    }
    var counts: [Int: (String, Int)] = [:]
    for entry in staged { counts[entry.index] = (entry.name ?? "none yet", (counts[entry.index]?.1 ?? 0) + 1) }
    var table = ReportTable(name: "effectiveness", columns: ["stage", "index", "accounts"], rows: [])
    for index in counts.keys.sorted() {
      table.rows.append([.text(counts[index]!.0), .number(Double(index), places: 0), .number(Double(counts[index]!.1), places: 0)])
    }
    section.tables.append(table)
    let moved = staged.compactMap { entry in entry.baselineIndex.map { entry.index - $0 } }
    section.lines.append(
      moved.isEmpty
        ? "Movement since onboarding: no baselines (give stage --history with earlier snapshots)."
        : "Movement since onboarding: \(moved.filter { $0 > 0 }.count) up, \(moved.filter { $0 == 0 }.count) same, \(moved.filter { $0 < 0 }.count) down."
    )
    return section
  }

  func moments() -> ReportSection {
    var section = ReportSection(
      id: "moments", title: "Engagement moments due in the next 7 days",
      definition: "Stage's moments (docs/STAGE.md) due by as-of + 7 days, grouped by owner, overdue first.")
    let staged = accounts.filter { $0.stage != nil }
    guard !staged.isEmpty else {
      section.needs = "engagement moments (stage)"
      return section
    }
    let limit = Timestamps.isoDate((asOfDay + 7) * 86400)
    var rows: [(owner: String, status: String, due: String, account: AccountFacts, type: String, objective: String)] = []
    for account in staged {
      for moment in account.stage!.moments where moment.due <= limit && moment.status != "snoozed" {
        let type = moment.reason == moment.type ? moment.type : "\(moment.type): \(moment.reason)"
        rows.append((moment.owner, moment.status, moment.due, account, type, moment.objective))
      }
    }
    rows.sort { a, b in
      (a.owner, a.status == "overdue" ? 0 : 1, a.due, a.account.key, a.type) < (
        b.owner, b.status == "overdue" ? 0 : 1, b.due, b.account.key, b.type
      )
    }
    var table = ReportTable(
      name: "moments_due", columns: ["owner", "status", "due", "account", "name", "moment", "objective"], rows: [], shown: top)
    for row in rows {
      table.rows.append([
        .text(row.owner), .text(row.status), .text(row.due), .text(row.account.key), .text(row.account.name), .text(row.type),
        .text(row.objective),
      ])
    }
    section.tables.append(table)
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
    for month in months.keys.sorted() {
      for color in Self.colors + ["unscored"] {
        guard let entry = months[month]![color] else { continue }
        table.rows.append([.text(month), .text(color), .number(entry.arr, places: 2), .number(entry.expected, places: 2)])
      }
    }
    section.tables.append(table)
    section.chart = SVGChart.stacked(
      months.keys.sorted().map { month in (month, Self.colors.map { (months[month]![$0]?.arr ?? 0, $0) }) })
    if let history {
      let (known, _) = history.outcomes(current: Dictionary(uniqueKeysWithValues: accounts.map { ($0.key, $0.mrr) }), asOfDay: asOfDay)
      var past = ReportTable(
        name: "renewal_outcomes", caption: "Past months: forecast against outcome",
        columns: ["month", "renewals", "ARR due", "expected ARR", "renewed ARR", "churned ARR"], rows: [])
      var byMonth: [String: [ReportHistory.Outcome]] = [:]
      for outcome in known {
        byMonth[String(Timestamps.isoDate(outcome.prediction.renewalDay * 86400).prefix(7)), default: []].append(outcome)
      }
      for month in byMonth.keys.sorted() {
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
    table.rows = moved.sorted { ($0.change, $1.key) > ($1.change, $0.key) }.map(\.row)
    return table
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

  func programs() -> ReportSection {
    var section = ReportSection(
      id: "programs", title: "Cohort programs",
      definition:
        "Accounts in a program on as-of (stage's programs) against the rest: NRR and GRR from each account's MRR at the first month-end of segment's 13-month series to MRR now (a simple per-account comparison, not segment's retention window). Groups under 10 accounts are too small to read anything into."
    )
    let staged = accounts.filter { $0.stage != nil }
    guard !staged.isEmpty else {
      section.needs = "program memberships (stage)"
      return section
    }
    var table = ReportTable(name: "programs", columns: ["group", "accounts", "start MRR", "end MRR", "NRR", "GRR", "note"], rows: [])
    for (label, members) in [
      ("in a program", staged.filter { !($0.stage?.programs.isEmpty ?? true) }),
      ("the rest", staged.filter { $0.stage?.programs.isEmpty ?? true }),
    ] {
      let cohort = members.filter { ($0.mrrYearAgo ?? 0) > 0 }
      let start = cohort.reduce(0) { $0 + ($1.mrrYearAgo ?? 0) }
      let end = cohort.reduce(0) { $0 + $1.mrr }
      let retained = cohort.reduce(0) { $0 + min($1.mrr, $1.mrrYearAgo ?? 0) }
      table.rows.append([
        .text(label), .number(Double(members.count), places: 0), .number(start, places: 2), .number(end, places: 2),
        start > 0 ? .number(end / start, places: 4) : .empty, start > 0 ? .number(retained / start, places: 4) : .empty,
        .text(cohort.count < 10 ? "too small to read anything into (\(cohort.count) with MRR a year ago)" : ""),
      ])
    }
    section.tables.append(table)
    return section
  }

  static func rank(_ sorted: [Int], _ share: Double) -> Int? {
    guard !sorted.isEmpty else { return nil }
    let rank = Int((share * Double(sorted.count)).rounded(.up))
    return sorted[max(0, min(sorted.count - 1, rank - 1))]
  }
}
