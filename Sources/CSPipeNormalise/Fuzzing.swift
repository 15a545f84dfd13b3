import CSPipeCore
import Foundation

extension FuzzEntryPoints {
  /// Every built-in mapping, loaded once (the fuzzer calls the entry point millions of times).
  static let builtinMappings: [ValidatedMapping] = {
    let set = (try? MappingSet.load(extra: [])) ?? MappingSet()
    return set.mappings.keys.sorted().compactMap { set.mappings[$0] }
  }()

  /// normalise's conversion: each line read as a raw record (the flat parser), then converted
  /// under the mapping of its source, or, for a source without one, a mapping chosen by the
  /// line's length, so that arbitrary fields meet every mapping's rules.
  public static func raw(_ bytes: [UInt8]) {
    let source = ByteSource(bytes: bytes, name: "fuzz.ndjson")
    let set = builtinMappings
    guard !set.isEmpty else { return }
    try? LineReader(source: source, maxLineBytes: 1 << 16).forEachLine { line, _, _ in
      guard let reading = try? RawRecord.parse(line), let raw = reading.record else { return }
      let mapping = set.first { $0.mapping.source == raw.tag.description } ?? set[line.count % set.count]
      let converter = RecordConverter(mapping: mapping)
      if let fields = try? converter.convert(raw) {
        _ = converter.sourceKey(fields, names: mapping.mapping.key)
      }
      for rule in mapping.mapping.account {
        if let value = raw.fields[rule.sourceField] {
          _ = IdentityIndex.keys(rule.kind, system: raw.tag.system, value: value)
        }
      }
    }
  }

}
