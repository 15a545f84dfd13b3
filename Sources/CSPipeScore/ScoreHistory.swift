import CSPipeCore
import Glibc

/// Earlier scores from a folder of score outputs (`--history DIR`, one snapshot per file): the
/// change in score over 7, 30 and 90 days (docs/SCORE.md, "Trend"). Snapshots dated on or after
/// the run's as-of are not read.
public struct ScoreHistory: Sendable {
  /// Per account: (day, score) of each snapshot, oldest first.
  var scores: [String: [(day: Int, score: Double?)]] = [:]

  public static let spans = [7, 30, 90]

  public static func load(folder: String, beforeDay asOfDay: Int) throws -> ScoreHistory {
    var history = ScoreHistory()
    _ = try SnapshotFolder.forEachAccount(in: folder, throughDay: asOfDay - 1) { record, key, day in
      guard let health = record["health"]?.objectValue else { return }
      history.scores[key, default: []].append((day, RecordValues.number(health["score"])))
    }
    for key in history.scores.keys { history.scores[key]!.sort { $0.day < $1.day } }
    return history
  }

  /// For each span, the latest snapshot at least that many days old and not more than a quarter
  /// of the span (at least 3 days) older still: its day and score.
  func earlier(_ key: String, asOfDay: Int) -> [(span: Int, day: Int, score: Double?)?] {
    let seen = scores[key] ?? []
    return Self.spans.map { span in
      let target = asOfDay - span
      guard let match = seen.last(where: { $0.day <= target && $0.day >= target - max(3, span / 4) }) else { return nil }
      return (span, match.day, match.score)
    }
  }
}
