import Foundation
import Testing

@testable import CSPipe
@testable import CSPipeCore
@testable import CSPipeIngest
@testable import CSPipeNormalise
@testable import CSPipeSegment

@Suite("Timestamps")
struct TimestampTests {
  static let utc = TimeZone(identifier: "UTC")!

  func rfc3339(_ text: String, order: DateOrder? = nil, zone: String = "UTC") throws -> String {
    let civil = try Timestamps.parse(text, order: order)
    return Timestamps.rfc3339(Timestamps.epochSeconds(civil, zone: TimeZone(identifier: zone)!))
  }

  @Test(
    "the forms real exports use become RFC 3339 UTC",
    arguments: [
      ("2024-06-07 02:38:54", "2024-06-07T02:38:54Z"),  // Stripe, naive UTC
      ("2015-05-12T11:00:00.000Z", "2015-05-12T11:00:00Z"),  // Chargebee
      ("2022-08-01T11:02:04Z", "2022-08-01T11:02:04Z"),  // Recurly
      ("2009-03-16T14:03:28-04:00", "2009-03-16T18:03:28Z"),  // Rails with offset
      ("Tue, 17 Dec 2024 23:24:02 +0300", "2024-12-17T20:24:02Z"),  // Jira
      ("Sun, 10 Mar 2024 03:55:53 -0700", "2024-03-10T10:55:53Z"),
      ("17 Dec 2024 23:24:02 GMT", "2024-12-17T23:24:02Z"),
      ("2026-03-01 15:17", "2026-03-01T15:17:00Z"),  // HubSpot minute precision
      ("2024-02-29", "2024-02-29T00:00:00Z"),
      ("3 Jan 2024", "2024-01-03T00:00:00Z"),  // Xero j M Y
    ])
  func forms(text: String, expected: String) throws {
    #expect(try rfc3339(text) == expected)
  }

  @Test("slash dates follow the declared order and are never guessed")
  func slashDates() throws {
    #expect(try rfc3339("5/12/2015 11:00:00", order: .monthFirst) == "2015-05-12T11:00:00Z")
    #expect(try rfc3339("5/12/2015 11:00:00", order: .dayFirst) == "2015-12-05T11:00:00Z")
    #expect(try rfc3339("7/6/2019", order: .dayFirst) == "2019-06-07T00:00:00Z")
    #expect(try rfc3339("12/31/2024 1:05 PM", order: .monthFirst) == "2024-12-31T13:05:00Z")
    #expect(try rfc3339("07.06.2026 14:05", order: .dayFirst) == "2026-06-07T14:05:00Z")
    #expect(try rfc3339("7-6-2019", order: .dayFirst) == "2019-06-07T00:00:00Z")
    #expect(throws: TimestampError.self) { try Timestamps.parse("07.06.2026", order: nil) }
    #expect(throws: TimestampError.self) { try Timestamps.parse("5/12/2015", order: nil) }
    #expect(throws: TimestampError.self) { try Timestamps.parse("13/31/2024", order: .monthFirst) }
  }

  @Test("naive times take the declared zone, across daylight saving")
  func zones() throws {
    #expect(try rfc3339("2025-12-03 16:29:08", zone: "America/New_York") == "2025-12-03T21:29:08Z")
    #expect(try rfc3339("2025-07-03 16:29:08", zone: "America/New_York") == "2025-07-03T20:29:08Z")
    #expect(try rfc3339("2025-07-03 16:29:08+02:00", zone: "America/New_York") == "2025-07-03T14:29:08Z")
  }

  @Test(
    "impossible and malformed values are errors",
    arguments: [
      "2025-02-29", "2025-13-01", "2025-01-01 25:00", "yesterday", "2025-01-01T10:00:00+25:00", "",
      "Tue, 17 Foo 2024 10:00:00 +0000", "2025-01-01 10:00:00 trailing",
    ])
  func invalid(text: String) {
    #expect(throws: TimestampError.self) { try Timestamps.parse(text, order: .monthFirst) }
  }

