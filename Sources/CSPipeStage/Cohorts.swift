import CSPipeCore

/// A cruiser's champion to learn from: a champion with the same `peerSegment` value (the same
/// industry, by default), else of the same tier, else any; the healthiest first, ties by key.
struct ChampionPeers {
  private var bySegment: [String: String] = [:]
  private var byTier: [String: String] = [:]
  private var overall: String?

  init(_ placed: [String: Stage.PlacedAccount]) {
    let champions = placed.filter { $0.value.band == .champion }.sorted { a, b in
      (a.value.score ?? -1, TextOrder.Key(b.key)) > (b.value.score ?? -1, TextOrder.Key(a.key))
    }
    for (key, account) in champions {
      if let segment = account.segmentValue, bySegment[segment] == nil { bySegment[segment] = key }
      if byTier[account.tier] == nil { byTier[account.tier] = key }
      if overall == nil { overall = key }
    }
  }

  /// The peer and what it shares with the account.
  func peer(for account: Stage.PlacedAccount, segmentName: String?) -> (key: String, basis: String)? {
    if let segment = account.segmentValue, let key = bySegment[segment] { return (key, "same \(segmentName ?? "segment") (\(segment))") }
    if let key = byTier[account.tier] { return (key, "same tier (\(account.tier))") }
    return overall.map { ($0, "no champion in the same \(segmentName ?? "segment") or tier") }
  }
}

/// Program cohorts `stage --cohorts FILE` proposes (docs/STAGE.md, "Cohorts"): paying accounts
/// that share a goal (the milestone they are late on, else the next effectiveness stage) and a
/// touch model, in groups of the journey's minimum to maximum size; groups too small are counted.
struct CohortProposals {
  struct Cohort {
    let goal: String
    let touch: String
    let number: Int
    let accounts: [String]
    let participants: [String]
  }

  var cohorts: [Cohort] = []
  var tooSmall = 0

  init(_ placed: [String: Stage.PlacedAccount], journey: Journey) {
    var groups: [String: [String]] = [:]
    for (key, account) in placed where account.band != nil {
      let goal = account.overdue.first.map { "milestone:\($0)" } ?? account.nextStage.map { "stage:\($0)" }
      guard let goal else { continue }
      groups[goal + "\u{0}" + account.touch, default: []].append(key)
    }
    for group in groups.keys.sortedAsText() {
      let members = groups[group]!.sortedAsText()
      let parts = group.split(separator: "\u{0}", omittingEmptySubsequences: false).map(String.init)
      guard members.count >= journey.cohortMinimum else {
        tooSmall += members.count
        continue
      }
      // Balanced splits: 16 accounts with a maximum of 15 are two cohorts of 8.
      let count = (members.count + journey.cohortMaximum - 1) / journey.cohortMaximum
      var start = 0
      for number in 0..<count {
        let size = members.count / count + (number < members.count % count ? 1 : 0)
        let slice = Array(members[start..<(start + size)])
        start += size
        cohorts.append(
          Cohort(
            goal: parts[0], touch: parts[1], number: number + 1, accounts: slice,
            participants: slice.filter { !(placed[$0]?.inPrograms.isEmpty ?? true) }))
      }
    }
  }

  func write(to sink: OutputSink, asOf: String) throws {
    try sink.write { out in
      for cohort in cohorts {
        var writer = JSONWriter()
        writer.openObject()
        writer.member("kind", string: "cohort")
        writer.member("as_of", string: asOf)
        writer.member("cohort", string: "\(cohort.goal)/\(cohort.touch)/\(cohort.number)")
        writer.member("goal", string: cohort.goal)
        writer.member("touch", string: cohort.touch)
        writer.member("size", int: cohort.accounts.count)
        writer.array("accounts") { out in for account in cohort.accounts { out.string(account) } }
        writer.array("participants") { out in for account in cohort.participants { out.string(account) } }
        writer.closeObject()
        out.append(writer.bytes)
        out.append(ASCII.lineFeed)
      }
    }
  }
}
