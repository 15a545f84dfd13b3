import CSPipeCore
import Foundation

/// Folding: each canonical record (or, with --merge, each partial) into its account's running
/// sums as it streams past (docs/SEGMENT.md, "Roll-ups").
extension Segment {
  func fold(_ record: LazyJSONObject, location: SourceLocation, line: UnsafeBufferPointer<UInt8>) throws {
    // Rejects keep the line as read.
    let raw = { String(decoding: line, as: UTF8.self) }
    guard let kind = record["kind"]?.stringValue, let key = record["account"]?.stringValue, !key.isEmpty else {
      return try rejects.reject(at: location, reason: "expected a canonical record with kind and account", raw: raw())
    }
    if options.mode == .merge || kind == "partial" {
      return try mergePartial(record, kind: kind, key: key, location: location, raw: raw)
    }
    guard let schema = CanonicalKind.named(kind) else {
      return try rejects.reject(at: location, reason: "unknown kind \(kind.debugDescription)", raw: raw())
    }
    func time(_ field: String) -> Int? { record.epochSeconds(field) }
    let cutoff = options.cutoff
    // The event's time, read once: for as-of here and for freshness below.
    let eventAt = schema.eventTime.flatMap(time)
    if let at = eventAt, at >= cutoff {
      summary.afterAsOf += 1
      return
    }
    let account =
      accounts[key]
      ?? {
        let created = AccountRollup(key: key)
        accounts[key] = created
        return created
      }()
    let (labelled, line) = readSource(record)
    let system = labelled.system
    let origin = Origin(file: labelled.file, line: line)
    if let at = eventAt {
      // One lookup (the `default:` subscript modified in place), not a read and a write.
      Self.raise(&account.freshness[labelled.name, default: at], to: at)
    }
    let last30Start = cutoff - 30 * Self.day
    let last60Start = cutoff - 60 * Self.day
    let last90Start = cutoff - 90 * Self.day
    switch kind {
    case "account":
      account.mergeAttributes(record, system: system, origin: origin)
    case "subscription":
      let (fact, problem) = SubscriptionFact.make(record, cutoff: cutoff)
      guard let fact else {
        return try rejects.reject(at: location, reason: problem ?? "unusable subscription", raw: raw())
      }
      if let problem { warnings.warn("cancellation without an end", problem, at: location) }
      if baseAmountsWithinBound {
        // Amounts are never negative, so the running sum passes the limit iff the total does.
        let (sum, overflow) = baseAmountsBound.addingReportingOverflow(fact.monthlyMinor)
        baseAmountsBound = sum
        baseAmountsWithinBound =
          fact.currency == options.config.baseCurrency && !overflow && sum <= SubscriptionFact.portfolioLimitMinor
      }
      account.subscriptions.append(fact)
    case "invoice":
      let status = record["status"]?.stringValue
      // Paid after as-of: unpaid as of then (what was known that day, not what came later).
      let paidLater = status == "paid" && (time("paid_at").map { $0 >= cutoff } ?? false)
      if status == "open" || status == "uncollectible" || paidLater, let due = time("due_at"), due < cutoff {
        account.invoicesPastDue += 1
        if let amount = record["amount"]?.numberText.flatMap(DecimalSum.init),
          let currency = record["currency"]?.stringValue
        {
          account.pastDueAmount[currency, default: 0] += amount
        }
        let subscription = record["subscription"]?.stringValue ?? ""
        account.unpaidDue[subscription] = min(account.unpaidDue[subscription] ?? due, due)
      }
    case "payment":
      if record["status"]?.stringValue == "failed", let at = time("at") {
        if at >= last90Start { account.failedPayments90 += 1 }
        account.lastFailedPayment = max(account.lastFailedPayment ?? at, at)
      }
    case "ticket":
      let created = time("created_at")
      let status = record["status"]?.stringValue
      let solvedLater = time("solved_at").map { $0 >= cutoff } ?? false
      if status == "new" || status == "open" || status == "pending" || solvedLater {
        let severity = record["severity"]?.intValue.map(String.init) ?? "unknown"
        account.openBySeverity[severity, default: 0] += 1
      }
      if let created {
        if created >= last90Start { account.tickets90 += 1 }
        account.lastTicket = max(account.lastTicket ?? created, created)
        let severity = record["severity"]?.intValue ?? 4
        let priority = record["priority"]?.stringValue
        if severity <= 2 || priority == "high" || priority == "urgent" {
          account.lastHighSeverity = max(account.lastHighSeverity ?? created, created)
        }
      }
      if let satisfaction = record["satisfaction"]?.stringValue {
        account.satisfaction[satisfaction, default: 0] += 1
      }
    case "survey":
      guard let type = record["type"]?.stringValue, let at = time("at"), let score = record["score"] else { break }
      account.offerSurvey(labels(type), AccountRollup.Survey(at: at, score: score, origin: origin))
    case "usage":
      guard let at = time("at"), let metricText = record["metric"]?.stringValue,
        let value = record["value"]?.numberText.flatMap(DecimalSum.init)
      else { break }
      let metric = labels(metricText)
      if value > 0 {
        let day = at >= 0 ? at / Self.day : (at - Self.day + 1) / Self.day
        account.usageFirstSeen[metric] = min(account.usageFirstSeen[metric] ?? day, day)
        account.usageLastSeen[metric] = max(account.usageLastSeen[metric] ?? day, day)
      }
      if let month = monthlyIndex(of: metric, at: at) { account.usageMonthly[metric, default: [:]][month, default: 0] += value }
      if at >= last30Start {
        account.usageLast30[metric, default: 0] += value
        // Peak daily active users of the last 30 days: a weekend day must not read as churn.
        if metric == "active_users" { account.offerActiveUsers(day: at, value: value) }
      } else if at >= last60Start {
        account.usagePrevious30[metric, default: 0] += value
      }
    case "user":
      let role = record["role"]?.stringValue
      let removed = time("removed_at")
      if removed == nil || removed! >= cutoff {
        if role == "sponsor" { account.sponsors += 1 }
        if role == "champion" { account.champions += 1 }
      } else if let removed, removed >= last90Start, role == "sponsor" || role == "champion" {
        account.sponsorChanges90 += 1
        account.lastSponsorChange = max(account.lastSponsorChange ?? removed, removed)
      }
    case "milestone":
      if let name = record["name"]?.stringValue, let at = time("at") {
        account.milestones[name] = min(account.milestones[name] ?? at, at)
      }
    case "program":
      var entry = JSONObject()
      for field in ["name", "cohort", "joined_at", "graduated_at"] {
        // A graduation after as-of had not happened then.
        if field == "graduated_at", let at = time(field), at >= cutoff { continue }
        if let value = record[field] { entry[field] = value }
      }
      account.programs.append(.object(entry))
    default:
      break
    }
    folded.count(kind)
    summary.folded += 1
  }

