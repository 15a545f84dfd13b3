import ArgumentParser
import CSPipeCore

/// The flags every cspipe tool shares, declared once and mixed in with `@OptionGroup`, so help
/// text and behaviour cannot drift between tools.
public struct IOOptions: ParsableArguments {
  @Argument(
    help: ArgumentHelp(
      "Input files. None, or '-', reads standard input.", valueName: "file"))
  public var inputs: [String] = []

  @Option(
    name: [.short, .long],
    help: ArgumentHelp(
      "Write output to this file instead of standard output. The file appears only when the run succeeds.",
      valueName: "file"))
  public var output: String?

  @Option(
    help: ArgumentHelp(
      "Write records that cannot be processed to this NDJSON file (location, reason, raw text).",
      valueName: "file"))
  public var rejects: String?

  @Flag(help: "Fail on the first rejected record instead of setting it aside.")
  public var strict = false

  @Flag(name: .shortAndLong, help: "Do not print the summary line on standard error.")
  public var quiet = false

  public init() {}

  public func validate() throws {
    try checkDistinctOutputs()
  }

  /// Two output flags naming one file would have one run overwrite the other's result: a usage
  /// error (devices such as `/dev/null` may be shared).
  /// An output naming one of the run's inputs (or `alsoRead`: config, alias and identity
  /// files) would replace it: a usage error too.
  public func checkDistinctOutputs(also others: [(flag: String, path: String?)] = [], alsoRead: [String] = []) throws {
    let outputs = [("-o", output), ("--rejects", rejects)] + others
    if let (first, second) = OutputTarget.firstClash(outputs) {
      throw ValidationError("\(first) and \(second) name the same file: give each output its own")
    }
    if let (input, flag) = OutputTarget.firstOverwrittenInput(inputs + alsoRead, outputs: outputs) {
      throw ValidationError("\(flag) names \(input.debugDescription), which this run reads: write the output elsewhere")
    }
  }

  /// The inputs to read, with standard input standing in when none were named.
  public var inputPaths: [String] { inputs.isEmpty ? ["-"] : inputs }

  /// `inputPaths` with a file given twice (by another path, or as a copy) read once, warned.
  public func distinctInputs(reporter: StderrReporter) -> [String] {
    InputFiles.distinct(inputPaths, reporter: reporter)
  }
}
