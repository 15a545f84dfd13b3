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
  private let known: Set<String>

  init(accounts: [String: AccountRollup], current: [String: Int]) {
    var parentOf: [String: String] = [:]
    for (key, account) in accounts {
      if let parent = account.attributes["parent"]?.value.stringValue, parent != key { parentOf[key] = parent }
    }
    self.parentOf = parentOf
    known = Set(accounts.keys)
    sortedKeys = accounts.keys.sorted()
    var totals: [String: Int] = [:]
    var children: [String: [String]] = [:]
    for key in sortedKeys {
      let top = Self.top(key, parentOf: parentOf, known: known)
      totals[top, default: 0] += current[key] ?? 0
      if top != key { children[top, default: []].append(key) }
    }
    self.totals = totals
    self.children = children
  }

  /// The account at the top of `key`'s chain of parents (itself when it has none).
  func top(_ key: String) -> String { Self.top(key, parentOf: parentOf, known: known) }

  var topLevelKeys: [String] { sortedKeys.filter { top($0) == $0 } }

  /// The totals of the accounts that are ranked: those at the top of their chain.
  var topLevelTotals: [String: Int] { totals.filter { parentOf[$0.key] == nil || top($0.key) == $0.key } }

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
