import Foundation
import Testing

@testable import CSPipeCore

/// Fast paths against the code they bypass: the same answer for every input, valid or not.
@Suite("fast paths agree with the general code")
struct FastPathDifferentialTests {
  /// A seeded generator, so a failure repeats.
  struct Seeded: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return state >> 11 ^ state << 7
    }
  }

  @Test("the plain date-time reader gives what the general parser gives, on 200,000 near-miss inputs")
  func plainDateTime() {
    var random = Seeded(state: 17)
    let pieces = ["0", "1", "2", "9", "00", "12", "13", "29", "30", "31", "59", "60", "61", "23", "24", "-", ":", " ", "T", "x"]
    // Mostly in range (so that many are valid), sometimes out of it or not digits at all.
    func two(_ range: ClosedRange<Int>) -> String {
      switch Int.random(in: 0..<10, using: &random) {
      case 0: return pieces.randomElement(using: &random)!
      case 1: return String(format: "%02d", Int.random(in: 0...99, using: &random))
      default: return String(format: "%02d", Int.random(in: range, using: &random))
      }
    }
    var fastHits = 0
    for _ in 0..<200_000 {
      let year = [String(Int.random(in: 0...2100, using: &random)), "2024", "1900", "2000", "2023", "0000", "20x4"]
        .randomElement(using: &random)!
      let separator = ["-", "-", "-", "-", "/"].randomElement(using: &random)!
      let middle = [" ", "T", " ", "T", "t", "  "].randomElement(using: &random)!
      let text =
        "\(year)\(separator)\(two(1...12))-\(two(1...31))\(middle)\(two(0...23)):\(two(0...59)):\(two(0...60))"
      let general = try? Timestamps.parseAnyForm(text, order: nil)
      let fast = Timestamps.plainDateTime(text)
      if let fast {
        fastHits += 1
        #expect(fast == general, "\(text)")
      }
      #expect((try? Timestamps.parse(text, order: nil)) == general, "\(text)")
    }
    // Both kinds of input were tried: many the fast path reads, many it leaves to the parser.
    #expect(fastHits > 5_000 && fastHits < 195_000, "\(fastHits) read by the fast path")
  }
}
