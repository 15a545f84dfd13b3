import Glibc

/// Where one member's key and value are in a reader's byte storage.
struct KeyValueSpan: Sendable {
  var keyStart: Int
  var keyEnd: Int
  var valueStart: Int
  var valueEnd: Int
}

/// A JSON object whose values are all strings (a raw record's `fields`), kept flat: names and
/// values decoded into one byte buffer, found by name by scanning.
///
/// Why not `[String: String]`: normalise looks up a dozen of a record's few dozen fields once
/// each. Building a String and hashing every name cost more than comparing the bytes of the
/// few names a mapping asks for.
public struct FlatFields: Sendable {
  typealias Span = KeyValueSpan

  var storage: [UInt8] = []
  var spans: [Span] = []
  /// Whether any name ends in `@nil` (Rails and Recurly nil markers), so that the common case
  /// need not look for a marker next to every field.
  public private(set) var hasNilMarkers = false

  public init() {}

  mutating func append(name: ArraySlice<UInt8>, value: ArraySlice<UInt8>) {
    let keyStart = storage.count
    storage += name
    let valueStart = storage.count
    storage += value
    add(Span(keyStart: keyStart, keyEnd: valueStart, valueStart: valueStart, valueEnd: storage.count))
  }

  /// Inlined into the scanner's loop: the call per field was 1.3% of normalise's instructions.
  @inline(__always)
  mutating func add(_ span: Span) {
    spans.append(span)
    // `@nil` tested from its last byte, which few names end in.
    let end = span.keyEnd
    if end - span.keyStart >= 4, storage[end - 1] == 0x6C, storage[end - 2] == 0x69, storage[end - 3] == 0x6E,
      storage[end - 4] == 0x40
    {
      hasNilMarkers = true
    }
  }

  /// The value of the field `name`; the last one when a name repeats (as a dictionary would).
  public subscript(name: String) -> String? {
    if let found = name.utf8.withContiguousStorageIfAvailable({ value(named: $0) }) { return found }
    return Array(name.utf8).withUnsafeBufferPointer { value(named: $0) }
  }

  private func value(named key: UnsafeBufferPointer<UInt8>) -> String? {
    withValue(named: key) { String(decoding: $0, as: UTF8.self) }
  }

  /// `body` on the bytes of the field named `key` (the last one when a name repeats), for a
  /// caller that works on bytes; nil when there is no such field.
  public func withValue<Result>(
    named key: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Result
  ) -> Result? {
    guard let range = valueRange(named: key) else { return nil }
    return withBytes(of: range, body)
  }

  /// Where the value of the field named `key` is (the last one when a name repeats), for
  /// `withBytes(of:)`; nil when there is no such field.
  public func valueRange(named key: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
    index(ofName: key).map(valueRange(at:))
  }

  /// The position of the field named `key` (the last one when a name repeats).
  public func index(ofName key: UnsafeBufferPointer<UInt8>) -> Int? {
    storage.withUnsafeBufferPointer { bytes in
      var index = spans.count
      while index > 0 {
        index -= 1
        let span = spans[index]
        guard span.keyEnd - span.keyStart == key.count,
          key.isEmpty || memcmp(bytes.baseAddress! + span.keyStart, key.baseAddress!, key.count) == 0
        else { continue }
        return index
      }
      return nil
    }
  }

  /// The number of fields.
  public var count: Int { spans.count }

  /// Where the value of the field at `index` (from `index(ofName:)`) is.
  public func valueRange(at index: Int) -> Range<Int> { spans[index].valueStart..<spans[index].valueEnd }

  /// Whether `other` has the same field names in the same order (its values aside): then a
  /// name is at the same position in both.
  public func hasSameNames(as other: FlatFields) -> Bool {
    guard spans.count == other.spans.count else { return false }
    return storage.withUnsafeBufferPointer { mine in
      other.storage.withUnsafeBufferPointer { theirs in
        for (a, b) in zip(spans, other.spans) {
          let length = a.keyEnd - a.keyStart
          guard length == b.keyEnd - b.keyStart,
            length == 0 || memcmp(mine.baseAddress! + a.keyStart, theirs.baseAddress! + b.keyStart, length) == 0
          else { return false }
        }
        return true
      }
    }
  }

  /// `body` on the bytes of a value found by `valueRange(named:)`.
  public func withBytes<Result>(of range: Range<Int>, _ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows
    -> Result
  {
    try storage.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[range])) }
  }

  /// Room for `fields` more fields of `bytes` bytes in all, before appending them one by one
  /// (an empty value grew its two arrays four or five times for a record's three fields).
  public mutating func reserve(fields: Int, bytes: Int) {
    storage.reserveCapacity(storage.count + bytes)
    spans.reserveCapacity(spans.count + fields)
  }

  /// Adds a field from bytes (a record read back from where it was set aside).
  public mutating func append(name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) {
    let keyStart = storage.count
    storage.append(contentsOf: name)
    let valueStart = storage.count
    storage.append(contentsOf: value)
    add(Span(keyStart: keyStart, keyEnd: valueStart, valueStart: valueStart, valueEnd: storage.count))
  }

  /// Only the fields named in `names`, in a buffer of their own (a record kept for later
  /// should not keep its whole line).
  /// `ascii`: the same names as bytes, when all are ASCII. An ASCII field name is then compared
  /// byte for byte (a String per field name and a set lookup were most of slimming a record);
  /// any other goes through the set, where canonical equivalence applies (a Kelvin sign is a K).
  public func keeping(_ names: Set<String>, ascii: [[UInt8]]? = nil) -> FlatFields {
    var kept = FlatFields()
    for span in spans {
      let name = storage[span.keyStart..<span.keyEnd]
      if let ascii, name.allSatisfy({ $0 < 0x80 }) {
        guard ascii.contains(where: { $0.elementsEqual(name) }) else { continue }
      } else {
        guard names.contains(String(decoding: name, as: UTF8.self)) else { continue }
      }
      kept.append(name: name, value: storage[span.valueStart..<span.valueEnd])
    }
    return kept
  }

  /// Every field in order, as Strings (for tests and diagnostics).
  public var pairs: [(name: String, value: String)] {
    spans.map { span in
      (
        String(decoding: storage[span.keyStart..<span.keyEnd], as: UTF8.self),
        String(decoding: storage[span.valueStart..<span.valueEnd], as: UTF8.self)
      )
    }
  }
}
