import CSPipeCore

/// A set-aside record's copy of its source key: the key, the copy's rank, and whether it was
/// offered to the winners when read (a key's first copy is not, `SeenKeys`).
typealias SetAsideCopy = (key: KeyDigest, rank: CopyRank, ranked: Bool)

/// A record converted while the input was read, waiting (in a `SpillFile`) until identity and
/// duplicates are known. It keeps what placing it needs and nothing more: where it came from,
/// its copy's rank when it has a source key, the raw fields its account rules read, and the
/// canonical record from `"source"` on, ready to write after its `"account"`.
struct PendingRecord {
  let ordinal: Int
  let mapping: ValidatedMapping
  let raw: RawRecord
  let copy: SetAsideCopy?
  /// Known only after `--as-of`: kept for the duplicate decision, never written.
  let afterAsOf: Bool
  /// The canonical record after its account (valid while the spill is being read).
  let rest: UnsafeBufferPointer<UInt8>
}

extension Normalise {
  static let hasCopy: UInt8 = 1
  static let isAfterAsOf: UInt8 = 2
  static let isRanked: UInt8 = 4

  /// Writes a prepared record to the spill (read back by `forEachPending`): what is known only
  /// in input order (the ordinal, the indices of its mapping, source and file, its copy's
  /// rank), then its body (`encodeBody`; none when it is known only after as-of).
  func setAside(
    _ record: PreparedRecord, source: (tag: SourceTag, file: String, prefix: [UInt8]), ordinal: Int,
    copy: SetAsideCopy?, body: UnsafeBufferPointer<UInt8>?, into spill: SpillFile
  ) throws {
    let mappingIndex = setAsideMappings.index(of: ObjectIdentifier(record.mapping), record.mapping)
    let tagIndex = setAsideTags.index(of: source.tag, source.tag)
    let fileIndex = exportFiles.index(of: source.file)
    try spill.append { out in
      out.appendLittleEndian(Int64(ordinal))
      out.appendLittleEndian(mappingIndex)
      out.appendLittleEndian(tagIndex)
      out.appendLittleEndian(fileIndex)
      out.appendLittleEndian(Int64(record.line))
      out.append(
        (copy == nil ? 0 : Self.hasCopy) | (copy?.ranked == true ? Self.isRanked : 0) | (body == nil ? Self.isAfterAsOf : 0))
      if let copy {
        out.appendLittleEndian(Int64(copy.key.high))
        out.appendLittleEndian(Int64(copy.key.low))
        out.appendLittleEndian(Int64(copy.rank.updated))
        out.appendLittleEndian(copy.rank.digest)
      }
      if let body { out.append(body) }
    }
  }

  /// A set-aside record's body, made on any thread: the raw fields its account rules read,
  /// then the canonical record from `"source"` on, ready to write after its `"account"`.
  /// `layout`: the record's field layout, when it has one (its account fields by position).
  static func encodeBody(
    _ raw: RawRecord, mapping: ValidatedMapping, layout: FieldLayout?, fields: CanonicalFields, sourcePrefix: [UInt8],
    to out: inout ByteBuffer
  ) {
    let countAt = out.count
    out.append(0)
    var kept: UInt8 = 0
    for (index, name) in mapping.accountFields.enumerated() {
      let range: Range<Int>?
      if let layout {
        let position = layout.accountPositions[index]
        range = position < 0 ? nil : raw.fields.valueRange(at: position)
      } else {
        range = name.withUnsafeBufferPointer { raw.fields.valueRange(named: $0) }
      }
      guard let range else { continue }
      name.withUnsafeBufferPointer { name in
        raw.fields.withBytes(of: range) { value in
          out.appendCounted(name)
          out.appendCounted(value)
        }
      }
      kept += 1
    }
    out.storeLittleEndian(kept, at: countAt)
    out.append(ascii: #","source":"#)
    out.append(sourcePrefix)
    JSONBytes.appendInt(raw.line, to: &out)
    out.append(0x7D)
    fields.write(to: &out)
    out.append(ascii: "}\n")
  }

  /// Reads the records set aside, in the order they were read.
  func forEachPending(in spill: SpillFile, _ body: (PendingRecord) throws -> Void) throws {
    let files = exportFiles.names
    try spill.forEachRecord { bytes in
      var reader = SpillRecordReader(bytes)
      let ordinal = Int(reader.integer(Int64.self))
      let mapping = setAsideMappings.values[Int(reader.integer(Int32.self))]
      let tag = setAsideTags.values[Int(reader.integer(Int32.self))]
      let fileIndex = reader.integer(Int32.self)
      let line = Int(reader.integer(Int64.self))
      let flags = reader.integer(UInt8.self)
      var copy: SetAsideCopy?
      if flags & Self.hasCopy != 0 {
        let key = KeyDigest(high: Int(reader.integer(Int64.self)), low: Int(reader.integer(Int64.self)))
        let updated = Int(reader.integer(Int64.self))
        let rank = CopyRank(updated: updated, file: fileIndex, line: line, digest: reader.integer(UInt64.self))
        copy = (key, rank, flags & Self.isRanked != 0)
      }
      var fields = FlatFields()
      let afterAsOf = flags & Self.isAfterAsOf != 0
      if !afterAsOf {
        let count = Int(reader.integer(UInt8.self))
        fields.reserve(fields: count, bytes: count * 48)
        for _ in 0..<count {
          let name = reader.counted()
          fields.append(name: name, value: reader.counted())
        }
      }
      let raw = RawRecord(tag: tag, file: files[Int(fileIndex)], line: line, fields: fields)
      try body(
        PendingRecord(
          ordinal: ordinal, mapping: mapping, raw: raw, copy: copy, afterAsOf: afterAsOf, rest: reader.rest()))
    }
  }
}
