import CSPipeCore
import Foundation

/// A number read from an account record: what a score measure or a stage behaviour reads
/// (docs/SCORE.md, "Inputs"). Paths are dotted
/// (`usage.last_30_days.logins`); where a path may name several keys, a segment may hold `*`
/// (`surveys.*.at`, `freshness.*/usage`).
public enum RecordInput: Sendable {
  /// The number at the path (true is 1, false 0).
  case path(RecordPath)
  /// 1 when the path holds a value that is not null, else 0: "a cancellation was requested".
  case present(RecordPath)
  /// The relative change from `previous` to `current` (−0.38 is down 38%); missing when
  /// neither has a value, +1 when only the current one is above 0.
  case change(current: RecordPath, previous: RecordPath)
  /// How many keys of the object at the path start with `prefix` and hold a number above 0
  /// (`feature:` metrics used: depth of adoption).
  case count(path: RecordPath, prefix: String)
  /// The sum of the numbers at the paths; a path with no value adds 0.
  case sum([RecordPath])
  /// `numerator` ÷ the sum of `denominator`; missing when that sum is 0 (no rated tickets).
  case share(numerator: RecordPath, denominator: [RecordPath])
  /// `numerator` ÷ `denominator`; missing when either has no value or the denominator is 0.
  case ratio(numerator: RecordPath, denominator: RecordPath)
  /// Days from the latest date at the paths to as-of; missing when none holds a date.
  case daysSince([RecordPath])
  /// Movements of `type` in the last `months` months, the month of as-of included.
  case movements(type: String, months: Int)

  public init(reader: ConfigReader) throws {
    let kinds = reader.keys
    guard kinds.count == 1, let kind = kinds.first else {
      throw reader.fail(
        nil, "expected exactly one of path, present, change, count, sum, share, ratio, daysSince, movements")
    }
    func checked(_ path: String, _ key: String, globs: Bool = false) throws -> RecordPath {
      guard !path.isEmpty, !path.split(separator: ".", omittingEmptySubsequences: false).contains(where: \.isEmpty) else {
        throw reader.fail(key, "expected a dotted path such as usage.last_30_days.logins")
      }
      if !globs && path.contains("*") { throw reader.fail(key, "a single value's path cannot hold *") }
      return RecordPath(path)
    }
    switch kind {
    case "path": self = .path(try checked(try reader.string("path"), "path"))
    case "present": self = .present(try checked(try reader.string("present"), "present"))
    case "change":
      let spec = try reader.object("change")
      self = .change(
        current: try checked(try spec.string("current"), "change.current"),
        previous: try checked(try spec.string("previous"), "change.previous"))
      try spec.finish()
    case "count":
      let spec = try reader.object("count")
      self = .count(path: try checked(try spec.string("path"), "count.path"), prefix: try spec.optionalString("prefix") ?? "")
      try spec.finish()
    case "sum":
      let paths = try reader.strings("sum")
      guard !paths.isEmpty else { throw reader.fail("sum", "expected at least one path") }
      self = .sum(try paths.map { try checked($0, "sum", globs: true) })
    case "share":
      let spec = try reader.object("share")
      let denominator = try spec.strings("denominator")
      guard !denominator.isEmpty else { throw spec.fail("denominator", "expected at least one path") }
      self = .share(
        numerator: try checked(try spec.string("numerator"), "share.numerator", globs: true),
        denominator: try denominator.map { try checked($0, "share.denominator", globs: true) })
      try spec.finish()
    case "ratio":
      let spec = try reader.object("ratio")
      self = .ratio(
        numerator: try checked(try spec.string("numerator"), "ratio.numerator"),
        denominator: try checked(try spec.string("denominator"), "ratio.denominator"))
      try spec.finish()
    case "daysSince":
      let paths = try reader.strings("daysSince")
      guard !paths.isEmpty else { throw reader.fail("daysSince", "expected at least one path") }
      self = .daysSince(try paths.map { try checked($0, "daysSince", globs: true) })
    case "movements":
      let spec = try reader.object("movements")
      let months = try spec.optionalInt("months") ?? 3
      guard (1...36).contains(months) else { throw spec.fail("months", "expected 1 to 36") }
      self = .movements(type: try spec.string("type"), months: months)
      try spec.finish()
    default:
      throw reader.fail(
        kind, "not an input kind (path, present, change, count, sum, share, ratio, daysSince, movements)")
    }
  }

