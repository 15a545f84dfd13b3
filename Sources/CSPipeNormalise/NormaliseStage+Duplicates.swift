import CSPipeCore

/// Which copy of a source key is kept. The order is total and depends only on the copies
/// themselves, never on the order they are read in, so a shuffled input, or an input split
/// into shards that exchange their surveys (`--survey`, `--identity`), keeps the same copy as
/// one run over everything. Highest first:
///
/// 1. a copy known at `--as-of` (its `updatedAt` before it, or none) beats one updated after:
///    what happened later must not replace what was known then;
/// 2. the newest `updatedAt` (a copy without one is the oldest);
/// 3. the later export file (by name), then the later line in it;
/// 4. the larger digest of the raw line (two different lines at one place: a re-export).
///
/// Copies that are the same in all four (one export line read twice) are one record.
struct CopyRank: Equatable {
  /// `updatedAt` in epoch seconds, `Int.min` without one.
  var updated: Int
  var line: Int
  var digest: UInt64
  /// The export file, as an index into `Normalise.exportFiles`. Last, so that a winner's flag
  /// fits in the padding (one table entry per key read more than once: 48 bytes, not 56).
  var file: Int32

  init(updated: Int, file: Int32, line: Int, digest: UInt64) {
    self.updated = updated
    self.file = file
    self.line = line
    self.digest = digest
  }
}

/// A source key's winning copy so far, and whether it has been written (a second identical
/// copy is then a duplicate).
struct KeyWinner {
  var rank: CopyRank
  var written = false
}

extension Normalise {
  /// Whether `lhs` is kept over `rhs` (rules in `CopyRank`).
  func beats(_ lhs: CopyRank, _ rhs: CopyRank) -> Bool {
    let (lhsKnown, rhsKnown) = (lhs.updated < options.cutoff, rhs.updated < options.cutoff)
    if lhsKnown != rhsKnown { return lhsKnown }
    if lhs.updated != rhs.updated { return lhs.updated > rhs.updated }
    if lhs.file != rhs.file { return exportFiles.names[Int(lhs.file)] > exportFiles.names[Int(rhs.file)] }
    if lhs.line != rhs.line { return lhs.line > rhs.line }
    return lhs.digest > rhs.digest
  }

  /// Records a copy of `key` in pass 1 (or from a survey); the better copy stays.
  func offer(_ rank: CopyRank, for key: KeyDigest, named name: @autoclosure () -> String) {
    if let current = winners[key] {
      if beats(rank, current.rank) { winners[key] = KeyWinner(rank: rank) }
    } else {
      winners[key] = KeyWinner(rank: rank)
      if options.survey { winnerKeys[key] = name() }
    }
  }

  /// At the end: whether this copy of `key` is the one to write (and, if so, marks it written:
  /// the same export line read twice is written once). Two copies from one export line with
  /// different digests (a re-export read through a survey) are told apart by the digest, which
  /// is part of the rank: the winner is the same whatever order the copies were offered in.
  func isWinner(key: KeyDigest, copy: CopyRank) -> Bool {
    guard let winner = winners[key] else { return true }
    guard !winner.written, winner.rank == copy else { return false }
    winners[key]?.written = true
    return true
  }
}

/// Values kept once each: a rank or a set-aside record holds a small index instead.
struct InternTable<Key: Hashable, Value> {
  private(set) var values: [Value] = []
  private var indices: [Key: Int32] = [:]
  private var last: (key: Key, index: Int32)?

  mutating func index(of key: Key, _ value: @autoclosure () -> Value) -> Int32 {
    // Records come in runs from one file and source: the last key spares the hashing.
    if let last, last.key == key { return last.index }
    let index: Int32
    if let known = indices[key] {
      index = known
    } else {
      index = Int32(values.count)
      values.append(value())
      indices[key] = index
    }
    last = (key, index)
    return index
  }
}

/// Export file names, each kept once: ranks hold their index.
struct ExportFiles {
  private var table = InternTable<String, String>()
  var names: [String] { table.values }

  mutating func index(of name: String) -> Int32 { table.index(of: name, name) }
}
