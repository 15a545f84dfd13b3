/// Warnings that may repeat once per record or account, capped per kind like rejects are:
/// the first few are shown, the rest counted in one closing line, so a hostile input cannot
/// flood standard error.
public final class CappedWarnings {
  private let reporter: StderrReporter
  private let limit: Int
  private var counts: [String: Int] = [:]
  private var order: [String] = []

  public init(reporter: StderrReporter, limit: Int = 5) {
    self.reporter = reporter
    self.limit = limit
  }

  public func warn(_ kind: String, _ message: String, at location: SourceLocation? = nil) {
    let seen = counts[kind, default: 0]
    if seen == 0 { order.append(kind) }
    counts[kind] = seen + 1
    if seen < limit { reporter.emit(Diagnostic(.warning, message, at: location)) }
  }

  /// How many of each kind were given (shown or not).
  public func count(_ kind: String) -> Int { counts[kind] ?? 0 }

  /// One line per kind that went over the cap.
  public func finish() {
    for kind in order where counts[kind]! > limit {
      reporter.emit(Diagnostic(.warning, "\(counts[kind]! - limit) more \(kind) warnings not shown (\(counts[kind]!) in all)"))
    }
  }
}
