import CLibXML2
import CSPipeCore

/// One XML record flattened to ordered `key → text` pairs, valid only during the callback.
///
/// Keys (docs/CONTRACT.md, "XML records"): a child element's dotted path below the record
/// (`plan.plan_code`); an attribute as `path@name` (`@href` on the record itself); the second
/// and later siblings of the same name get `[2]`, `[3]` … (`labels.label[2]`); text beside child
/// elements (mixed content) as `path#text`. Values are the text exactly as decoded by libxml2,
/// whitespace included: ingest reinterprets nothing.
struct XMLFlatRecord {
  let elementName: [UInt8]
  let line: Int
  let storage: [UInt8]
  let fields: [(key: Range<Int>, value: Range<Int>)]
  /// Set when the record broke a limit; it is rejected rather than emitted.
  let problem: String?
}

/// Receives parser events and hands out flattened records.
///
/// The work happens in `XMLFlattening`, a value held in one stored property: each event then
/// costs one exclusivity check instead of one per field touched (profiling showed the runtime
/// checks at a third of all instructions when the state lived directly in this class).
final class XMLRecordFlattener: XMLEventSink {
  private var state: XMLFlattening

  init(
    paths: [XMLRecordPath], maxRecordBytes: Int,
    onRecord: @escaping (XMLFlatRecord) throws -> Void
  ) {
    state = XMLFlattening(paths: paths, maxRecordBytes: maxRecordBytes, onRecord: onRecord)
  }

  var deliveryError: Error? { state.deliveryError }
  var ignoredOutside: Int { state.ignoredOutside }
  var firstIgnoredPath: String? { state.firstIgnoredPath }
  var recordCount: Int { state.recordCount }

  func startElement(
    prefix: UnsafePointer<xmlChar>?, localName: UnsafePointer<xmlChar>,
    attributes: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?, count: Int, line: Int
  ) {
    state.startElement(prefix: prefix, localName: localName, attributes: attributes, count: count, line: line)
  }

  func endElement() { state.endElement() }

  func text(_ bytes: UnsafeBufferPointer<UInt8>) { state.text(bytes) }
}

struct XMLFlattening {
  private struct Frame {
    var keyEnd: Int
    var text: [UInt8] = []
    var childCount = 0
    /// How many children of each name were seen (keyed by libxml2's interned name pointer).
    var childNames: [UnsafePointer<xmlChar>: Int] = [:]
  }

  private let paths: [XMLRecordPath]
  private let maxRecordBytes: Int
  private let onRecord: (XMLFlatRecord) throws -> Void
  /// Names of the open elements above the current record, root first.
  private var ancestors: [[UInt8]] = []
  /// Open elements inside the current record, the record element first; empty outside records.
  private var frames: [Frame] = []
  private var framePool: [Frame] = []
  private var keyPath: [UInt8] = []
  private var storage: [UInt8] = []
  private var fields: [(key: Range<Int>, value: Range<Int>)] = []
  private var recordName: [UInt8] = []
  private var recordLine = 0
  private var problem: String?
  /// An error thrown by `onRecord` (a closed pipe), re-thrown once the parser returns.
  private(set) var deliveryError: Error?
  /// Leaf elements outside every record path (`rss/channel/title`), counted and reported so
  /// that nothing is dropped without a number saying so.
  private(set) var ignoredOutside = 0
  private(set) var firstIgnoredPath: String?
  private var outsideHadChild: [Bool] = []
  private(set) var recordCount = 0
  /// An element name in this record holds a `.`, so two paths may spell the same key
  /// (`<a.b>` beside `<a><b>`): the record's keys are then made unique before it leaves.
  private var mayCollide = false

  init(
    paths: [XMLRecordPath], maxRecordBytes: Int,
    onRecord: @escaping (XMLFlatRecord) throws -> Void
  ) {
    self.paths = paths
    self.maxRecordBytes = maxRecordBytes
    self.onRecord = onRecord
  }

  mutating func startElement(
    prefix: UnsafePointer<xmlChar>?, localName: UnsafePointer<xmlChar>,
    attributes: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?, count: Int, line: Int
  ) {
    if frames.isEmpty {
      let name = XMLNames.qualifiedBytes(prefix: prefix, localName: localName)
      if !outsideHadChild.isEmpty { outsideHadChild[outsideHadChild.count - 1] = true }
      if !paths.contains(where: { $0.matches(ancestors: ancestors, name: name) }) {
        ancestors.append(name)
        outsideHadChild.append(false)
        return
      }
      beginRecord(name: name, line: line)
    } else {
      let parent = frames.count - 1
      if !mayCollide && (Self.containsDot(localName) || prefix.map(Self.containsDot) == true) { mayCollide = true }
      frames[parent].childCount += 1
      let seen = frames[parent].childNames[localName, default: 0] + 1
      frames[parent].childNames[localName] = seen
      if !keyPath.isEmpty { keyPath.append(0x2E) }
      if let prefix {
        appendCString(prefix, to: &keyPath)
        keyPath.append(0x3A)
      }
      appendCString(localName, to: &keyPath)
      if seen > 1 {
        keyPath.append(0x5B)
        JSONBytes.appendInt(seen, to: &keyPath)
        keyPath.append(0x5D)
      }
      pushFrame()
    }
    guard let attributes, problem == nil else { return }
    for index in 0..<count {
      let base = index * 5
      guard let name = attributes[base], let start = attributes[base + 3],
        let end = attributes[base + 4]
      else { continue }
      let keyStart = storage.count
      storage.append(contentsOf: keyPath)
      storage.append(0x40)
      if let prefix = attributes[base + 1] {
        appendCString(prefix, to: &storage)
        storage.append(0x3A)
      }
      appendCString(name, to: &storage)
      let valueStart = storage.count
      storage.append(contentsOf: UnsafeBufferPointer(start: start, count: end - start))
      fields.append((keyStart..<valueStart, valueStart..<storage.count))
    }
    checkSize()
  }