  static func raise(_ value: inout Int, to candidate: Int) { if candidate > value { value = candidate } }

  /// The interned system, file and `system/dataset` name of a record's source, and its line.
  /// Records come in runs from one file, whose sources agree up to the line number: a source
  /// that begins exactly as the last one's canonical text (`lastSourcePrefix`) and ends in a
  /// plain line number is not parsed, and its labels are the last ones.
  func readSource(_ record: LazyJSONObject) -> (SourceLabels, Int) {
    if let last = lastSource, !lastSourcePrefix.isEmpty,
      let line = record.withRawValue("source", { Self.lineNumber(in: $0, after: lastSourcePrefix) }) ?? nil
    {
      return (last, line)
    }
    let source = record.nested("source")
    let (system, dataset, file) = (
      source?["system"]?.stringValue ?? "", source?["dataset"]?.stringValue ?? "", source?["file"]?.stringValue ?? ""
    )
    let labelled: SourceLabels
    if let last = lastSource, last.system == system, last.dataset == dataset, last.file == file {
      labelled = last
    } else {
      labelled = SourceLabels(
        system: labels(system), dataset: labels(dataset), file: labels(file), name: labels("\(system)/\(dataset)"))
      lastSource = labelled
      lastSourcePrefix = RawEnvelope.sourcePrefix(system: system, dataset: dataset, file: file)
    }
    return (labelled, source?["line"]?.intValue ?? 0)
  }

  /// The line number of a source object that is `prefix`, a plain integer and `}`.
  static func lineNumber(in source: UnsafeBufferPointer<UInt8>, after prefix: [UInt8]) -> Int? {
    guard source.count > prefix.count + 1, memcmp(source.baseAddress!, prefix, prefix.count) == 0,
      let (line, end) = RawEnvelope.plainInteger(source, at: prefix.count), end == source.count - 1,
      source[end] == ASCII.closeBrace
    else { return nil }
    return line
  }

  /// The month index of a usage fact kept in the monthly series, or nil: the metric is not in
  /// `monthlyUsage`, or the month is before the 13-month window.
  func monthlyIndex(of metric: String, at instant: Int) -> Int? {
    guard !options.config.monthlyUsage.isEmpty, let index = Months.index(containing: instant), index >= firstMonthlyIndex else {
      return nil
    }
    if let known = monthlyMetric[metric] { return known ? index : nil }
    let kept = options.config.monthlyUsage.contains { RecordPath.matches(pattern: $0, metric) }
    monthlyMetric[metric] = kept
    return kept ? index : nil
  }

  func mergePartial(
    _ record: LazyJSONObject, kind: String, key: String, location: SourceLocation, raw: () -> String
  ) throws {
    guard options.mode == .merge else {
      return try rejects.reject(at: location, reason: "a partial aggregate: combine partials with --merge", raw: raw())
    }
    guard kind == "partial" else {
      return try rejects.reject(
        at: location, reason: "--merge reads partial aggregates (segment --partial), not \(kind) records", raw: raw())
    }
    guard record["as_of"]?.stringValue == options.asOfLabel else {
      return try rejects.reject(
        at: location,
        reason: "partial made as of \(record["as_of"]?.stringValue ?? "?"), this run is as of \(options.asOfLabel)",
        raw: raw())
    }
    guard let state = record["state"]?.objectValue, let partial = AccountRollup.fromPartial(key: key, state: state) else {
      return try rejects.reject(at: location, reason: "not a valid partial aggregate", raw: raw())
    }
    if let shard = record["shard"]?.stringValue, !mergedPartials.insert(shard + "\u{0}" + key).inserted {
      summary.repeatedPartials += 1
      warnings.warn(
        "repeated partial",
        "account \(key.debugDescription) of shard \(shard) was already merged (the same partial given twice?): merged once",
        at: location)
      return
    }
    if let existing = accounts[key] {
      existing.merge(partial)
    } else {
      accounts[key] = partial
    }
    summary.folded += 1
  }
}
