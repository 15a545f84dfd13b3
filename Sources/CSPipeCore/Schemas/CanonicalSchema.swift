/// The canonical record kinds `normalise` emits (docs/CONTRACT.md §3), with their fields in
/// output order. Mapping files may only target these fields, so a typo in a mapping is an error
/// when it loads, not a silently missing column three stages later. A class: its tables are
/// shared, never copied (a copy of the struct per record took a reference count on each).
public final class CanonicalKind: Sendable {
  public enum FieldType: Sendable, Equatable {
    case string
    case integer
    /// An exact decimal number.
    case decimal
    /// An amount charged, in major units of the record's `currency`, rounded to its minor unit.
    case money
    /// A price per unit in major units of the record's `currency`, kept to 12 places below its
    /// minor unit (metered prices are fractions of a cent).
    case price
    /// ISO 4217, upper case.
    case currency
    /// RFC 3339 UTC, second precision.
    case datetime
    /// `YYYY-MM-DD`.
    case date
    case boolean
    /// One of a closed set of values.
    case enumeration([String])
    /// A list of strings (tags).
    case list
  }

  public let name: String
  public let fields: [(name: String, type: FieldType)]
  /// The field that dates the fact: a record dated after `--as-of` is not yet known then.
  public let eventTime: String?
  /// Dates that are plans, not facts (a renewal date, the end of the current period): they may
  /// lie after `--as-of` and are kept.
  public let scheduled: Set<String>
  /// Fields that a fact dated after `--as-of` takes with it: a cancellation made later was
  /// not known, nor was the end it scheduled.
  public let forgottenWith: [String: [String]]
  /// States that a fact dated after `--as-of` implies, and the state before it.
  public let rewinds: [StatusRewind]

  /// A status that a later fact implies goes back to the one before it as of then: a ticket
  /// solved after as-of was open; a subscription cancelled later was active (trialing while its
  /// trial lasted).
  public struct StatusRewind: Sendable {
    /// The facts that imply the status when dated after as-of.
    public let lateFacts: Set<String>
    /// A plan dated after as-of that implies it too (a cancellation taking effect later).
    public let laterPlan: String?
    public let statuses: Set<String>
    public let before: String
    /// The status before while this date still lies ahead (a trial end).
    public let beforeWhileAhead: (field: String, status: String)?
  }

  init(
    name: String, fields: [(name: String, type: FieldType)], eventTime: String?, scheduled: Set<String> = [],
    forgottenWith: [String: [String]] = [:], rewinds: [StatusRewind] = []
  ) {
    self.name = name
    self.fields = fields
    self.eventTime = eventTime
    self.scheduled = scheduled
    self.forgottenWith = forgottenWith
    self.rewinds = rewinds
  }

  public func type(of field: String) -> FieldType? {
    fields.first { $0.name == field }?.type
  }

  public static let all: [CanonicalKind] = [
    CanonicalKind(
      name: "account",
      fields: [
        ("name", .string), ("domain", .string), ("parent", .string), ("industry", .string),
        ("region", .string), ("country", .string), ("line_of_business", .string), ("size", .string),
        ("growth_potential", .string), ("owner", .string), ("created_at", .datetime),
        ("contract_start", .date), ("renewal_at", .date), ("target_value", .decimal),
        ("customer", .string), ("email", .string),
      ],
      eventTime: nil, scheduled: ["contract_start", "renewal_at"]),
    CanonicalKind(
      name: "subscription",
      fields: [
        ("id", .string), ("customer", .string), ("plan", .string),
        ("status", .enumeration(["trialing", "active", "past_due", "unpaid", "incomplete", "paused", "canceled", "ended"])),
        ("currency", .currency), ("amount", .price),
        ("interval", .enumeration(["day", "week", "month", "quarter", "year"])),
        ("interval_count", .integer), ("quantity", .integer), ("discount", .price),
        ("started_at", .datetime), ("trial_end", .datetime), ("canceled_at", .datetime),
        ("cancel_at", .datetime), ("cancel_at_period_end", .boolean),
        ("ended_at", .datetime), ("current_period_end", .datetime), ("updated_at", .datetime),
      ],
      eventTime: "started_at", scheduled: ["trial_end", "current_period_end", "cancel_at"],
      forgottenWith: ["canceled_at": ["cancel_at", "cancel_at_period_end"]],
      rewinds: [
        StatusRewind(
          lateFacts: ["canceled_at", "ended_at"], laterPlan: "cancel_at", statuses: ["canceled", "ended"],
          before: "active", beforeWhileAhead: ("trial_end", "trialing"))
      ]),
    CanonicalKind(
      name: "invoice",
      fields: [
        ("id", .string), ("number", .string), ("customer", .string), ("subscription", .string),
        ("status", .enumeration(["draft", "open", "paid", "void", "uncollectible"])),
        ("currency", .currency), ("amount", .money), ("tax", .money), ("amount_paid", .money),
        ("issued_at", .datetime), ("due_at", .datetime), ("paid_at", .datetime),
        ("period_start", .datetime), ("period_end", .datetime), ("updated_at", .datetime),
      ],
      eventTime: "issued_at", scheduled: ["due_at", "period_start", "period_end"],
      rewinds: [StatusRewind(lateFacts: ["paid_at"], laterPlan: nil, statuses: ["paid"], before: "open", beforeWhileAhead: nil)]),
    CanonicalKind(
      name: "payment",
      fields: [
        ("id", .string), ("customer", .string), ("invoice", .string),
        ("status", .enumeration(["succeeded", "failed", "refunded"])),
        ("currency", .currency), ("amount", .money), ("captured", .boolean), ("at", .datetime),
      ],
      eventTime: "at"),
    CanonicalKind(
      name: "ticket",
      fields: [
        ("id", .string), ("number", .string),
        ("status", .enumeration(["new", "open", "pending", "solved", "closed"])),
        ("priority", .enumeration(["low", "normal", "high", "urgent"])), ("severity", .integer),
        ("created_at", .datetime), ("solved_at", .datetime), ("updated_at", .datetime),
        ("channel", .string),
        ("satisfaction", .enumeration(["good", "bad", "offered", "unoffered"])),
        ("subject", .string), ("tags", .list), ("requester", .string),
      ],
      eventTime: "created_at",
      rewinds: [
        StatusRewind(lateFacts: ["solved_at"], laterPlan: nil, statuses: ["solved", "closed"], before: "open", beforeWhileAhead: nil)
      ]),
    CanonicalKind(
      name: "survey",
      fields: [
        ("type", .enumeration(["nps", "csat", "ces"])), ("score", .decimal),
        ("respondent", .string), ("at", .datetime), ("comment", .string),
      ],
      eventTime: "at"),
    CanonicalKind(
      name: "usage",
      fields: [("at", .date), ("metric", .string), ("value", .decimal)],
      eventTime: "at"),
    CanonicalKind(
      name: "user",
      fields: [
        ("id", .string), ("email", .string), ("role", .string), ("created_at", .datetime),
        ("last_seen_at", .datetime), ("removed_at", .datetime),
      ],
      eventTime: "created_at"),
    CanonicalKind(
      name: "milestone", fields: [("name", .string), ("at", .datetime)], eventTime: "at"),
    CanonicalKind(
      name: "program",
      fields: [
        ("name", .string), ("cohort", .string), ("joined_at", .datetime),
        ("graduated_at", .datetime),
      ],
      eventTime: "joined_at"),
  ]

  public static func named(_ name: String) -> CanonicalKind? {
    all.first { $0.name == name }
  }
}