  mutating func endElement() {
    guard var frame = frames.popLast() else {
      if let hadChild = outsideHadChild.popLast(), !hadChild { noteIgnored() }
      _ = ancestors.popLast()
      return
    }
    let isRecordElement = frames.isEmpty
    let hasOwnText = frame.text.contains { !Self.isXMLSpace($0) }
    if frame.childCount == 0 && !isRecordElement {
      addField(keyEnd: frame.keyEnd, suffix: nil, value: frame.text)
    } else if hasOwnText {
      addField(keyEnd: frame.keyEnd, suffix: Array("#text".utf8), value: frame.text)
    }
    frame.text.removeAll(keepingCapacity: true)
    frame.childNames.removeAll(keepingCapacity: true)
    frame.childCount = 0
    framePool.append(frame)
    if let parent = frames.last {
      keyPath.removeSubrange(parent.keyEnd...)
    } else {
      finishRecord()
    }
  }

  mutating func text(_ bytes: UnsafeBufferPointer<UInt8>) {
    guard !frames.isEmpty, problem == nil else { return }
    frames[frames.count - 1].text.append(contentsOf: bytes)
    if frames[frames.count - 1].text.count > maxRecordBytes { checkSize(extra: maxRecordBytes) }
  }

  // MARK: - Records

  private mutating func beginRecord(name: [UInt8], line: Int) {
    recordName = name
    recordLine = line
    keyPath.removeAll(keepingCapacity: true)
    storage.removeAll(keepingCapacity: true)
    fields.removeAll(keepingCapacity: true)
    problem = nil
    mayCollide = false
    pushFrame()
  }

  private static func containsDot(_ name: UnsafePointer<xmlChar>) -> Bool {
    var cursor = name
    while cursor.pointee != 0 {
      if cursor.pointee == 0x2E { return true }
      cursor += 1
    }
    return false
  }

  /// Keys unique by construction: a key spelled twice gets `[2]`, `[3]` … like a repeated
  /// sibling (the first free one), so no consumer ever sees the same JSON key twice.
  private mutating func makeKeysUnique() {
    var taken = Set<ArraySlice<UInt8>>()
    for field in fields { taken.insert(storage[field.key]) }
    guard taken.count < fields.count else { return }
    var seen = Set<ArraySlice<UInt8>>()
    for index in fields.indices {
      let key = storage[fields[index].key]
      guard !seen.insert(key).inserted else { continue }
      var number = 2
      var candidate: [UInt8]
      repeat {
        candidate = Array(key) + [0x5B] + Array(String(number).utf8) + [0x5D]
        number += 1
      } while taken.contains(candidate[...])
      let start = storage.count
      storage.append(contentsOf: candidate)
      fields[index].key = start..<storage.count
      taken.insert(candidate[...])
      seen.insert(storage[fields[index].key])
    }
  }

  private mutating func pushFrame() {
    var frame = framePool.popLast() ?? Frame(keyEnd: 0)
    frame.keyEnd = keyPath.count
    frames.append(frame)
  }

  private mutating func addField(keyEnd: Int, suffix: [UInt8]?, value: [UInt8]) {
    guard problem == nil else { return }
    let keyStart = storage.count
    storage.append(contentsOf: keyPath[..<keyEnd])
    if let suffix { storage.append(contentsOf: suffix) }
    let valueStart = storage.count
    storage.append(contentsOf: value)
    fields.append((keyStart..<valueStart, valueStart..<storage.count))
    checkSize()
  }

  private mutating func checkSize(extra: Int = 0) {
    guard problem == nil, storage.count + extra > maxRecordBytes else { return }
    problem = "record is larger than the \(maxRecordBytes)-byte limit (--max-record-bytes)"
    storage.removeAll()
    fields.removeAll()
  }

  private mutating func finishRecord() {
    recordCount += 1
    guard deliveryError == nil else { return }
    if mayCollide && problem == nil { makeKeysUnique() }
    do {
      try onRecord(
        XMLFlatRecord(
          elementName: recordName, line: recordLine, storage: storage, fields: fields,
          problem: problem))
    } catch {
      deliveryError = error
    }
  }

  private mutating func noteIgnored() {
    ignoredOutside += 1
    if firstIgnoredPath == nil {
      firstIgnoredPath = ancestors.map { String(decoding: $0, as: UTF8.self) }.joined(separator: "/")
    }
  }

  private static func isXMLSpace(_ byte: UInt8) -> Bool {
    byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
  }

  private func appendCString(_ pointer: UnsafePointer<xmlChar>, to bytes: inout [UInt8]) {
    bytes.append(contentsOf: UnsafeBufferPointer(start: pointer, count: XMLNames.strlen(pointer)))
  }
}
