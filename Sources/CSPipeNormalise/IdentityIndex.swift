import CSPipeCore

/// What is known about which account an identifier belongs to.
///
/// Keys are `customer:SYSTEM:ID`, `organization:SYSTEM:ID`, `email:ADDRESS`, `domain:DOMAIN`
/// and `name:NAME`.
/// Facts come from the alias file (`pipelines/aliases.csv`: they always win) and from records
/// that define them (a Stripe customer row links its customer id to its account). A key that two
/// sources tie to different accounts is ambiguous and never used: a wrong join is worse than
/// an unmatched record, which is at least reported.
public struct IdentityIndex: Sendable {
  private var aliases: [String: String] = [:]
  private var facts: [String: String] = [:]
  /// Keys tied to more than one account, with the accounts (for the report).
  public private(set) var ambiguous: [String: Set<String>] = [:]

  public init() {}

  /// Free mail providers say nothing about which company a person works for.
  static let freeMailDomains: Set<String> = [
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com",
    "yahoo.com", "ymail.com", "icloud.com", "me.com", "mac.com", "aol.com", "proton.me",
    "protonmail.com", "gmx.com", "gmx.de", "gmx.net", "web.de", "mail.com", "yandex.ru",
    "qq.com", "163.com", "example.com",
  ]

  /// The index keys a value stands for under one rule (a domain list gives several). An e-mail
  /// address stands for itself (`email:ADDRESS`), then for its domain. A free-mail domain is
  /// looked up (an alias may name it: `acme,domain,gmail.com` is a choice someone made) but is
  /// never learnt from a record nor minted (`isFreeMail`): a person's gmail address says
  /// nothing about their company unless someone says it does.
  public static func keys(_ kind: SourceMapping.IdentityRule.Kind, system: String, value: String) -> [String] {
    let trimmed = value.trimmed
    guard !trimmed.isEmpty else { return [] }
    switch kind {
    case .customer, .organization:
      // An alias may name the system itself (`stripe:cus_1`); a record's value never does.
      return ["\(kind.rawValue):\(system):\(trimmed)"]
    case .email:
      guard let domain = Values.emailDomain(trimmed) else { return [] }
      return ["email:" + trimmed.lowercased(), "domain:\(domain)"]
    case .domain:
      return trimmed.split(whereSeparator: { $0 == " " || $0 == "," || $0 == ";" }).compactMap { part in
        var domain = part.lowercased()
        if domain.hasPrefix("http://") { domain.removeFirst(7) }
        if domain.hasPrefix("https://") { domain.removeFirst(8) }
        if domain.hasPrefix("www.") { domain.removeFirst(4) }
        while domain.hasSuffix("/") { domain.removeLast() }
        return domain.utf8.contains(0x2E) ? "domain:\(domain)" : nil
      }
    case .name:
      let words = trimmed.lowercased().split(whereSeparator: { $0 == " " || $0 == "\t" })
      return words.isEmpty ? [] : ["name:" + words.joined(separator: " ")]
    case .field, .mint:
      return []
    }
  }

  /// A free-mail domain key (`domain:gmail.com`): usable from an alias, never learnt or minted.
  public static func isFreeMail(_ key: String) -> Bool {
    key.hasPrefix("domain:") && freeMailDomains.contains(String(key.dropFirst("domain:".count)))
  }

  /// An explicit alias from the alias file; it overrides every derived fact.
  public mutating func addAlias(key: String, account: String) {
    aliases[key] = account
  }

  /// A fact derived from a record.
  public mutating func addFact(key: String, account: String) {
    if ambiguous[key] != nil {
      ambiguous[key]!.insert(account)
      return
    }
    if let existing = facts[key], existing != account {
      ambiguous[key] = [existing, account]
      facts[key] = nil
      return
    }
    facts[key] = account
  }

  public func account(for key: String) -> String? {
    aliases[key] ?? facts[key]
  }

  public var isEmpty: Bool { aliases.isEmpty && facts.isEmpty }

  /// Ambiguous keys that no alias settles (the ones worth a warning).
  public var unsettledAmbiguities: [String: Set<String>] {
    ambiguous.filter { aliases[$0.key] == nil }
  }
}

/// Reads the alias file: CSV with columns `account,type,value`, where type is `customer`,
/// `organization` (values written `SYSTEM:ID`), `domain`, `email` or `name`.
public enum AliasFile {
  public static func load(path: String, into index: inout IdentityIndex) throws -> Int {
    let source = try ByteSource(path: path)
    let reader = CSVReader(source: source, delimiter: 0x2C)
    var header: [String]?
    var count = 0
    var problem: InputError?
    try reader.forEachRow { row in
      guard problem == nil else { return }
      let values = (0..<row.count).map(row.fieldString)
      guard let columns = header else {
        header = values.map { $0.trimmed.lowercased() }
        return
      }
      let location = SourceLocation(file: path, line: row.line)
      func column(_ name: String) -> String? {
        columns.firstIndex(of: name).flatMap { $0 < values.count ? values[$0] : nil }?
          .trimmed
      }
      guard let account = column("account"), !account.isEmpty, let type = column("type"),
        let value = column("value"), !value.isEmpty
      else {
        problem = InputError("an alias needs account, type and value", at: location)
        return
      }
      let keys: [String]
      switch type {
      case "customer", "organization":
        guard value.contains(":") else {
          problem = InputError("a \(type) alias is written SYSTEM:ID (stripe:cus_123)", at: location)
          return
        }
        keys = ["\(type):\(value)"]
      case "domain": keys = IdentityIndex.keys(.domain, system: "", value: value)
      case "email": keys = IdentityIndex.keys(.email, system: "", value: value)
      case "name": keys = IdentityIndex.keys(.name, system: "", value: value)
      default:
        problem = InputError(
          "unknown alias type \(type.debugDescription) (customer, organization, domain, email, name)",
          at: location)
        return
      }
      for key in keys { index.addAlias(key: key, account: account) }
      count += 1
    }
    if let problem { throw problem }
    return count
  }
}
