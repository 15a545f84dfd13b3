/// A map from source-key digests to their winners: open addressing, indexed by the digest's
/// own bits. The digest is already a hash; a `Dictionary` hashed it again (SipHash) and took
/// two cache misses a lookup, 7% of normalise's time at 340,000 keys. Entries are never removed.
struct DigestTable<Value> {
  private struct Slot {
    var key: KeyDigest
    var value: Value
  }

  private var slots: [Slot?] = Array(repeating: nil, count: 1024)
  private(set) var count = 0

  private func position(of key: KeyDigest) -> (index: Int, found: Bool) {
    let mask = slots.count - 1
    var index = key.low & mask
    while let slot = slots[index] {
      if slot.key == key { return (index, true) }
      index = (index + 1) & mask
    }
    return (index, false)
  }

  subscript(key: KeyDigest) -> Value? {
    get {
      let (index, found) = position(of: key)
      return found ? slots[index]!.value : nil
    }
    set {
      guard let newValue else { preconditionFailure("DigestTable entries are never removed") }
      let (index, found) = position(of: key)
      if found {
        slots[index]!.value = newValue
        return
      }
      slots[index] = Slot(key: key, value: newValue)
      count += 1
      if count * 4 > slots.count * 3 { grow() }
    }
  }

  /// Doubles the table at three quarters full (linear probes stay a few slots long).
  private mutating func grow() {
    let old = slots
    slots = Array(repeating: nil, count: old.count * 2)
    for case let slot? in old { slots[position(of: slot.key).index] = slot }
  }
}
