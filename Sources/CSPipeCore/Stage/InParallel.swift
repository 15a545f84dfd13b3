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
