/// The source keys read so far, approximately: a Bloom filter that never forgets a key it was
/// given and wrongly claims one it was not given about once in five hundred. Duplicates are
/// rare, so pass 1 keeps exact entries (`DigestTable`) only for the keys this filter has
/// seen before; a key's first copy waits in the spill and is ranked when it is placed, if
/// later copies came. Memory: about two and a half bytes a distinct key instead of a
/// 48-byte entry at three-quarters load.
///
/// It grows in stages, each twice the last (the number of keys is not known in advance, a pipe
/// has no size); a stage is a split-block filter (Parquet's design: 256-bit blocks of eight
/// words, one bit set in each), so a lookup touches one cache line of each stage.
struct SeenKeys {
  private var stages: [Stage] = [Stage(log2Blocks: 12)]

  /// Whether `key` may have been inserted before; if not, it is inserted now.
  mutating func insert(_ key: KeyDigest) -> Bool {
    if mayContain(key) { return true }
    if stages[stages.count - 1].isFull {
      stages.append(Stage(log2Blocks: stages[stages.count - 1].log2Blocks + 1))
    }
    stages[stages.count - 1].insert(key)
    return false
  }

  /// False only for keys never inserted.
  func mayContain(_ key: KeyDigest) -> Bool {
    // The newest stage holds the most keys: checked first.
    for index in stages.indices.reversed() where stages[index].contains(key) { return true }
    return false
  }

  /// Bytes the filter holds (for the tests' and docs' memory figures).
  var bytes: Int { stages.reduce(0) { $0 + $1.words.count * 4 } }

  private struct Stage {
    /// Sixteen bits a key at capacity: about one false claim in five hundred per stage.
    static let keysPerBlock = 16
    static let salts: InlineArray<8, UInt32> = [
      0x47b6_137b, 0x4497_4d91, 0x8824_ad5b, 0xa2b7_289d, 0x7054_95c7, 0x2df1_424b, 0x9efc_4947, 0x5c6b_fb31,
    ]

    let log2Blocks: Int
    var words: [UInt32]
    var count = 0

    init(log2Blocks: Int) {
      self.log2Blocks = log2Blocks
      words = Array(repeating: 0, count: 8 << log2Blocks)
    }

    var isFull: Bool { count >= Self.keysPerBlock << log2Blocks }

    /// The key's block (from the digest's high word) and its eight bits (from the low one).
    @inline(__always)
    private func block(of key: KeyDigest) -> Int { Int(truncatingIfNeeded: UInt(bitPattern: key.high) >> (64 - log2Blocks)) << 3 }

    @inline(__always)
    private static func bit(_ key: KeyDigest, _ word: Int) -> UInt32 {
      1 << ((UInt32(truncatingIfNeeded: key.low) &* salts[word]) >> 27)
    }

    mutating func insert(_ key: KeyDigest) {
      let base = block(of: key)
      words.withUnsafeMutableBufferPointer { words in
        for word in 0..<8 { words[base + word] |= Self.bit(key, word) }
      }
      count += 1
    }

    func contains(_ key: KeyDigest) -> Bool {
      let base = block(of: key)
      return words.withUnsafeBufferPointer { words in
        for word in 0..<8 where words[base + word] & Self.bit(key, word) == 0 { return false }
        return true
      }
    }
  }
}
