import Dispatch
import Glibc

/// Splits a byte source into lines: `\n`-terminated, a trailing `\r` dropped, the last line
/// allowed to lack its newline. Lines longer than the limit are reported, not buffered.
public final class LineReader {
  public let source: ByteSource
  public let maxLineBytes: Int

  public init(source: ByteSource, maxLineBytes: Int = 64 << 20) {
    self.source = source
    self.maxLineBytes = maxLineBytes
  }

  /// Calls `body(line, number, tooLong)` for every line; `line` is valid only during the call.
  public func forEachLine(
    _ body: (UnsafeBufferPointer<UInt8>, Int, Bool) throws -> Void
  ) throws {
    // A byte order mark (Windows editors, PowerShell's Out-File) is not part of the first record.
    if try source.peek(3).elementsEqual([0xEF, 0xBB, 0xBF]) { try source.skip(3) }
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    var carry: [UInt8] = []
    var carryTooLong = false
    var number = 0
    func deliver(_ line: UnsafeBufferPointer<UInt8>, tooLong: Bool) throws {
      number += 1
      var trimmed = line
      if let last = trimmed.last, last == ASCII.carriageReturn {
        trimmed = UnsafeBufferPointer(rebasing: trimmed.dropLast())
      }
      try body(trimmed, number, tooLong)
    }
    while true {
      let count = try chunk.withUnsafeMutableBytes { try source.read(into: $0) }
      if count == 0 { break }
      try chunk.withUnsafeBufferPointer { buffer in
        var start = 0
        while start < count {
          let remaining = count - start
          guard let found = memchr(buffer.baseAddress! + start, Int32(ASCII.lineFeed), remaining) else {
            if carry.count + remaining > maxLineBytes {
              carryTooLong = true
            } else {
              carry.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[start..<count]))
            }
            break
          }
          let end = buffer.baseAddress!.distance(to: found.assumingMemoryBound(to: UInt8.self))
          let piece = UnsafeBufferPointer(rebasing: buffer[start..<end])
          if carry.isEmpty && !carryTooLong {
            try deliver(piece, tooLong: piece.count > maxLineBytes)
          } else {
            let tooLong = carryTooLong || carry.count + piece.count > maxLineBytes
            if !tooLong { carry.append(contentsOf: piece) }
            try carry.withUnsafeBufferPointer { try deliver($0, tooLong: tooLong) }
            carry.removeAll(keepingCapacity: true)
            carryTooLong = false
          }
          start = end + 1
        }
      }
    }
    if !carry.isEmpty || carryTooLong {
      try carry.withUnsafeBufferPointer { try deliver($0, tooLong: carryTooLong) }
    }
  }
}

/// The input side every NDJSON-reading tool shares: files or standard input, one JSON object per
/// line. Blank lines are skipped; a line that is not a JSON object is rejected with its line and
/// byte column, and the run goes on.
public struct NDJSONInput {
  public let rejects: RejectLog
  public let maxLineBytes: Int
  /// Lines read that held a record (blank lines excluded).
  public private(set) var recordsRead = 0

  public init(rejects: RejectLog, maxLineBytes: Int = 64 << 20) {
    self.rejects = rejects
    self.maxLineBytes = maxLineBytes
  }

  /// Calls `body(record, location)` for every JSON object in `source`.
  public mutating func forEachRecord(
    in source: ByteSource, _ body: (JSONObject, SourceLocation) throws -> Void
  ) throws {
    try forEachLine(
      in: source,
      parse: { (line) throws(JSONSyntaxError) -> JSONObject? in try JSONParser.parse(line).objectValue },
      { object, location, _ in try body(object, location) })
  }

  /// The same with the tool's own parser: `parse` returns nil for a document that is valid
  /// JSON but not an object. `body` also gets the line (valid during the call only).
  public mutating func forEachLine<Parsed>(
    in source: ByteSource,
    parse: (UnsafeBufferPointer<UInt8>) throws(JSONSyntaxError) -> Parsed?,
    _ body: (Parsed, SourceLocation, UnsafeBufferPointer<UInt8>) throws -> Void
  ) throws {
    let reader = LineReader(source: source, maxLineBytes: maxLineBytes)
    try reader.forEachLine { line, number, tooLong in
      try deliver(Self.read(line, tooLong: tooLong, parse), line: line, number: number, in: source, body)
    }
  }

