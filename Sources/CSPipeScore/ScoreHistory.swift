import CSPipeCore
import Glibc

/// Earlier scores from a folder of score outputs (`--history DIR`, one snapshot per file): the
/// change in score over 7, 30 and 90 days (docs/SCORE.md, "Trend"). Snapshots dated on or after
/// the run's as-of are not read.
public struct ScoreHistory: Sendable {
  /// Per account: (day, score) of each snapshot, oldest first.
  var scores: [String: [(day: Int, score: Double?)]] = [:]
  public private(set) var snapshots = 0

  public static let spans = [7, 30, 90]

  public static func load(folder: String, beforeDay asOfDay: Int) throws -> ScoreHistory {
    var history = ScoreHistory()
    for path in try SnapshotFolder.files(folder) {
      var used = false
      try LineReader(source: try ByteSource(path: path)).forEachLine { line, _, _ in
        guard let record = (try? JSONParser.parse(line))?.objectValue, record["kind"]?.stringValue == "account",
          let key = record["account"]?.stringValue,
          let day = record["as_of"]?.stringValue.flatMap(Timestamps.epochSeconds(ofCanonical:)).map({ $0 / 86400 }),
          day < asOfDay, let health = record["health"]?.objectValue
        else { return }
        used = true
        history.scores[key, default: []].append((day, RecordValues.number(health["score"])))
      }
      if used { history.snapshots += 1 }
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

/// The `*.ndjson` files of a snapshot folder, in name order.
enum SnapshotFolder {
  static func files(_ folder: String) throws -> [String] {
    guard let directory = opendir(folder) else {
      throw RunError("\(folder): cannot open the snapshot folder: \(errnoDescription())")
    }
    defer { closedir(directory) }
    var names: [String] = []
    while let entry = readdir(directory) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
      if name.hasSuffix(".ndjson") { names.append(name) }
    }
    return names.sorted().map { "\(folder)/\($0)" }
  }
}
