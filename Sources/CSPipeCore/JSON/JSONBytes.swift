/// Writing JSON straight into bytes.
///
/// Every tool emits NDJSON through these helpers rather than `JSONEncoder`: values are appended
/// as bytes, strings are validated as UTF-8 and escaped in one pass, and key order is whatever
/// the caller writes, so output is byte-stable (measured: Foundation's encoder is ~4×
/// slower and randomises key order unless told otherwise).
public enum JSONBytes {
  @usableFromInline static let ones: UInt64 = 0x0101_0101_0101_0101
  @usableFromInline static let highBits: UInt64 = 0x8080_8080_8080_8080

  /// True when any of the 8 bytes in `word` needs attention: non-ASCII, a control character,
  /// `"` or `\`. A SWAR test, so plain ASCII text is copied eight bytes per step.
  @inlinable @inline(__always)
  static func mayNeedEscape(_ word: UInt64) -> Bool {
    attentionBits(word) != 0
  }

  /// The high bit of every byte of `word` (little-endian) that needs attention, exact up to
  /// and including the first such byte (a borrow may mark bytes after it): so
  /// `trailingZeroBitCount / 8` is the offset of the first, and a scanner jumps straight to it.
  @inlinable @inline(__always)
  static func attentionBits(_ word: UInt64) -> UInt64 {
    @inline(__always) func hasZeroByte(_ value: UInt64) -> UInt64 {
      (value &- ones) & ~value & highBits
    }
    let below20 = (word &- 0x2020_2020_2020_2020) & ~word & highBits
    let quote = hasZeroByte(word ^ 0x2222_2222_2222_2222)
    let backslash = hasZeroByte(word ^ 0x5C5C_5C5C_5C5C_5C5C)
    return (word & highBits) | below20 | quote | backslash
  }

  /// Appends `bytes` as a quoted JSON string.
  ///
  /// Returns the offset of the first byte that is not valid UTF-8, or `nil` when the whole
  /// value was valid and written. On failure the output holds a partial string; callers roll
  /// back to their own mark with `truncate(to:)`.
  @inlinable
  public static func appendString<Output: ByteAppending & ~Copyable>(
    _ bytes: UnsafeBufferPointer<UInt8>, to out: inout Output
  ) -> Int? {
    out.append(ASCII.quote)
    let count = bytes.count
    guard let base = bytes.baseAddress else {
      out.append(ASCII.quote)
      return nil
    }
    var index = 0
    var runStart = 0
    while index < count {
      if index &+ 8 <= count {
        let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
        if !mayNeedEscape(word) {
          index &+= 8
          continue
        }
      }
      let byte = base[index]
      if byte >= ASCII.space && byte < 0x80 && byte != ASCII.quote && byte != ASCII.backslash {
        index &+= 1
        continue
      }
      if byte >= 0x80 {
        let length = validUTF8SequenceLength(bytes, at: index)
        if length == 0 { return index }
        index &+= length
        continue
      }
      if runStart < index {
        out.append(UnsafeBufferPointer(start: base + runStart, count: index &- runStart))
      }
      appendEscape(byte, to: &out)
      index &+= 1
      runStart = index
    }
    if runStart < count {
      out.append(UnsafeBufferPointer(start: base + runStart, count: count &- runStart))
    }
    out.append(ASCII.quote)
    return nil
  }

  /// Appends a Swift string (always valid UTF-8) as a quoted JSON string.
  @inlinable
  public static func appendString<Output: ByteAppending & ~Copyable>(
    _ string: String, to out: inout Output
  ) {
    var copy = string
    copy.withUTF8 { _ = appendString($0, to: &out) }
  }

  @usableFromInline
  static func appendEscape<Output: ByteAppending & ~Copyable>(_ byte: UInt8, to out: inout Output) {
    out.append(ASCII.backslash)
    switch byte {
    case ASCII.quote: out.append(ASCII.quote)
    case ASCII.backslash: out.append(ASCII.backslash)
    case ASCII.lineFeed: out.append(0x6E)
    case ASCII.carriageReturn: out.append(0x72)
    case ASCII.tab: out.append(0x74)
    default:
      let hex: StaticString = "0123456789abcdef"
      out.append(0x75)
      out.append(ASCII.digit0)
      out.append(ASCII.digit0)
      out.append(hex.utf8Start[Int(byte >> 4)])
      out.append(hex.utf8Start[Int(byte & 0x0F)])
    }
  }

  /// Length of the valid UTF-8 sequence starting at `index`, or 0 when it is not valid
  /// (overlong forms, surrogates and code points above U+10FFFF are invalid, as in RFC 3629).
  @inlinable
  public static func validUTF8SequenceLength(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Int {
    let lead = bytes[index]
    let remaining = bytes.count - index
    @inline(__always) func continuation(_ offset: Int) -> Bool {
      offset < remaining && bytes[index + offset] & 0xC0 == 0x80
    }
    switch lead {
    case 0xC2...0xDF:
      return continuation(1) ? 2 : 0
    case 0xE0...0xEF:
      guard continuation(1), continuation(2) else { return 0 }
      let second = bytes[index + 1]
      if lead == 0xE0 && second < 0xA0 { return 0 }  // overlong
      if lead == 0xED && second >= 0xA0 { return 0 }  // UTF-16 surrogate
      return 3
    case 0xF0...0xF4:
      guard continuation(1), continuation(2), continuation(3) else { return 0 }
      let second = bytes[index + 1]
      if lead == 0xF0 && second < 0x90 { return 0 }  // overlong
      if lead == 0xF4 && second >= 0x90 { return 0 }  // above U+10FFFF
      return 4
    default:
      return 0
    }
  }

  /// Offset of the first invalid UTF-8 byte in `bytes`, or `nil` when all of it is valid.
  public static func firstInvalidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
    var index = 0
    let base = UnsafeRawPointer(bytes.baseAddress)
    while index < bytes.count {
      // Eight ASCII bytes per step.
      if let base, index + 8 <= bytes.count, base.loadUnaligned(fromByteOffset: index, as: UInt64.self) & highBits == 0 {
        index += 8
        continue
      }
      if bytes[index] < 0x80 {
        index += 1
        continue
      }
      let length = validUTF8SequenceLength(bytes, at: index)
      if length == 0 { return index }
      index += length
    }
    return nil
  }

  /// Appends an integer in decimal.
  @inlinable
  public static func appendInt<Output: ByteAppending & ~Copyable>(_ value: Int, to out: inout Output) {
    if value < 0 { out.append(ASCII.minus) }
    var magnitude = value.magnitude
    var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: room for 20 digits
    withUnsafeMutableBytes(of: &digits) { buffer in
      var position = buffer.count
      repeat {
        position -= 1
        buffer[position] = UInt8(truncatingIfNeeded: magnitude % 10) &+ ASCII.digit0
        magnitude /= 10
      } while magnitude > 0
      let written = UnsafeRawBufferPointer(rebasing: buffer[position...])
      out.append(written.assumingMemoryBound(to: UInt8.self))
    }
  }
}