  /// The input's value in `record` as of the day ending at `cutoff`; nil when it has none.
  public func value(in record: JSONObject, cutoff: Int, asOfMonth: String) -> Double? {
    switch self {
    case .path(let path):
      return RecordValues.number(path.first(in: record))
    case .present(let path):
      let found = path.first(in: record)
      return found == nil || found == .null ? 0 : 1
    case .change(let currentPath, let previousPath):
      let current = RecordValues.number(currentPath.first(in: record))
      let previous = RecordValues.number(previousPath.first(in: record))
      guard current != nil || previous != nil else { return nil }
      let now = current ?? 0
      let before = previous ?? 0
      if before <= 0 { return now > 0 ? 1 : 0 }
      return (now - before) / before
    case .count(let path, let prefix):
      guard let object = path.first(in: record)?.objectValue else { return nil }
      return Double(
        object.entries.filter { $0.key.hasPrefix(prefix) && (RecordValues.number($0.value) ?? 0) > 0 }.count)
    case .sum(let paths):
      return paths.reduce(0) { total, path in
        total + path.all(in: record).reduce(0) { $0 + (RecordValues.number($1) ?? 0) }
      }
    case .share(let numeratorPath, let denominatorPaths):
      let numerator = numeratorPath.all(in: record).reduce(0) { $0 + (RecordValues.number($1) ?? 0) }
      let denominator = denominatorPaths.reduce(0.0) { total, path in
        total + path.all(in: record).reduce(0) { $0 + (RecordValues.number($1) ?? 0) }
      }
      return denominator > 0 ? numerator / denominator : nil
    case .ratio(let numeratorPath, let denominatorPath):
      guard let numerator = RecordValues.number(numeratorPath.first(in: record)),
        let denominator = RecordValues.number(denominatorPath.first(in: record)), denominator != 0
      else { return nil }
      return numerator / denominator
    case .daysSince(let paths):
      guard let latest = RecordValues.latestInstant(paths, in: record, before: cutoff) else { return nil }
      return Double(RecordValues.days(from: latest, toDayEndingAt: cutoff))
    case .movements(let type, let months):
      guard case .array(let movements)? = record["movements"] else { return nil }
      let first = RecordValues.month(asOfMonth, minus: months - 1)
      return Double(
        movements.filter { entry in
          guard let object = entry.objectValue, object["type"]?.stringValue == type,
            let month = object["month"]?.stringValue
          else { return false }
          return month >= first && month <= asOfMonth
        }.count)
    }
  }
}

/// A dotted path into a record, split once when the model loads (splitting and matching
/// strings per lookup was most of score's time); a segment with `*` matches any run of
/// characters inside one key.
public struct RecordPath: Sendable {
  public let text: String
  private let segments: [Segment]

  enum Segment: Sendable {
    case key(String)
    /// The pieces between the stars, as UTF-8: the first is a prefix, the last a suffix.
    case glob([[UInt8]])
  }

  private let hasGlob: Bool

  public init(_ text: String) {
    self.text = text
    segments = text.split(separator: ".").map { part in
      part.contains("*") ? .glob(part.split(separator: "*", omittingEmptySubsequences: false).map { Array($0.utf8) }) : .key(String(part))
    }
    hasGlob = text.contains("*")
  }

  public func all(in record: JSONObject) -> [JSONValue] {
    if !hasGlob { return first(in: record).map { [$0] } ?? [] }
    var current: [JSONValue] = [.object(record)]
    for segment in segments {
      var next: [JSONValue] = []
      for value in current {
        guard let object = value.objectValue else { continue }
        switch segment {
        case .key(let key):
          if let nested = object[key] { next.append(nested) }
        case .glob(let pieces):
          for (key, nested) in object.entries where Self.matches(pieces, key) { next.append(nested) }
        }
      }
      current = next
    }
    return current
  }

