import CSPipeCore

/// A CSV layout recognised by its header: every name in one of `alternatives` must be present.
/// The most specific match (most required names) wins, so a layout that is a superset of
/// another is still told apart.
public struct CSVSignature: Sendable {
  public let tag: SourceTag
  public let alternatives: [[String]]
}

/// An XML layout recognised by its root element, where its records are, and names that the
/// first record carries.
public struct XMLSignature: Sendable {
  public let system: String
  /// Root element names this layout uses.
  public let roots: Set<String>
  /// Where the records are, relative to the document; nil keeps the structural guess.
  public let recordPaths: [XMLRecordPath]?
  /// Child elements (or `@attribute`s) at least one of which the first record must have.
  public let anyOfRecordNames: [String]
  /// The dataset for a record element name (ServiceNow: the table) and the root name.
  public let dataset: @Sendable (_ root: String, _ record: String) -> String
  /// Roots that are one record themselves (an API response for one resource, Recurly's
  /// `GET /invoices/:id`): their repeated children (line items) belong to it, not beside it.
  public let wholeDocumentRoots: Set<String>

  public init(
    system: String, roots: Set<String>, recordPaths: [XMLRecordPath]?, anyOfRecordNames: [String],
    wholeDocumentRoots: Set<String> = [], dataset: @escaping @Sendable (_ root: String, _ record: String) -> String
  ) {
    self.system = system
    self.roots = roots
    self.recordPaths = recordPaths
    self.anyOfRecordNames = anyOfRecordNames
    self.wholeDocumentRoots = wholeDocumentRoots
    self.dataset = dataset
  }

  /// Where the records of a document with this root are.
  func recordPaths(root: String, guessed: [XMLRecordPath]) -> [XMLRecordPath] {
    if wholeDocumentRoots.contains(root) { return [XMLRecordPath(steps: [root])] }
    return recordPaths ?? guessed
  }
}

