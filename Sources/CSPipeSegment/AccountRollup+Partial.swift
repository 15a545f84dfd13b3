import CSPipeCore
import Foundation

/// Partial aggregates: an account's roll-up state written as one NDJSON record
/// (`segment --partial`) and read back (`segment --merge`), so shards of the input can be folded
/// apart (on other machines, by Spark's `RDD.pipe` or Hadoop Streaming) and combined.
extension AccountRollup {
  static func number(_ value: Int) -> JSONValue { .number(String(value)) }
  static func number(_ value: Decimal) -> JSONValue { .number(Values.numberText(value)) }
  static func number(_ value: DecimalSum) -> JSONValue { .number(value.text) }

  var partialState: JSONObject {
    func counts(_ values: [String: Int]) -> JSONValue {
      .object(JSONObject(values.sorted { TextOrder.precedes($0.key, $1.key) }.map { ($0.key, Self.number($0.value)) }))
    }
    func sums(_ values: [String: DecimalSum]) -> JSONValue {
      .object(JSONObject(values.sorted { TextOrder.precedes($0.key, $1.key) }.map { ($0.key, Self.number($0.value)) }))
    }
    func origin(_ origin: Origin) -> JSONValue {
      .array([.string(origin.file), Self.number(origin.line)])
    }
    var state = JSONObject()
    state["attributes"] = .object(
      JSONObject(
        attributes.sorted { TextOrder.precedes($0.key, $1.key) }.map { name, attribute in
          (
            name,
            .object(JSONObject([("value", attribute.value), ("rank", Self.number(attribute.rank)), ("origin", origin(attribute.origin))]))
          )
        }))
    state["subscriptions"] = .array(
      subscriptions.sorted { ($0.start, $0.id) < ($1.start, $1.id) }.map { fact in
        var entry = JSONObject([
          ("id", .string(fact.id)), ("currency", .string(fact.currency)), ("monthly", Self.number(fact.monthly)),
          ("start", Self.number(fact.start)), ("status", .string(fact.status)), ("quantity", Self.number(fact.quantity)),
        ])
        if let end = fact.serviceEnd { entry["end"] = Self.number(end) }
        if let cancelledAt = fact.cancelledAt { entry["cancelled_at"] = Self.number(cancelledAt) }
        if fact.cancellationScheduled { entry["cancellation_scheduled"] = .bool(true) }
        if let trialEnd = fact.trialEnd { entry["trial_end"] = Self.number(trialEnd) }
        return .object(entry)
      })
    state["unpaid_due"] = counts(unpaidDue)
    state["invoices_past_due"] = Self.number(invoicesPastDue)
    state["past_due_amount"] = sums(pastDueAmount)
    state["failed_payments_90"] = Self.number(failedPayments90)
    if let lastFailedPayment { state["last_failed_payment"] = Self.number(lastFailedPayment) }
    state["usage_first_seen"] = counts(usageFirstSeen)
    state["usage_last_seen"] = counts(usageLastSeen)
    state["usage_monthly"] = .object(
      JSONObject(
        usageMonthly.sorted { TextOrder.precedes($0.key, $1.key) }.map { metric, months in
          (
            metric,
            .object(JSONObject(months.sorted { $0.key < $1.key }.map { (String($0.key), Self.number($0.value)) }))
          )
        }))
    state["usage_last_30"] = sums(usageLast30)
    state["usage_previous_30"] = sums(usagePrevious30)
    if let activeUsers {
      state["active_users"] = .array([Self.number(activeUsers.day), Self.number(activeUsers.value)])
    }
    state["open_by_severity"] = counts(openBySeverity)
    state["tickets_90"] = Self.number(tickets90)
    if let lastTicket { state["last_ticket"] = Self.number(lastTicket) }
    if let lastHighSeverity { state["last_high_severity"] = Self.number(lastHighSeverity) }
    state["satisfaction"] = counts(satisfaction)
    state["surveys"] = .object(
      JSONObject(
        surveys.sorted { TextOrder.precedes($0.key, $1.key) }.map { type, survey in
          (type, .object(JSONObject([("at", Self.number(survey.at)), ("score", survey.score), ("origin", origin(survey.origin))])))
        }))
    state["milestones"] = counts(milestones)
    state["programs"] = .array(programs.sorted { $0.jsonText < $1.jsonText })
    state["sponsors"] = Self.number(sponsors)
    state["champions"] = Self.number(champions)
    state["sponsor_changes_90"] = Self.number(sponsorChanges90)
    if let lastSponsorChange { state["last_sponsor_change"] = Self.number(lastSponsorChange) }
    state["freshness"] = counts(freshness.dictionary)
    return state
  }