  /// The same with the parsing on every core, a batch of lines at a time, while `body` takes
  /// the readings on the calling thread in input order: `body` sees what `forEachLine` would
  /// give it, whatever the number of threads. `makeParser` is called once per batch, on the
  /// thread that parses it, so a parser may keep state across its batch's lines (the last
  /// envelope, the last mapping) and hold what its readings point into; `body` gets the
  /// parser of the reading's batch. A parser must not change state that anything else reads.
  ///
  /// Why: normalise's conversion of each record depends on nothing read before it, and was
  /// one core's work while ingest, ahead of it in the pipe, left the other idle.
  public mutating func forEachLineInParallel<Parser: BatchLineParser>(
    in source: ByteSource, makeParser: @escaping () -> Parser,
    _ body: (Parser.Parsed, Parser, SourceLocation, UnsafeBufferPointer<UInt8>) throws -> Void
  ) throws {
    let threads = InParallel.threads
    let parsers = ParserFactory(make: makeParser)
    typealias Batch = LineBatch<Parser>
    // Enough batches under way to keep up to eight cores busy; few enough that memory stays
    // a few tens of MB on any machine (a batch is about 1 MB of lines and as much of readings).
    let limit = 2 * min(threads, 8)
    var pending: [Batch] = []
    // Whatever happens, no batch is left parsing when this returns.
    defer { for batch in pending { batch.done.wait() } }
    func take(_ batch: Batch) throws {
      batch.done.wait()
      let parser = batch.parser!
      // The readings are moved out one by one (reversed, then taken from the end), not copied:
      // a copy of each reading took a reference count on everything it holds.
      var readings = batch.readings
      batch.readings = []
      readings.reverse()
      defer {
        readings.removeAll(keepingCapacity: true)
        batch.readings = readings
      }
      try batch.bytes.withUnsafeBufferPointer { bytes in
        for line in batch.lines {
          try deliver(
            readings.removeLast(), line: UnsafeBufferPointer(rebasing: bytes[line.start..<line.end]),
            number: line.number, in: source
          ) { parsed, location, line in try body(parsed, parser, location, line) }
        }
      }
    }
    var batch = Batch()
    func start() throws {
      pending.append(batch)
      // On one thread, the same batches parsed where they are read: a parser's state, and
      // what its readings hold, never outlive its batch either way.
      batch.parse(with: parsers, inPool: threads > 1)
      batch = LineBatch()
      if pending.count >= limit { try take(pending.removeFirst()) }
    }
    let reader = LineReader(source: source, maxLineBytes: maxLineBytes)
    try reader.forEachLine { line, number, tooLong in
      batch.add(line, number: number, tooLong: tooLong)
      if batch.isFull { try start() }
    }
    if !batch.lines.isEmpty { try start() }
    while !pending.isEmpty { try take(pending.removeFirst()) }
  }

  /// One line's reading, made on any thread; rejected or delivered in input order.
  enum LineReading<Parsed> {
    case blank
    case tooLong
    case parsed(Parsed)
    case syntaxError(JSONSyntaxError)
    case notAnObject
  }

  static func read<Parsed>(
    _ line: UnsafeBufferPointer<UInt8>, tooLong: Bool,
    _ parse: (UnsafeBufferPointer<UInt8>) throws(JSONSyntaxError) -> Parsed?
  ) -> LineReading<Parsed> {
    if tooLong { return .tooLong }
    if line.allSatisfy({ $0 == ASCII.space || $0 == ASCII.tab }) { return .blank }
    do throws(JSONSyntaxError) {
      guard let parsed = try parse(line) else { return .notAnObject }
      return .parsed(parsed)
    } catch {
      return .syntaxError(error)
    }
  }