/// The built-in knowledge of export layouts (docs/SOURCES.md lists them). Each entry is
/// documented in docs/SOURCES.md; a file that matches none is tagged `generic` and keeps every
/// field, so nothing depends on this table being complete.
public enum SourceCatalog {
  public static let csv: [CSVSignature] = [
    // Billing. Recurly's CSV exports are told apart from its XML API layout (`-csv`): other
    // names, and money in major units instead of cents, so each has its own mapping.
    .init(
      tag: .init(system: "stripe", dataset: "payments"),
      alternatives: [
        ["id", "Created date (UTC)", "Amount", "Currency", "Captured"],
        ["Created date (UTC)", "Amount", "Currency", "Captured", "Converted Amount"],
        ["id", "Created (UTC)", "Amount", "Amount Refunded", "Currency", "Captured"],
      ]),
    .init(
      tag: .init(system: "stripe", dataset: "subscriptions"),
      alternatives: [
        ["id", "Customer ID", "Plan", "Quantity", "Interval", "Status", "Current Period End (UTC)"],
        ["id", "Customer ID", "Status", "Current Period End (UTC)"],
      ]),
    .init(
      tag: .init(system: "stripe", dataset: "invoices"),
      alternatives: [
        ["id", "Customer", "Amount Due", "Amount Paid", "Status", "Date (UTC)"],
        ["id", "Customer", "Amount Paid", "Subscription", "Date (UTC)"],
      ]),
    .init(
      tag: .init(system: "stripe", dataset: "customers"),
      alternatives: [
        ["id", "Email", "Created (UTC)", "Delinquent"],
        ["id", "Description", "Email", "Created (UTC)", "Balance"],
      ]),
    .init(
      tag: .init(system: "chargebee", dataset: "invoices"),
      alternatives: [
        ["Customer Id", "Subscription Id", "Invoice Number", "Invoice Date", "Amount", "Status"],
        ["invoice.id", "invoice.customer_id", "invoice.status"],
      ]),
    .init(
      tag: .init(system: "chargebee", dataset: "subscriptions"),
      alternatives: [
        ["Subscription Id", "Customer Id", "Plan Id", "Status"],
        ["subscription.id", "subscription.customer_id", "subscription.status"],
      ]),
    .init(
      tag: .init(system: "chargebee", dataset: "customers"),
      alternatives: [
        ["customer.id", "customer.email"],
        ["Customer Id", "First Name", "Last Name", "Email", "Company", "Auto Collection"],
      ]),
    .init(
      tag: .init(system: "recurly", dataset: "subscriptions-csv"),
      alternatives: [
        ["account_code", "plan_code", "subscription_id", "state"],
        ["account_code", "plan_code", "uuid", "state", "quantity"],
      ]),
    .init(
      tag: .init(system: "recurly", dataset: "invoices-csv"),
      alternatives: [
        ["account_code", "invoice_number", "state"]
      ]),
    .init(
      tag: .init(system: "recurly", dataset: "accounts-csv"),
      alternatives: [
        ["account_code", "email", "company_name"],
        ["account_code", "account_state"],
      ]),
    .init(
      tag: .init(system: "zuora", dataset: "subscriptions"),
      alternatives: [
        ["Account.AccountNumber", "Subscription.Name", "Subscription.Status"],
        ["Account: Account Number", "Subscription: Name", "Subscription: Status"],
      ]),
    .init(
      tag: .init(system: "zuora", dataset: "invoices"),
      alternatives: [
        ["Account.AccountNumber", "Invoice.InvoiceNumber"],
        ["Account: Account Number", "Invoice: Invoice Number"],
      ]),
    .init(
      tag: .init(system: "zuora", dataset: "charges"),
      alternatives: [
        ["Account.AccountNumber", "RatePlanCharge.Name"],
        ["Account: Account Number", "Rate Plan Charge: Name"],
      ]),
    .init(
      tag: .init(system: "zuora", dataset: "accounts"),
      alternatives: [
        ["Account.AccountNumber", "Account.Name", "Account.Status"],
        ["Account: Account Number", "Account: Name", "Account: Status"],
      ]),
    .init(
      tag: .init(system: "paddle", dataset: "subscriptions"),
      alternatives: [
        ["subscription_id", "subscription_plan_id", "user_email", "status"],
        ["Subscription ID", "Plan ID", "User Email", "Status"],
      ]),
    .init(
      tag: .init(system: "paddle", dataset: "transactions"),
      alternatives: [
        ["Transaction ID", "Customer ID", "Currency", "Status", "Billed At"],
        ["order_id", "checkout_id", "subscription_id", "sale_gross"],
      ]),
    .init(
      tag: .init(system: "braintree", dataset: "transactions"),
      alternatives: [
        ["Transaction ID", "Transaction Type", "Transaction Status", "Created Datetime"]
      ]),
    .init(
      tag: .init(system: "xero", dataset: "invoices"),
      alternatives: [
        ["*ContactName", "*InvoiceNumber", "*InvoiceDate"],
        ["ContactName", "InvoiceNumber", "InvoiceDate", "DueDate"],
      ]),
    .init(
      tag: .init(system: "quickbooks", dataset: "invoices"),
      alternatives: [
        ["InvoiceNo", "Customer", "InvoiceDate", "DueDate"],
        ["RefNumber", "Customer", "TxnDate"],
        ["Invoice #", "Customer", "Invoice Date"],
      ]),
    // Support
    .init(
      tag: .init(system: "zendesk", dataset: "tickets"),
      alternatives: [
        ["Summation column", "Id", "Requester", "Status", "Priority", "Created at"],
        ["Id", "Requester", "Requester id", "Organization", "Status", "Priority", "Created at"],
        ["Ticket ID", "Ticket organization name", "Ticket subject"],
      ]),
    .init(
      tag: .init(system: "freshdesk", dataset: "tickets"),
      alternatives: [
        ["Ticket ID", "Subject", "Status", "Priority", "Created time"],
        ["Ticket Id", "Subject", "Status", "Priority", "Created Time", "Requester Name"],
      ]),
    .init(
      tag: .init(system: "salesforce", dataset: "cases"),
      alternatives: [
        ["CaseNumber", "AccountId", "Status", "Priority"],
        ["Id", "CaseNumber", "Status", "CreatedDate"],
        // Without CaseNumber (a spreadsheet-processed export keyed by Guid, or a trimmed report):
        // Case's own API names tell it apart from every other layout here.
        ["Guid", "Status", "Priority", "Subject"],
        ["Id", "AccountId", "Status", "Priority", "Origin"],
        ["Id", "Status", "Origin", "IsClosed", "ClosedDate"],
      ]),
    .init(
      tag: .init(system: "salesforce", dataset: "accounts"),
      alternatives: [
        ["Id", "Name", "Industry", "OwnerId"],
        ["Id", "Name", "BillingCountry", "OwnerId"],
      ]),
    .init(
      tag: .init(system: "hubspot", dataset: "tickets"),
      alternatives: [
        ["Ticket ID", "Ticket name", "Pipeline", "Ticket status"]
      ]),
    .init(
      tag: .init(system: "hubspot", dataset: "companies"),
      alternatives: [
        ["Record ID", "Company name", "Company Domain Name"],
        ["Company ID", "Name", "Company Domain Name"],
      ]),
    .init(
      tag: .init(system: "intercom", dataset: "conversations"),
      alternatives: [
        ["conversation_id", "message_id", "message_author_type", "conversation_state"],
        ["Conversation ID", "Conversation started at"],
      ]),
    // cspipe's own documented layouts for data no vendor standardises (docs/SOURCES.md).
    .init(
      tag: .init(system: "cspipe", dataset: "usage"),
      alternatives: [
        ["account", "day", "metric", "value"],
        ["account", "date", "metric", "value"],
      ]),
    .init(
      tag: .init(system: "cspipe", dataset: "surveys"),
      alternatives: [
        ["account", "respondent", "type", "score", "submitted_at"],
        ["account", "email", "score", "submitted_at"],
        ["respondent", "score", "submitted_at", "type"],
      ]),
    .init(
      tag: .init(system: "cspipe", dataset: "milestones"),
      alternatives: [
        ["account", "milestone", "at"],
        ["account", "milestone", "day"],
      ]),
    .init(
      tag: .init(system: "cspipe", dataset: "programs"),
      alternatives: [
        ["account", "program", "cohort", "joined_at"]
      ]),
    .init(
      tag: .init(system: "cspipe", dataset: "contacts"),
      alternatives: [
        ["account", "email", "role", "created_at"]
      ]),
    .init(
      tag: .init(system: "cspipe", dataset: "accounts"),
      alternatives: [
        ["account", "name", "owner", "contract_start"]
      ]),
  ]

