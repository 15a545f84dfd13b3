/// The records `segment` writes (docs/SEGMENT.md "Output"), declared once: segment's writer
/// follows this order, `score`, `stage` and `report` read by it, and tests check every record
/// segment writes against it (and docs/SEGMENT.md against its field names).
public enum AccountRecordSchema {
  static let tiers = ["tier1", "tier2", "tier3", "unranked"]
  static let movementTypes = ["new", "reactivation", "expansion", "contraction", "churn", "fx"]

  /// One `account` record.
  public static let account = RecordSchema(
    kind: "account",
    fields: [
      FieldSpec("kind", .oneOf(["account"]), required: true),
      FieldSpec("account", .string, required: true),
      FieldSpec("as_of", .date, required: true),
      FieldSpec("name", .string),
      FieldSpec("domain", .string),
      FieldSpec("parent", .string),
      FieldSpec("owner", .string),
      FieldSpec("children", .array(.string)),
      FieldSpec("segments", .map(.any), required: true),
      FieldSpec("contract_start", .date),
      FieldSpec("renewal_at", .date),
      FieldSpec("target_value", .number),
      FieldSpec("currency", .string, required: true),
      FieldSpec("mrr", .number, required: true),
      FieldSpec("arr", .number, required: true),
      FieldSpec("cancellation_scheduled_at", .nullable(.time), required: true),
      FieldSpec("ends_at", .nullable(.time), required: true),
      FieldSpec("mrr_at_risk", .number, required: true),
      FieldSpec("mrr_with_children", .number),
      FieldSpec("arr_with_children", .number),
      FieldSpec(
        "mrr_series",
        .array(.object([FieldSpec("month", .string, required: true), FieldSpec("mrr", .number, required: true)])),
        required: true),
      FieldSpec(
        "movements",
        .array(
          .object([
            FieldSpec("month", .string, required: true), FieldSpec("through", .date),
            FieldSpec("type", .oneOf(movementTypes), required: true), FieldSpec("amount", .number, required: true),
          ])),
        required: true),
      FieldSpec("revenue_rank", .nullable(.integer), required: true),
      FieldSpec("cumulative_share", .nullable(.number), required: true),
      FieldSpec("tier", .oneOf(tiers), required: true),
      FieldSpec("tier_from", .string),
      FieldSpec("touch", .string, required: true),
      FieldSpec("seats", .integer, required: true),
      FieldSpec("active_users", .number),
      FieldSpec("adoption", .number),
      FieldSpec(
        "usage",
        .object([
          FieldSpec("last_30_days", .map(.number), required: true),
          FieldSpec("previous_30_days", .map(.number), required: true),
          FieldSpec("first_seen", .map(.date)),
          FieldSpec("last_seen", .map(.date)),
          FieldSpec(
            "monthly",
            .map(.array(.object([FieldSpec("month", .string, required: true), FieldSpec("value", .number, required: true)])))),
        ]),
        required: true),
      FieldSpec(
        "tickets",
        .object([
          FieldSpec("open_by_severity", .map(.integer), required: true),
          FieldSpec("last_90_days", .integer, required: true),
          FieldSpec("last_at", .time),
          FieldSpec("days_since_last", .integer),
          FieldSpec("last_high_severity_at", .time),
          FieldSpec("satisfaction_*", .integer),
        ]),
        required: true),
      FieldSpec(
        "surveys",
        .map(.object([FieldSpec("score", .number, required: true), FieldSpec("at", .time, required: true)])),
        required: true),
      FieldSpec(
        "billing",
        .object([
          FieldSpec("invoices_past_due", .integer, required: true),
          FieldSpec("past_due_*", .number),
          FieldSpec("failed_payments_90_days", .integer, required: true),
          FieldSpec("last_failed_payment_at", .time),
        ]),
        required: true),
      FieldSpec("milestones", .map(.time), required: true),
      FieldSpec("programs", .array(.any), required: true),
      FieldSpec(
        "users",
        .object([
          FieldSpec("sponsors", .integer, required: true),
          FieldSpec("champions", .integer, required: true),
          FieldSpec("sponsor_changes_90_days", .integer, required: true),
          FieldSpec("last_sponsor_change_at", .time),
        ]),
        required: true),
      FieldSpec("freshness", .map(.date), required: true),
      // Added by score (docs/SCORE.md).
      FieldSpec("health", health),
      // Added by stage (docs/STAGE.md).
      FieldSpec("stage", stage),
    ])

