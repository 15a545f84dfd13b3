import CSPipeCore

/// An engagement moment: something the CS team (or an automation) should do for an account,
/// with a key that stays the same for the same occasion however often stage runs, so a
/// downstream task list never holds it twice (docs/STAGE.md, "Moments").
struct Moment {
  enum Status: String, CaseIterable {
    case overdue, due, upcoming, snoozed
  }

  let key: String
  let rule: MomentRule
  let ruleIndex: Int
  let reason: String
  let trigger: String
  let dueDay: Int
  let owner: String
  let channel: String
  let status: Status
  let snoozedUntil: Int?
}

/// What `--snoozes FILE` holds: moments a CSM put off, by key or by account and type.
public struct Snoozes: Sendable {
  var byKey: [String: (at: Int?, until: Int?)] = [:]
  var byType: [String: (at: Int?, until: Int?)] = [:]

  public init() {}

  /// One snooze per line: `{"key": …, "until": "2026-12-01"}` or `{"account": …, "type": …,
  /// "at": "2026-11-20"}` (until: at + the type's snoozeDays). A snooze made after as-of is
  /// ignored (it was not known then).
  public static func load(path: String) throws -> Snoozes {
    var snoozes = Snoozes()
    var number = 0
    try LineReader(source: try ByteSource(path: path)).forEachLine { line, _, _ in
      number += 1
      guard line.contains(where: { $0 != ASCII.space && $0 != ASCII.tab && $0 != ASCII.carriageReturn }) else { return }
      guard let object = (try? JSONParser.parse(line))?.objectValue else {
        throw ConfigError(file: path, message: "line \(number): expected a JSON object").asRole("snoozes")
      }
      let at = RecordValues.day(object["at"]?.stringValue)
      let until = RecordValues.day(object["until"]?.stringValue)
      guard at != nil || until != nil else {
        throw ConfigError(file: path, message: "line \(number): a snooze needs until or at (a date)").asRole("snoozes")
      }
      if let key = object["key"]?.stringValue {
        snoozes.byKey[key] = (at, until)
      } else if let account = object["account"]?.stringValue, let type = object["type"]?.stringValue {
        snoozes.byType[account + "\u{0}" + type] = (at, until)
      } else {
        throw ConfigError(file: path, message: "line \(number): a snooze needs key, or account and type").asRole("snoozes")
      }
    }
    return snoozes
  }

  /// The last day the moment stays snoozed, when a snooze made by as-of holds it on as-of.
  func until(key: String, account: String, rule: MomentRule, asOfDay: Int) -> Int? {
    guard let snooze = byKey[key] ?? byType[account + "\u{0}" + rule.type], (snooze.at ?? asOfDay) <= asOfDay else { return nil }
    guard let until = snooze.until ?? snooze.at.map({ $0 + rule.snoozeDays }), until >= asOfDay else { return nil }
    return until
  }
}

/// The moments due for one account as of the run: listed from `expiryDays` before as-of to
/// `horizonDays` after, at most `maxMomentsPerAccount`.
struct MomentPlanner {
  let journey: Journey
  let asOfDay: Int
  let cutoff: Int
  let asOfMonth: String
  let snoozes: Snoozes

  struct Plan {
    var moments: [Moment] = []
    var expired = 0
    var capped = 0
  }

  /// A condition that began on `start` and still holds is raised again every `capDays`: the
  /// latest such day on or before as-of (so its key is stable inside each period).
  func reraised(from start: Int, every capDays: Int) -> Int {
    start + (asOfDay - start) / capDays * capDays
  }

