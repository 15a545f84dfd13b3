import CSPipeCore
import Foundation

/// Folding: each canonical record (or, with --merge, each partial) into its account's running
/// sums as it streams past (docs/SEGMENT.md, "Roll-ups").
extension Segment {
  func fold(_ record: LazyJSONObject, location: SourceLocation, line: UnsafeBufferPointer<UInt8>) throws {
    // Rejects keep the line as read.
    let raw = { String(decoding: line, as: UTF8.self) }
    let fields = record.select(CanonicalMember.self)
    // The kind and account of the record before, when this one's tokens are theirs: a run of
    // one kind and one account costs no String and no lookup (`RecentTokens`).
    let knownKind = options.mode == .merge ? nil : fields.withRawValue(.kind) { recentKinds.value(for: $0) } ?? nil
    let knownAccount = knownKind == nil ? nil : fields.withRawValue(.account) { recentAccounts.value(for: $0) } ?? nil
    let known: FoldedKind
    var key = ""
    if let knownKind, knownAccount != nil {
      known = knownKind
    } else {
      guard let kind = fields.string(.kind), let account = fields.string(.account), !account.isEmpty else {
        return try rejects.reject(at: location, reason: "expected a canonical record with kind and account", raw: raw())
      }
      if options.mode == .merge || kind == "partial" {
        return try mergePartial(record, kind: kind, key: account, location: location, raw: raw)
      }
      guard let folded = knownKind ?? foldedKind(kind) else {
        return try rejects.reject(at: location, reason: "unknown kind \(kind.debugDescription)", raw: raw())
      }
      if knownKind == nil { fields.withRawValue(.kind) { recentKinds.remember($0, folded) } }
      known = folded
      key = account
    }
    let kind = known.name
    func time(_ field: CanonicalMember) -> Int? { fields.epochSeconds(field) }
    let cutoff = options.cutoff
    // The event's time, read once: for as-of here and for freshness below.
    let eventAt = known.eventAt(fields, record)
    if let at = eventAt, at >= cutoff {
      summary.afterAsOf += 1
      return
    }
    let account: AccountRollup
    if let knownAccount {
      account = knownAccount
    } else {
      account =
        accounts[key]
        ?? {
          let created = AccountRollup(key: key)
          accounts[key] = created
          return created
        }()
      fields.withRawValue(.account) { recentAccounts.remember($0, account) }
    }
    let (labelled, line) = readSource(record, fields)
    let system = labelled.system
    let origin = Origin(file: labelled.file, line: line)
    if let at = eventAt {
      account.freshness.raise(labelled.name, to: at)
    }
    let last30Start = cutoff - 30 * Self.day
    let last60Start = cutoff - 60 * Self.day
    let last90Start = cutoff - 90 * Self.day
    switch kind {
    case "account":
      account.mergeAttributes(record, system: system, origin: origin)
    case "subscription":
      let (fact, problem) = SubscriptionFact.make(fields, cutoff: cutoff, vocabulary: &subscriptionVocabulary)
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
      let status = fields.string(.status)
      // Paid after as-of: unpaid as of then (what was known that day, not what came later).
      let paidLater = status == "paid" && (time(.paidAt).map { $0 >= cutoff } ?? false)
      if status == "open" || status == "uncollectible" || paidLater, let due = time(.dueAt), due < cutoff {
        account.invoicesPastDue += 1
        if let amount = fields.numberText(.amount).flatMap(DecimalSum.init),
          let currency = fields.string(.currency)
        {
          account.pastDueAmount[currency, default: 0] += amount
        }
        let subscription = fields.string(.subscription) ?? ""
        account.unpaidDue[subscription] = min(account.unpaidDue[subscription] ?? due, due)
      }
    case "payment":
      if fields.string(.status) == "failed", let at = time(.at) {
        if at >= last90Start { account.failedPayments90 += 1 }
        account.lastFailedPayment = max(account.lastFailedPayment ?? at, at)
      }
    case "ticket":
      let created = time(.createdAt)
      let status = fields.string(.status)
      let solvedLater = time(.solvedAt).map { $0 >= cutoff } ?? false
      if status == "new" || status == "open" || status == "pending" || solvedLater {
        let severity = fields.int(.severity).map(String.init) ?? "unknown"
        account.openBySeverity[severity, default: 0] += 1
      }
      if let created {
        if created >= last90Start { account.tickets90 += 1 }
        account.lastTicket = max(account.lastTicket ?? created, created)
        let severity = fields.int(.severity) ?? 4
        let priority = fields.string(.priority)
        if severity <= 2 || priority == "high" || priority == "urgent" {
          account.lastHighSeverity = max(account.lastHighSeverity ?? created, created)
        }
      }
      if let satisfaction = fields.string(.satisfaction) {
        account.satisfaction[satisfaction, default: 0] += 1
      }
    case "survey":
      guard let type = fields.string(.type), let at = time(.at), let score = fields[.score] else { break }
      account.offerSurvey(labels(type), AccountRollup.Survey(at: at, score: score, origin: origin))
    case "usage":
      guard let at = time(.at), let metricText = fields.string(.metric),
        let value = fields.numberText(.value).flatMap(DecimalSum.init)
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
      let role = fields.string(.role)
      let removed = time(.removedAt)
      if removed == nil || removed! >= cutoff {
        if role == "sponsor" { account.sponsors += 1 }
        if role == "champion" { account.champions += 1 }
      } else if let removed, removed >= last90Start, role == "sponsor" || role == "champion" {
        account.sponsorChanges90 += 1
        account.lastSponsorChange = max(account.lastSponsorChange ?? removed, removed)
      }
    case "milestone":
      if let name = fields.string(.name), let at = time(.at) {
        account.milestones[name] = min(account.milestones[name] ?? at, at)
      }
    case "program":
      var entry = JSONObject()
      for field in [CanonicalMember.name, .cohort, .joinedAt, .graduatedAt] {
        // A graduation after as-of had not happened then.
        if field == .graduatedAt, let at = time(field), at >= cutoff { continue }
        if let value = fields[field] { entry[field.name] = value }
      }
      account.programs.append(.object(entry))
    default:
      break
    }
    folded.count(kind)
    summary.folded += 1
  }

  /// The kind named `name`, from the kinds met so far (a handful: a scan, most often of one).
  func foldedKind(_ name: String) -> FoldedKind? {
    if let known = foldedKinds.first(where: { $0.name == name }) { return known }
    guard let known = FoldedKind(name) else { return nil }
    foldedKinds.append(known)
    return known
  }

  /// The interned system, file and `system/dataset` name of a record's source, and its line.
  /// Records come in runs from one file, whose sources agree up to the line number: a source
  /// that begins exactly as the last one's canonical text (`lastSourcePrefix`) and ends in a
  /// plain line number is not parsed, and its labels are the last ones.
  func readSource(_ record: LazyJSONObject, _ fields: CanonicalFields) -> (SourceLabels, Int) {
    if let last = lastSource, !lastSourcePrefix.isEmpty,
      let line = fields.withRawValue(.source, { Self.lineNumber(in: $0, after: lastSourcePrefix) }) ?? nil
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