  /// The `stage` object `stage` adds to each account record (docs/STAGE.md, "Output").
  public static let stage = ValueShape.object([
    FieldSpec("phase", .oneOf(["churned", "never-paid", "onboarding", "renewal", "ongoing"]), required: true),
    FieldSpec("phase_since", .nullable(.date), required: true),
    FieldSpec("days_in_phase", .nullable(.integer), required: true),
    FieldSpec("phase_rule", .string, required: true),
    FieldSpec(
      "renewal",
      .nullable(
        .object([
          FieldSpec("at", .date, required: true), FieldSpec("in_days", .integer, required: true),
          FieldSpec("rolled", .boolean, required: true),
        ])), required: true),
    FieldSpec(
      "milestones",
      .array(
        .object([
          FieldSpec("name", .string, required: true), FieldSpec("side", .oneOf(["ours", "customer", "shared"]), required: true),
          FieldSpec("baseline_day", .integer, required: true), FieldSpec("baseline", .string), FieldSpec("due", .date, required: true),
          FieldSpec("state", .oneOf(["met", "due", "overdue", "unknown"]), required: true), FieldSpec("at", .date),
          FieldSpec("day", .integer), FieldSpec("met_by", .date), FieldSpec("days_late", .integer), FieldSpec("days_left", .integer),
          FieldSpec("missing", .string),
        ])), required: true),
    FieldSpec("time_to_value_days", .nullable(.integer), required: true),
    FieldSpec(
      "risks", .array(.object([FieldSpec("code", .string, required: true), FieldSpec("text", .string, required: true)])), required: true),
    FieldSpec(
      "effectiveness",
      .nullable(
        .object([
          FieldSpec("stage", .nullable(.string), required: true), FieldSpec("index", .integer, required: true),
          FieldSpec("next", .nullable(.string), required: true), FieldSpec("lacking", .array(.string), required: true),
          FieldSpec(
            "baseline",
            .nullable(
              .object([
                FieldSpec("stage", .nullable(.string), required: true), FieldSpec("index", .integer, required: true),
                FieldSpec("as_of", .string, required: true), FieldSpec("change", .integer, required: true),
              ])), required: true),
        ])), required: true),
    FieldSpec(
      "value",
      .nullable(
        .object([
          FieldSpec("metric", .string, required: true), FieldSpec("last_30_days", .number, required: true),
          FieldSpec("target", .number, required: true), FieldSpec("ratio", .number, required: true),
        ])), required: true),
    FieldSpec("programs", .array(.string), required: true),
    FieldSpec(
      "moments",
      .array(
        .object([
          FieldSpec("key", .string, required: true), FieldSpec("type", .string, required: true),
          FieldSpec("kind", .oneOf(["time-based", "event-based"]), required: true), FieldSpec("reason", .string, required: true),
          FieldSpec("trigger", .string, required: true), FieldSpec("due", .date, required: true),
          FieldSpec("status", .oneOf(["overdue", "due", "upcoming", "snoozed"]), required: true), FieldSpec("snoozed_until", .date),
          FieldSpec("owner", .string, required: true), FieldSpec("channel", .string, required: true),
          FieldSpec("objective", .string, required: true),
        ])), required: true),
    FieldSpec("moments_expired", .integer, required: true),
    FieldSpec("moments_capped", .integer, required: true),
    FieldSpec("band", .nullable(.oneOf(["champion", "cruiser", "laggard"])), required: true),
    FieldSpec("band_rule", .string, required: true),
    FieldSpec("band_evidence", .array(.string)),
    FieldSpec(
      "playbook",
      .nullable(
        .object([
          FieldSpec("name", .string, required: true),
          FieldSpec("cause", .nullable(.oneOf(["ours", "shared", "customer"])), required: true),
          FieldSpec("rule", .string, required: true), FieldSpec("evidence", .array(.string), required: true),
          FieldSpec("actions", .array(.string), required: true), FieldSpec("peer", .nullable(.string)),
          FieldSpec("peer_basis", .nullable(.string)),
        ])), required: true),
  ])

