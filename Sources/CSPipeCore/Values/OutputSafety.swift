/// Making values safe for the places reports put them. Every tool that writes CSV or HTML goes
/// through these, so none can forget (a value from an export is hostile until proven otherwise).
public enum OutputSafety {
  /// A CSV cell that a spreadsheet will show as text, never run as a formula.
  ///
  /// A cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula (or becomes
  /// one) in Excel, LibreOffice and Google Sheets: `=HYPERLINK(…)`, `@SUM(…)`, `-2+3`. It is
  /// prefixed with `'`, the OWASP remedy; a plain number such as `-42.5` is left alone so that
  /// numeric columns stay numeric. Then the cell is quoted as RFC 4180 requires when it holds
  /// the delimiter, a quote or a line break.
  public static func csvCell(_ value: String, delimiter: Character = ",") -> String {
    var text = value
    if let first = text.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first), !isPlainNumber(text) {
      text = "'" + text
    }
    let needsQuotes = text.contains { $0 == delimiter || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }
    guard needsQuotes else { return text }
    return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }

  /// Text for HTML element content or a quoted attribute value: `& < > " '` escaped.
  public static func htmlText(_ value: String) -> String {
    var result = ""
    result.reserveCapacity(value.utf8.count)
    for scalar in value.unicodeScalars {
      switch scalar {
      case "&": result += "&amp;"
      case "<": result += "&lt;"
      case ">": result += "&gt;"
      case "\"": result += "&quot;"
      case "'": result += "&#39;"
      default: result.unicodeScalars.append(scalar)
      }
    }
    return result
  }

  /// `-42`, `+3.5`, `-0.25`: a signed decimal number, which a spreadsheet reads as a number.
  static func isPlainNumber(_ text: String) -> Bool {
    var digits = 0
    var point = false
    for (index, char) in text.enumerated() {
      switch char {
      case "+" where index == 0, "-" where index == 0: continue
      case "0"..."9": digits += 1
      case "." where !point: point = true
      default: return false
      }
    }
    return digits > 0
  }
}

extension String {
  fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
    split(separator: Character(target), omittingEmptySubsequences: false).joined(separator: replacement)
  }
}
