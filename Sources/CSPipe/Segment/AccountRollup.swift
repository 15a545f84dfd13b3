import Foundation

/// Everything segment keeps about one account while it reads: sums, counts, latest values and
/// the account's subscriptions. Its size depends on the account, never on how many usage rows
/// or tickets stream past.
final class AccountRollup {
  let key: String
  /// Attribute → (value, source rank, order): the CRM list wins over billing, billing over support.
  var attributes: [String: (value: JSONValue, rank: Int, order: Int)] = [:]
  var subscriptions: [SubscriptionFact] = []
  /// Earliest due date of an unpaid invoice, per subscription id ("" for invoices without one).
  var unpaidDue: [String: Int] = [:]
  var invoicesPastDue = 0
  var pastDueAmount: [String: Decimal] = [:]
  var failedPayments90 = 0
  var usageLast30: [String: Decimal] = [:]
  var usagePrevious30: [String: Decimal] = [:]
  var activeUsers: (day: Int, value: Decimal)?
  var openBySeverity: [String: Int] = [:]
  var tickets90 = 0
  var lastTicket: Int?
  var lastHighSeverity: Int?
  var satisfaction: [String: Int] = [:]
  var surveys: [String: (at: Int, score: JSONValue, order: Int)] = [:]
  var milestones: [String: Int] = [:]
  var programs: [JSONValue] = []
  var sponsors = 0
  var champions = 0
  var sponsorChanges90 = 0
  var freshness: [String: Int] = [:]

  init(key: String) { self.key = key }

  static let attributeNames = [
    "name", "domain", "parent", "owner", "industry", "region", "country", "line_of_business", "size",
    "growth_potential", "contract_start", "renewal_at", "target_value",
  ]

  /// Account lists first, then billing, then support systems, then anything else.
  static func sourceRank(_ system: String) -> Int {
    switch system {
    case "cspipe", "salesforce", "hubspot": 0
    case "stripe", "chargebee", "recurly", "zuora", "paddle", "braintree", "xero", "quickbooks": 1
    case "zendesk", "freshdesk", "jira", "servicenow", "intercom": 2
    default: 3
    }
  }

  func mergeAttributes(_ record: JSONObject, system: String, order: Int) {
    let rank = Self.sourceRank(system)
    for name in Self.attributeNames {
      guard let value = record[name] else { continue }
      if let existing = attributes[name], existing.rank <= rank { continue }
      attributes[name] = (value, rank, order)
    }
  }
}
