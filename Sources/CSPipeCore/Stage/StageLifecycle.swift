/// What every stage tells the one runner that drives it (`StageRunner` in CSPipeCLI): how its
/// input was divided, for the summary line, and whether the run was whole.
///
/// The summary line is `TOOL: N in, A out, B rejected, … (notes)`: every count before the
/// parenthesis is a share of the N records read, so they add up to N on every run, and a
/// summary whose shares do not is an internal error, never printed as if it were fine.
public protocol StageSummary {
  var recordsIn: Int { get }
  /// Where every record read went: `("out", 5), ("rejected", 1)`, in the order printed.
  var shares: [(count: Int, label: String)] { get }
  /// Facts beside the shares (`3 files`, `16 accounts out`), printed in the parenthesis.
  var notes: [String] { get }
  /// The run reached its end but not whole (an input failed): outputs are kept, exit 1.
  var incomplete: Bool { get }
}

extension StageSummary {
  public var incomplete: Bool { false }

  public var reconciles: Bool { recordsIn == shares.reduce(0) { $0 + $1.count } }

  public var line: String {
    let parts = ["\(recordsIn) in"] + shares.map { "\($0.count) \($0.label)" }
    let suffix = notes.isEmpty ? "" : " (\(notes.joined(separator: ", ")))"
    return parts.joined(separator: ", ") + suffix
  }

  /// `1 file`, `3 files`.
  public static func count(_ number: Int, _ singular: String, _ plural: String? = nil) -> String {
    "\(number) \(number == 1 ? singular : plural ?? singular + "s")"
  }
}

/// What a stage runs with, opened by the runner: the inputs to read (each once), the output,
/// the rejects log, any further outputs the tool declared (normalise's `--unmatched`), and the
/// reporter for diagnostics. The runner commits or abandons all of them alike.
public struct StageContext {
  public let inputs: [String]
  public let output: OutputSink
  public let rejects: RejectLog
  /// The tool's further outputs, in the order it declared them; nil where the flag was not given.
  public let extraOutputs: [OutputSink?]
  public let reporter: StderrReporter

  public init(
    inputs: [String], output: OutputSink, rejects: RejectLog, extraOutputs: [OutputSink?] = [],
    reporter: StderrReporter
  ) {
    self.inputs = inputs
    self.output = output
    self.rejects = rejects
    self.extraOutputs = extraOutputs
    self.reporter = reporter
  }
}

/// An error that knows how it is reported: the runner prints its diagnostic and exits 1.
public protocol ReportableError: Error {
  var diagnostic: Diagnostic { get }
}
