import CSPipeCore
import Foundation

/// Exchange rates to the base currency (`--rates FILE`, CSV `date,currency,rate`: one unit of
/// `currency` is `rate` units of the base currency from that day on).
public struct ExchangeRates: Sendable {
  private var rates: [String: [(day: Int, rate: Decimal)]] = [:]

  public init() {}

  public static func load(path: String) throws -> ExchangeRates {
    var table = ExchangeRates()
    let reader = CSVReader(source: try ByteSource(path: path), delimiter: 0x2C)
    var header: [String]?
    var problem: InputError?
    try reader.forEachRow { row in
      let values = (0..<row.count).map { row.fieldString($0).trimmed }
      guard problem == nil else { return }
      guard let columns = header else {
        header = values.map { $0.lowercased() }
        return
      }
      let location = SourceLocation(file: path, line: row.line)
      func column(_ name: String) -> String? { columns.firstIndex(of: name).flatMap { $0 < values.count ? values[$0] : nil } }
      guard let dayText = column("date"), let day = Timestamps.epochSeconds(ofCanonical: dayText),
        let currency = column("currency").flatMap({ try? Values.currency($0) }),
        let rate = column("rate").flatMap({ try? Values.decimal($0) }), rate > 0
      else {
        problem = InputError("a rate needs date (YYYY-MM-DD), currency (ISO 4217) and a positive rate", at: location)
        return
      }
      table.rates[currency, default: []].append((day, rate))
    }
    if let problem { throw problem }
    for key in table.rates.keys { table.rates[key]!.sort { $0.day < $1.day } }
    return table
  }

  /// The rate in force at `instant`: the latest dated on or before it.
  public func rate(_ currency: String, at instant: Int) -> Decimal? {
    rates[currency]?.last { $0.day <= instant }?.rate
  }

  public var currencies: Set<String> { Set(rates.keys) }

  /// The highest rate a currency ever has (an upper bound of any conversion of it).
  public func maxRate(_ currency: String) -> Decimal? {
    rates[currency]?.map(\.rate).max()
  }
}
