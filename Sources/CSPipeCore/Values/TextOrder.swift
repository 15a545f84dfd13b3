import Glibc

/// The order of names in everything cspipe writes: their UTF-8 bytes, lexicographically. A
/// total order, the same on every run. Swift's `<` compares canonically equivalent spellings,
/// and for a decomposed `é` against a precomposed one in a longer string it says neither comes
/// first (`"se\u{301}/a" < "s\u{e9}/ab"` and the reverse are both false): a sort by it then
/// depends on the order of its input, which for a dictionary changes from run to run. For text
/// in NFC (all but hostile input) both orders agree.
public enum TextOrder {
  public static func precedes(_ lhs: String, _ rhs: String) -> Bool {
    if let result = lhs.utf8.withContiguousStorageIfAvailable({ left in
      rhs.utf8.withContiguousStorageIfAvailable { right in bytesPrecede(left, right) }
    }), let result {
      return result
    }
    return lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
  }

  @inline(__always)
  static func bytesPrecede(_ left: UnsafeBufferPointer<UInt8>, _ right: UnsafeBufferPointer<UInt8>) -> Bool {
    let common = min(left.count, right.count)
    if common > 0 {
      let order = memcmp(left.baseAddress!, right.baseAddress!, common)
      if order != 0 { return order < 0 }
    }
    return left.count < right.count
  }
}

extension TextOrder {
  /// A name that compares in `TextOrder`, for sort keys that are tuples: `(rank, TextOrder.Key(name))`.
  /// Equal means the same bytes, so `<` and `==` agree.
  public struct Key: Comparable {
    public let text: String
    public init(_ text: String) { self.text = text }
    public static func < (lhs: Key, rhs: Key) -> Bool { TextOrder.precedes(lhs.text, rhs.text) }
    public static func == (lhs: Key, rhs: Key) -> Bool { lhs.text.utf8.elementsEqual(rhs.text.utf8) }
  }
}

extension Sequence where Element == String {
  /// The names in `TextOrder`.
  public func sortedAsText() -> [String] { sorted(by: TextOrder.precedes) }
}
