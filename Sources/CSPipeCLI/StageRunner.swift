import CSPipeCore

/// The one lifecycle of every cspipe stage, so that no tool can get it slightly wrong:
/// open the output, the rejects log and the tool's further outputs; read each input once; run
/// the stage; check that its summary reconciles; report unprinted rejects, then the summary
/// (the last line); commit every sink, or abandon every sink when the run fails; and turn
/// every error into the documented exit status (`ToolMain`).
///
/// A failed run leaves no `-o`, `--rejects` or other output file behind (a previous result
/// stays as it was). A run that ends but not whole (ingest with an unreadable export among good
/// ones) keeps its outputs and exits 1.
public enum StageRunner {
  public static func run<Summary: StageSummary>(
    tool: String, io: IOOptions, extraOutputs: [String?] = [],
    _ stage: (StageContext) throws -> Summary
  ) throws {
    try ToolMain.run(tool: tool) { reporter in
      let output = try OutputSink(path: io.output)
      let rejects = try RejectLog(tool: tool, path: io.rejects, reporter: reporter, strict: io.strict)
      let extras = try extraOutputs.map { path in try path.map { try OutputSink(path: $0) } }
      func abandonAll() {
        output.abandon()
        rejects.discard()
        for extra in extras { extra?.abandon() }
      }
      let summary: Summary
      do {
        let context = StageContext(
          inputs: io.distinctInputs(reporter: reporter), output: output, rejects: rejects,
          extraOutputs: extras, reporter: reporter)
        summary = try stage(context)
        // Checked on every run: a record in no share is a bug, never a silent loss.
        guard summary.reconciles else {
          throw RunError("internal error: counts do not reconcile: \(summary.line)")
        }
      } catch {
        abandonAll()
        throw error
      }
      rejects.reportUnprinted()
      if !io.quiet { reporter.say(summary.line) }
      do {
        try output.commit()
        for extra in extras { try extra?.commit() }
        try rejects.commit()
      } catch {
        abandonAll()
        throw error
      }
      if summary.incomplete { throw DataFailure() }
    }
  }
}
