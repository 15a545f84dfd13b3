import CSPipeCore

/// What placing an account needs that does not change from one account to the next.
struct PlacementContext {
  let journey: Journey
  let cutoff: Int
  let asOfDay: Int
  let asOfMonth: String
  let usageFrom: Int?
  let recordNames: Set<String>
  let metrics: Set<String>
  let snoozes: Snoozes
  let history: EffectivenessHistory?

  /// The day the journey starts: the contract's start, else the account list's creation.
  static func startDay(_ record: JSONObject) -> Int? {
    RecordValues.day(record["contract_start"]?.stringValue)
  }

  func place(_ record: JSONObject, key: String) -> Placement {
    let startDay = Self.startDay(record)
    let milestones =
      startDay.map {
        MilestoneCheck(journey: journey, asOfDay: asOfDay, usageFrom: usageFrom, recordNames: recordNames, metrics: metrics).check(
          record, startDay: $0)
      } ?? []
    let renewal = Phase.nextRenewal(record, asOfDay: asOfDay, termMonths: journey.termMonths)
    let phase = Phase.place(
      record, journey: journey, asOfDay: asOfDay, startDay: startDay, milestones: milestones, renewalDay: renewal?.day)
    let timeToValue = milestones.first { $0.milestone.firstValue }.flatMap { state in
      state.metDay.map { $0 - (state.dueDay - state.baselineDay) }
    }
    var value: (String, Double, Double, Double)?
    if let metric = journey.valueMetric, let target = RecordValues.number(record["target_value"]), target > 0 {
      let last30 = RecordValues.number(record["usage"]?.objectValue?["last_30_days"]?.objectValue?[metric]) ?? 0
      value = (metric, last30, target, last30 / target)
    }
    // The effectiveness baseline: the stage in the first snapshot taken after onboarding ended.
    var baseline: (Int, String?, String)?
    if let history, let startDay, phase.name != .onboarding {
      let onboardingMet = milestones.filter { $0.milestone.onboarding }
      let metDays = onboardingMet.compactMap { $0.metDay ?? $0.metBy }
      var end = startDay + journey.onboardingDays
      if !onboardingMet.isEmpty && metDays.count == onboardingMet.count { end = min(end, max(startDay, metDays.max()!)) }
      baseline = history.first(for: key, onOrAfter: end)
    }
    let effectiveness = Effectiveness.assess(
      record, journey: journey, cutoff: cutoff, asOfMonth: asOfMonth, baseline: baseline)
    let planner = MomentPlanner(journey: journey, asOfDay: asOfDay, cutoff: cutoff, asOfMonth: asOfMonth, snoozes: snoozes)
    let plan = planner.plan(
      record, account: key, phase: phase, startDay: startDay, renewalDay: renewal?.day, milestones: milestones)
    let paying = phase.name != .churned && phase.name != .neverPaid
    let band =
      paying
      ? Band.assign(record, journey: journey, milestones: milestones, valueRatio: value?.3, cutoff: cutoff, asOfMonth: asOfMonth)
      : nil
    return Placement(
      phase: phase, asOfDay: asOfDay, renewal: renewal, milestones: milestones, timeToValue: timeToValue,
      effectiveness: effectiveness, value: value, programs: Self.currentPrograms(record, asOfDay: asOfDay), plan: plan, band: band,
      peerSegmentValue: journey.peerSegment.flatMap { record["segments"]?.objectValue?[$0]?.stringValue },
      score: RecordValues.number(record["health"]?.objectValue?["score"]))
  }

  /// Programs the account is in on as-of: joined by then, not graduated by then.
  static func currentPrograms(_ record: JSONObject, asOfDay: Int) -> [String] {
    guard case .array(let programs)? = record["programs"] else { return [] }
    var names = Set<String>()
    for program in programs {
      guard let object = program.objectValue, let name = object["name"]?.stringValue else { continue }
      if let joined = RecordValues.day(object["joined_at"]?.stringValue), joined > asOfDay { continue }
      if let graduated = RecordValues.day(object["graduated_at"]?.stringValue), graduated <= asOfDay { continue }
      names.insert(name)
    }
    return names.sortedAsText()
  }
}

extension Stage.PlacedAccount {
  init(_ placement: Placement, record: JSONObject, journey: Journey) {
    phase = placement.phase.name
    band = placement.band?.name
    touch = record["touch"]?.stringValue ?? "tech"
    tier = record["tier"]?.stringValue ?? "unranked"
    segmentValue = placement.peerSegmentValue
    score = placement.score
    nextStage = placement.effectiveness?.next
    overdue = placement.milestones.filter { $0.state == .overdue }.map(\.milestone.name)
    milestones = placement.milestones.map { state in
      (
        state.milestone.name, state.state, state.metDay.map { $0 - (state.dueDay - state.baselineDay) },
        state.state == .met && state.daysLate == 0
      )
    }
    var counts: [Moment.Status: Int] = [:]
    for moment in placement.plan.moments { counts[moment.status, default: 0] += 1 }
    moments = counts
    expired = placement.plan.expired
    capped = placement.plan.capped
    inPrograms = placement.programs
    playbook = placement.band?.playbook
  }
}

/// Earlier stage outputs (`--history DIR`): each account's effectiveness stage by snapshot day.
struct EffectivenessHistory {
  var byAccount: [String: [(day: Int, index: Int, name: String?, asOf: String)]] = [:]

  static func load(folder: String, beforeDay: Int) throws -> EffectivenessHistory {
    var history = EffectivenessHistory()
    _ = try SnapshotFolder.forEachAccount(in: folder, throughDay: beforeDay - 1) { record, key, day in
      guard let effectiveness = record["stage"]?.objectValue?["effectiveness"]?.objectValue,
        let index = effectiveness["index"]?.intValue
      else { return }
      history.byAccount[key, default: []].append(
        (day, index, effectiveness["stage"]?.stringValue, record["as_of"]?.stringValue ?? ""))
    }
    for key in history.byAccount.keys { history.byAccount[key]!.sort { ($0.day, $0.index) < ($1.day, $1.index) } }
    return history
  }

  func first(for key: String, onOrAfter day: Int) -> (Int, String?, String)? {
    guard let entry = byAccount[key]?.first(where: { $0.day >= day }) else { return nil }
    return (entry.index, entry.name, entry.asOf)
  }
}
