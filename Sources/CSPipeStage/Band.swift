import CSPipeCore

/// Champion, cruiser or laggard, and the playbook that follows (docs/STAGE.md, "Bands"). The
/// band needs both health (score's colour) and milestones, which is why stage decides it.
struct Band {
  enum Name: String, CaseIterable {
    case champion, cruiser, laggard
  }

  let name: Name
  let rule: String
  let evidence: [String]
  let playbook: String
  /// Whose side a laggard's cause is on (`ours`, `shared`, `customer`).
  let cause: String?
  let playbookRule: String
  let playbookEvidence: [String]
  let actions: [String]

  /// Only accounts that pay are banded: a churned or never-paid account has no band.
  static func assign(
    _ record: JSONObject, journey: Journey, milestones: [MilestoneState], valueRatio: Double?, cutoff: Int, asOfMonth: String
  ) -> Band {
    let color = record["health"]?.objectValue?["color"]?.stringValue
    let overdue = milestones.filter { $0.state == .overdue }
    let late = milestones.filter { $0.state == .met && $0.daysLate > 0 }
    var laggardEvidence = overdue.map { "\($0.milestone.name) overdue by \($0.daysLate) days" }
    if let color, journey.laggardColors.contains(color) { laggardEvidence.append("health \(color)") }
    if !laggardEvidence.isEmpty {
      let rule = "an overdue milestone or health \(journey.laggardColors.joined(separator: "/"))"
      // The augmented record lets playbook conditions read what stage found (`stage.overdue_ours`).
      var augmented = record
      augmented["stage"] = .object(
        JSONObject([
          ("overdue", .number(String(overdue.count))),
          ("overdue_ours", .number(String(overdue.filter { $0.milestone.side == "ours" }.count))),
        ]))
      for playbook in journey.playbooks {
        var fired: [String] = []
        for condition in playbook.conditions {
          let value = condition.value(in: augmented, cutoff: cutoff, asOfMonth: asOfMonth)
          if condition.holds(value) { fired.append("\(condition.name) (\(Self.format(value)))") }
        }
        if playbook.conditions.isEmpty || !fired.isEmpty {
          return Band(
            name: .laggard, rule: rule, evidence: laggardEvidence, playbook: playbook.name, cause: playbook.cause,
            playbookRule: playbook.conditions.isEmpty
              ? "no earlier playbook's condition holds"
              : "any of: " + playbook.conditions.map(\.name).joined(separator: "; "),
            playbookEvidence: playbook.conditions.isEmpty ? [] : fired, actions: playbook.actions)
        }
      }
      return Band(
        name: .laggard, rule: rule, evidence: laggardEvidence, playbook: "none", cause: nil,
        playbookRule: "no playbook's condition holds", playbookEvidence: [], actions: [])
    }
    var championEvidence: [String] = []
    var gaps: [String] = []
    if late.isEmpty {
      championEvidence.append("every milestone due so far met on time")
    } else {
      gaps.append(contentsOf: late.map { "\($0.milestone.name) met \($0.daysLate) days late" })
    }
    if let valueRatio, valueRatio >= journey.championValueAtLeast {
      championEvidence.append("value at \(Self.percent(valueRatio)) of target")
    } else {
      gaps.append(valueRatio.map { "value at \(Self.percent($0)) of target" } ?? "no value against a target")
    }
    if let color, journey.championColors.contains(color) {
      championEvidence.append("health \(color)")
    } else {
      gaps.append("health \(color ?? "unscored")")
    }
    if gaps.isEmpty {
      return Band(
        name: .champion,
        rule: "ahead of the milestone baseline, at or above the value target, health \(journey.championColors.joined(separator: "/"))",
        evidence: championEvidence, playbook: "celebrate", cause: nil, playbookRule: "a champion", playbookEvidence: [],
        actions: journey.championActions)
    }
    return Band(
      name: .cruiser, rule: "neither a laggard nor a champion", evidence: gaps, playbook: "connect-and-expand", cause: nil,
      playbookRule: "a cruiser", playbookEvidence: [], actions: journey.cruiserActions)
  }

  static func percent(_ ratio: Double) -> String {
    "\(Int((ratio * 100).rounded()))%"
  }

  static func format(_ value: Double?) -> String {
    guard let value else { return "no data" }
    if value == value.rounded() && abs(value) < 1e15 { return String(Int(value)) }
    return String(Double(Int((value * 10000).rounded())) / 10000)
  }
}
