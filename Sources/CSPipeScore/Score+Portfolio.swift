import CSPipeCore

extension Score {
  /// The first line: segment's portfolio line (or a bare one when the input had none) with a
  /// `health` object: the model and its version, the colour and profile distributions, and how
  /// often each measure had data.
  func writePortfolioLine() throws {
    var coverageTotal = 0.0
    var profileCounts: [String: Int] = [:]
    var measureCounts: [String: (scored: Int, stale: Int, missing: Int)] = [:]
    for account in stats.values {
      summary.colors[account.color ?? "unscored", default: 0] += 1
      coverageTotal += account.coverage
      profileCounts[account.profile, default: 0] += 1
      for (measure, state) in account.states where state != .unused {
        var counts = measureCounts[measure] ?? (0, 0, 0)
        switch state {
        case .scored: counts.scored += 1
        case .stale: counts.stale += 1
        default: counts.missing += 1
        }
        measureCounts[measure] = counts
      }
    }
    var line = intake.portfolioLine(without: "health")
    var health = options.model.echo
    health["accounts"] = .number(String(summary.scored))
    health["colors"] = .object(
      JSONObject(
        (HealthModel.colors.reversed() + (summary.colors["unscored"] == nil ? [] : ["unscored"])).map {
          ($0, .number(String(summary.colors[$0] ?? 0)))
        }))
    health["profiles"] = .object(
      JSONObject(options.model.profiles.map { ($0.name, .number(String(profileCounts[$0.name] ?? 0))) }))
    health["average_coverage"] =
      summary.scored > 0 ? JSONNumber.fixed(coverageTotal / Double(summary.scored), places: 4) : .null
    health["measures"] = .object(
      JSONObject(
        options.model.measures.compactMap { measure in
          guard let counts = measureCounts[measure.name] else { return nil }
          return (
            measure.name,
            .object(
              JSONObject([
                ("scored", .number(String(counts.scored))), ("stale", .number(String(counts.stale))),
                ("missing", .number(String(counts.missing))),
              ]))
          )
        }))
    line["health"] = .object(health)
    try output.write { out in
      JSONValue.object(line).write(to: &out)
      out.append(ASCII.lineFeed)
    }
  }
}

/// An earlier run's scores (`--previous FILE`): per account its score, colour and days in it.
public struct PreviousScores: Sendable {
  public let asOf: String
  public var accounts: [String: (score: Double?, color: String?, daysInColor: Int?)] = [:]

  /// Reads score's output; lines that are not scored account records are skipped.
  public static func load(path: String) throws -> PreviousScores {
    var asOf: String?
    var accounts: [String: (score: Double?, color: String?, daysInColor: Int?)] = [:]
    try LineReader(source: try ByteSource(path: path)).forEachLine { line, _, _ in
      guard let record = (try? JSONParser.parse(line))?.objectValue else { return }
      if asOf == nil { asOf = record["as_of"]?.stringValue }
      guard record["kind"]?.stringValue == "account", let key = record["account"]?.stringValue,
        let health = record["health"]?.objectValue
      else { return }
      accounts[key] = (
        health["score"]?.numberText.flatMap(Double.init), health["color"]?.stringValue,
        health["trend"]?.objectValue?["days_in_color"]?.intValue
      )
    }
    guard let asOf, AsOfDay.cutoff(asOf) != nil else {
      throw RunError("\(path) is not an earlier score output (no as_of on its first line)")
    }
    var previous = PreviousScores(asOf: asOf)
    previous.accounts = accounts
    return previous
  }
}
