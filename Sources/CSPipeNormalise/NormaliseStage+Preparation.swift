import CSPipeCore
import Foundation

/// One raw line prepared on any thread (`RecordPreparer`): everything about it that does not
/// depend on the records before it. `Normalise.take` does the rest, in input order.
enum PreparedLine {
  /// Not a raw record, for this reason.
  case notRaw(problem: String?)
  case noMapping(SourceTag)
  case record(PreparedRecord)
}

/// A raw record under its mapping: converted and cut to what was known at `--as-of`, its copy's
/// facts found, and its spill body encoded. What it shares with its batch's other records (its
/// source and file, its body's bytes, a defining record) is held by the batch's preparer, and
/// it holds indices: no reference counts per record.
struct PreparedRecord {
  /// Its batch's copy of the mappings, which `MappingCopies` holds for the whole run (and the
  /// spill's table once it is set aside): no reference count per record.
  unowned(unsafe) let mapping: ValidatedMapping
  /// Its source and file in `RecordPreparer.sources`.
  let source: Int
  let line: Int
  /// The record slimmed to its identity fields in `RecordPreparer.definers`, when its mapping
  /// defines accounts (its ordinal is set when it is taken).
  let definer: Int?
  let copy: CopyFacts?
  let outcome: Outcome

  enum Outcome {
    /// A field cannot be converted: rejected, while its copy still competes for its key.
    case unconvertible(FieldError)
    /// Its event is dated at or after as-of: kept (without a body) for the duplicate decision.
    case afterAsOf
    /// Set aside with these bytes of `RecordPreparer.bodies` (`Normalise.encodeBody`).
    case converted(body: Range<Int>)
  }
}

/// The facts of a keyed record's copy, found on any thread; ranked against the other copies in
/// input order (`Normalise.offer(_:source:file:line:)`).
struct CopyFacts {
  let digest: KeyDigest
  /// The source key, kept only when the run needs its text: for a survey, or to tell records
  /// that share a business key apart.
  let key: String?
  let updated: Int?
  let lineDigest: UInt64
  let businessKey: String?
}

/// Copies of the run's mappings (`MappingSet.separateCopy`), one per batch being prepared:
/// a batch takes one for as long as it is read, so no two threads read one copy at once. On
/// one thread there is nothing to share, and every batch reads the run's own set.
final class MappingCopies: @unchecked Sendable {
  private let lock = NSLock()
  private let original: MappingSet
  private let separate: Bool
  private var free: [MappingSet] = []

  init(_ original: MappingSet, separate: Bool) {
    self.original = original
    self.separate = separate
  }

  func take() -> MappingSet {
    guard separate else { return original }
    lock.lock()
    defer { lock.unlock() }
    // Validated already, so a copy cannot fail; if it did, the shared set is as correct.
    return free.popLast() ?? (try? original.separateCopy()) ?? original
  }

  func give(_ mappings: MappingSet) {
    guard separate else { return }
    lock.lock()
    free.append(mappings)
    lock.unlock()
  }
}

/// Prepares the raw lines of one batch (`NDJSONInput.forEachLineInParallel`), on whichever
/// thread parses it. Its state (the last envelope, mapping and field layout) is the batch's
/// own; the run's state is only read.
final class RecordPreparer: BatchLineParser {
  private let options: NormaliseOptions
  private let copies: MappingCopies
  /// This batch's copy of the mappings (given back when the batch is done with).
  private let mappings: MappingSet
  private let reader = RawRecordReader()
  private var lastMapping: (tag: SourceTag, mapping: ValidatedMapping?)?
  /// The field layout of the current run of records, and the record before (`layout(of:)`).
  private var lastLayout: FieldLayout?
  private var previousFields: (mapping: ObjectIdentifier, fields: FlatFields)?
  /// The sources and files of the batch's records, each with its `source` object up to the
  /// line number.
  private(set) var sources: [(tag: SourceTag, file: String, prefix: [UInt8])] = []
  private(set) var definers: [Normalise.Definer] = []
  /// The spill bodies of the batch's records, back to back.
  private(set) var bodies = ByteBuffer(capacity: 1 << 20)

  init(options: NormaliseOptions, copies: MappingCopies) {
    self.options = options
    self.copies = copies
    mappings = copies.take()
  }

  deinit { copies.give(mappings) }

  func parse(_ line: UnsafeBufferPointer<UInt8>) throws(JSONSyntaxError) -> PreparedLine? {
    guard let reading = try reader.parse(line) else { return nil }
    guard let raw = reading.record else { return .notRaw(problem: reading.problem) }
    guard let mapping = mappings.mapping(for: raw.tag, after: &lastMapping) else {
      return .noMapping(raw.tag)
    }
    if sources.last.map({ $0.tag != raw.tag || $0.file != raw.file }) ?? true {
      let prefix = RawEnvelope.sourcePrefix(system: raw.tag.system, dataset: raw.tag.dataset, file: raw.file)
      sources.append((raw.tag, raw.file, prefix))
    }
    var definer: Int?
    if mapping.mapping.defines != nil {
      definer = definers.count
      definers.append(Normalise.Definer(ordinal: nil, raw: raw, mapping: mapping))
    }
    func record(copy: CopyFacts?, _ outcome: PreparedRecord.Outcome) -> PreparedLine {
      .record(
        PreparedRecord(
          mapping: mapping, source: sources.count - 1, line: raw.line, definer: definer, copy: copy, outcome: outcome))
    }
    let keepKey = options.survey || mapping.mapping.businessKey != nil
    let converter = RecordConverter(mapping: mapping, layout: layout(of: raw.fields, mapping: mapping))
    var fields: CanonicalFields
    do throws(FieldError) {
      fields = try converter.convert(raw)
    } catch {
      let keys = try? converter.convert(raw, rules: mapping.keyRules)
      let copy = keys.flatMap { Normalise.copyFacts(raw, mapping: mapping, fields: $0, line: line, keepKey: keepKey) }
      return record(copy: copy, .unconvertible(error))
    }
    let copy = Normalise.copyFacts(raw, mapping: mapping, fields: fields, line: line, keepKey: keepKey)
    if let eventField = mapping.kind.eventTime, let time = fields.time(named: eventField), time >= options.cutoff {
      return record(copy: copy, .afterAsOf)
    }
    Normalise.applyAsOf(&fields, kind: mapping.kind, cutoff: options.cutoff)
    let start = bodies.count
    Normalise.encodeBody(
      raw, mapping: mapping, layout: converter.layout, fields: fields, sourcePrefix: sources[sources.count - 1].prefix,
      to: &bodies)
    return record(copy: copy, .converted(body: start..<bodies.count))
  }

  /// The layout of a record's fields: the last one when it fits; a new one when the record has
  /// the names of the record before it (two in a row make a run worth a layout); else none.
  private func layout(of fields: FlatFields, mapping: ValidatedMapping) -> FieldLayout? {
    if let layout = lastLayout, layout.fits(fields, mapping: mapping) { return layout }
    defer { previousFields = (ObjectIdentifier(mapping), fields) }
    guard let previous = previousFields, previous.mapping == ObjectIdentifier(mapping),
      fields.hasSameNames(as: previous.fields)
    else { return nil }
    lastLayout = FieldLayout(fields, mapping: mapping)
    return lastLayout
  }
}