  @Test("the civil calendar round-trips over four centuries")
  func calendar() {
    for days in stride(from: -200_000, through: 200_000, by: 97) {
      let (year, month, day) = Timestamps.civilFromDays(days)
      #expect(Timestamps.daysFromCivil(year, month, day) == days)
    }
  }

  /// Formatting writes digits into the string's storage and canonical text is read back by a
  /// fast path: both must agree with the general calendar code on every instant and refuse
  /// what the general parser refuses.
  @Test("canonical dates: formatting and the fast read-back agree with the general parser")
  func canonicalRoundTrip() throws {
    var generator = SeededGenerator(seed: 7)
    for _ in 0..<20_000 {
      let epoch = Int.random(in: -62_135_596_800...253_402_300_799, using: &generator)
      let text = Timestamps.rfc3339(epoch)
      #expect(Timestamps.epochSeconds(ofCanonical: text) == epoch, "\(text)")
      let day = Timestamps.isoDate(epoch)
      #expect(day == String(text.prefix(10)))
      let general = try Timestamps.parse(day, order: nil)
      #expect(Timestamps.epochSeconds(ofCanonical: day) == Timestamps.daysFromCivil(general.year, general.month, general.day) * 86400)
    }
    for bad in [
      "2023-02-29", "2024-13-01", "2024-00-10", "2024-01-32", "2024-01-01T24:00:00Z", "2024-01-01T23:60:00Z", "2024-1-01",
      "2024-01-01T00:00:00", "２０２４-01-01",
    ] {
      if (try? Timestamps.parse(bad, order: nil)) == nil { #expect(Timestamps.epochSeconds(ofCanonical: bad) == nil, "\(bad)") }
    }
  }

  @Test("--as-of: a day includes all of itself; an instant must name its zone")
  func asOf() {
    #expect(AsOfOption.cutoff("2026-11-15") == Timestamps.daysFromCivil(2026, 11, 16) * 86400)
    #expect(AsOfOption.cutoff("2026-11-15T12:00:00Z") == Timestamps.daysFromCivil(2026, 11, 15) * 86400 + 43201)
    #expect(AsOfOption.cutoff("2026-11-15 12:00") == nil)
    #expect(AsOfOption.cutoff("soon") == nil)
  }
}

@Suite("Values")
struct ValueTests {
  @Test("exact decimals and money in major units")
  func money() throws {
    #expect(Values.numberText(try Values.decimal("1068.00")) == "1068")
    #expect(Values.numberText(try Values.decimal("-0.10")) == "-0.1")
    #expect(try Values.money("2900", minorUnits: true, currency: "USD").text == "29")
    #expect(try Values.money("1980021000", minorUnits: true, currency: "USD").text == "19800210")
    #expect(try Values.money("1999", minorUnits: true, currency: "JPY").text == "1999")
    #expect(try Values.money("1234", minorUnits: true, currency: "KWD").text == "1.234")
    // Binary floating point would make this 0.30000000000000004.
    #expect(Values.numberText(try Values.decimal("0.1") + Values.decimal("0.2")) == "0.3")
    for bad in ["1,000.00", "$5", "1e3", "", "--1", "1.2.3", "12 34", "1-2", "+", "-", "."] {
      #expect(throws: ValueError.self, "\(bad)") { try Values.decimal(bad) }
    }
    #expect(try Values.money("5", minorUnits: true, currency: "USD").text == "0.05")
    #expect(try Values.money("-0", minorUnits: true, currency: "USD").text == "0")
    #expect(
      try Values.exactDecimal("123456789012345678901234567890123456789012.5").text
        == "123456789012345678901234567890123456789012.5")
  }

