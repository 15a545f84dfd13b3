import CSPipeCore

/// Every member of a canonical record that the fold reads, of any kind (docs/CONTRACT.md §3):
/// one pass over a record's members finds them all (`LazyJSONObject.select`), where a lookup
/// by name scanned the members once per field read.
enum CanonicalMember: Int, LazyJSONMemberNames {
  // The envelope.
  case kind, account, source
  // Subscriptions (`SubscriptionFact.make`).
  case id, status, currency, amount, interval, intervalCount, quantity, discount, startedAt, trialEnd, canceledAt
  case cancelAt, cancelAtPeriodEnd, endedAt, currentPeriodEnd
  // Invoices, payments, tickets, surveys, usage, users, milestones, programs.
  case issuedAt, paidAt, dueAt, subscription, at, createdAt, solvedAt, severity, priority, satisfaction, type, score
  case metric, value, role, removedAt, name, cohort, joinedAt, graduatedAt

  var name: String {
    switch self {
    case .kind: "kind"
    case .account: "account"
    case .source: "source"
    case .id: "id"
    case .status: "status"
    case .currency: "currency"
    case .amount: "amount"
    case .interval: "interval"
    case .intervalCount: "interval_count"
    case .quantity: "quantity"
    case .discount: "discount"
    case .startedAt: "started_at"
    case .trialEnd: "trial_end"
    case .canceledAt: "canceled_at"
    case .cancelAt: "cancel_at"
    case .cancelAtPeriodEnd: "cancel_at_period_end"
    case .endedAt: "ended_at"
    case .currentPeriodEnd: "current_period_end"
    case .issuedAt: "issued_at"
    case .paidAt: "paid_at"
    case .dueAt: "due_at"
    case .subscription: "subscription"
    case .at: "at"
    case .createdAt: "created_at"
    case .solvedAt: "solved_at"
    case .severity: "severity"
    case .priority: "priority"
    case .satisfaction: "satisfaction"
    case .type: "type"
    case .score: "score"
    case .metric: "metric"
    case .value: "value"
    case .role: "role"
    case .removedAt: "removed_at"
    case .name: "name"
    case .cohort: "cohort"
    case .joinedAt: "joined_at"
    case .graduatedAt: "graduated_at"
    }
  }

  static let table = LazyJSONMemberTable(Self.self)

  /// The case named `name`, if the fold reads it.
  static func named(_ name: String) -> CanonicalMember? { allCases.first { $0.name == name } }
}

/// A canonical record's members as the fold reads them.
typealias CanonicalFields = LazyJSONObject.Selection<CanonicalMember>

/// A kind the fold has met, with the member that dates its facts (`CanonicalKind.eventTime`),
/// looked up once per kind rather than per record.
struct FoldedKind {
  enum EventTime {
    case none
    case member(CanonicalMember)
    /// A schema's event time the fold does not otherwise read (read by name).
    case other(String)
  }

  let name: String
  let eventTime: EventTime

  init?(_ name: String) {
    guard let schema = CanonicalKind.named(name) else { return nil }
    self.name = name
    eventTime = schema.eventTime.map { CanonicalMember.named($0).map(EventTime.member) ?? .other($0) } ?? .none
  }

  func eventAt(_ fields: CanonicalFields, _ record: LazyJSONObject) -> Int? {
    switch eventTime {
    case .none: nil
    case .member(let member): fields.epochSeconds(member)
    case .other(let name): record.epochSeconds(name)
    }
  }
}
