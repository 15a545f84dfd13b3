import CSPipeCore

/// Everything stage decides about one account, and the `stage` object it writes
/// (docs/STAGE.md, "Output", in that order; `AccountRecordSchema.stage` declares it).
struct Placement {
  let phase: Phase
  let asOfDay: Int
  let renewal: (day: Int, rolled: Bool)?
  let milestones: [MilestoneState]
  let timeToValue: Int?
  let effectiveness: Effectiveness?
  let value: (metric: String, last30: Double, target: Double, ratio: Double)?
  let programs: [String]
  let plan: MomentPlanner.Plan
  /// Nil for an account that does not pay (churned, never paid).
  let band: Band?
  /// The segment value a cruiser's champion peer must share, and the account's health score.
  let peerSegmentValue: String?
  let score: Double?

  static func date(_ day: Int) -> String { Timestamps.isoDate(day * 86400) }

  /// The `stage` object up to its playbook's `actions`; `finish` closes it (a cruiser's peer is
  /// known only once every account is placed).
  func write(to out: inout JSONWriter) {
    out.openObject()
    out.member("phase", string: phase.name.rawValue)
    out.key("phase_since")
    if let since = phase.since { out.string(Self.date(since)) } else { out.null() }
    out.key("days_in_phase")
    if let since = phase.since { out.int(max(0, asOfDay - since)) } else { out.null() }
    out.member("phase_rule", string: phase.rule)
    out.key("renewal")
    if let renewal {
      out.openObject()
      out.member("at", string: Self.date(renewal.day))
      out.member("in_days", int: renewal.day - asOfDay)
      out.member("rolled", .bool(renewal.rolled))
      out.closeObject()
    } else {
      out.null()
    }
    out.array("milestones") { out in
      for state in milestones {
        out.openObject()
        out.member("name", string: state.milestone.name)
        out.member("side", string: state.milestone.side)
        out.member("baseline_day", int: state.baselineDay)
        if let baseline = state.baseline { out.member("baseline", string: baseline) }
        out.member("due", string: Self.date(state.dueDay))
        out.member("state", string: state.state.rawValue)
        if let met = state.metDay {
          out.member("at", string: Self.date(met))
          out.member("day", int: met - (state.dueDay - state.baselineDay))
        }
        if let by = state.metBy { out.member("met_by", string: Self.date(by)) }
        if state.state == .met || state.state == .overdue { out.member("days_late", int: state.daysLate) }
        if state.state == .due { out.member("days_left", int: state.dueDay - asOfDay) }
        if let missing = state.missing { out.member("missing", string: missing) }
        out.closeObject()
      }
    }
    out.key("time_to_value_days")
    if let timeToValue { out.int(timeToValue) } else { out.null() }
    out.array("risks") { out in
      for state in milestones where state.state == .overdue {
        out.openObject()
        out.member("code", string: "\(state.milestone.name)_overdue")
        out.member("text", string: "\(state.milestone.name) overdue by \(state.daysLate) days (due \(Self.date(state.dueDay)))")
        out.closeObject()
      }
    }
    out.key("effectiveness")
    if let effectiveness {
      out.openObject()
      out.key("stage")
      if let name = effectiveness.name { out.string(name) } else { out.null() }
      out.member("index", int: effectiveness.index)
      out.key("next")
      if let next = effectiveness.next { out.string(next) } else { out.null() }
      out.array("lacking") { out in for behaviour in effectiveness.lacking { out.string(behaviour) } }
      out.key("baseline")
      if let baseline = effectiveness.baseline {
        out.openObject()
        out.key("stage")
        if let name = baseline.name { out.string(name) } else { out.null() }
        out.member("index", int: baseline.index)
        out.member("as_of", string: baseline.asOf)
        out.member("change", int: effectiveness.index - baseline.index)
        out.closeObject()
      } else {
        out.null()
      }
      out.closeObject()
    } else {
      out.null()
    }
    out.key("value")
    if let value {
      out.openObject()
      out.member("metric", string: value.metric)
      out.member("last_30_days", fixed: value.last30, places: 4)
      out.member("target", fixed: value.target, places: 4)
      out.member("ratio", fixed: value.ratio, places: 4)
      out.closeObject()
    } else {
      out.null()
    }
    out.array("programs") { out in for program in programs { out.string(program) } }
    out.array("moments") { out in
      for moment in plan.moments {
        out.openObject()
        out.member("key", string: moment.key)
        out.member("type", string: moment.rule.type)
        out.member("kind", string: moment.rule.kind)
        out.member("reason", string: moment.reason)
        out.member("trigger", string: moment.trigger)
        out.member("due", string: Self.date(moment.dueDay))
        out.member("status", string: moment.status.rawValue)
        if let until = moment.snoozedUntil { out.member("snoozed_until", string: Self.date(until)) }
        out.member("owner", string: moment.owner)
        out.member("channel", string: moment.channel)
        out.member("objective", string: moment.rule.objective)
        out.closeObject()
      }
    }
    out.member("moments_expired", int: plan.expired)
    out.member("moments_capped", int: plan.capped)
    out.key("band")
    guard let band else {
      out.null()
      out.member("band_rule", string: "only paying accounts are banded (\(phase.name.rawValue))")
      out.member("playbook", .null)
      out.closeObject()
      return
    }
    out.string(band.name.rawValue)
    out.member("band_rule", string: band.rule)
    out.array("band_evidence") { out in for line in band.evidence { out.string(line) } }
    out.key("playbook")
    out.openObject()
    out.member("name", string: band.playbook)
    out.key("cause")
    if let cause = band.cause { out.string(cause) } else { out.null() }
    out.member("rule", string: band.playbookRule)
    out.array("evidence") { out in for line in band.playbookEvidence { out.string(line) } }
    out.array("actions") { out in for action in band.actions { out.string(action) } }
  }

  /// Whether `write` left the playbook open for `finish`.
  var isOpen: Bool { band != nil }

  /// Closes what `write` left open: a cruiser's playbook gets its champion peer (null when
  /// the portfolio has no champion).
  static func finish(peer: (key: String, basis: String)??, to out: inout ByteBuffer) {
    if let peer {
      var writer = JSONWriter()
      writer.openObject()
      writer.key("peer")
      if let peer { writer.string(peer.key) } else { writer.null() }
      writer.key("peer_basis")
      if let peer { writer.string(peer.basis) } else { writer.null() }
      writer.closeObject()
      out.append(ASCII.comma)
      out.append(UnsafeBufferPointer(rebasing: writer.bytes.dropFirst().dropLast()))
    }
    out.append(ascii: "}}")
  }
}
