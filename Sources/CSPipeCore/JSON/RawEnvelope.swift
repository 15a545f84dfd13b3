import Glibc

/// The envelope of a raw record, `{"kind":"raw","source":{"system":…,"dataset":…,"file":…,"line":N},"fields":{…}}`,
/// owned here for both of its sides: ingest writes it byte by byte, and normalise reads the
/// source tag straight from a line in this exact form before deciding whether to parse it.
/// Tested against the full parser on every form a line can take (JSONBytesTests).
public enum RawEnvelope {
  /// Up to the opening quote of the system.
  static let head = Array(#"{"kind":"raw","source":{"system":""#.utf8)
  static let afterSystem = Array(#"","dataset":""#.utf8)

  /// Everything before the line number: `{"kind":"raw","source":{…,"file":"…","line":`.
  public static func prefix(_ tag: SourceTag, file: String) -> [UInt8] {
    Array(#"{"kind":"raw","source":"#.utf8) + sourcePrefix(system: tag.system, dataset: tag.dataset, file: file)
  }

  /// Between the line number and the first field.
  public static let fieldsOpen = Array(#"},"fields":{"#.utf8)
  /// After the last field, with the line's end.
  public static let recordClose = Array("}}\n".utf8)

  /// The source tag of a line that starts exactly as `prefix` writes it (a system and dataset
  /// without escapes), or nil for anything else: the caller then parses the line in full.
  public static func sourceTag(_ line: UnsafeBufferPointer<UInt8>) -> SourceTag? {
    guard line.count > head.count, memcmp(line.baseAddress!, head, head.count) == 0 else { return nil }
    var index = head.count
    func string() -> String? {
      let start = index
      while index < line.count, line[index] != ASCII.quote {
        if line[index] == ASCII.backslash { return nil }  // an escape: leave it to the full parser
        index += 1
      }
      guard index < line.count else { return nil }
      return String(decoding: UnsafeBufferPointer(rebasing: line[start..<index]), as: UTF8.self)
    }
    guard let system = string(), line.count - index > afterSystem.count,
      memcmp(line.baseAddress! + index, afterSystem, afterSystem.count) == 0
    else { return nil }
    index += afterSystem.count
    guard let dataset = string() else { return nil }
    return SourceTag(system: system, dataset: dataset)
  }

  /// A line number as JSON writes a non-negative integer (1 to 18 digits, no leading zero) at
  /// `index`: its value and the index after it; nil for anything else (the caller parses).
  public static func plainInteger(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> (value: Int, end: Int)? {
    var end = index
    var value = 0
    while end < bytes.count, bytes[end] &- ASCII.digit0 < 10, end - index < 18 {
      value = value * 10 + Int(bytes[end] &- ASCII.digit0)
      end += 1
    }
    let digits = end - index
    guard digits > 0, digits == 1 || bytes[index] != ASCII.digit0, end == bytes.count || bytes[end] &- ASCII.digit0 >= 10
    else { return nil }
    return (value, end)
  }

  /// A record's `source` object up to the line number, `{"system":"…","dataset":"…","file":"…","line":`:
  /// the one encoding ingest's envelope, normalise's records and segment's reader share.
  public static func sourcePrefix(system: String, dataset: String, file: String) -> [UInt8] {
    var bytes = Array(#"{"system":"#.utf8)
    JSONBytes.appendString(system, to: &bytes)
    bytes.append(contentsOf: #","dataset":"#.utf8)
    JSONBytes.appendString(dataset, to: &bytes)
    bytes.append(contentsOf: #","file":"#.utf8)
    JSONBytes.appendString(file, to: &bytes)
    bytes.append(contentsOf: #","line":"#.utf8)
    return bytes
  }
}
