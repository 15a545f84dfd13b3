import CSPipeCore
import Glibc

/// The values a member took in the last records, by their raw JSON token (quotes and escapes
/// included). Records repeat themselves: runs of one kind and one account, a handful of
/// statuses, currencies and intervals. A member whose token equals one seen is that value
/// again, with no String made and no table searched; equal tokens decode to equal values, so
/// only the work changes. Tokens that differ but decode alike (an escape) miss and are read as
/// ever.
struct RecentTokens<Value> {
  private var tokens: [[UInt8]] = []
  private var values: [Value] = []
  /// The newest value: a run repeats it.
  private var last = -1
  let capacity: Int

  init(capacity: Int) { self.capacity = capacity }

  /// The value remembered for `token`, if any.
  mutating func value(for token: UnsafeBufferPointer<UInt8>) -> Value? {
    if last >= 0, Self.equal(tokens[last], token) { return values[last] }
    for index in tokens.indices where index != last && Self.equal(tokens[index], token) {
      last = index
      return values[index]
    }
    return nil
  }

  /// The value remembered for `token`, or `read()`'s, remembered for the next time.
  mutating func value(for token: UnsafeBufferPointer<UInt8>, orRead read: () -> Value) -> Value {
    if let known = value(for: token) { return known }
    let value = read()
    remember(token, value)
    return value
  }

  /// Remembers `value` for `token` (the oldest entry goes once full).
  mutating func remember(_ token: UnsafeBufferPointer<UInt8>, _ value: Value) {
    if tokens.count < capacity {
      tokens.append(Array(token))
      values.append(value)
      last = tokens.count - 1
    } else {
      let slot = (last + 1) % capacity
      // The slot's storage is kept: a new array per account was most of a miss's cost.
      tokens[slot].removeAll(keepingCapacity: true)
      tokens[slot].append(contentsOf: token)
      values[slot] = value
      last = slot
    }
  }

  @inline(__always)
  private static func equal(_ stored: [UInt8], _ token: UnsafeBufferPointer<UInt8>) -> Bool {
    guard stored.count == token.count else { return false }
    guard let base = token.baseAddress else { return true }
    return stored.withUnsafeBufferPointer { memcmp($0.baseAddress!, base, token.count) == 0 }
  }
}

extension LazyJSONObject.Selection {
  /// `string(name)`, remembered by token in `recent`.
  func string(_ name: Names, recent: inout RecentTokens<String?>) -> String? {
    withRawValue(name) { recent.value(for: $0) { string(name) } } ?? nil
  }
}
