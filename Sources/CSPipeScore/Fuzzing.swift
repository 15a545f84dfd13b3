import CSPipeCore

extension FuzzEntryPoints {
  /// The default model once (the fuzzer calls the entry point millions of times).
  static let scoreModel = try! HealthModel.builtin()

  /// score's arithmetic with extreme values: the bytes are a JSON account record, or else read
  /// as numbers put into the fields the default model reads. The score must stay in 0–100, the
  /// contributions must add up to it, coverage in 0–1, and writing it must not trap.
  public static func score(_ bytes: [UInt8]) {
    var record: JSONObject
    if let parsed = try? bytes.withUnsafeBufferPointer({ try JSONParser.parse($0) }).objectValue {
      record = parsed
    } else {
      var numbers = bytes.chunks(of: 8).map { chunk -> JSONValue in
        var bits: UInt64 = 0
        for byte in chunk { bits = bits << 8 | UInt64(byte) }
        let value = Double(bitPattern: bits)
        return value.isFinite ? .number(String(value)) : .number("0")
      }.makeIterator()
      func next() -> JSONValue { numbers.next() ?? .number("1") }
      record = JSONObject([
        ("kind", .string("account")), ("account", .string("fuzz")), ("as_of", .string("2026-11-15")),
        ("target_value", next()), ("mrr", next()), ("adoption", next()),
        (
          "usage",
          .object(
            JSONObject([
              ("last_30_days", .object(JSONObject([("logins", next()), ("feature:reports", next()), ("feature:x", next())]))),
              ("previous_30_days", .object(JSONObject([("logins", next())]))),
            ]))
        ),
        (
          "tickets",
          .object(
            JSONObject([
              ("open_by_severity", .object(JSONObject([("1", next()), ("2", next())]))),
              ("satisfaction_good", next()), ("satisfaction_bad", next()), ("last_at", .string("2026-10-01T00:00:00Z")),
            ]))
        ),
        ("surveys", .object(JSONObject([("nps", .object(JSONObject([("score", next()), ("at", .string("2026-10-01T00:00:00Z"))])))]))),
        ("billing", .object(JSONObject([("invoices_past_due", next()), ("failed_payments_90_days", next())]))),
        ("users", .object(JSONObject([("sponsors", next())]))),
        ("freshness", .object(JSONObject([("a/usage", .string("2026-11-10")), ("a/tickets", .string("2026-11-10"))]))),
      ])
    }
    let assessor = HealthAssessor(model: scoreModel, cutoff: 20407 * 86400 + 86400, asOfLabel: "2026-11-15")
    let health = assessor.assess(record)
    if let cents = health.result.scoreCents {
      precondition((0...10_000).contains(cents), "score out of range: \(cents)")
      precondition(health.result.readings.reduce(0) { $0 + $1.contributionCents } == cents, "contributions do not add up")
    }
    precondition(health.coverage >= -1e-9 && health.coverage <= 1 + 1e-9, "coverage \(health.coverage)")
    var writer = JSONWriter()
    health.write(to: &writer)
  }
}

extension Array {
  fileprivate func chunks(of size: Int) -> [ArraySlice<Element>] {
    stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
  }
}
