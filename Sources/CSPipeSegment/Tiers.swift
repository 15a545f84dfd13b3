import CSPipeCore
import Foundation

/// Pareto revenue tiers (docs/SEGMENT.md, "Tiers"): rank accounts with MRR > 0 by MRR, highest first, ties
/// by account key; then cut the ranking by the configured rule.
enum Tiers {
  struct Placement: Equatable {
    let rank: Int
    /// This account's MRR plus all ranked before it (minor units; ÷ total MRR is the
    /// cumulative share); -1 when unknown (cut points given from elsewhere).
    let cumulative: Int
    let tier: String
  }

  struct Ranking {
    /// Per position in the account table: the index of its placement, or -1 (not ranked).
    var slots: [Int32] = []
    var placed: [Placement] = []
    /// Total MRR in minor units of the base currency.
    var total = 0
    /// Per tier: accounts, MRR, their shares, and the MRR floor (the smallest MRR in the tier).
    var cutPoints: JSONValue = .null

    func placement(_ position: Int) -> Placement? {
      guard position < slots.count, slots[position] >= 0 else { return nil }
      return placed[Int(slots[position])]
    }
  }

  static func ceiling(_ value: Decimal) -> Int {
    var copy = value
    var rounded = Decimal()
    NSDecimalRound(&rounded, &copy, 0, .up)
    return NSDecimalNumber(decimal: rounded).intValue
  }

  /// `candidates`: the accounts to rank, by position in key order (`positions` of them in
  /// all), with MRR in minor units of the base currency (`digits` decimals); those with none
  /// are unranked.
  static func rank(
    candidates: [(position: Int, value: Int)], positions: Int, config: SegmentConfig, digits: Int
  ) -> Ranking {
    let money = { (minor: Int) in Segment.money(minor: minor, digits: digits) }
    let floors = config.mrrFloor.map { SubscriptionFact.minorUnits($0, currency: config.baseCurrency) }
    // Ties by account key: positions are in key order.
    let ranked = candidates.filter { $0.value > 0 }.sorted {
      $0.value != $1.value ? $0.value > $1.value : $0.position < $1.position
    }
    var ranking = Ranking()
    ranking.slots = Array(repeating: -1, count: positions)
    let total = ranked.reduce(0) { $0 + $1.value }
    ranking.total = total
    let count = ranked.count
    // Cut points by rank, computed once (not per account: Decimal arithmetic is slow).
    let shareCuts = (ceiling(config.customerShare[0] * Decimal(count)), ceiling(config.customerShare[1] * Decimal(count)))
    let capacityFirst = (config.capacity["tier1"]?.csms ?? 0) * (config.capacity["tier1"]?.accountsPerCsm ?? 0)
    let capacityCuts = (
      capacityFirst, capacityFirst + (config.capacity["tier2"]?.csms ?? 0) * (config.capacity["tier2"]?.accountsPerCsm ?? 0)
    )
    var cumulative = 0
    var tiersByRank: [String] = []
    tiersByRank.reserveCapacity(count)
    ranking.placed.reserveCapacity(count)
    var tierOneDone = false
    var tierTwoDone = false
    for (index, entry) in ranked.enumerated() {
      let rank = index + 1
      cumulative += entry.value
      // cumulative ÷ total ≥ cut, without dividing.
      func reaches(_ cut: Decimal) -> Bool { total > 0 && Decimal(cumulative) >= cut * Decimal(total) }
      let tier: String
      switch config.tierRule {
      case .customerShare:
        tier = rank <= shareCuts.0 ? "tier1" : rank <= shareCuts.1 ? "tier2" : "tier3"
      case .revenueShare:
        // The smallest top set reaching the share: the account that crosses it is included.
        if !tierOneDone {
          tier = "tier1"
          if reaches(config.revenueShare[0]) { tierOneDone = true }
          if reaches(config.revenueShare[1]) { tierTwoDone = true }
        } else if !tierTwoDone {
          tier = "tier2"
          if reaches(config.revenueShare[1]) { tierTwoDone = true }
        } else {
          tier = "tier3"
        }
      case .mrrFloor:
        tier = entry.value >= floors[0] ? "tier1" : entry.value >= floors[1] ? "tier2" : "tier3"
      case .capacity:
        tier = rank <= capacityCuts.0 ? "tier1" : rank <= capacityCuts.1 ? "tier2" : "tier3"
      }
      ranking.slots[entry.position] = Int32(ranking.placed.count)
      ranking.placed.append(Placement(rank: rank, cumulative: cumulative, tier: tier))
      tiersByRank.append(tier)
    }
    var tiers = JSONObject()
    for tier in ["tier1", "tier2", "tier3"] {
      let members = ranked.indices.filter { tiersByRank[$0] == tier }.map { ranked[$0] }
      let mrr = members.reduce(0) { $0 + $1.value }
      var entry = JSONObject([
        ("accounts", .number(String(members.count))),
        ("mrr", money(mrr)),
        ("share_of_accounts", Segment.share(members.count, count)),
        ("share_of_mrr", Segment.share(mrr, total)),
      ])
      entry["mrr_floor"] = members.last.map { money($0.value) } ?? .null
      tiers[tier] = .object(entry)
    }
    tiers["unranked"] = .object(JSONObject([("accounts", .number(String(candidates.count - count)))]))
    ranking.cutPoints = .object(tiers)
    return ranking
  }
}