  /// Blank lines skipped, bad ones rejected with their line (and column), the rest to `body`.
  mutating func deliver<Parsed>(
    _ reading: consuming LineReading<Parsed>, line: UnsafeBufferPointer<UInt8>, number: Int, in source: ByteSource,
    _ body: (Parsed, SourceLocation, UnsafeBufferPointer<UInt8>) throws -> Void
  ) throws {
    var location = SourceLocation(file: source.name, line: number)
    let reading = consume reading
    if case .blank = reading { return }
    recordsRead += 1
    switch consume reading {
    case .blank: return
    case .tooLong:
      try rejects.reject(at: location, reason: "line longer than \(maxLineBytes) bytes", raw: "(not kept: too long)")
    case .syntaxError(let error):
      location.column = error.offset + 1
      try rejects.reject(
        at: location, reason: "not JSON: \(error.message)", raw: String(decoding: line.prefix(4096), as: UTF8.self))
    case .notAnObject:
      let kind = (try? JSONParser.parse(line))?.kindName ?? "something else"
      try rejects.reject(
        at: location, reason: "expected a JSON object, found \(kind)",
        raw: String(decoding: line.prefix(4096), as: UTF8.self))
    case .parsed(let parsed):
      try body(parsed, location, line)
    }
  }
}

/// The parser of one batch of lines (`NDJSONInput.forEachLineInParallel`).
public protocol BatchLineParser: AnyObject {
  associatedtype Parsed
  /// nil for a document that is valid JSON but not an object.
  func parse(_ line: UnsafeBufferPointer<UInt8>) throws(JSONSyntaxError) -> Parsed?
}

/// Makes a parser for each batch. Shared with the parsing threads unchecked: the caller's
/// promise is parsers that keep to their own state.
private final class ParserFactory<Parser>: @unchecked Sendable {
  let make: () -> Parser

  init(make: @escaping () -> Parser) {
    self.make = make
  }
}

/// Lines copied out of the reader's chunk (which it reuses) to be parsed on another thread,
/// and their readings once `done` is signalled.
private final class LineBatch<Parser: BatchLineParser>: @unchecked Sendable {
  var bytes: [UInt8] = []
  var lines: [(start: Int, end: Int, number: Int, tooLong: Bool)] = []
  var readings: [NDJSONInput.LineReading<Parser.Parsed>] = []
  var parser: Parser?
  let done = DispatchSemaphore(value: 0)

  static var maxLines: Int { 2048 }
  static var maxBytes: Int { 1 << 20 }

  init() {
    bytes.reserveCapacity(Self.maxBytes + (64 << 10))
    lines.reserveCapacity(Self.maxLines)
  }

  func add(_ line: UnsafeBufferPointer<UInt8>, number: Int, tooLong: Bool) {
    let start = bytes.count
    if !tooLong { bytes.append(contentsOf: line) }
    lines.append((start, bytes.count, number, tooLong))
  }

  var isFull: Bool { lines.count >= Self.maxLines || bytes.count >= Self.maxBytes }

  /// Parses every line, on a thread of the pool or on this one, then signals `done`.
  func parse(with parsers: ParserFactory<Parser>, inPool: Bool) {
    guard inPool else { return parseLines(with: parsers) }
    DispatchQueue.global().async { self.parseLines(with: parsers) }
  }

  private func parseLines(with parsers: ParserFactory<Parser>) {
    let parser = parsers.make()
    self.parser = parser
    let parse = { (line: UnsafeBufferPointer<UInt8>) throws(JSONSyntaxError) in try parser.parse(line) }
    readings.reserveCapacity(lines.count)
    bytes.withUnsafeBufferPointer { bytes in
      for line in lines {
        readings.append(
          NDJSONInput.read(UnsafeBufferPointer(rebasing: bytes[line.start..<line.end]), tooLong: line.tooLong, parse))
      }
    }
    done.signal()
  }
}

extension JSONValue {
  var kindName: String {
    switch self {
    case .null: "null"
    case .bool: "a boolean"
    case .number: "a number"
    case .string: "a string"
    case .array: "an array"
    case .object: "an object"
    }
  }
}
