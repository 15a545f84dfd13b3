import ArgumentParser
import CSPipeCore
import Glibc

/// `--as-of DATE`, shared by every tool after ingest: a result as of D depends only on facts
/// dated on or before D, so history can be recomputed and backtests are honest.
public struct AsOfOption: ParsableArguments {
  @Option(
    name: .customLong("as-of"),
    help: ArgumentHelp(
      "Only facts dated on or before this day (YYYY-MM-DD) or instant (RFC 3339) count. Default: today, UTC.",
      valueName: "date"))
  public var text: String?

  public init() {}

  public func validate() throws {
    if let text, Self.cutoff(text) == nil {
      throw ValidationError("--as-of takes YYYY-MM-DD or an RFC 3339 time, not '\(text)'")
    }
  }

  /// The first instant (epoch seconds) that is after as-of: a day includes all of itself.
  public var cutoff: Int {
    text.flatMap(Self.cutoff) ?? Self.cutoff(Self.todayUTC())!
  }

  /// The as-of date as written, or today's.
  public var label: String { text ?? Self.todayUTC() }

  public static func cutoff(_ text: String) -> Int? {
    guard let civil = try? Timestamps.parse(text, order: nil) else { return nil }
    if !civil.hasTime && civil.offset == nil {
      return Timestamps.daysFromCivil(civil.year, civil.month, civil.day) * 86400 + 86400
    }
    guard civil.offset != nil else { return nil }  // an instant must say its zone
    return Timestamps.epochSeconds(civil, zone: .init(identifier: "UTC")!) + 1
  }

  static func todayUTC() -> String {
    Timestamps.isoDate(Int(time(nil)))
  }
}
