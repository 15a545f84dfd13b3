import CSPipeCore

/// Where an account is in its lifecycle as of the run (docs/STAGE.md, "Phases"), tried in this
/// order: churned (no MRR now, had MRR), never-paid (no MRR ever: a trial that did not
/// convert), onboarding (inside the onboarding window with an onboarding milestone unmet),
/// renewal (inside the window before the next renewal), ongoing.
struct Phase {
  enum Name: String, CaseIterable {
    case churned
    case neverPaid = "never-paid"
    case onboarding, renewal, ongoing
  }

  let name: Name
  let since: Int?
  let rule: String

  /// The next renewal on or after as-of: `renewal_at` moved by whole terms (`rolled`) when it is
  /// not the next one. Forward when the CRM's date has passed (CRMs keep stale dates); back
  /// when a run is backdated and the export's date is a later term's (an export taken today
  /// names next year's renewal, while as of last spring the next one was this year's), but
  /// never to before the contract started.
  static func nextRenewal(_ record: JSONObject, asOfDay: Int, termMonths: Int) -> (day: Int, rolled: Bool)? {
    guard let text = record["renewal_at"]?.stringValue, let given = RecordValues.day(text) else { return nil }
    let start = RecordValues.day(record["contract_start"]?.stringValue)
    var terms = 0
    var day = given
    // At most a century of terms: a date from a typo (year 1026) is not looped over forever.
    while day < asOfDay && terms < 1200 / termMonths {
      terms += 1
      day = MilestoneCheck.day(given, plusMonths: terms * termMonths)
    }
    while terms > -1200 / termMonths {
      let earlier = MilestoneCheck.day(given, plusMonths: (terms - 1) * termMonths)
      guard earlier >= asOfDay, start.map({ earlier > $0 }) ?? false else { break }
      terms -= 1
      day = earlier
    }
    return (day, terms != 0)
  }

  static func place(
    _ record: JSONObject, journey: Journey, asOfDay: Int, startDay: Int?, milestones: [MilestoneState], renewalDay: Int?
  ) -> Phase {
    let mrr = RecordValues.number(record["mrr"]) ?? 0
    var hadMrr = false
    var churnMonth: String?
    if case .array(let series)? = record["mrr_series"] {
      hadMrr = series.contains { (RecordValues.number($0.objectValue?["mrr"]) ?? 0) > 0 }
    }
    if case .array(let movements)? = record["movements"] {
      for movement in movements {
        guard let object = movement.objectValue, let type = object["type"]?.stringValue else { continue }
        if type != "fx" { hadMrr = true }
        if type == "churn" { churnMonth = object["month"]?.stringValue }
      }
    }
    if mrr <= 0 {
      if hadMrr {
        return Phase(
          name: .churned, since: churnMonth.flatMap(MilestoneCheck.month)?.first,
          rule: "no MRR at as-of after MRR before" + (churnMonth.map { " (churned in \($0))" } ?? ""))
      }
      return Phase(
        name: .neverPaid, since: startDay, rule: "no MRR at as-of and none at any month-end before (a trial that did not convert)")
    }
    let onboardingMilestones = milestones.filter { $0.milestone.onboarding }
    if let startDay, asOfDay >= startDay, asOfDay - startDay < journey.onboardingDays {
      let unmet = onboardingMilestones.filter { $0.state != .met }.map(\.milestone.name)
      if !unmet.isEmpty || onboardingMilestones.isEmpty {
        return Phase(
          name: .onboarding, since: startDay,
          rule: "contract started \(asOfDay - startDay) days ago, inside the \(journey.onboardingDays)-day onboarding window"
            + (unmet.isEmpty ? "" : ", \(unmet.joined(separator: ", ")) not yet met"))
      }
    }
    if let renewalDay, renewalDay - asOfDay <= journey.renewalWindowDays {
      return Phase(
        name: .renewal, since: renewalDay - journey.renewalWindowDays,
        rule: "renewal in \(renewalDay - asOfDay) days, inside the \(journey.renewalWindowDays)-day renewal window")
    }
    // Ongoing since onboarding ended: its milestones all met, or the window closed.
    var since: Int?
    if let startDay {
      let metDays = onboardingMilestones.compactMap { $0.metDay ?? $0.metBy }
      let allMet = !onboardingMilestones.isEmpty && metDays.count == onboardingMilestones.count
      since = min(startDay + journey.onboardingDays, allMet ? max(startDay, metDays.max()!) : startDay + journey.onboardingDays)
    }
    return Phase(name: .ongoing, since: since, rule: "paying, past onboarding, outside the renewal window")
  }
}
