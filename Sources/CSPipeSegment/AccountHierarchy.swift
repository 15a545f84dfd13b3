import CSPipeCore

/// Parents and children (docs/SEGMENT.md, "Tiers"): a parent's total includes its children's, at any depth;
/// a cycle is cut where it closes; ranking is over top-level accounts.
struct AccountHierarchy {
  let sortedKeys: [String]
  /// Current MRR of each top-level account with its descendants (minor units).
  let totals: [String: Int]
  /// Each top-level account's descendants, in account order.
  let children: [String: [String]]
  private let parentOf: [String: String]
  /// The top of each account whose chain of parents leads to another known account; every
  /// other account is its own top. Computed once: most portfolios have no parents at all, and
  /// walking the chain per question allocated a set each time.
  private let topOf: [String: String]

  init(accounts: [String: AccountRollup], current: [String: Int]) {
    var parentOf: [String: String] = [:]
    for (key, account) in accounts {
      if let parent = account.attributes["parent"]?.value.stringValue, parent != key { parentOf[key] = parent }
    }
    self.parentOf = parentOf
    let known = Set(parentOf.values.filter { accounts[$0] != nil })
    var topOf: [String: String] = [:]
    for key in parentOf.keys {
      let top = Self.top(key, parentOf: parentOf, known: known)
      if top != key { topOf[key] = top }
    }
    self.topOf = topOf
    sortedKeys = accounts.keys.sorted()
    var totals: [String: Int] = [:]
    totals.reserveCapacity(accounts.count)
    var children: [String: [String]] = [:]
    for key in sortedKeys {
      let top = topOf[key] ?? key
      totals[top, default: 0] += current[key] ?? 0
      if top != key { children[top, default: []].append(key) }
    }
    self.totals = totals
    self.children = children
  }

  /// The account at the top of `key`'s chain of parents (itself when it has none).
  func top(_ key: String) -> String { topOf.isEmpty ? key : topOf[key] ?? key }

  var topLevelKeys: [String] { topOf.isEmpty ? sortedKeys : sortedKeys.filter { topOf[$0] == nil } }

  /// The totals of the accounts that are ranked: those at the top of their chain.
  var topLevelTotals: [String: Int] { topOf.isEmpty ? totals : totals.filter { topOf[$0.key] == nil } }

  private static func top(_ key: String, parentOf: [String: String], known: Set<String>) -> String {
    var current = key
    var seen: Set<String> = [key]
    while let parent = parentOf[current], known.contains(parent), !seen.contains(parent) {
      seen.insert(parent)
      current = parent
    }
    return current
  }
}
