import CSPipeCore

/// Earlier runs (`report --history DIR`: score or stage outputs, one dated snapshot per file):
/// the colour distribution of each, and for every renewal that has passed, the colour the
/// account had 60–90 days before it and what happened (docs/REPORT.md, "History").
struct ReportHistory {
  /// Colour counts per snapshot day.
  var colors: [Int: [String: Int]] = [:]
  var labels: [Int: String] = [:]
  /// Per account and renewal day: the snapshot nearest 75 days before the renewal, inside 60–90.
  var predictions: [String: Prediction] = [:]
  /// Per account, its MRR in each snapshot.
  var mrr: [String: [(day: Int, mrr: Double)]] = [:]
  var files = 0
  /// Each account as the latest snapshot saw it: the forecast the re-plan compares against.
  var latest: [String: Forecast] = [:]
  var latestDay: Int?

  struct Forecast {
    let day: Int
    let color: String?
    let probability: Double?
    let arr: Double
    let renewalDay: Int?
  }

  struct Prediction {
    let account: String
    let renewalDay: Int
    let snapshotDay: Int
    let color: String
    let probability: Double?
    let arr: Double
  }

  /// A prediction and what happened: renewed when the account still paid 30 days after the
  /// renewal (in the first snapshot from then on, else in the report's own input).
  struct Outcome {
    let prediction: Prediction
    let renewed: Bool
  }

  static func load(folder: String, asOfDay: Int) throws -> ReportHistory {
    var history = ReportHistory()
    let read = try SnapshotFolder.forEachAccount(in: folder, throughDay: asOfDay - 1) { record, key, day in
      history.labels[day] = record["as_of"]?.stringValue
      let health = record["health"]?.objectValue
      if let color = health?["color"]?.stringValue { history.colors[day, default: [:]][color, default: 0] += 1 }
      let mrr = RecordValues.number(record["mrr"]) ?? 0
      history.mrr[key, default: []].append((day, mrr))
      let renewal = record["stage"]?.objectValue?["renewal"]?.objectValue?["at"]?.stringValue ?? record["renewal_at"]?.stringValue
      if (history.latest[key]?.day ?? Int.min) <= day {
        history.latest[key] = Forecast(
          day: day, color: health?["color"]?.stringValue, probability: RecordValues.number(health?["renewal_probability"]),
          arr: mrr * 12, renewalDay: RecordValues.day(renewal))
        history.latestDay = max(history.latestDay ?? day, day)
      }
      guard let color = health?["color"]?.stringValue, mrr > 0, let renewalDay = RecordValues.day(renewal),
        (60...90).contains(renewalDay - day), renewalDay <= asOfDay
      else { return }
      let id = "\(key)\u{0}\(renewalDay)"
      if let existing = history.predictions[id], abs(existing.renewalDay - existing.snapshotDay - 75) < abs(renewalDay - day - 75) {
        return
      }
      history.predictions[id] = Prediction(
        account: key, renewalDay: renewalDay, snapshotDay: day, color: color,
        probability: RecordValues.number(health?["renewal_probability"]), arr: mrr * 12)
    }
    history.files = read.used
    for key in history.mrr.keys { history.mrr[key]!.sort { $0.day < $1.day } }
    return history
  }

  /// The renewals whose outcome is known by as-of, in renewal then account order.
  func outcomes(current: [String: Double], asOfDay: Int) -> (known: [Outcome], pending: Int) {
    var known: [Outcome] = []
    var pending = 0
    for prediction in predictions.values.sorted(by: {
      ($0.renewalDay, TextOrder.Key($0.account)) < ($1.renewalDay, TextOrder.Key($1.account))
    }) {
      let settled = prediction.renewalDay + 30
      if let after = mrr[prediction.account]?.first(where: { $0.day >= settled }) {
        known.append(Outcome(prediction: prediction, renewed: after.mrr > 0))
      } else if asOfDay >= settled {
        known.append(Outcome(prediction: prediction, renewed: (current[prediction.account] ?? 0) > 0))
      } else {
        pending += 1
      }
    }
    return (known, pending)
  }
}