  public static let xml: [XMLSignature] = [
    .init(
      system: "jira", roots: ["rss"], recordPaths: [XMLRecordPath("rss/channel/item")!],
      anyOfRecordNames: ["key", "statusCategory"], dataset: { _, _ in "issues" }),
    .init(
      system: "servicenow", roots: ["unload"], recordPaths: [XMLRecordPath("unload/*")!],
      anyOfRecordNames: ["sys_id", "@action"], dataset: { _, record in record }),
    .init(
      system: "zendesk", roots: ["tickets", "organizations", "users", "groups"],
      recordPaths: nil,
      anyOfRecordNames: [
        "nice-id", "created-at", "organization-id", "status-id", "domain-names", "external-id",
      ],
      dataset: { root, _ in root }),
    .init(
      system: "recurly",
      roots: [
        "subscriptions", "invoices", "accounts", "transactions", "adjustments", "plans",
        "subscription", "invoice", "account", "transaction", "adjustment", "plan",
      ],
      recordPaths: nil,
      anyOfRecordNames: ["@href", "uuid", "account_code", "unit_amount_in_cents", "total_in_cents"],
      wholeDocumentRoots: ["subscription", "invoice", "account", "transaction", "adjustment", "plan"],
      dataset: { root, record in
        let name = root == record ? record : root
        return name.hasSuffix("s") ? name : name + "s"
      }),
  ]

  /// The layout whose signature matches `header` best, or nil.
  public static func detectCSV(header: [String]) -> SourceTag? {
    let present = Set(header)
    var best: (tag: SourceTag, size: Int)?
    for signature in csv {
      for required in signature.alternatives where required.allSatisfy(present.contains) {
        if best == nil || required.count > best!.size { best = (signature.tag, required.count) }
      }
    }
    return best?.tag
  }
}
