import Glibc

/// Where in an input something happened: file, 1-based line, optional column.
public struct SourceLocation: Sendable, Equatable {
  public var file: String
  public var line: Int?
  public var column: Int?

  public init(file: String, line: Int? = nil, column: Int? = nil) {
    self.file = file
    self.line = line
    self.column = column
  }

  /// `FILE:LINE[:COL]`, the prefix every diagnostic uses.
  public var rendered: String {
    var text = file
    if let line { text += ":\(line)" }
    if let line = line, line > 0, let column { text += ":\(column)" }
    return text
  }
}

/// One message for a person, in the single format all tools share (docs/CONTRACT.md §1):
/// `TOOL: FILE:LINE[:COL]: error|warning: message`.
public struct Diagnostic: Sendable, Equatable {
  public enum Severity: String, Sendable { case error, warning, note }

  public var severity: Severity
  public var location: SourceLocation?
  public var message: String

  public init(_ severity: Severity, _ message: String, at location: SourceLocation? = nil) {
    self.severity = severity
    self.location = location
    self.message = message
  }

  public func rendered(tool: String, colour: Bool = false) -> String {
    var text = "\(tool): "
    if let location { text += TerminalSafe.escape(location.rendered) + ": " }
    let label = "\(severity.rawValue):"
    if colour {
      let code = severity == .error ? "31" : "33"
      text += "\u{1B}[\(code)m\(label)\u{1B}[0m"
    } else {
      text += label
    }
    return text + " " + TerminalSafe.escape(message)
  }
}

/// The one path text from an input takes to a terminal (docs/CONTRACT.md §1): control
/// characters (C0, DEL, C1: escape sequences, carriage returns, line breaks) and the Unicode
/// bidirectional overrides are written as `\u{1B}`, so a hostile file name or value can neither
/// clear the screen, move the cursor, forge a summary line, nor reorder what is shown.
public enum TerminalSafe {
  public static func escape(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: needsEscape) else { return text }
    var result = ""
    result.reserveCapacity(text.utf8.count + 8)
    for scalar in text.unicodeScalars {
      if needsEscape(scalar) {
        result += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
      } else {
        result.unicodeScalars.append(scalar)
      }
    }
    return result
  }

  static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x00...0x1F, 0x7F...0x9F: return true
    case 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C: return true
    default: return false
    }
  }
}

/// Writes diagnostics, summaries and progress to standard error, unbuffered.
///
/// Colour and the live progress line appear only when standard error is a terminal, so logs and
/// golden tests see plain, stable text.
public final class StderrReporter {
  public let tool: String
  public let isTerminal: Bool
  private var progressShown = false

  public init(tool: String) {
    self.tool = tool
    self.isTerminal = isatty(STDERR_FILENO) == 1
  }

  public func emit(_ diagnostic: Diagnostic) {
    clearProgress()
    writeLine(diagnostic.rendered(tool: tool, colour: isTerminal))
  }

  /// A plain line prefixed with the tool name (the summary line).
  public func say(_ message: String) {
    clearProgress()
    writeLine("\(tool): " + TerminalSafe.escape(message))
  }

  /// Overwrites the live progress line; a no-op unless standard error is a terminal.
  public func progress(_ message: String) {
    guard isTerminal else { return }
    writeRaw("\r\u{1B}[K\(tool): " + TerminalSafe.escape(message))
    progressShown = true
  }

  private func clearProgress() {
    guard progressShown else { return }
    writeRaw("\r\u{1B}[K")
    progressShown = false
  }

  private func writeLine(_ text: String) { writeRaw(text + "\n") }

  private func writeRaw(_ text: String) {
    var copy = text
    copy.withUTF8 { bytes in
      var offset = 0
      while offset < bytes.count {
        let result = write(STDERR_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
        if result <= 0 {
          if result < 0 && errno == EINTR { continue }
          return
        }
        offset += result
      }
    }
  }
}
