import CSPipeCore

/// The run's accounts in key order, each known by its position, with parents and children
/// (docs/SEGMENT.md, "Tiers"): a parent's total includes its children's, at any depth; a cycle's
/// top is its smallest key; ranking is over top-level accounts.
///
/// Why positions: the output asks a dozen questions of every account (its MRR, its top, its
/// tier, its total); asked by key, each hashed and compared a 25-byte string in a table of
/// hundreds of thousands, a quarter of segment's time. Positions follow key order, so "ties by
/// account key" is a comparison of two integers.
struct AccountHierarchy {
  let keys: [String]
  let rollups: [AccountRollup]
  /// Current MRR of each account on its own (minor units).
  let current: [Int]
  /// The position of the account at the top of each account's chain of parents.
  let top: [Int]
  /// Current MRR of each top with its descendants (minor units; 0 for the others).
  let totals: [Int]
  /// Each top's descendants, in account order (only accounts that have any).
  let children: [Int: [Int]]
  /// Positions of the accounts at the top of their chain (ranked), in account order.
  let topLevel: [Int]

  init(accounts: [String: AccountRollup], current mrr: (AccountRollup) throws -> Int) throws {
    let (keys, rollups) = try Self.inKeyOrder(accounts)
    self.keys = keys
    self.rollups = rollups
    // Each account's MRR and parent on its own: independent, so on every core (`mrr` only
    // reads). Reading the parents here spares a pass over every roll-up (a cache miss each)
    // on one core.
    let ranges = InParallel.ranges(of: rollups.count, minimum: 4096)
    let read = try InParallel.map(ranges.count) { part in
      try ranges[part].map { index in
        let parent = rollups[index].attributes["parent"]?.value.stringValue
        return (mrr: try mrr(rollups[index]), parent: parent == keys[index] ? nil : parent)
      }
    }.flatMap { $0 }
    current = read.map(\.mrr)
    var parentOf: [String: String] = [:]
    for (index, entry) in read.enumerated() {
      if let parent = entry.parent { parentOf[keys[index]] = parent }
    }
    var top = Array(keys.indices)
    var isTop = Array(repeating: true, count: keys.count)
    if !parentOf.isEmpty {
      let position = Dictionary(uniqueKeysWithValues: keys.enumerated().map { ($1, $0) })
      for key in parentOf.keys {
        let found = Self.top(key, parentOf: parentOf, known: position)
        if found != key {
          top[position[key]!] = position[found]!
          isTop[position[key]!] = false
        }
      }
    }
    var totals = Array(repeating: 0, count: keys.count)
    var children: [Int: [Int]] = [:]
    for index in keys.indices {
      totals[top[index]] += current[index]
      if top[index] != index { children[top[index], default: []].append(index) }
    }
    self.top = top
    self.totals = totals
    self.children = children
    topLevel = keys.indices.filter { isTop[$0] }
  }

  var count: Int { keys.count }

  /// The accounts sorted by key in `TextOrder` (UTF-8 bytes). Sorting 210,000 keys that share
  /// their first dozen bytes (`stripe:cus_`) was 6% of segment, mostly in `memcmp` of that
  /// prefix: when every key is ASCII, each is sorted by the
  /// eight bytes after the prefix all keys share, the whole key compared only on a tie.
  static func inKeyOrder(_ accounts: [String: AccountRollup]) throws -> (keys: [String], rollups: [AccountRollup]) {
    let entries = Array(accounts)
    guard let first = entries.first?.key else { return ([], []) }
    // Read in place (a copy of every key's bytes was 60 MB at a million accounts).
    func bytes<Result>(_ key: String, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
      if let result = key.utf8.withContiguousStorageIfAvailable(body) { return result }
      return Array(key.utf8).withUnsafeBufferPointer(body)
    }
    // Both passes over the keys in two halves on two cores: each key is a cache miss, and
    // the passes ran alone on one core after the fold.
    let halves = [0..<(entries.count / 2), (entries.count / 2)..<entries.count]
    // The prefix every key shares with the first, and whether every key is ASCII.
    let scans = try InParallel.map(2) { part -> (shared: Int, ascii: Bool) in
      var shared = first.utf8.count
      for index in halves[part] {
        let ascii = bytes(entries[index].key) { key in
          var length = 0
          bytes(first) { first in
            let limit = min(shared, key.count)
            while length < limit && key[length] == first[length] { length += 1 }
          }
          shared = length
          return key.allSatisfy { $0 < 0x80 }
        }
        if !ascii { return (shared, false) }
      }
      return (shared, true)
    }
    guard scans.allSatisfy(\.ascii) else {
      let sorted = entries.sorted { TextOrder.precedes($0.key, $1.key) }
      return (sorted.map(\.key), sorted.map(\.value))
    }
    let shared = scans.map(\.shared).min()!
    let order: [(head: UInt64, index: Int)] = try InParallel.map(2) { part in
      halves[part].map { index in
        bytes(entries[index].key) { key in
          var head: UInt64 = 0
          for offset in shared..<(shared + 8) { head = head << 8 | UInt64(offset < key.count ? key[offset] : 0) }
          return (head, index)
        }
      }
    }.flatMap { $0 }
    func precedes(_ a: (head: UInt64, index: Int), _ b: (head: UInt64, index: Int)) -> Bool {
      a.head != b.head ? a.head < b.head : entries[a.index].key.utf8.lexicographicallyPrecedes(entries[b.index].key.utf8)
    }
    // Two halves sorted on two cores, then merged: keys are unique, so the order is total and
    // the result is the one sort's. The sort ran alone on one core after the fold.
    let sorted = try InParallel.map(2) { part in order[halves[part]].sorted(by: precedes) }
    // Keys and roll-ups placed straight into their own arrays: a sorted array of pairs split
    // afterwards took and dropped two more references per account, each a cache miss.
    var keys: [String] = []
    var rollups: [AccountRollup] = []
    keys.reserveCapacity(order.count)
    rollups.reserveCapacity(order.count)
    var (left, right) = (0, 0)
    while left < sorted[0].count || right < sorted[1].count {
      let index: Int
      if right == sorted[1].count || (left < sorted[0].count && precedes(sorted[0][left], sorted[1][right])) {
        index = sorted[0][left].index
        left += 1
      } else {
        index = sorted[1][right].index
        right += 1
      }
      keys.append(entries[index].key)
      rollups.append(entries[index].value)
    }
    return (keys, rollups)
  }

  /// The end of `key`'s chain of parents among known accounts. A chain that closes on itself
  /// (a → b → a, from a typo or two systems disagreeing) ends at the cycle's smallest key, so
  /// the whole cycle has one top whichever member it is reached from: before, each member
  /// named the other, no member was ranked and their MRR was missing from the tier totals.
  private static func top(_ key: String, parentOf: [String: String], known: [String: Int]) -> String {
    var path = [key]
    var seen: [String: Int] = [key: 0]
    var current = key
    while let parent = parentOf[current], known[parent] != nil {
      if let start = seen[parent] { return path[start...].min()! }
      seen[parent] = path.count
      path.append(parent)
      current = parent
    }
    return current
  }
}
