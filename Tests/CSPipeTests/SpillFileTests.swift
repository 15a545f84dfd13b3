import Testing

@testable import CSPipeCore

/// The spill normalise sets its records aside in: every record back, in order, byte for byte,
/// whatever their sizes against its buffer.
@Suite("spill file")
struct SpillFileTests {
  @Test("records of every size come back in order: empty, small, across the buffer's edge, larger than it")
  func roundTrip() throws {
    let spill = try SpillFile(tool: "test")
    var expected: [[UInt8]] = []
    var state: UInt64 = 7
    func next() -> Int {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Int(state >> 33)
    }
    let sizes = [0, 1, 3, 4, 5, 1000] + (0..<3000).map { _ in next() % 2000 } + [SpillFile.flushAt - 7, 3 * SpillFile.flushAt + 11, 0, 9]
    for (index, size) in sizes.enumerated() {
      let record = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) }
      expected.append(record)
      try spill.append { out in record.withUnsafeBufferPointer { out.append($0) } }
    }
    #expect(spill.records == sizes.count)
    var read: [[UInt8]] = []
    try spill.forEachRecord { read.append(Array($0)) }
    #expect(read.count == expected.count)
    #expect(read == expected)
  }

  @Test("fields come back as written: integers of every width, counted byte strings, the rest")
  func fields() throws {
    let spill = try SpillFile(tool: "test")
    try spill.append { out in
      out.appendLittleEndian(Int64.min)
      out.appendLittleEndian(Int32(-5))
      out.appendLittleEndian(UInt8(200))
      out.appendLittleEndian(UInt64.max)
      out.appendCounted("naïve, \"quoted\"")
      out.appendCounted("")
      let at = out.count
      out.append(0)
      out.storeLittleEndian(UInt8(42), at: at)
      out.append(ascii: "tail")
    }
    var checked = false
    try spill.forEachRecord { bytes in
      var reader = SpillRecordReader(bytes)
      #expect(reader.integer(Int64.self) == Int64.min)
      #expect(reader.integer(Int32.self) == -5)
      #expect(reader.integer(UInt8.self) == 200)
      #expect(reader.integer(UInt64.self) == UInt64.max)
      #expect(String(decoding: reader.counted(), as: UTF8.self) == "naïve, \"quoted\"")
      #expect(reader.counted().isEmpty)
      #expect(reader.integer(UInt8.self) == 42)
      #expect(String(decoding: reader.rest(), as: UTF8.self) == "tail")
      checked = true
    }
    #expect(checked)
  }
}