  public func first(in record: JSONObject) -> JSONValue? {
    guard !hasGlob else { return all(in: record).first }
    // Plain keys: walk down without collecting (the common case, on every measure).
    var current = record
    for (position, segment) in segments.enumerated() {
      guard case .key(let key) = segment, let value = current[key] else { return nil }
      if position == segments.count - 1 { return value }
      guard case .object(let nested) = value else { return nil }
      current = nested
    }
    return nil
  }

  /// Whether `key` matches `pattern`, where `*` stands for any run of characters.
  public static func matches(pattern: String, _ key: String) -> Bool {
    guard pattern.contains("*") else { return pattern == key }
    return matches(pattern.split(separator: "*", omittingEmptySubsequences: false).map { Array($0.utf8) }, key)
  }

  static func matches(_ pieces: [[UInt8]], _ key: String) -> Bool {
    var key = key
    return key.withUTF8 { bytes in
      guard let first = pieces.first, let last = pieces.last, bytes.count >= first.count + (pieces.count > 1 ? last.count : 0),
        bytes.starts(with: first)
      else { return false }
      var position = first.count
      let end = bytes.count - last.count
      guard bytes[end...].elementsEqual(last) else { return false }
      for piece in pieces.dropFirst().dropLast() {
        guard !piece.isEmpty else { continue }
        var found = false
        while position + piece.count <= end {
          if bytes[position..<(position + piece.count)].elementsEqual(piece) {
            position += piece.count
            found = true
            break
          }
          position += 1
        }
        if !found { return false }
      }
      return position <= end
    }
  }
}

/// Values read from a record as the stages after segment need them.
public enum RecordValues {
  public static func number(_ value: JSONValue?) -> Double? {
    switch value {
    case .number(let text)?: return Double(text)
    case .bool(let flag)?: return flag ? 1 : 0
    default: return nil
    }
  }

  /// The latest instant (a date is its day's start) at the paths that lies before `cutoff`:
  /// a date after as-of is not known then.
  public static func latestInstant(_ paths: [RecordPath], in record: JSONObject, before cutoff: Int) -> Int? {
    var latest: Int?
    for path in paths {
      for value in path.all(in: record) {
        guard let text = value.stringValue, let instant = Timestamps.epochSeconds(ofCanonical: text), instant < cutoff
        else { continue }
        latest = max(latest ?? instant, instant)
      }
    }
    return latest
  }

  /// The epoch day of a canonical date or time (`2026-11-15`, `2026-11-15T10:00:00Z`).
  public static func day(_ text: String?) -> Int? {
    guard let text, let instant = Timestamps.epochSeconds(ofCanonical: text) else { return nil }
    return instant >= 0 ? instant / 86400 : (instant - 86399) / 86400
  }

  /// The nearest-rank percentile of sorted values: the smallest value with at least that share
  /// of values at or below it (no interpolation, so it is always a value some account had).
  public static func nearestRank(_ sorted: [Int], _ share: Double) -> Int? {
    guard !sorted.isEmpty else { return nil }
    let rank = Int((share * Double(sorted.count)).rounded(.up))
    return sorted[max(0, min(sorted.count - 1, rank - 1))]
  }

  /// Whole days from `instant` to the end of the as-of day (0 on the day itself).
  public static func days(from instant: Int, toDayEndingAt cutoff: Int) -> Int {
    let lastDay = (cutoff - 1) / 86400
    let day = instant >= 0 ? instant / 86400 : (instant - 86399) / 86400
    return max(0, lastDay - day)
  }

  /// `2026-11` minus 2 months is `2026-09`.
  public static func month(_ label: String, minus months: Int) -> String {
    let parts = label.split(separator: "-").compactMap { Int($0) }
    guard parts.count >= 2 else { return label }
    let index = parts[0] * 12 + (parts[1] - 1) - months
    let year = index / 12
    let month = index % 12 + 1
    return "\(year)-\(month < 10 ? "0" : "")\(month)"
  }
}