  @Test("money in exponent notation is read and rounded half-even to the currency's unit")
  func moneyRounding() throws {
    #expect(try Values.money("1e-22", minorUnits: false, currency: "USD").text == "0")
    #expect(try Values.money("1E-22", minorUnits: false, currency: nil).text == "0")
    #expect(try Values.money("1.5E+03", minorUnits: false, currency: "USD").text == "1500")
    #expect(try Values.money("2.5e-2", minorUnits: false, currency: "USD").text == "0.02")
    #expect(try Values.money("3.5e-2", minorUnits: false, currency: "USD").text == "0.04")
    #expect(try Values.money("-1.23456e2", minorUnits: true, currency: "USD").text == "-1.23")
    #expect(try Values.money("0.125", minorUnits: false, currency: "USD").text == "0.12")
    #expect(try Values.money("0.995", minorUnits: false, currency: "USD").text == "1")
    #expect(try Values.money("99.5", minorUnits: false, currency: "JPY").text == "100")
    #expect(try Values.money("1.2345", minorUnits: false, currency: "KWD").text == "1.234")
    #expect(try Values.money("-0.004", minorUnits: false, currency: "USD").text == "0")
    // A price per unit keeps sub-cent precision (metered usage), to 12 places below the cent.
    #expect(try Values.price("0.000004", minorUnits: false, currency: "USD").text == "0.000004")
    #expect(try Values.price("1e-22", minorUnits: false, currency: "USD").text == "0")
    #expect(try Values.price("0.4", minorUnits: true, currency: "USD").text == "0.004")
    for bad in ["1e", "e5", "1e+", "1e99", "1e99999", "1.5E3.5", "1ee3", "--1e3"] {
      #expect(throws: ValueError.self, "\(bad)") { try Values.money(bad, minorUnits: false, currency: "USD") }
    }
  }

  @Test("half-even rounding agrees with Foundation's on random decimals")
  func roundingReference() {
    var generator = SeededGenerator(seed: 20261202)
    for _ in 0..<5000 {
      let digits = String(
        (0..<Int.random(in: 1...30, using: &generator)).map { _ in
          Character(String(Int.random(in: 0...9, using: &generator)))
        })
      let scale = Int.random(in: 0...min(20, digits.count), using: &generator)
      let places = Int.random(in: 0...6, using: &generator)
      var text = scale == 0 ? digits : String(digits.dropLast(scale)) + "." + String(digits.suffix(scale))
      if text.hasPrefix(".") { text = "0" + text }
      if Bool.random(using: &generator) { text = "-" + text }
      var value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))!
      var expected = Decimal()
      NSDecimalRound(&expected, &value, places, .bankers)
      let ours = ExactDecimal(text)!.rounded(toScale: places).text
      #expect(ours == Values.numberText(expected), "\(text) to \(places) places")
    }
  }

  /// The exact decimal replaced Foundation's `Decimal` for speed: on every input within
  /// Decimal's 38 digits both must print the same canonical text.
  @Test("exact decimals print what Foundation's Decimal prints")
  func exactAgainstFoundation() throws {
    var generator = SeededGenerator(seed: 20261123)
    let alphabet = Array("0000123456789")
    for _ in 0..<20_000 {
      var text = ""
      switch Int.random(in: 0..<4, using: &generator) {
      case 0: text = "-"
      case 1: text = "+"
      default: break
      }
      for _ in 0..<Int.random(in: 0..<12, using: &generator) { text.append(alphabet.randomElement(using: &generator)!) }
      if Bool.random(using: &generator) {
        text.append(".")
        for _ in 0..<Int.random(in: 0..<10, using: &generator) { text.append(alphabet.randomElement(using: &generator)!) }
      }
      guard text.contains(where: \.isNumber) else {
        #expect(throws: ValueError.self, "\(text)") { try Values.exactDecimal(text) }
        continue
      }
      let foundation = Decimal(string: text.hasPrefix("+") ? String(text.dropFirst()) : text, locale: Locale(identifier: "en_US_POSIX"))!
      #expect(try Values.exactDecimal(text).text == Values.numberText(foundation), "\(text)")
      var cents = foundation / 100
      var wholeCents = Decimal()
      NSDecimalRound(&wholeCents, &cents, 2, .bankers)
      #expect(try Values.money(text, minorUnits: true, currency: "EUR").text == Values.numberText(wholeCents), "\(text)")
      #expect(try Values.price(text, minorUnits: true, currency: "EUR").text == Values.numberText(cents), "\(text)")
      if let whole = Int(exactly: NSDecimalNumber(decimal: foundation).int64Value), Decimal(whole) == foundation {
        #expect(try Values.integer(text) == whole, "\(text)")
      }
    }
  }

  /// Usage and past-due sums run in integers: the same sums in Foundation's Decimal must print
  /// the same text, including past 64 bits (where the sum carries on in Decimal).
  @Test("DecimalSum adds like Decimal and prints the same text")
  func sums() throws {
    var generator = SeededGenerator(seed: 31)
    for _ in 0..<500 {
      var sum: DecimalSum = 0
      var reference = Decimal(0)
      for _ in 0..<Int.random(in: 1...40, using: &generator) {
        let digits = String(Int.random(in: 0...9_999_999, using: &generator))
        let scale = Int.random(in: 0...4, using: &generator)
        var text = digits
        if scale > 0 {
          let padded = String(repeating: "0", count: max(0, scale + 1 - digits.count)) + digits
          text = String(padded.dropLast(scale)) + "." + String(padded.suffix(scale))
        }
        if Bool.random(using: &generator) { text = "-" + text }
        sum += try #require(DecimalSum(text))
        reference += try #require(Decimal(string: text))
      }
      #expect(sum.text == Values.numberText(reference))
      #expect(sum == DecimalSum(Values.numberText(reference))!)
    }
    var big = try #require(DecimalSum("9223372036854775807"))
    big += 1
    #expect(big.text == "9223372036854775808")
    #expect(try #require(DecimalSum("1e3")).text == "1000")
    #expect(try #require(DecimalSum("2.50")) > DecimalSum(integerLiteral: 2))
  }

  @Test("integers, currencies and booleans")
  func scalars() throws {
    #expect(try Values.integer("1.00000000000000000000") == 1)
    #expect(throws: ValueError.self) { try Values.integer("1.5") }
    #expect(try Values.currency(" usd ") == "USD")
    #expect(throws: ValueError.self) { try Values.currency("US$") }
    #expect(try Values.boolean("TRUE") == true)
    #expect(try Values.boolean("0") == false)
    #expect(throws: ValueError.self) { try Values.boolean("maybe") }
  }
}

