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
  /// The export file, as an index into `Normalise.exportFiles`.
  var file: Int32
  var line: Int
  var digest: UInt64
}

/// A source key's winning copy so far, and whether pass 2 has written it (a second identical
/// copy is then a duplicate). `contested`: another copy came from the same export line, so
/// pass 2 must compare digests (otherwise it spares hashing the line again).
struct KeyWinner {
  var rank: CopyRank
  var written = false
  var contested = false
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
      let contested =
        current.contested || (rank.updated == current.rank.updated && rank.file == current.rank.file && rank.line == current.rank.line)
      if beats(rank, current.rank) {
        winners[key] = KeyWinner(rank: rank, contested: contested)
      } else if contested != current.contested {
        winners[key]?.contested = true
      }
    } else {
      winners[key] = KeyWinner(rank: rank)
      if options.survey { winnerKeys[key] = name() }
    }
  }

  /// Pass 2: whether this copy of `key` is the one to write (and, if so, marks it written).
  func isWinner(key: KeyDigest, updated: Int?, file: String, line: Int, bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    guard let winner = winners[key] else { return true }
    let rank = winner.rank
    guard !winner.written, rank.updated == updated ?? Int.min, rank.line == line,
      exportFiles.names[Int(rank.file)] == file, !winner.contested || rank.digest == LineDigest.words(bytes)
    else { return false }
    winners[key]?.written = true
    return true
  }
}

/// Export file names, each kept once: ranks hold their index.
struct ExportFiles {
  private(set) var names: [String] = []
  private var indices: [String: Int32] = [:]
  private var last: (name: String, index: Int32)?

  mutating func index(of name: String) -> Int32 {
    // Records come in runs from one file: the last name spares the hashing.
    if let last, last.name == name { return last.index }
    let index: Int32
    if let known = indices[name] {
      index = known
    } else {
      index = Int32(names.count)
      names.append(name)
      indices[name] = index
    }
    last = (name, index)
    return index
  }
}