  func plan(
    _ record: JSONObject, account: String, phase: Phase, startDay: Int?, renewalDay: Int?, milestones: [MilestoneState]
  ) -> Plan {
    var plan = Plan()
    guard phase.name != .churned && phase.name != .neverPaid else { return plan }
    let touch = record["touch"]?.stringValue ?? "tech"
    let ownerRole = journey.owners[touch] ?? "automated"
    let owner = ownerRole == "csm" ? (record["owner"]?.stringValue ?? "unassigned") : ownerRole
    let channel = journey.channels[touch] ?? "email"
    var found: [Moment] = []
    func add(_ rule: MomentRule, _ index: Int, reason: String, period: String, trigger: String, due: Int) {
      if asOfDay - due > rule.expiryDays {
        plan.expired += 1
        return
      }
      guard due - asOfDay <= journey.horizonDays else { return }
      let key = [account, rule.type, reason, period].joined(separator: "|")
      let snoozedUntil = snoozes.until(key: key, account: account, rule: rule, asOfDay: asOfDay)
      let status: Moment.Status =
        snoozedUntil != nil ? .snoozed : due < asOfDay ? .overdue : due - asOfDay <= 7 ? .due : .upcoming
      found.append(
        Moment(
          key: key, rule: rule, ruleIndex: index, reason: reason, trigger: trigger, dueDay: due, owner: owner, channel: channel,
          status: status, snoozedUntil: snoozedUntil))
    }
    for (index, rule) in journey.moments.enumerated() {
      if let when = rule.when, !when.holds(when.value(in: record, cutoff: cutoff, asOfMonth: asOfMonth)) { continue }
      let reason = rule.reason ?? rule.type
      switch rule.trigger {
      case .everyMonths(let table):
        guard let months = table[touch], let startDay else { continue }
        // Start a little before the first occurrence that can still be listed, not at the first.
        let elapsed = max(0, (asOfDay - rule.expiryDays - startDay) / 31 - 1)
        var occurrence = max(1, elapsed / months)
        while occurrence * months <= 1200 {
          let due = MilestoneCheck.day(startDay, plusMonths: occurrence * months)
          if due - asOfDay > journey.horizonDays { break }
          if asOfDay - due <= rule.expiryDays {
            add(
              rule, index, reason: reason, period: Timestamps.isoDate(due * 86400),
              trigger: "every \(months) months from contract start (\(touch) touch)", due: due)
          }
          occurrence += 1
        }
      case .beforeRenewal(let offsets):
        guard let renewalDay else { continue }
        for offset in offsets {
          add(
            rule, index, reason: "\(reason)-\(offset)", period: Timestamps.isoDate(renewalDay * 86400),
            trigger: "\(offset) days before the renewal on \(Timestamps.isoDate(renewalDay * 86400))", due: renewalDay - offset)
        }
      case .afterStart(let offsets):
        guard phase.name == .onboarding, let startDay else { continue }
        for offset in offsets {
          add(
            rule, index, reason: "day-\(offset)", period: Timestamps.isoDate(startDay * 86400),
            trigger: "day \(offset) of onboarding", due: startDay + offset)
        }
      case .at(let path, let within):
        guard let day = RecordValues.day(path.first(in: record)?.stringValue), day <= asOfDay, asOfDay - day <= within else {
          continue
        }
        add(
          rule, index, reason: reason, period: Timestamps.isoDate(day * 86400),
          trigger: "\(path.text) on \(Timestamps.isoDate(day * 86400))", due: day)
      case .silence(let days, let paths):
        let latest = RecordValues.latestInstant(paths, in: record, before: cutoff).map { $0 / 86400 } ?? startDay
        guard let latest, asOfDay - latest >= days else { continue }
        let due = reraised(from: latest + days, every: rule.capDays)
        add(
          rule, index, reason: reason, period: Timestamps.isoDate(due * 86400),
          trigger: "no activity (\(paths.map(\.text).joined(separator: ", "))) since \(Timestamps.isoDate(latest * 86400))",
          due: due)
      case .milestoneOverdue:
        for milestone in milestones where milestone.state == .overdue {
          let due = reraised(from: milestone.dueDay + 1, every: rule.capDays)
          add(
            rule, index, reason: milestone.milestone.name, period: Timestamps.isoDate(due * 86400),
            trigger: "\(milestone.milestone.name) overdue by \(milestone.daysLate) days", due: due)
        }
      case .condition:
        // No date of its own: raised once per capDays period (periods counted from 1970-01-01).
        let period = asOfDay - ((asOfDay % rule.capDays) + rule.capDays) % rule.capDays
        let value = rule.when.map { Band.format($0.value(in: record, cutoff: cutoff, asOfMonth: asOfMonth)) } ?? ""
        let name = rule.when.map(\.name).flatMap { $0.isEmpty ? nil : $0 } ?? rule.type.replacingOccurrences(of: "_", with: " ")
        add(rule, index, reason: reason, period: Timestamps.isoDate(period * 86400), trigger: "\(name) (\(value))", due: asOfDay)
      }
    }
    let rank = Dictionary(uniqueKeysWithValues: Moment.Status.allCases.enumerated().map { ($1, $0) })
    found.sort { a, b in
      (rank[a.status]!, a.dueDay, a.ruleIndex, TextOrder.Key(a.key)) < (rank[b.status]!, b.dueDay, b.ruleIndex, TextOrder.Key(b.key))
    }
    plan.capped = max(0, found.count - journey.maxMomentsPerAccount)
    plan.moments = Array(found.prefix(journey.maxMomentsPerAccount))
    return plan
  }
}
