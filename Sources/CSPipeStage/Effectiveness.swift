import CSPipeCore

/// The account's effectiveness stage (docs/STAGE.md, "Effectiveness"): the last stage whose
/// behaviours, and every earlier stage's, all hold; the behaviours the next one still lacks;
/// the stage it had when onboarding ended (from `--history`), so improvement shows.
struct Effectiveness {
  /// 0 when not even the first stage's behaviours hold; else the 1-based stage reached.
  let index: Int
  let name: String?
  let next: String?
  let lacking: [String]
  let baseline: (index: Int, name: String?, asOf: String)?

  static func assess(
    _ record: JSONObject, journey: Journey, cutoff: Int, asOfMonth: String, baseline: (index: Int, name: String?, asOf: String)?
  ) -> Effectiveness? {
    guard !journey.stages.isEmpty else { return nil }
    var reached = 0
    var lacking: [String] = []
    for stage in journey.stages {
      let missing = stage.behaviours.filter { !$0.holds($0.value(in: record, cutoff: cutoff, asOfMonth: asOfMonth)) }
      if !missing.isEmpty {
        lacking = missing.map(\.name)
        break
      }
      reached += 1
    }
    let stages = journey.stages
    return Effectiveness(
      index: reached, name: reached > 0 ? stages[reached - 1].name : nil,
      next: reached < stages.count ? stages[reached].name : nil, lacking: lacking, baseline: baseline)
  }
}
