import Glibc

/// Something bytes can be appended to: the output buffer, or a plain `[UInt8]`.
public protocol ByteAppending: ~Copyable {
  mutating func append(_ byte: UInt8)
  mutating func append(_ bytes: UnsafeBufferPointer<UInt8>)
  var count: Int { get }
  /// Drops everything after the first `count` bytes (rolling back a half-written record).
  mutating func truncate(to count: Int)
}

extension ByteAppending where Self: ~Copyable {
  @inlinable
  public mutating func append(_ bytes: [UInt8]) {
    bytes.withUnsafeBufferPointer { append($0) }
  }

  @inlinable
  public mutating func append(ascii: StaticString) {
    append(UnsafeBufferPointer(start: ascii.utf8Start, count: ascii.utf8CodeUnitCount))
  }
}

extension Array: ByteAppending where Element == UInt8 {
  @inlinable
  public mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
    append(contentsOf: bytes)
  }

  @inlinable
  public mutating func truncate(to count: Int) {
    removeSubrange(count...)
  }
}

/// A growable byte buffer over manually managed memory, for the output hot path.
///
/// `[UInt8]` pays for a uniqueness check, retain/release and exclusivity bookkeeping on every
/// append; profiling `ingest` showed those at a third of its instructions. This buffer is
/// non-copyable, so it cannot be aliased, and appends are a bounds check and a `memcpy`.
public struct ByteBuffer: ~Copyable, ByteAppending {
  @usableFromInline var base: UnsafeMutablePointer<UInt8>
  @usableFromInline var capacity: Int
  @usableFromInline var storedCount = 0
  public var count: Int { storedCount }

  public init(capacity: Int = 1 << 16) {
    self.capacity = max(capacity, 16)
    base = .allocate(capacity: self.capacity)
  }

  deinit {
    base.deallocate()
  }

  @inlinable
  public mutating func append(_ byte: UInt8) {
    if storedCount == capacity { grow(to: storedCount + 1) }
    base[storedCount] = byte
    storedCount &+= 1
  }

  @inlinable
  public mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
    let needed = storedCount &+ bytes.count
    if needed > capacity { grow(to: needed) }
    if let source = bytes.baseAddress {
      // Most appends are a few bytes (punctuation, keys): a loop beats calling memmove.
      if bytes.count <= 8 {
        for offset in 0..<bytes.count { base[storedCount &+ offset] = source[offset] }
      } else {
        (base + storedCount).update(from: source, count: bytes.count)
      }
    }
    storedCount = needed
  }

  public mutating func truncate(to count: Int) {
    precondition(count <= storedCount)
    storedCount = count
  }

  public mutating func removeAll() {
    storedCount = 0
  }

  /// The bytes written so far.
  public var bytes: UnsafeBufferPointer<UInt8> {
    UnsafeBufferPointer(start: base, count: count)
  }

  @usableFromInline
  mutating func grow(to needed: Int) {
    var newCapacity = capacity * 2
    while newCapacity < needed { newCapacity *= 2 }
    let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
    newBase.update(from: base, count: count)
    base.deallocate()
    base = newBase
    capacity = newCapacity
  }
}
