import CSPipeCore
import Foundation

/// Tier rules, touch models and MRR policies (`pipelines/segments.json`, docs/SEGMENT.md).
public struct SegmentConfig: Codable, Sendable, Equatable {
  public enum TierRule: String, Codable, Sendable {
    case customerShare = "customer-share"
    case revenueShare = "revenue-share"
    case mrrFloor = "mrr-floor"
    case capacity
  }

  public struct Capacity: Codable, Sendable, Equatable {
    public var csms: Int
    public var accountsPerCsm: Int
  }

  public var description: String?
  public var tierRule: TierRule = .customerShare
  /// Top shares of ranked accounts for tier 1 and tiers 1+2.
  public var customerShare: [Decimal] = [0.10, 0.30]
  /// Cumulative MRR shares the smallest top sets must reach for tier 1 and tiers 1+2.
  public var revenueShare: [Decimal] = [0.45, 0.75]
  /// MRR floors (base currency per month) for tier 1 and tier 2.
  public var mrrFloor: [Decimal] = [5000, 1700]
  /// CSM headcount and book size for tier 1 and tier 2; the rest is tier 3.
  public var capacity: [String: Capacity] = [
    "tier1": Capacity(csms: 1, accountsPerCsm: 2), "tier2": Capacity(csms: 1, accountsPerCsm: 4),
  ]
  public var touch: [String: String] = ["tier1": "high", "tier2": "hybrid", "tier3": "tech", "unranked": "tech"]
  /// A past-due subscription keeps counting in MRR this many days after its oldest unpaid
  /// invoice fell due.
  public var pastDueGraceDays: Int = 30
  /// When a cancelled subscription stops counting: at the end of service (default) or when the
  /// cancellation is made.
  public var churnRecognition: ChurnRecognition = .endOfService
  /// The NRR / GRR window, in months ending at as-of.
  public var retentionMonths: Int = 12
  /// The currency MRR is reported in; other currencies need `--rates`.
  public var baseCurrency: String = "USD"
  /// Account fields echoed as attribute segments.
  public var attributes: [String] = ["industry", "region", "country", "line_of_business", "size", "growth_potential"]
  /// Usage metrics (names, `*` for any run of characters) whose calendar-month totals each
  /// account record carries (`usage.monthly`): what stage's value milestones read.
  public var monthlyUsage: [String] = ["feature:*"]

  public init() {}

  public init(from decoder: Decoder) throws {
    let defaults = SegmentConfig()
    let container = try decoder.container(keyedBy: CodingKeys.self)
    description = try container.decodeIfPresent(String.self, forKey: .description)
    tierRule = try container.decodeIfPresent(TierRule.self, forKey: .tierRule) ?? defaults.tierRule
    customerShare = try container.decodeIfPresent([Decimal].self, forKey: .customerShare) ?? defaults.customerShare
    revenueShare = try container.decodeIfPresent([Decimal].self, forKey: .revenueShare) ?? defaults.revenueShare
    mrrFloor = try container.decodeIfPresent([Decimal].self, forKey: .mrrFloor) ?? defaults.mrrFloor
    capacity = try container.decodeIfPresent([String: Capacity].self, forKey: .capacity) ?? defaults.capacity
    touch = try container.decodeIfPresent([String: String].self, forKey: .touch) ?? defaults.touch
    pastDueGraceDays = try container.decodeIfPresent(Int.self, forKey: .pastDueGraceDays) ?? defaults.pastDueGraceDays
    churnRecognition =
      try container.decodeIfPresent(ChurnRecognition.self, forKey: .churnRecognition) ?? defaults.churnRecognition
    retentionMonths = try container.decodeIfPresent(Int.self, forKey: .retentionMonths) ?? defaults.retentionMonths
    baseCurrency = try container.decodeIfPresent(String.self, forKey: .baseCurrency) ?? defaults.baseCurrency
    attributes = try container.decodeIfPresent([String].self, forKey: .attributes) ?? defaults.attributes
    monthlyUsage = try container.decodeIfPresent([String].self, forKey: .monthlyUsage) ?? defaults.monthlyUsage
  }

  public static func load(path: String) throws -> SegmentConfig {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    let config: SegmentConfig
    do {
      config = try JSONDecoder().decode(SegmentConfig.self, from: data)
    } catch let error as DecodingError {
      throw ConfigError(file: path, message: ConfigError.describe(error))
    }
    try config.validate(file: path)
    return config
  }

  func validate(file: String) throws {
    func fail(_ message: String) -> ConfigError { ConfigError(file: file, message: message) }
    for (name, pair) in [("customerShare", customerShare), ("revenueShare", revenueShare)] {
      guard pair.count == 2, pair[0] > 0, pair[0] <= pair[1], pair[1] <= 1 else {
        throw fail("\(name) takes two shares 0 < first ≤ second ≤ 1")
      }
    }
    guard mrrFloor.count == 2, mrrFloor[0] >= mrrFloor[1], mrrFloor[1] >= 0 else {
      throw fail("mrrFloor takes two floors, tier 1's first")
    }
    if tierRule == .capacity {
      for tier in ["tier1", "tier2"] {
        guard let entry = capacity[tier], entry.csms >= 0, entry.accountsPerCsm >= 0 else {
          throw fail("capacity needs tier1 and tier2 with csms and accountsPerCsm")
        }
      }
    }
    guard pastDueGraceDays >= 0 else { throw fail("pastDueGraceDays cannot be negative") }
    guard (1...120).contains(retentionMonths) else { throw fail("retentionMonths takes 1 to 120 months") }
    guard (try? Values.currency(baseCurrency)) == baseCurrency else {
      throw fail("baseCurrency must be an upper-case ISO 4217 code")
    }
  }

  /// The settings as a JSON object, echoed in every output so results say how they were made.
  var echo: JSONValue {
    func number(_ value: Decimal) -> JSONValue { .number(Values.numberText(value)) }
    return .object(
      JSONObject([
        ("tier_rule", .string(tierRule.rawValue)),
        ("customer_share", .array(customerShare.map(number))),
        ("revenue_share", .array(revenueShare.map(number))),
        ("mrr_floor", .array(mrrFloor.map(number))),
        ("past_due_grace_days", .number(String(pastDueGraceDays))),
        ("base_currency", .string(baseCurrency)),
        ("churn_recognition", .string(churnRecognition.rawValue)),
        (
          "churn",
          .string(
            churnRecognition == .endOfService
              ? "when the last subscription's service ends (a scheduled cancellation counts until then)"
              : "when the cancellation of the last subscription is made")
        ),
        ("unpaid", .string("counts until its oldest unpaid invoice is pastDueGraceDays overdue, never at as-of")),
        ("incomplete", .string("counts 0 (first payment not made)")),
        ("reactivation_window", .string("unlimited")),
        ("retention_months", .number(String(retentionMonths))),
        (
          "retention",
          .string(
            "NRR and GRR of top-level accounts with MRR on the window's first day; one that fell to 0 inside the window counts 0 at its end"
          )
        ),
        (
          "movements",
          .string(
            "month-end snapshots compared (a customer new and gone inside one month is no movement); the last row runs from the last month-end to as-of"
          )
        ),
        ("trials", .string("count 0 until converted")),
        ("monthly_usage", .array(monthlyUsage.map { .string($0) })),
      ]))
  }
}
