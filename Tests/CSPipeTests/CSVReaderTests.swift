import Foundation
import Testing

@testable import CSPipe
@testable import CSPipeCore
@testable import CSPipeIngest
@testable import CSPipeNormalise
@testable import CSPipeSegment

/// Reads `text` with the CSV reader and returns the rows (header included) as strings.
func csvRows(
  _ bytes: [UInt8], delimiter: UInt8? = nil, maxFieldBytes: Int = 1 << 20
) throws -> (rows: [[String]], lines: [Int], problems: [CSVRow.Problem?], blank: Int) {
  let source = ByteSource(bytes: bytes, name: "test.csv")
  let reader = CSVReader(
    source: source, delimiter: delimiter ?? CSVReader.sniffDelimiter(bytes[...]),
    maxFieldBytes: maxFieldBytes)
  var rows: [[String]] = []
  var lines: [Int] = []
  var problems: [CSVRow.Problem?] = []
  try reader.forEachRow { row in
    rows.append((0..<row.count).map(row.fieldString))
    lines.append(row.line)
    problems.append(row.problem)
  }
  return (rows, lines, problems, reader.blankLines)
}

/// Everything a reader delivers for `bytes`, row by row, read with or without its plain-row path.
func csvReading(_ bytes: [UInt8], delimiter: UInt8, maxFieldBytes: Int, plainRows: Bool) throws -> [String] {
  let reader = CSVReader(
    source: ByteSource(bytes: bytes, name: "test.csv"), delimiter: delimiter, maxFieldBytes: maxFieldBytes)
  reader.readsPlainRows = plainRows
  var rows: [String] = []
  try reader.forEachRow { row in
    let fields = (0..<row.count).map { Array(row.field($0)).description }
    rows.append("\(row.line) \(row.byteOffset) \(String(describing: row.problem)) \(fields)")
  }
  rows.append("blank \(reader.blankLines)")
  return rows
}

func csvRows(_ text: String, delimiter: UInt8? = nil) throws -> [[String]] {
  try csvRows(Array(text.utf8), delimiter: delimiter).rows
}

