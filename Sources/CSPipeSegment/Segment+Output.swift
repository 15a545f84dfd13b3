import CSPipeCore
import Foundation

/// The output phase, once every record is folded: accounts in key order and ranked, the
/// portfolio line first, then one record per account (docs/SEGMENT.md).
extension Segment {
  func writeResults() throws {
    if options.mode == .partial { return try writePartials() }
    try checkPortfolioBound()
    var config = options.config
    if let cuts = options.cuts {
      config.tierRule = .mrrFloor
      config.mrrFloor = cuts
    }
    let window = MovementWindow(cutoff: options.cutoff, asOfLabel: options.asOfLabel)
    // Only current MRR is kept for every account (ranking needs all of them); the 13-month
    // series is computed once per account as its record is written: holding it for every
    // account was a seventh of segment's memory.
    let hierarchy = try AccountHierarchy(accounts: accounts) { try mrr($0, atDayEnd: options.cutoff) }
    // The hierarchy holds every roll-up by position now: the table by key goes (a tenth of
    // the peak at a million accounts). The roll-ups stay until the process ends: freeing them
    // one by one was 4% of segment's time.
    accounts = [:]
    keptUntilExit = hierarchy.rollups
    var ranking = Tiers.rank(
      candidates: hierarchy.topLevel.map { ($0, hierarchy.totals[$0]) }, positions: hierarchy.count, config: config,
      digits: baseDigits)
    // Ranks computed on one shard would be wrong for the whole: with cut points from elsewhere,
    // only the tier is known.
    if options.cuts != nil {
      ranking.placed = ranking.placed.map { Tiers.Placement(rank: 0, cumulative: -1, tier: $0.tier) }
    }
    // The account records are independent once ranks are known, but the portfolio line
    // comes first and needs their movement sums: the sums are taken first, in slices on every
    // core, with retention and the CSM books beside them; then the records are made in blocks
    // on every core and written in account order as each block is done (no spill, and the
    // writing overlaps the making). The output is the same on one core or many.
    let slices = InParallel.ranges(of: hierarchy.count, minimum: 2048)
    let parts = try InParallel.map(slices.count + 2) { part -> Result<OutputPart, any Error> in
      Result {
        // Retention and the books first: the longest parts, started while the slices queue
        // behind them.
        switch part {
        case 0: return .retention(try retentionBlock(hierarchy: hierarchy, config: config))
        case 1: return .books(books(ranking: ranking, hierarchy: hierarchy))
        default: return .sums(try movementSums(slices[part - 2], hierarchy: hierarchy, window: window))
        }
      }
    }
    // A failure is the one a sequential run meets first: an account's, in account order, then
    // retention's. The records are made by the same code on the same state, so an account
    // that passed here passes again when its record is made.
    var movements = MovementTotals(months: window.labels.count)
    for outcome in parts[2...] {
      guard case .sums(let slice) = try outcome.get() else { continue }
      for position in slice.undatedDelinquency { warnUndatedDelinquency(hierarchy.rollups[position]) }
      movements.add(slice.movements)
    }
    guard case .retention(let retention) = try parts[0].get(), case .books(let books) = try parts[1].get() else { return }
    try writePortfolioLine(
      config: config, window: window, accountCount: hierarchy.count, ranking: ranking, movements: movements,
      retention: retention, books: books)
    let blocks = (hierarchy.count + Self.accountsPerBlock - 1) / Self.accountsPerBlock
    // Two blocks a thread ahead, for at most eight threads: a few tens of MB on any machine.
    try InParallel.forEachInOrder(blocks, ahead: 2 * min(InParallel.threads, 8)) { block in
      let positions = (block * Self.accountsPerBlock)..<min(hierarchy.count, (block + 1) * Self.accountsPerBlock)
      return try recordBlock(positions, hierarchy: hierarchy, ranking: ranking, window: window)
    } consume: { block in
      try output.write(block: block.writer.bytes)
      summary.accounts += block.records
    }
  }

  /// Accounts in one block of records made at a time: about 2 MB of output, so the blocks
  /// waiting to be written stay a few MB whatever the number of accounts.
  static let accountsPerBlock = 2048

  /// What one part of the output phase made: the movement sums of a slice of accounts, the
  /// portfolio's retention, or its books.
  enum OutputPart {
    case sums(SliceSums)
    case retention(JSONValue)
    case books(JSONValue)
  }

  /// The movement sums of one contiguous slice of positions.
  struct SliceSums {
    var movements: MovementTotals
    /// Positions of accounts with a delinquent subscription no unpaid invoice dates (warned
    /// about in account order once the slices are joined).
    var undatedDelinquency: [Int] = []
  }

  /// The account records of one block of positions, one line each.
  final class RecordBlock {
    var writer = JSONWriter(capacity: 1 << 21)
    var records = 0
  }

  /// Sums the movements of the accounts at `positions` (run on any thread: reads the run's
  /// state, changes none of it). The revenue series is computed again when each record is
  /// written: keeping it for every account in between was a seventh of segment's memory.
  func movementSums(_ positions: Range<Int>, hierarchy: AccountHierarchy, window: MovementWindow) throws -> SliceSums {
    var slice = SliceSums(movements: MovementTotals(months: window.labels.count))
    var revenue = RevenueSeries()
    for position in positions {
      let account = hierarchy.rollups[position]
      if hasUndatedDelinquency(account) { slice.undatedDelinquency.append(position) }
      try movementSeries(account, monthEnds: window.monthEnds, into: &revenue)
      slice.movements.add(revenue)
    }
    return slice
  }

  /// Writes the records of the accounts at `positions` (run on any thread, like `movementSums`).
  func recordBlock(
    _ positions: Range<Int>, hierarchy: AccountHierarchy, ranking: Tiers.Ranking, window: MovementWindow
  ) throws -> RecordBlock {
    let block = RecordBlock()
    let config = options.config
    let digits = baseDigits
    var revenue = RevenueSeries()
    for position in positions {
      let account = hierarchy.rollups[position]
      try self.revenue(account, monthEnds: window.monthEnds, into: &revenue)
      let children = hierarchy.children[position]
      writeAccountRecord(
        account, revenue: revenue, window: window,
        ranking: ranking, top: hierarchy.top[position], topKey: hierarchy.keys[hierarchy.top[position]],
        total: children == nil ? nil : hierarchy.totals[position],
        children: (children ?? []).map { hierarchy.keys[$0] }, position: position, config: config, digits: digits,
        to: &block.writer)
      block.writer.endLine()
      block.records += 1
    }
    return block
  }

  /// --partial: one partial aggregate per account, in account order, for --merge.
  func writePartials() throws {
    for key in accounts.keys.sorted(by: TextOrder.precedes) {
      let record = JSONObject([
        ("kind", .string("partial")), ("account", .string(key)), ("as_of", .string(options.asOfLabel)),
        ("shard", .string(shardFingerprint.text)), ("state", .object(accounts[key]!.partialState)),
      ])
      try output.write {
        JSONValue.object(record).write(to: &$0)
        $0.append(0x0A)
      }
      summary.accounts += 1
    }
  }
}
