import CSPipeCore
import Foundation

extension FuzzEntryPoints {
  /// segment's revenue arithmetic with extreme values: the bytes are a line of
  /// `amount,quantity,interval_count,discount,interval,currency,rate`, made into a canonical
  /// subscription. It must be refused with a reason or give a monthly amount in bounds, whose
  /// conversion, ARR and shares never trap; and its members read through the fold's one-pass
  /// selection must be what lookups by name read.
  public static func arithmetic(_ bytes: [UInt8]) {
    let parts = String(decoding: bytes, as: UTF8.self).split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    func part(_ index: Int) -> String? { index < parts.count && !parts[index].isEmpty ? parts[index] : nil }
    var members: [String] = [
      #""kind":"subscription""#, #""account":"a""#, #""id":"s""#, #""started_at":"2025-01-01T00:00:00Z""#,
      #""status":"active""#,
    ]
    for (index, name) in [(0, "amount"), (1, "quantity"), (2, "interval_count"), (3, "discount")] {
      if let value = part(index) { members.append("\"\(name)\":\(value)") }
    }
    var interval = "month"
    if let given = part(4) {
      interval = given
      var quoted: [UInt8] = []
      JSONBytes.appendString(given, to: &quoted)
      members.append("\"interval\":" + String(decoding: quoted, as: UTF8.self))
    }
    let currency = part(5).flatMap { try? Values.currency($0) } ?? "USD"
    members.append("\"currency\":\"\(currency)\"")
    let line = Array(("{" + members.joined(separator: ",") + "}").utf8)
    guard let record = line.withUnsafeBufferPointer({ try? LazyJSONObject.parse($0) }) else { return }
    // The one-pass selection the fold reads through reads what lookups by name read.
    let fields = record.select(CanonicalMember.self)
    for member in CanonicalMember.allCases {
      precondition(
        fields[member] == record[member.name] && fields.int(member) == record[member.name]?.intValue
          && fields.numberText(member) == record.numberText(member.name),
        "the selection's \(member.name) differs from the lookup by name")
    }
    let (fact, problem) = SubscriptionFact.make(fields, cutoff: 1_800_000_000)
    guard let fact else {
      precondition(problem != nil, "a refused subscription must say why")
      return
    }
    precondition(fact.monthlyMinor >= 0 && fact.monthlyMinor <= SubscriptionFact.limitMinor, "monthly amount out of bounds")
    precondition(SubscriptionFact.monthsPer(interval) != nil, "an unknown interval was accepted")
    _ = Segment.money(minor: fact.monthlyMinor, digits: Values.minorUnitDigits(of: currency))
    let (annual, overflow) = fact.monthlyMinor.multipliedReportingOverflow(by: 12)
    precondition(!overflow, "ARR of one subscription overflows")
    _ = Segment.money(minor: annual, digits: 2)
    _ = Segment.share(fact.monthlyMinor, max(1, annual))
    if let rateText = part(6), let rate = Decimal(string: rateText), rate > 0 {
      var converted = fact.monthly * rate
      var rounded = Decimal()
      NSDecimalRound(&rounded, &converted, 2, .bankers)
      _ = rounded <= Decimal(SubscriptionFact.portfolioLimitMinor) ? SubscriptionFact.minorUnits(rounded, currency: "USD") : 0
    }
  }
}