  /// Reads a partial state back; nil with a reason when the record is not one.
  static func fromPartial(key: String, state: JSONObject) -> AccountRollup? {
    let rollup = AccountRollup(key: key)
    func int(_ value: JSONValue?) -> Int? { value?.intValue }
    /// An object of one value type, or nil when any value does not convert.
    func map<Value>(_ name: String, _ convert: (JSONValue?) -> Value?) -> [String: Value]? {
      guard let object = state[name]?.objectValue else { return nil }
      var result: [String: Value] = [:]
      for entry in object.entries {
        guard let value = convert(entry.value) else { return nil }
        result[entry.key] = value
      }
      return result
    }
    func intMap(_ name: String) -> [String: Int]? { map(name, int) }
    func sum(_ value: JSONValue?) -> DecimalSum? { value?.numberText.flatMap(DecimalSum.init) }
    func decimalMap(_ name: String) -> [String: DecimalSum]? { map(name, sum) }
    func origin(_ value: JSONValue?) -> Origin? {
      guard case .array(let parts)? = value, parts.count == 2, let file = parts[0].stringValue, let line = parts[1].intValue else {
        return nil
      }
      return Origin(file: file, line: line)
    }
    guard let attributes = state["attributes"]?.objectValue, case .array(let subscriptions)? = state["subscriptions"],
      let unpaid = intMap("unpaid_due"), let pastDue = int(state["invoices_past_due"]),
      let pastDueAmount = decimalMap("past_due_amount"), let failed = int(state["failed_payments_90"]),
      let last30 = decimalMap("usage_last_30"), let previous30 = decimalMap("usage_previous_30"),
      let open = intMap("open_by_severity"), let tickets90 = int(state["tickets_90"]),
      let satisfaction = intMap("satisfaction"), let surveys = state["surveys"]?.objectValue,
      let milestones = intMap("milestones"), case .array(let programs)? = state["programs"],
      let sponsors = int(state["sponsors"]), let champions = int(state["champions"]),
      let changes = int(state["sponsor_changes_90"]), let freshness = intMap("freshness")
    else { return nil }
    // Added later: a partial from an earlier version has none of them.
    guard let firstSeen = state["usage_first_seen"] == nil ? [:] : intMap("usage_first_seen"),
      let lastSeen = state["usage_last_seen"] == nil ? [:] : intMap("usage_last_seen"),
      let monthly = state["usage_monthly"] == nil ? JSONObject() : state["usage_monthly"]?.objectValue
    else { return nil }
    for entry in monthly.entries {
      guard let months = entry.value.objectValue else { return nil }
      var series: [Int: DecimalSum] = [:]
      for month in months.entries {
        guard let index = Int(month.key), let value = sum(month.value) else { return nil }
        series[index] = value
      }
      rollup.usageMonthly[entry.key] = series
    }
    rollup.usageFirstSeen = firstSeen
    rollup.usageLastSeen = lastSeen
    rollup.lastFailedPayment = int(state["last_failed_payment"])
    rollup.lastSponsorChange = int(state["last_sponsor_change"])
    for entry in attributes.entries {
      guard let object = entry.value.objectValue, let value = object["value"], let rank = int(object["rank"]),
        let origin = origin(object["origin"])
      else { return nil }
      rollup.attributes[entry.key] = Attribute(value: value, rank: rank, origin: origin)
    }
    for item in subscriptions {
      guard let object = item.objectValue, let id = object["id"]?.stringValue, let currency = object["currency"]?.stringValue,
        let monthly = object["monthly"]?.numberText.flatMap({ Decimal(string: $0) }), let start = int(object["start"]),
        let status = object["status"]?.stringValue, let quantity = int(object["quantity"]),
        monthly >= 0, monthly <= Decimal(SubscriptionFact.limitMinor) / pow(Decimal(10), Values.minorUnitDigits(of: currency))
      else { return nil }
      rollup.subscriptions.append(
        SubscriptionFact(
          id: id, currency: currency, monthlyMinor: SubscriptionFact.minorUnits(monthly, currency: currency), start: start,
          serviceEnd: int(object["end"]), cancelledAt: int(object["cancelled_at"]),
          cancellationScheduled: object["cancellation_scheduled"]?.boolValue ?? false, trialEnd: int(object["trial_end"]), status: status,
          quantity: quantity))
    }
    rollup.unpaidDue = unpaid
    rollup.invoicesPastDue = pastDue
    rollup.pastDueAmount = pastDueAmount
    rollup.failedPayments90 = failed
    rollup.usageLast30 = last30
    rollup.usagePrevious30 = previous30
    if case .array(let pair)? = state["active_users"], pair.count == 2, let day = int(pair[0]), let value = sum(pair[1]) {
      rollup.activeUsers = (day, value)
    }
    rollup.openBySeverity = open
    rollup.tickets90 = tickets90
    rollup.lastTicket = int(state["last_ticket"])
    rollup.lastHighSeverity = int(state["last_high_severity"])
    rollup.satisfaction = satisfaction
    for entry in surveys.entries {
      guard let object = entry.value.objectValue, let at = int(object["at"]), let score = object["score"],
        let origin = origin(object["origin"])
      else { return nil }
      rollup.surveys[entry.key] = Survey(at: at, score: score, origin: origin)
    }
    rollup.milestones = milestones
    rollup.programs = programs
    rollup.sponsors = sponsors
    rollup.champions = champions
    rollup.sponsorChanges90 = changes
    rollup.freshness = SourceTimes(freshness)
    return rollup
  }
}

/// What a shard held, as 16 hex digits: the wrapping sum of a 64-bit hash of every input line,
/// so it does not depend on the lines' order (the partial output must not) and two shards with
/// different records differ. FNV-1a with a SplitMix finaliser: a fingerprint, not a defence
/// against someone forging partials.
struct ShardFingerprint {
  private var sum: UInt64 = 0
  private var lines: UInt64 = 0

  mutating func add(_ line: UnsafeBufferPointer<UInt8>) {
    var hash = LineDigest.fnv1a(line)
    hash = (hash ^ (hash >> 30)) &* 0xBF58_476D_1CE4_E5B9
    hash = (hash ^ (hash >> 27)) &* 0x94D0_49BB_1331_11EB
    sum &+= hash ^ (hash >> 31)
    lines += 1
  }

  var text: String {
    LineDigest.hex(sum ^ (lines &* 0x9E37_79B9_7F4A_7C15))
  }
}
