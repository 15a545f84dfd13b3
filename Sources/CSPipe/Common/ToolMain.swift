import ArgumentParser
import Glibc

/// The one place where a tool's errors become exit statuses (README "Exit status"):
/// 0 success (also when the reader of our output went away), 1 a data or runtime failure,
/// 64 a usage error (raised by ArgumentParser before `run` is reached).
public enum ToolMain {
  public static func run(tool: String, _ body: (StderrReporter) throws -> Void) throws {
    // A closed pipe must not kill us with SIGPIPE (shell status 141): we see EPIPE instead and
    // end quietly with 0, as ripgrep and xsv do.
    signal(SIGPIPE, SIG_IGN)
    let reporter = StderrReporter(tool: tool)
    do {
      try body(reporter)
    } catch is DownstreamClosed {
      return
    } catch is DataFailure {
      throw ExitCode.failure
    } catch let error as InputError {
      reporter.emit(error.diagnostic)
      throw ExitCode.failure
    } catch let error as IOFailure {
      reporter.emit(Diagnostic(.error, error.description))
      throw ExitCode.failure
    } catch let error as ExitCode {
      throw error
    } catch {
      reporter.emit(Diagnostic(.error, "\(error)"))
      throw ExitCode.failure
    }
  }
}
