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
    // The account records are independent once ranks are known: they are written in slices
    // on every core, each slice into its own spill (the portfolio line, which needs the
    // movement sums, comes first in the output) with its own sums, and retention and the CSM
    // books are computed beside them. Slices are joined in account order: the output is the
    // same on one core or many.
    let slices = InParallel.ranges(of: hierarchy.count, minimum: 2048)
    let parts = try InParallel.map(slices.count + 1) { part -> Result<OutputPart, any Error> in
      Result {
        // Retention first: the longest part, started while the slices queue behind it.
        if part == 0 {
          return .portfolio(
            retention: try retentionBlock(hierarchy: hierarchy, config: config),
            books: books(ranking: ranking, hierarchy: hierarchy))
        }
        return .records(try writeRecords(slices[part - 1], hierarchy: hierarchy, ranking: ranking, window: window))
      }
    }
    // A failure is the one a sequential run meets first: an account's, in account order, then
    // retention's.
    var movements = MovementTotals(months: window.labels.count)
    var written: [RecordSlice] = []
    for outcome in parts[1...] + [parts[0]] {
      switch try outcome.get() {
      case .records(let slice):
        for position in slice.undatedDelinquency { warnUndatedDelinquency(hierarchy.rollups[position]) }
        movements.add(slice.movements)
        written.append(slice)
      case .portfolio: break
      }
    }
    guard case .portfolio(let retention, let books) = try parts[0].get() else { return }
    try writePortfolioLine(
      config: config, window: window, accountCount: hierarchy.count, ranking: ranking, movements: movements,
      retention: retention, books: books)
    for slice in written {
      try slice.spill.forEachRecord { record in
        try output.write { $0.append(record) }
        summary.accounts += 1
      }
    }
  }

  /// What one part of the output phase made: a slice of account records, or the portfolio's
  /// retention and books.
  enum OutputPart {
    case records(RecordSlice)
    case portfolio(retention: JSONValue, books: JSONValue)
  }

  /// The account records of one contiguous slice of positions, in a spill of their own.
  struct RecordSlice {
    let spill: SpillFile
    var movements: MovementTotals
    /// Positions of accounts with a delinquent subscription no unpaid invoice dates (warned
    /// about in account order once the slices are joined).
    var undatedDelinquency: [Int] = []
  }

  /// Writes the records of the accounts at `positions` (run on any thread: reads the run's
  /// state, changes none of it).
  func writeRecords(
    _ positions: Range<Int>, hierarchy: AccountHierarchy, ranking: Tiers.Ranking, window: MovementWindow
  ) throws -> RecordSlice {
    var slice = RecordSlice(spill: try SpillFile(tool: "segment"), movements: MovementTotals(months: window.labels.count))
    var writer = JSONWriter()
    for position in positions {
      let account = hierarchy.rollups[position]
      if hasUndatedDelinquency(account) { slice.undatedDelinquency.append(position) }
      let revenue = try revenue(account, monthEnds: window.monthEnds)
      slice.movements.add(revenue)
      writer.reset()
      let children = hierarchy.children[position]
      try writeAccountRecord(
        account, revenue: revenue, window: window,
        ranking: ranking, top: hierarchy.top[position], topKey: hierarchy.keys[hierarchy.top[position]],
        total: children == nil ? nil : hierarchy.totals[position],
        children: (children ?? []).map { hierarchy.keys[$0] }, position: position, to: &writer)
      let record = writer.bytes
      try slice.spill.append { out in
        out.append(record)
        out.append(0x0A)
      }
    }
    return slice
  }

  /// --partial: one partial aggregate per account, in account order, for --merge.
  func writePartials() throws {
    for key in accounts.keys.sorted() {
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
