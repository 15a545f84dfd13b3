/// Writing JSON straight into a byte buffer.
///
/// Every tool emits NDJSON through these helpers rather than `JSONEncoder`: values are appended
/// as bytes, strings are validated as UTF-8 and escaped in one pass, and key order is whatever
/// the caller writes, so output is byte-stable (perf-anchors.md: Foundation's encoder is ~4×
/// slower and randomises key order unless told otherwise).
public enum JSONBytes {
  /// Bytes that can be copied into a JSON string as they are: printable ASCII except `"` and `\`.
  @usableFromInline
  static let plain: [Bool] = (0..<256).map { byte in
    byte >= 0x20 && byte < 0x80 && byte != 0x22 && byte != 0x5C
  }

  @usableFromInline
  static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

  /// Appends `bytes` as a quoted JSON string.
  ///
  /// Returns the offset of the first byte that is not valid UTF-8, or `nil` when the whole
  /// value was valid and written. On failure the output is left with a partial string; callers
  /// roll back to their own mark (see `RecordBuffer`).
  @inlinable
  public static func appendString(
    _ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]
  ) -> Int? {
    out.append(0x22)
    let count = bytes.count
    var index = 0
    var runStart = 0
    while index < count {
      let byte = bytes[index]
      if plain[Int(byte)] {
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
        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
      }
      appendEscape(byte, to: &out)
      index &+= 1
      runStart = index
    }
    if runStart < count {
      out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<count]))
    }
    out.append(0x22)
    return nil
  }

  /// Appends a Swift string (always valid UTF-8) as a quoted JSON string.
  @inlinable
  public static func appendString(_ string: String, to out: inout [UInt8]) {
    var copy = string
    copy.withUTF8 { _ = appendString($0, to: &out) }
  }

  /// Appends bytes that may hold invalid UTF-8, replacing each bad byte with U+FFFD.
  ///
  /// Used only for diagnostics and the `raw` text of rejects, where the exact bytes are already
  /// lost and a readable approximation is what a person needs.
  public static func appendLossyString(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
    appendString(String(decoding: bytes, as: UTF8.self), to: &out)
  }

  @usableFromInline
  static func appendEscape(_ byte: UInt8, to out: inout [UInt8]) {
    switch byte {
    case 0x22: out.append(contentsOf: [0x5C, 0x22])
    case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
    case 0x0A: out.append(contentsOf: [0x5C, 0x6E])
    case 0x0D: out.append(contentsOf: [0x5C, 0x72])
    case 0x09: out.append(contentsOf: [0x5C, 0x74])
    default:
      out.append(contentsOf: [0x5C, 0x75, 0x30, 0x30])
      out.append(hexDigits[Int(byte >> 4)])
      out.append(hexDigits[Int(byte & 0x0F)])
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
    while index < bytes.count {
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

  /// Appends a non-negative or negative integer in decimal.
  @inlinable
  public static func appendInt(_ value: Int, to out: inout [UInt8]) {
    if value == 0 {
      out.append(0x30)
      return
    }
    var magnitude = value.magnitude
    if value < 0 { out.append(0x2D) }
    var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                 UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
      (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    var count = 0
    withUnsafeMutableBytes(of: &digits) { buffer in
      while magnitude > 0 {
        buffer[count] = UInt8(truncatingIfNeeded: magnitude % 10) &+ 0x30
        magnitude /= 10
        count += 1
      }
      for position in stride(from: count - 1, through: 0, by: -1) {
        out.append(buffer[position])
      }
    }
  }
}
