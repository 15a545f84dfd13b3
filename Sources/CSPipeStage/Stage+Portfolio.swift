import CSPipeCore

extension Stage {
  /// The first line: the input's portfolio line (or a bare one) with a `stage` object: the
  /// journey, phase, band, playbook and moment counts, and the baseline check, per milestone
  /// the day accounts really met it against the baseline day ("run it in silent mode first").
  func writePortfolioLine(asOfDay: Int, usageFrom: Int?, cohorts: CohortProposals) throws {
    let journey = options.journey
    let line = intake.portfolioLine(without: "stage")
    var writer = JSONWriter()
    writer.value(.object(line))
    var out = ByteBuffer(capacity: writer.bytes.count + 4096)
    out.append(UnsafeBufferPointer(rebasing: writer.bytes.dropLast()))
    if !line.entries.isEmpty { out.append(ASCII.comma) }
    out.append(ascii: #""stage":"#)
    var stage = JSONWriter()
    stage.openObject()
    stage.member("journey", string: journey.name)
    stage.member("version", string: journey.version)
    stage.member("accounts", int: placed.count)
    stage.key("usage_from")
    if let usageFrom { stage.string(Timestamps.isoDate(usageFrom * 86400)) } else { stage.null() }
    func counts(_ name: String, _ labels: [String], _ value: (PlacedAccount) -> String?) {
      var table: [String: Int] = [:]
      for account in placed.values { if let label = value(account) { table[label, default: 0] += 1 } }
      stage.object(name) { out in for label in labels { out.member(label, int: table[label] ?? 0) } }
    }
    counts("phases", Phase.Name.allCases.map(\.rawValue)) { $0.phase.rawValue }
    counts("bands", Band.Name.allCases.map(\.rawValue) + ["unbanded"]) { $0.band?.rawValue ?? "unbanded" }
    counts("playbooks", ["celebrate", "connect-and-expand"] + journey.playbooks.map(\.name) + ["none"]) { $0.playbook }
    stage.object("moments") { out in
      for status in Moment.Status.allCases {
        out.member(status.rawValue, int: placed.values.reduce(0) { $0 + ($1.moments[status] ?? 0) })
      }
      out.member("expired", int: placed.values.reduce(0) { $0 + $1.expired })
      out.member("capped", int: placed.values.reduce(0) { $0 + $1.capped })
    }
    stage.array("baseline_check") { out in
      for (index, milestone) in journey.milestones.enumerated() {
        var states: [MilestoneState.State: Int] = [:]
        var days: [Int] = []
        var onTime = 0
        for account in placed.values where index < account.milestones.count {
          let entry = account.milestones[index]
          states[entry.state, default: 0] += 1
          if let day = entry.day { days.append(day) }
          if entry.onTime { onTime += 1 }
        }
        days.sort()
        out.openObject()
        out.member("milestone", string: milestone.name)
        out.member("baseline_day", int: milestone.day)
        out.member("accounts", int: states.values.reduce(0, +))
        for state in [MilestoneState.State.met, .due, .overdue, .unknown] { out.member(state.rawValue, int: states[state] ?? 0) }
        out.member("met_on_time", int: onTime)
        out.member("met_with_day", int: days.count)
        out.key("median_day")
        if let median = RecordValues.nearestRank(days, 0.5) { out.int(median) } else { out.null() }
        out.key("p90_day")
        if let p90 = RecordValues.nearestRank(days, 0.9) { out.int(p90) } else { out.null() }
        out.closeObject()
      }
    }
    if options.cohortsSink != nil {
      stage.object("cohorts") { out in
        out.member("proposed", int: cohorts.cohorts.count)
        out.member("accounts", int: cohorts.cohorts.reduce(0) { $0 + $1.accounts.count })
        out.member("in_groups_too_small", int: cohorts.tooSmall)
      }
    }
    stage.closeObject()
    out.append(stage.bytes)
    out.append(ASCII.closeBrace)
    out.append(ASCII.lineFeed)
    try output.write { $0.append(out.bytes) }
  }
}