  /// The `health` object `score` adds to each account record (docs/SCORE.md, "Output").
  public static let health = ValueShape.object([
    FieldSpec("score", .nullable(.number), required: true),
    FieldSpec("color", .nullable(.oneOf(["red", "orange", "yellow", "green"])), required: true),
    FieldSpec("profile", .string, required: true),
    FieldSpec("tier_weights", .nullable(.string), required: true),
    FieldSpec("coverage", .number, required: true),
    FieldSpec("renewal_probability", .nullable(.number), required: true),
    FieldSpec(
      "reasons",
      .array(
        .object([
          FieldSpec("code", .string, required: true), FieldSpec("measure", .string),
          FieldSpec("text", .string, required: true),
        ])),
      required: true),
    FieldSpec(
      "measures",
      .map(
        .object([
          FieldSpec("group", .string, required: true), FieldSpec("value", .number), FieldSpec("age_days", .integer),
          FieldSpec("weight", .number, required: true), FieldSpec("points", .number), FieldSpec("share", .number),
          FieldSpec("contribution", .number), FieldSpec("stale", .boolean), FieldSpec("missing", .boolean),
        ])),
      required: true),
    FieldSpec(
      "groups", .map(.object([FieldSpec("weight", .number, required: true), FieldSpec("score", .nullable(.number), required: true)])),
      required: true),
    FieldSpec(
      "trend",
      .object([
        FieldSpec("previous_as_of", .date, required: true), FieldSpec("previous_score", .nullable(.number), required: true),
        FieldSpec("score_change", .nullable(.number), required: true),
        FieldSpec("previous_color", .nullable(.string), required: true),
        FieldSpec("days_in_color", .nullable(.integer), required: true),
      ])),
    FieldSpec(
      "history",
      .map(
        .nullable(
          .object([
            FieldSpec("as_of", .date, required: true), FieldSpec("score", .nullable(.number), required: true),
            FieldSpec("score_change", .nullable(.number), required: true),
          ])))),
  ])

  static let tierSummary = ValueShape.object([
    FieldSpec("accounts", .integer, required: true), FieldSpec("mrr", .number),
    FieldSpec("share_of_accounts", .number), FieldSpec("share_of_mrr", .number),
    FieldSpec("mrr_floor", .nullable(.number)),
  ])

  /// The `portfolio` line, first in segment's output.
  public static let portfolio = RecordSchema(
    kind: "portfolio",
    fields: [
      FieldSpec("kind", .oneOf(["portfolio"]), required: true),
      FieldSpec("as_of", .date, required: true),
      FieldSpec("currency", .string, required: true),
      FieldSpec("accounts", .integer, required: true),
      FieldSpec("mrr", .number, required: true),
      FieldSpec("arr", .number, required: true),
      FieldSpec("tiers", .map(tierSummary), required: true),
      FieldSpec("policies", .map(.any), required: true),
      FieldSpec(
        "movements",
        .array(
          .object(
            [FieldSpec("month", .string, required: true), FieldSpec("through", .date), FieldSpec("start", .number, required: true)]
              + movementTypes.map { FieldSpec($0, .number, required: true) }
              + [FieldSpec("end", .number, required: true)])),
        required: true),
      FieldSpec("retention", .map(.any), required: true),
      FieldSpec("tiers_from", .string),
      FieldSpec("books", .map(.map(.any)), required: true),
      // Added by score: the model, its version and the distributions.
      FieldSpec("health", .map(.any)),
      // Added by stage: the journey, the counts and the baseline check.
      FieldSpec("stage", .map(.any)),
    ])

  /// The schema for a record of segment's output, by its kind.
  public static func schema(forKind kind: String) -> RecordSchema? {
    switch kind {
    case "account": return account
    case "portfolio": return portfolio
    default: return nil
    }
  }
}
