/// A run failed because of its data; the reason has already been reported on standard error.
public struct DataFailure: Error {
  public init() {}
}

/// A run that cannot go on, for a reason that belongs to no single input line (missing
/// exchange rates, a configuration that contradicts the data).
public struct RunError: ReportableError, CustomStringConvertible {
  public let message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
  public var diagnostic: Diagnostic { Diagnostic(.error, message) }
}

/// An input that cannot be processed at all (unreadable, not well-formed): fatal for that input.
public struct InputError: ReportableError, CustomStringConvertible {
  public let diagnostic: Diagnostic

  public init(_ message: String, at location: SourceLocation) {
    diagnostic = Diagnostic(.error, message, at: location)
  }

  public var description: String { diagnostic.rendered(tool: "cspipe") }
}

/// Sets aside records that cannot be processed, so the rest of the run goes on.
///
/// Each reject is one NDJSON line in the `--rejects` file:
/// `{"tool":…,"file":…,"line":…,"field":…,"error":…,"raw":…}` (`field` only when one field is at
/// fault). The first few are also reported on standard error; the summary line counts them all,
/// so nothing is ever lost without a number saying so. Under `--strict` the first reject fails
/// the run.
public final class RejectLog {
  public let tool: String
  public private(set) var count = 0
  private let sink: OutputSink?
  private let reporter: StderrReporter
  private let strict: Bool
  private let printLimit: Int
  private var unprintedReported = false

  public init(
    tool: String, path: String?, reporter: StderrReporter, strict: Bool, printLimit: Int = 10
  ) throws {
    self.tool = tool
    self.reporter = reporter
    self.strict = strict
    self.printLimit = printLimit
    sink = try path.map { try OutputSink(path: $0) }
  }

  /// Records one reject. Throws `DataFailure` under `--strict`.
  public func reject(
    at location: SourceLocation, field: String? = nil, reason: String, raw: String
  ) throws {
    count += 1
    let message = field.map { "field \"\($0)\": \(reason)" } ?? reason
    if strict {
      reporter.emit(Diagnostic(.error, message + " (--strict)", at: location))
      throw DataFailure()
    }
    if count <= printLimit {
      reporter.emit(Diagnostic(.warning, "rejected: " + message, at: location))
    }
    guard let sink else { return }
    try sink.write { out in
      out.append(ascii: #"{"tool":"#)
      JSONBytes.appendString(tool, to: &out)
      out.append(ascii: #","file":"#)
      JSONBytes.appendString(location.file, to: &out)
      out.append(ascii: #","line":"#)
      JSONBytes.appendInt(location.line ?? 0, to: &out)
      if let field {
        out.append(ascii: #","field":"#)
        JSONBytes.appendString(field, to: &out)
      }
      out.append(ascii: #","error":"#)
      JSONBytes.appendString(reason, to: &out)
      out.append(ascii: #","raw":"#)
      JSONBytes.appendString(raw, to: &out)
      out.append(ascii: "}\n")
    }
  }

  /// Says how many rejects were not printed (before the summary line, which comes last).
  public func reportUnprinted() {
    guard count > printLimit, !unprintedReported else { return }
    unprintedReported = true
    let whereTo = sink.map { "see \($0.displayName)" } ?? "use --rejects FILE to keep them"
    reporter.emit(Diagnostic(.warning, "\(count - printLimit) more rejects not shown (\(whereTo))"))
  }

  /// Moves the rejects file into place.
  public func commit() throws {
    reportUnprinted()
    try sink?.commit()
  }

  public func discard() {
    sink?.discard()
  }
}