@Suite("Mappings and identity")
struct MappingTests {
  func load(_ json: String) throws -> MappingSet {
    var set = MappingSet()
    try set.add(json: Data(json.utf8), file: "test.json")
    return set
  }

  @Test("every built-in mapping loads and is the same as its file in pipelines/mappings")
  func builtins() throws {
    let set = try MappingSet.load(extra: [])
    let folder = DocumentationTests.root.appendingPathComponent("pipelines/mappings")
    let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }.sorted()
    #expect(BuiltinMappings.files.map(\.name) == files, "run `make mappings`")
    for (name, json) in BuiltinMappings.files {
      let onDisk = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
      #expect(onDisk == json + "\n", "\(name) differs from the embedded copy: run `make mappings`")
    }
    #expect(set.mappings.count == files.count)
  }

  @Test(
    "mistakes in a mapping are reported when it loads",
    arguments: [
      (#"{"source":"x/y","kind":"ticket","account":[{"field":"a"}],"fields":{"colour":"c"}}"#, "ticket has no field \"colour\""),
      (#"{"source":"x/y","kind":"widget","account":[{"field":"a"}],"fields":{}}"#, "unknown kind \"widget\""),
      (
        #"{"source":"x/y","kind":"ticket","account":[{"field":"a"}],"fields":{"status":{"from":"s","map":{"1":"done"}}}}"#,
        "maps to \"done\""
      ),
      (#"{"source":"x/y","kind":"ticket","account":[],"fields":{}}"#, "at least one identity rule"),
      (#"{"source":"x/y","kind":"ticket","account":[{"guess":"a"}],"fields":{}}"#, "an identity rule is one of"),
      (#"{"source":"x/y","kind":"ticket","account":[{"field":"a"}],"key":["id"],"fields":{}}"#, "\"id\" is used as a key"),
      (#"{"source":"x","kind":"ticket","account":[{"field":"a"}],"fields":{}}"#, "must be system/dataset"),
      (#"{"kind":"ticket","account":[{"field":"a"}],"fields":{}}"#, "missing \"source\""),
    ])
  func invalid(json: String, message: String) {
    do {
      _ = try load(json)
      Issue.record("expected an error containing \(message)")
    } catch {
      #expect("\(error)".contains(message), "\(error)")
    }
  }

  @Test("identity keys: the address, then its domain; free mail is looked up, never learnt")
  func keys() {
    #expect(IdentityIndex.keys(.email, system: "s", value: "Jo@Acme.Example") == ["email:jo@acme.example", "domain:acme.example"])
    #expect(IdentityIndex.keys(.email, system: "s", value: "jo@gmail.com") == ["email:jo@gmail.com", "domain:gmail.com"])
    #expect(IdentityIndex.isFreeMail("domain:gmail.com"))
    #expect(!IdentityIndex.isFreeMail("domain:acme.example"))
    #expect(!IdentityIndex.isFreeMail("email:jo@gmail.com"))
    #expect(
      IdentityIndex.keys(.domain, system: "s", value: "https://www.acme.example/ acme.co.uk") == [
        "domain:acme.example", "domain:acme.co.uk",
      ])
    #expect(IdentityIndex.keys(.name, system: "s", value: "  Maple  &  Oak Legal ") == ["name:maple & oak legal"])
    #expect(IdentityIndex.keys(.customer, system: "stripe", value: "cus_1") == ["customer:stripe:cus_1"])
  }

  @Test("a key two accounts claim is ambiguous and unused; aliases always win")
  func ambiguity() {
    var index = IdentityIndex()
    index.addFact(key: "domain:a.example", account: "one")
    index.addFact(key: "domain:a.example", account: "two")
    #expect(index.account(for: "domain:a.example") == nil)
    #expect(index.ambiguous["domain:a.example"] == ["one", "two"])
    index.addAlias(key: "domain:a.example", account: "one")
    #expect(index.account(for: "domain:a.example") == "one")
  }
}

extension MappingTests {
  /// Datasets ingest can tag that hold no customer facts of a canonical kind.
  static let deliberatelyUnmapped: Set<String> = [
    "zendesk/groups", "recurly/adjustments", "recurly/plans", "servicenow/sys_journal_field",
    "servicenow/sys_attachment", "servicenow/sys_attachment_doc",
  ]

  @Test("every CSV layout ingest detects has a built-in mapping")
  func csvCoverage() throws {
    let set = try MappingSet.load(extra: [])
    for signature in SourceCatalog.csv {
      #expect(set.mapping(for: signature.tag) != nil, "no mapping for \(signature.tag)")
    }
  }

  @Test(
    "the XML datasets ingest names have a built-in mapping, or are listed as holding no customer facts",
    arguments: [
      "jira/issues", "zendesk/tickets", "zendesk/organizations", "zendesk/users", "recurly/subscriptions",
      "recurly/invoices", "recurly/accounts", "recurly/transactions", "servicenow/incident",
    ])
  func xmlCoverage(source: String) throws {
    let set = try MappingSet.load(extra: [])
    #expect(set.mapping(for: SourceTag(source)!) != nil)
    #expect(!Self.deliberatelyUnmapped.contains(source))
  }
}

@Suite("Record schemas")
struct RecordSchemaTests {
  static let schema = RecordSchema(
    kind: "thing",
    fields: [
      FieldSpec("kind", .oneOf(["thing"]), required: true),
      FieldSpec("id", .string, required: true),
      FieldSpec("when", .nullable(.date), required: true),
      FieldSpec("count_*", .integer),
      FieldSpec("nested", .object([FieldSpec("at", .time, required: true)])),
    ])

  static func problems(_ text: String) -> [String] {
    schema.validate((try? JSONParser.parse(text))?.objectValue ?? JSONObject())
  }

  @Test("a conforming record has no problems; every departure is named with its path")
  func validation() {
    #expect(Self.problems(#"{"kind":"thing","id":"a","when":null,"count_x":1,"count_y":2,"nested":{"at":"2026-01-01T00:00:00Z"}}"#).isEmpty)
    #expect(Self.problems(#"{"kind":"thing","when":"2026-01-01"}"#) == ["id: missing"])
    #expect(Self.problems(#"{"kind":"thing","id":"a","when":"2026-1-1"}"#) == ["when: expected a date (YYYY-MM-DD)"])
    #expect(Self.problems(#"{"kind":"thing","id":"a","when":null,"colour":"red"}"#) == ["colour: not a declared field"])
    #expect(Self.problems(#"{"kind":"thing","when":null,"id":"a"}"#) == ["id: missing", "id: out of the declared order"])
    #expect(Self.problems(#"{"kind":"thing","id":"a","when":null,"count_x":1.5}"#) == ["count_x: expected a whole number"])
    #expect(Self.problems(#"{"kind":"thing","id":"a","when":null,"nested":{}}"#) == ["nested.at: missing"])
    #expect(Self.problems(#"{"kind":"other","id":"a","when":null}"#) == ["kind: expected \"thing\"", "kind: expected one of thing"])
    #expect(Self.schema.field(at: "nested.at")?.required == true)
    #expect(AccountRecordSchema.account.field(at: "usage.last_30_days.logins") != nil)
    #expect(AccountRecordSchema.account.field(at: "usage.nothing") == nil)
  }
}

@Suite("digest table")
struct DigestTableTests {
  @Test("agrees with a Dictionary through growth, colliding slots and overwrites")
  func agreesWithDictionary() {
    var table = DigestTable<Int>()
    var reference: [KeyDigest: Int] = [:]
    for step in 0..<20_000 {
      // Low bits that collide (multiples of 4096) as well as digests of real keys.
      let key = step % 3 == 0 ? KeyDigest(high: step, low: (step % 50) * 4096) : KeyDigest("key \(step % 9000)")
      if let known = table[key] { #expect(known == reference[key]) } else { #expect(reference[key] == nil) }
      table[key] = step
      reference[key] = step
    }
    #expect(table.count == reference.count)
    for (key, value) in reference { #expect(table[key] == value) }
    #expect(table[KeyDigest("never added")] == nil)
  }
}

@Suite("seen keys")
struct SeenKeysTests {
  @Test("never forgets a key, rarely claims one it was not given, and grows by a few bytes a key")
  func bloomFilter() {
    var seen = SeenKeys()
    let inserted = 300_000
    var claimedOnInsert = 0
    for step in 0..<inserted where seen.insert(KeyDigest("inserted \(step)")) { claimedOnInsert += 1 }
    #expect(claimedOnInsert < inserted / 100, "\(claimedOnInsert) distinct keys claimed as seen")
    // Every key given is claimed, through five stages of growth.
    var forgotten = 0
    for step in 0..<inserted where !seen.mayContain(KeyDigest("inserted \(step)")) { forgotten += 1 }
    #expect(forgotten == 0)
    // A key given again is seen.
    let seenAgain = seen.insert(KeyDigest("inserted 12345"))
    #expect(seenAgain)
    // Keys never given: about one in a hundred claimed at most (one in five hundred a stage).
    var claimed = 0
    for step in 0..<inserted where seen.mayContain(KeyDigest("other \(step)")) { claimed += 1 }
    #expect(claimed < inserted / 100, "\(claimed) false claims")
    #expect(seen.bytes <= inserted * 4, "\(seen.bytes) bytes for \(inserted) keys")
  }
}

@Suite("slimmed records")
struct SlimmedRecordTests {
  @Test("keeping fields by their ASCII names as bytes keeps what the set of names keeps, Kelvin signs included")
  func keepingByBytes() {
    let wanted: Set<String> = ["Key", "Email", "id", "Key@nil"]
    let ascii = wanted.sorted().map { Array($0.utf8) }
    let names = ["Key", "\u{212A}ey", "Email", "email", "E\u{0301}mail", "id", "ID", "Key@nil", "Kéy", "", "Emai"]
    var generator = SeededGenerator(seed: 3)
    for _ in 0..<2_000 {
      var fields = FlatFields()
      for _ in 0..<Int.random(in: 0...8, using: &generator) {
        let name = Array(names.randomElement(using: &generator)!.utf8)
        let value = Array("v\(Int.random(in: 0...9, using: &generator))".utf8)
        name.withUnsafeBufferPointer { name in value.withUnsafeBufferPointer { fields.append(name: name, value: $0) } }
      }
      let bySet = fields.keeping(wanted).pairs
      let byBytes = fields.keeping(wanted, ascii: ascii).pairs
      #expect(bySet.map(\.name) == byBytes.map(\.name) && bySet.map(\.value) == byBytes.map(\.value))
    }
  }
}

@Suite("text order")
struct TextOrderTests {
  @Test("a total order on spellings, where String's < is none for mixed normal forms")
  func totalOrder() {
    let decomposed = "se\u{301}/ds4"
    let precomposed = "s\u{e9}/ds44"
    // The case that made sorted output depend on input order.
    #expect(!(decomposed < precomposed) && !(precomposed < decomposed) && decomposed != precomposed)
    #expect(TextOrder.precedes(decomposed, precomposed) != TextOrder.precedes(precomposed, decomposed))
    var generator = SeededGenerator(seed: 8)
    let pieces = ["a", "b", "\u{e9}", "e\u{301}", "\u{212B}", "\u{141}", "", "z", "\u{1F600}"]
    for _ in 0..<2_000 {
      let words = (0..<3).map { _ in
        (0..<Int.random(in: 0...3, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined()
      }
      let (a, b, c) = (words[0], words[1], words[2])
      // Irreflexive, asymmetric, transitive, and total on distinct byte strings.
      #expect(!TextOrder.precedes(a, a))
      if TextOrder.precedes(a, b) { #expect(!TextOrder.precedes(b, a)) }
      if TextOrder.precedes(a, b) && TextOrder.precedes(b, c) { #expect(TextOrder.precedes(a, c)) }
      if Array(a.utf8) != Array(b.utf8) { #expect(TextOrder.precedes(a, b) || TextOrder.precedes(b, a)) }
      // NFC text (no decomposed é, no Angstrom sign) keeps String's order.
      if ![a, b].contains(where: { $0.contains("e\u{301}") || $0.unicodeScalars.contains("\u{212B}") }) {
        #expect(TextOrder.precedes(a, b) == (a < b))
      }
    }
  }

  @Test("tuple keys and sortedAsText follow the same order, whatever the input order")
  func tupleKeys() {
    let names = ["k\u{e9}-1", "ke\u{301}-12", "k\u{e9}-123", "ke\u{301}-2", "ka", "k\u{e9}-1"]
    var generator = SeededGenerator(seed: 3)
    let expected = names.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    for _ in 0..<50 {
      let shuffled = names.shuffled(using: &generator)
      #expect(shuffled.sortedAsText().map { Array($0.utf8) } == expected.map { Array($0.utf8) })
      let pairs = shuffled.enumerated().map { (index, name) in (index % 2, name) }
      let byTuple = pairs.sorted { ($0.0, TextOrder.Key($0.1)) < ($1.0, TextOrder.Key($1.1)) }
      let byParts = pairs.sorted { $0.0 != $1.0 ? $0.0 < $1.0 : TextOrder.precedes($0.1, $1.1) }
      #expect(byTuple.map { Array($0.1.utf8) } == byParts.map { Array($0.1.utf8) })
    }
    // Equal means the same bytes: canonically equivalent spellings are two keys.
    #expect(TextOrder.Key("\u{e9}") != TextOrder.Key("e\u{301}"))
  }
}
