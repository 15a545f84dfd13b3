import ArgumentParser
import CSPipeCore
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
    } catch let error as ReportableError {
      reporter.emit(error.diagnostic)
      throw ExitCode.failure
    } catch let error as ExitCode {
      throw error
    } catch {
      reporter.emit(Diagnostic(.error, "\(error)"))
      throw ExitCode.failure
    }
  }
}

/// A cspipe executable: ArgumentParser's parsing, with cspipe's own error format.
///
/// Usage errors print as `TOOL: error: message` followed by the usage line (exit 64), like every
/// other diagnostic, instead of ArgumentParser's `Error:` prefix; help goes to standard output.
public protocol ToolCommand: ParsableCommand {}

extension ToolCommand {
  public static func main() {
    do {
      var command = try parseAsRoot()
      try command.run()
    } catch {
      let code = exitCode(for: error)
      if error is ExitCode { Glibc.exit(code.rawValue) }
      var message = fullMessage(for: error)
      if code == .success {
        print(message)
        Glibc.exit(0)
      }
      if message.hasPrefix("Error: ") { message.removeFirst("Error: ".count) }
      let tool = configuration.commandName ?? "\(Self.self)"
      // The usage text's own line breaks stay; what the user typed is escaped like any input.
      let safe = message.split(separator: "\n", omittingEmptySubsequences: false)
        .map { TerminalSafe.escape(String($0)) }.joined(separator: "\n")
      FileHandleLike.standardError("\(tool): error: \(safe)\n")
      Glibc.exit(code.rawValue)
    }
  }
}

enum FileHandleLike {
  static func standardError(_ text: String) {
    var copy = text
    copy.withUTF8 { bytes in _ = write(STDERR_FILENO, bytes.baseAddress, bytes.count) }
  }
}
