import CZlib

/// Decompresses a gzip stream as it is read (`stripe_subscriptions.csv.gz`, `gzip -c | ingest -`):
/// a fixed 256 KiB of compressed input at a time, so memory stays bounded however large the
/// file or however much it expands. Members written one after another (`cat a.gz b.gz`) are read
/// as one stream, as `gzip -d` does.
final class GzipInflater {
  /// The two bytes every gzip member starts with (RFC 1952).
  static let magic: [UInt8] = [0x1F, 0x8B]

  private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
  private var input = [UInt8](repeating: 0, count: 256 << 10)
  private var inputStart = 0
  private var inputEnd = 0
  private var inputFinished = false
  private var memberEnded = false
  private let name: String

  /// `initial` holds bytes already read from the source (its first bytes, the magic included).
  init(initial: ArraySlice<UInt8>, name: String) throws {
    self.name = name
    stream.initialize(to: z_stream())
    // 15 + 16: a gzip wrapper, the largest window.
    guard inflateInit2_(stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
      stream.deallocate()
      throw InputError("cannot start gzip decompression", at: SourceLocation(file: name))
    }
    if initial.count > input.count { input = [UInt8](repeating: 0, count: initial.count) }
    input.replaceSubrange(0..<initial.count, with: initial)
    inputEnd = initial.count
  }

  deinit {
    inflateEnd(stream)
    stream.deallocate()
  }

  /// Fills the front of `buffer` with decompressed bytes; 0 at the end of the last member.
  /// `readRaw` reads compressed bytes from the file (0 at its end).
  func read(
    into buffer: UnsafeMutableRawBufferPointer, readRaw: (UnsafeMutableRawBufferPointer) throws -> Int
  ) throws -> Int {
    guard buffer.count > 0 else { return 0 }
    while true {
      if inputStart == inputEnd && !inputFinished {
        let got = try input.withUnsafeMutableBytes { try readRaw($0) }
        inputStart = 0
        inputEnd = got
        if got == 0 { inputFinished = true }
      }
      if memberEnded {
        // Another member follows, or the stream is over.
        if inputStart == inputEnd {
          if inputFinished { return 0 }
          continue
        }
        guard input[inputStart] == Self.magic[0] else {
          throw InputError("unexpected bytes after the end of the gzip data", at: SourceLocation(file: name))
        }
        inflateReset(stream)
        memberEnded = false
      }
      let available = inputEnd - inputStart
      let (status, produced, used) = input.withUnsafeMutableBufferPointer { compressed in
        stream.pointee.next_in = compressed.baseAddress! + inputStart
        stream.pointee.avail_in = UInt32(available)
        stream.pointee.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = UInt32(min(buffer.count, Int(UInt32.max)))
        let status = inflate(stream, Z_NO_FLUSH)
        return (
          status, min(buffer.count, Int(UInt32.max)) - Int(stream.pointee.avail_out),
          available - Int(stream.pointee.avail_in)
        )
      }
      inputStart += used
      switch status {
      case Z_STREAM_END:
        memberEnded = true
      case Z_OK:
        break
      case Z_BUF_ERROR where produced == 0 && used == 0:
        if inputFinished {
          throw InputError("the gzip data ends early (a truncated download?)", at: SourceLocation(file: name))
        }
      default:
        let reason = stream.pointee.msg.map { String(cString: $0) } ?? "error \(status)"
        throw InputError("not valid gzip data (\(reason))", at: SourceLocation(file: name))
      }
      if produced > 0 { return produced }
      if inputStart == inputEnd && inputFinished && !memberEnded {
        throw InputError("the gzip data ends early (a truncated download?)", at: SourceLocation(file: name))
      }
    }
  }
}
