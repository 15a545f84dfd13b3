import Dispatch
import Foundation

/// Independent parts of a stage's work run on every core, their results in part order: the
/// output is the same whatever the number of threads, so a run is byte-identical on one core
/// or many.
///
/// Why: a stage that must see all of its input before writing (segment's account records)
/// runs its last phase alone at the end of a chain, with the other cores idle.
public enum InParallel {
  /// Threads to use: the cores this process may run on, or `CSPIPE_THREADS` (a positive
  /// number; tests and measurements compare one thread with many).
  public static var threads: Int {
    if let text = ProcessInfo.processInfo.environment["CSPIPE_THREADS"], let count = Int(text), count > 0 {
      return min(count, 64)
    }
    return max(1, ProcessInfo.processInfo.activeProcessorCount)
  }

  /// `count` items cut into contiguous ranges of at least `minimum` items, a few per thread
  /// (so that a slow range does not leave a core idle), in order.
  public static func ranges(of count: Int, minimum: Int) -> [Range<Int>] {
    let parts = max(1, min(threads * 4, count / max(1, minimum)))
    return (0..<parts).map { part in (count * part / parts)..<(count * (part + 1) / parts) }
  }

  /// `body(0) … body(count - 1)`, run on up to `threads` threads, results in index order; a
  /// thread takes the next part as it finishes one, so put the longest parts first. When parts
  /// fail, the error of the first failing part is thrown (the one a sequential run would meet
  /// first). `body` must not change state that other parts read.
  public static func map<Result>(_ count: Int, _ body: (Int) throws -> Result) throws -> [Result] {
    let workers = min(threads, count)
    if workers <= 1 { return try (0..<count).map(body) }
    var outcomes = [Swift.Result<Result, any Error>?](repeating: nil, count: count)
    withoutActuallyEscaping(body) { body in
      outcomes.withUnsafeMutableBufferPointer { outcomes in
        // Shared with the workers unchecked: each slot is written by one part, `body` is the
        // caller's promise of parts that do not interfere.
        let shared = Shared(slots: outcomes.baseAddress!, body: body)
        let next = NextPart()
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
          while let index = next.take(below: count) {
            shared.slots[index] = Swift.Result { try shared.body(index) }
          }
        }
      }
    }
    return try outcomes.map { try $0!.get() }
  }

  /// `produce(0) … produce(count - 1)` on up to `threads` worker threads, each result handed to
  /// `consume` on the calling thread in index order as soon as it and every one before it are
  /// made: a stage streams parts to its output while later ones are still being made. Beside
  /// the part being consumed, at most `ahead` are made or being made (memory stays a few
  /// parts, however many there are).
  /// The first failing part's error is thrown after the parts before it are consumed (what a
  /// sequential run does); an error from `consume` stops the workers and is thrown.
  public static func forEachInOrder<Part>(
    _ count: Int, ahead: Int, produce: (Int) throws -> Part, consume: (Part) throws -> Void
  ) throws {
    let workers = min(threads, count)
    if workers <= 1 {
      for index in 0..<count { try consume(try produce(index)) }
      return
    }
    try withoutActuallyEscaping(produce) { produce in
      let queue = OrderedParts<Part>(count: count, ahead: max(1, ahead), produce: produce)
      let done = DispatchGroup()
      for _ in 0..<workers {
        DispatchQueue.global().async(group: done) { queue.work() }
      }
      // The workers hold `produce`: they must be gone before it is, whatever happens here.
      defer {
        queue.stop()
        done.wait()
      }
      for index in 0..<count {
        try consume(try queue.take(index).get())
      }
    }
  }

  /// The parts being made for `forEachInOrder`: the next index to make, the results made and
  /// not yet consumed, and a stop flag, under one condition variable.
  private final class OrderedParts<Part>: @unchecked Sendable {
    private let condition = NSCondition()
    private let count: Int
    private let ahead: Int
    private let produce: (Int) throws -> Part
    private var next = 0
    private var consumed = 0
    private var stopped = false
    private var made: [Int: Swift.Result<Part, any Error>] = [:]

    init(count: Int, ahead: Int, produce: @escaping (Int) throws -> Part) {
      self.count = count
      self.ahead = ahead
      self.produce = produce
    }

    /// A worker: takes the next index while there is room ahead, until all are taken or a part
    /// failed (the parts after a failure are never consumed).
    func work() {
      while true {
        condition.lock()
        while !stopped && next < count && next - consumed >= ahead { condition.wait() }
        guard !stopped && next < count else {
          condition.unlock()
          return
        }
        let index = next
        next += 1
        condition.unlock()
        let outcome = Swift.Result { try produce(index) }
        condition.lock()
        made[index] = outcome
        if case .failure = outcome { stopped = true }
        condition.broadcast()
        condition.unlock()
      }
    }

    /// The part at `index`, once made (indices are taken in order, so it is or will be).
    func take(_ index: Int) -> Swift.Result<Part, any Error> {
      condition.lock()
      defer { condition.unlock() }
      while made[index] == nil { condition.wait() }
      consumed += 1
      condition.broadcast()
      return made.removeValue(forKey: index)!
    }

    func stop() {
      condition.lock()
      stopped = true
      condition.broadcast()
      condition.unlock()
    }
  }

  /// The result slots (each written by exactly one part) and the work.
  private struct Shared<Result>: @unchecked Sendable {
    let slots: UnsafeMutablePointer<Swift.Result<Result, any Error>?>
    let body: (Int) throws -> Result
  }

  /// The next part to run, shared by the workers (a lock taken once per part).
  private final class NextPart: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0

    func take(below count: Int) -> Int? {
      lock.lock()
      defer { lock.unlock() }
      guard next < count else { return nil }
      next += 1
      return next - 1
    }
  }
}
