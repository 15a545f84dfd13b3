import CSPipeCore

/// Files that are not exports but are easily mistaken for them, refused with what they are and
/// what to do, before any reader takes their bytes for records: a saved HTTP error response, a
/// web page, a spreadsheet workbook, another compression format.
enum ExportCheck {
  static func refuseNonExport(_ head: ArraySlice<UInt8>, source: ByteSource) throws {
    let location = SourceLocation(file: source.name, line: 1)
    if let status = httpStatus(head), !(200..<300).contains(status.code) {
      throw InputError(
        "a saved HTTP response with status \(status.line), not an export: the request failed; download the export again",
        at: location)
    }
    if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
      throw InputError(
        "a zip archive (an Excel .xlsx workbook or zipped exports), not CSV or XML: unzip it, or save the sheet as CSV",
        at: location)
    }
    if head.starts(with: [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
      throw InputError("an Excel 97–2003 workbook (.xls), not CSV: save the sheet as CSV (UTF-8)", at: location)
    }
    let compressed: [(magic: [UInt8], name: String, command: String)] = [
      ([0x28, 0xB5, 0x2F, 0xFD], "zstd", "zstd -d"), ([0x42, 0x5A, 0x68], "bzip2", "bunzip2"),
      ([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00], "xz", "unxz"),
    ]
    for format in compressed where head.starts(with: format.magic) {
      throw InputError(
        "\(format.name)-compressed, which cspipe does not read (gzip it reads): decompress it first (\(format.command))",
        at: location)
    }
    if isWebPage(head) {
      throw InputError(
        "an HTML page (a login or error page saved instead of the export?), not an export", at: location)
    }
  }

  /// The status of a saved HTTP response (`HTTP/1.1 404 Not Found`): its code and its status
  /// line, made safe to print.
  static func httpStatus(_ head: ArraySlice<UInt8>) -> (code: Int, line: String)? {
    guard head.starts(with: Array("HTTP/".utf8)) else { return nil }
    let line = head.prefix { $0 != 0x0A && $0 != 0x0D }.prefix(120)
    let words = line.split(separator: 0x20, maxSplits: 2)
    guard words.count >= 2, words[1].count == 3, words[1].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
      return (0, "(unreadable status line)")
    }
    let code = words[1].reduce(0) { $0 * 10 + Int($1 - 0x30) }
    let reason = words.count > 2 ? " " + String(decoding: words[2], as: UTF8.self) : ""
    return (code, "\(code)\(reason)")
  }

  /// Whether the file starts as HTML does (`<!DOCTYPE html`, `<html`), after a byte order mark
  /// and white space.
  static func isWebPage(_ head: ArraySlice<UInt8>) -> Bool {
    var text = head.drop { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
    if text.starts(with: [0xEF, 0xBB, 0xBF]) { text = text.dropFirst(3) }
    let lowered = text.prefix(15).map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
    return lowered.starts(with: Array("<!doctype html".utf8)) || lowered.starts(with: Array("<html".utf8))
  }
}
