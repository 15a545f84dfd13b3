import CSPipeCore
import Foundation

extension FuzzEntryPoints {
  /// The XML structure scan and the record flattener, as ingest drives them; the checks for
  /// files that are not exports on the same bytes.
  public static func xml(_ bytes: [UInt8]) {
    _ = ExportCheck.httpStatus(bytes[...])
    _ = ExportCheck.isWebPage(bytes[...])
    let structure = XMLStructure()
    let scan = XMLPushParser(sink: structure, fileName: "fuzz.xml")
    bytes.withUnsafeBytes { _ = scan.feed($0, last: true) }
    let paths = structure.guessRecordPaths()
    var out: [UInt8] = []
    let flattener = XMLRecordFlattener(paths: paths, maxRecordBytes: 1 << 16) { record in
      for field in record.fields {
        record.storage.withUnsafeBufferPointer { storage in
          _ = JSONBytes.appendString(UnsafeBufferPointer(rebasing: storage[field.key]), to: &out)
          _ = JSONBytes.appendString(UnsafeBufferPointer(rebasing: storage[field.value]), to: &out)
        }
      }
      out.removeAll(keepingCapacity: true)
    }
    let parser = XMLPushParser(sink: flattener, fileName: "fuzz.xml")
    // Two chunks, so records straddle a chunk boundary as they do on real files.
    let middle = bytes.count / 2
    bytes[..<middle].withUnsafeBytes { _ = parser.feed($0) }
    bytes[middle...].withUnsafeBytes { _ = parser.feed($0, last: true) }
  }

}
