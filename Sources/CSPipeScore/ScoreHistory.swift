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

/// A folder of snapshots: score outputs, one per `*.ndjson` file, each line dated by its `as_of`
/// (what `--history` and `--calibrate` read).
enum SnapshotFolder {
  /// Calls `body(record, account, day)` for every account record dated on or before `lastDay`,
  /// file by file in name order; says how many files had such records and which had none.
  static func forEachAccount(
    in folder: String, throughDay lastDay: Int, _ body: (JSONObject, String, Int) throws -> Void
  ) throws -> (used: Int, unused: [String]) {
    var used = 0
    var unused: [String] = []
    for path in try files(folder) {
      var any = false
      try LineReader(source: try ByteSource(path: path)).forEachLine { line, _, _ in
        guard let record = (try? JSONParser.parse(line))?.objectValue, record["kind"]?.stringValue == "account",
          let key = record["account"]?.stringValue,
          let day = record["as_of"]?.stringValue.flatMap(Timestamps.epochSeconds(ofCanonical:)).map({ $0 / 86400 }),
          day <= lastDay
        else { return }
        any = true
        try body(record, key, day)
      }
      if any { used += 1 } else { unused.append(path) }
    }
    return (used, unused)
  }

  /// The `*.ndjson` files of the folder, in name order.
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
