import CSPipeCore
import Foundation

extension FuzzEntryPoints {
  /// Every built-in mapping, loaded once (the fuzzer calls the entry point millions of times).
  static let builtinMappings: [ValidatedMapping] = {
    let set = (try? MappingSet.load(extra: [])) ?? MappingSet()
    return set.mappings.keys.sortedAsText().compactMap { set.mappings[$0] }
  }()

  /// normalise's conversion: each line read as a raw record (the flat parser), then converted
  /// under the mapping of its source, or, for a source without one, a mapping chosen by the
  /// line's length, so that arbitrary fields meet every mapping's rules.
  public static func raw(_ bytes: [UInt8]) {
    let source = ByteSource(bytes: bytes, name: "fuzz.ndjson")
    let set = builtinMappings
    guard !set.isEmpty else { return }
    // One reader for all lines, as normalise reads: its envelope fast path must read each line
    // exactly as the full parser does (a difference stops the fuzzer).
    let reader = RawRecordReader()
    try? LineReader(source: source, maxLineBytes: 1 << 16).forEachLine { line, _, _ in
      let fast = Result { () throws(JSONSyntaxError) in try reader.parse(line) }
      let full = Result { () throws(JSONSyntaxError) in try RawRecord.parse(line) }
      precondition(describe(fast) == describe(full), "the raw reader's fast path differs from the parser")
      guard case .success(let reading?) = full, let raw = reading.record else { return }
      let mapping = set.first { $0.mapping.source == raw.tag.description } ?? set[line.count % set.count]
      let converter = RecordConverter(mapping: mapping)
      let converted = Result { () throws(FieldError) in try converter.convert(raw) }
      let layout = FieldLayout(raw.fields, mapping: mapping)
      if case .success(let fields) = converted {
        _ = converter.sourceKey(fields, names: mapping.mapping.key)
        // The spill body with its account fields found by position as by name.
        var byName = ByteBuffer(capacity: 1024)
        var byLayout = ByteBuffer(capacity: 1024)
        Normalise.encodeBody(raw, mapping: mapping, layout: nil, fields: fields, sourcePrefix: [], to: &byName)
        Normalise.encodeBody(raw, mapping: mapping, layout: layout, fields: fields, sourcePrefix: [], to: &byLayout)
        precondition(byName.bytes.elementsEqual(byLayout.bytes), "account fields found by position differ from by name")
      }
      // Fields found by position (a layout made from the record itself) as found by name.
      let byPosition = RecordConverter(mapping: mapping, layout: layout)
      let positioned = Result { () throws(FieldError) in try byPosition.convert(raw) }
      precondition(describe(converted) == describe(positioned), "fields found by position differ from by name")
      for rule in mapping.mapping.account {
        if let value = raw.fields[rule.sourceField] {
          _ = IdentityIndex.keys(rule.kind, system: raw.tag.system, value: value)
        }
      }
    }
  }

  static func describe(_ result: Result<CanonicalFields, FieldError>) -> String {
    switch result {
    case .failure(let error): return "\(error.field): \(error.message)"
    case .success(let fields):
      var out = ByteBuffer(capacity: 1024)
      fields.write(to: &out)
      return String(decoding: out.bytes, as: UTF8.self) + " \(fields.times)"
    }
  }

  static func describe(_ result: Result<RawRecord.Reading?, JSONSyntaxError>) -> String {
    switch result {
    case .failure(let error): return "error at \(error.offset): \(error.message)"
    case .success(nil): return "not an object"
    case .success(let reading?):
      guard let raw = reading.record else { return "not a raw record: \(reading.problem ?? "")" }
      return "\(raw.tag) \(raw.file):\(raw.line) \(raw.fields.pairs)"
    }
  }
}
