extension String {
  /// The string without leading and trailing spaces, tabs, CRs and LFs.
  ///
  /// Foundation's `trimmingCharacters(in:)` bridges through NSString and UTF-16; profiling
  /// `normalise` found it at 60% of all instructions. This scans UTF-8 bytes and returns the
  /// string itself when there is nothing to trim.
  public var trimmed: String {
    let bytes = utf8
    guard let first = bytes.firstIndex(where: { !Self.isBlankByte($0) }) else { return "" }
    var end = bytes.endIndex
    while end > first, Self.isBlankByte(bytes[bytes.index(before: end)]) { end = bytes.index(before: end) }
    if first == bytes.startIndex && end == bytes.endIndex { return self }
    return String(self[first..<end])
  }

  /// True when the string is empty or holds only spaces, tabs, CRs and LFs.
  public var isBlank: Bool {
    utf8.allSatisfy(Self.isBlankByte)
  }

  @inline(__always)
  public static func isBlankByte(_ byte: UInt8) -> Bool {
    byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
  }
}

/// Hands out one shared copy of each distinct string, so that a label repeated across millions
/// of records (a file name, a source, a metric) is stored once however many holders keep it.
/// For low-cardinality text only: the table keeps every distinct value.
public struct StringInterner {
  @usableFromInline var table: Set<String> = []

  public init() {}

  /// Inlinable: it runs for every record segment folds, from another module.
  @inlinable
  public mutating func callAsFunction(_ text: String) -> String {
    if let shared = table.firstIndex(of: text) { return table[shared] }
    table.insert(text)
    return text
  }
}