@Suite("CSV reader")
struct CSVReaderTests {
  @Test("the quirks of real exports")
  func quirks() throws {
    #expect(try csvRows("a,b\n1,2\n") == [["a", "b"], ["1", "2"]])
    #expect(try csvRows("a,b\r\n1,2\r\n") == [["a", "b"], ["1", "2"]], "CRLF")
    #expect(try csvRows("a,b\r1,2\r") == [["a", "b"], ["1", "2"]], "bare CR")
    #expect(try csvRows("a,b\n1,2") == [["a", "b"], ["1", "2"]], "no final newline")
    #expect(try csvRows("a,b\n1,") == [["a", "b"], ["1", ""]], "empty last field at EOF")
    #expect(try csvRows("\u{FEFF}id,x\n1,2\n") == [["id", "x"], ["1", "2"]], "BOM")
    #expect(try csvRows("\"a\",\"b\"\n\"1\",\"\"\n") == [["a", "b"], ["1", ""]], "all quoted")
    #expect(
      try csvRows("a,b\n\"x, \"\"y\"\"\",2\n") == [["a", "b"], ["x, \"y\"", "2"]],
      "quotes and delimiter inside quotes")
    #expect(
      try csvRows("a,b\r\n\"line1\nline2\r\nline3\",2\r\n") == [["a", "b"], ["line1\nline2\r\nline3", "2"]],
      "line breaks inside quotes are data")
    #expect(try csvRows("a;b\n1,5;2\n") == [["a", "b"], ["1,5", "2"]], "semicolon sniffed")
    #expect(try csvRows("a\tb\n1\t2\n") == [["a", "b"], ["1", "2"]], "tab sniffed")
    #expect(try csvRows("a,b\n5\" screen,2\n") == [["a", "b"], ["5\" screen", "2"]], "stray quote kept")
    #expect(try csvRows("a,b\n\"ab\"c,2\n") == [["a", "b"], ["abc", "2"]], "text after closing quote kept")
    #expect(try csvRows("") == [], "empty input")
  }

  @Test("line numbers count physical lines, and blank lines are skipped and counted")
  func lineNumbers() throws {
    let result = try csvRows(Array("h1,h2\n\n\"a\nb\",1\r\n\nc,2".utf8))
    #expect(result.rows == [["h1", "h2"], ["a\nb", "1"], ["c", "2"]])
    #expect(result.lines == [1, 3, 6])
    #expect(result.blank == 2)
  }

  @Test("an unterminated quote at the end is reported with the line it opened on")
  func unterminatedQuote() throws {
    let result = try csvRows(Array("a,b\n1,\"open\nmore\n".utf8))
    #expect(result.problems.last == .unterminatedQuote(line: 2))
  }

  @Test("a field over the limit is flagged and not kept beyond it")
  func fieldLimit() throws {
    let long = String(repeating: "x", count: 100)
    let result = try csvRows(Array("a,b\n1,\(long)\n2,ok\n".utf8), maxFieldBytes: 10)
    #expect(result.problems == [nil, .fieldTooLong(field: 1, limit: 10), nil])
    #expect(result.rows[2] == ["2", "ok"])
  }

  @Test(
    "delimiter sniffing ignores delimiters inside quotes",
    arguments: [
      ("a,b,c\n", UInt8(ascii: ",")), ("a;b;c\n", UInt8(ascii: ";")), ("\"x;y;z\",b,c\n", UInt8(ascii: ",")),
      ("a\tb\n", UInt8(ascii: "\t")), ("a|b|c\n", UInt8(ascii: "|")), ("single\n", UInt8(ascii: ",")),
    ])
  func sniffing(header: String, expected: UInt8) {
    #expect(CSVReader.sniffDelimiter(Array(header.utf8)[...]) == expected)
  }

  /// Property test: random tables written in several quoting styles and line endings read back
  /// exactly, across chunk boundaries (the reader's chunks are 1 MiB; tables here reach several).
  @Test("rows read in place, split at their delimiters, are the state machine's rows, across chunks")
  func plainRowsAgree() throws {
    var generator = SeededGenerator(seed: 11)
    let pieces: [[UInt8]] = [
      Array("a".utf8), Array("12.5".utf8), Array("Zürich".utf8), [0x22], [0x22, 0x22], [0x0D], [0x0A], [0x0D, 0x0A],
      [0x0A, 0x0A], [0xFF], [0x00], Array("        ".utf8), Array("-,;|".utf8), [0x09],
    ]
    for iteration in 0..<40 {
      let delimiter = [UInt8(ascii: ","), UInt8(ascii: ";"), 0x09, UInt8(ascii: "|")][iteration % 4]
      // Mostly plain rows, some quoted, broken or blank; two inputs span several 1 MiB chunks.
      let rows = iteration % 20 == 0 ? 70_000 : 400
      var bytes: [UInt8] = []
      for _ in 0..<rows {
        let fields = Int.random(in: 1...12, using: &generator)
        for field in 0..<fields {
          if field > 0 { bytes.append(delimiter) }
          for _ in 0..<Int.random(in: 0...3, using: &generator) {
            if Int.random(in: 0..<8, using: &generator) == 0 {
              bytes += pieces.randomElement(using: &generator)!
            } else {
              bytes += Array("value".utf8.prefix(Int.random(in: 0...5, using: &generator)))
            }
          }
        }
        bytes += [[0x0A], [0x0A], [0x0D, 0x0A], [0x0D], []].randomElement(using: &generator)!
      }
      for limit in [1 << 20, 9] {
        let plain = try csvReading(bytes, delimiter: delimiter, maxFieldBytes: limit, plainRows: true)
        let machine = try csvReading(bytes, delimiter: delimiter, maxFieldBytes: limit, plainRows: false)
        let first = zip(plain, machine).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        #expect(plain.count == machine.count && first == nil, "iteration \(iteration), limit \(limit): row \(first ?? -1)")
      }
    }
  }

  @Test("random tables round-trip in every quoting style")
  func roundTrip() throws {
    var generator = SeededGenerator(seed: 7)
    let pieces = ["a", "Zürich", " ", "\"", ",", ";", "\n", "\r\n", "x y", "1.50", "", "“q”"]
    for iteration in 0..<60 {
      let columns = Int.random(in: 1...6, using: &generator)
      let rowCount = Int.random(in: 1...(iteration % 10 == 0 ? 40000 : 30), using: &generator)
      var table: [[String]] = []
      for _ in 0..<rowCount {
        table.append(
          (0..<columns).map { _ in
            (0..<Int.random(in: 0...3, using: &generator)).map { _ in
              pieces.randomElement(using: &generator)!
            }.joined()
          })
      }
      table[0] = (0..<columns).map { "col\($0)" }
      // Rows that are one empty field would read as blank lines; keep them non-empty.
      if columns == 1 { table = table.map { $0[0].isEmpty ? ["-"] : $0 } }
      let quoteAll = Bool.random(using: &generator)
      let newline = ["\n", "\r\n"].randomElement(using: &generator)!
      let text =
        table.map { row in
          row.map { field in
            let needs = quoteAll || field.utf8.contains(where: { Array(",\"\r\n".utf8).contains($0) })
            return needs ? "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : field
          }.joined(separator: ",")
        }.joined(separator: newline) + (Bool.random(using: &generator) ? newline : "")
      let parsed = try csvRows(text, delimiter: UInt8(ascii: ","))
      let firstDifference = zip(parsed, table).enumerated().first { $0.element.0 != $0.element.1 }?.offset
      #expect(
        parsed.count == table.count && firstDifference == nil,
        "iteration \(iteration): row \(firstDifference ?? -1) of \(table.count)")
    }
  }
}
