import CSPipeCore

/// Journey sections, from stage: bands and playbooks, the onboarding funnel, effectiveness, moments, programs.
extension ReportSections {
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
      for account in staged.filter({ $0.stage?.playbook == playbook }).sorted(by: {
        ($0.mrr, TextOrder.Key($1.key)) > ($1.mrr, TextOrder.Key($0.key))
      }) {
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
        .number(share, places: 4), RecordValues.nearestRank(gaps, 0.5).map { .number(Double($0), places: 0) } ?? .empty,
        RecordValues.nearestRank(gaps, 0.9).map { .number(Double($0), places: 0) } ?? .empty,
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
      "Time to value: median \(RecordValues.nearestRank(ttv, 0.5).map(String.init) ?? "—") days, 90th percentile \(RecordValues.nearestRank(ttv, 0.9).map(String.init) ?? "—") days (\(ttv.count) of \(staged.count) accounts with a known day)."
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
      (TextOrder.Key(a.owner), a.status == "overdue" ? 0 : 1, a.due, TextOrder.Key(a.account.key), TextOrder.Key(a.type)) < (
        TextOrder.Key(b.owner), b.status == "overdue" ? 0 : 1, b.due, TextOrder.Key(b.account.key), TextOrder.Key(b.type)
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
}
