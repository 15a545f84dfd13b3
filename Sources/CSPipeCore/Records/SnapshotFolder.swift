import Glibc

/// A folder of snapshots: earlier outputs of score or stage, one per `*.ndjson` file, each line
/// dated by its `as_of` (what `--history` and `--calibrate` read).
public enum SnapshotFolder {
  /// Calls `body(record, account, day)` for every account record dated on or before `lastDay`,
  /// file by file in name order; says how many files had such records and which had none.
  public static func forEachAccount(
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

  /// The folders inside `folder` (a pipeline run's `01-ingest`, `02-normalise` …), in name order.
  public static func subfolders(_ folder: String) throws -> [String] {
    guard let directory = opendir(folder) else {
      throw RunError("\(folder): cannot open the run folder: \(errnoDescription())")
    }
    defer { closedir(directory) }
    var names: [String] = []
    while let entry = readdir(directory) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
      if entry.pointee.d_type == DT_DIR && !name.hasPrefix(".") { names.append(name) }
    }
    return names.sortedAsText()
  }

  /// The `*.ndjson` files of the folder, in name order.
  public static func files(_ folder: String) throws -> [String] {
    guard let directory = opendir(folder) else {
      throw RunError("\(folder): cannot open the snapshot folder: \(errnoDescription())")
    }
    defer { closedir(directory) }
    var names: [String] = []
    while let entry = readdir(directory) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
      if name.hasSuffix(".ndjson") { names.append(name) }
    }
    return names.sortedAsText().map { "\(folder)/\($0)" }
  }
}

/// `YYYY-MM-DD` → the first instant after that day.
public enum AsOfDay {
  public static func cutoff(_ label: String) -> Int? {
    guard label.utf8.count == 10, let start = Timestamps.epochSeconds(ofCanonical: label) else { return nil }
    return start + 86400
  }
}
