import Glibc

/// Member names a reader looks up together, as an enumeration: `LazyJSONObject.select` finds
/// them all in one pass over a record's members.
///
/// Why: segment reads fifteen of a canonical subscription's twenty members. Fifteen scans by
/// name, each through its own call, were a quarter of turning one into a `SubscriptionFact`;
/// one pass matching each member against the names of its length is a fraction of that.
public protocol LazyJSONMemberNames: CaseIterable, Sendable, RawRepresentable where RawValue == Int {
  /// The member's name in the record (not empty).
  var name: String { get }
  /// `LazyJSONMemberTable(Self.self)`, made once (a `static let`).
  static var table: LazyJSONMemberTable { get }
}

/// The names of a `LazyJSONMemberNames` enumeration, grouped by length for `select`.
public struct LazyJSONMemberTable: Sendable {
  /// Every name's bytes, one after the other; a name's slot is its case's raw value.
  let bytes: [UInt8]
  let nameStart: [Int]
  /// The slots of names `length` bytes long are `slots[slotsStart[length]..<slotsStart[length + 1]]`.
  let slotsStart: [Int]
  let slots: [Int]
  var count: Int { nameStart.count }

  public init<Names: LazyJSONMemberNames>(_: Names.Type) {
    let names = Names.allCases.map { Array($0.name.utf8) }
    for (offset, name) in Names.allCases.enumerated() {
      precondition(name.rawValue == offset, "\(Names.self): raw values must count from 0 in case order")
      precondition(!name.name.isEmpty, "\(Names.self).\(name): an empty member name")
      precondition(Names.allCases.filter { $0.name == name.name }.count == 1, "\(Names.self): \(name.name) twice")
    }
    precondition(names.count <= LazyJSONObject.Selection<Names>.capacity, "\(Names.self): more names than a selection holds")
    var bytes: [UInt8] = []
    var nameStart: [Int] = []
    for name in names {
      nameStart.append(bytes.count)
      bytes.append(contentsOf: name)
    }
    let longest = names.map(\.count).max() ?? 0
    var slotsStart: [Int] = []
    var slots: [Int] = []
    for length in 0...longest {
      slotsStart.append(slots.count)
      slots.append(contentsOf: names.indices.filter { names[$0].count == length })
    }
    slotsStart.append(slots.count)
    (self.bytes, self.nameStart, self.slotsStart, self.slots) = (bytes, nameStart, slotsStart, slots)
  }
}

extension LazyJSONObject {
  /// The members named in `Names`, found in one pass; the first of repeated keys wins, as in
  /// every lookup by name.
  public func select<Names: LazyJSONMemberNames>(_: Names.Type) -> Selection<Names> {
    let table = Names.table
    var found = InlineArray<48, Int32>(repeating: -1)
    var missing = table.count
    storage.withUnsafeBufferPointer { bytes in
      table.bytes.withUnsafeBufferPointer { names in
        table.slotsStart.withUnsafeBufferPointer { slotsStart in
          table.slots.withUnsafeBufferPointer { slots in
            for (index, member) in members.enumerated() {
              let length = member.keyEnd - member.keyStart
              guard length + 1 < slotsStart.count else { continue }
              for slot in slots[slotsStart[length]..<slotsStart[length + 1]] {
                let start = table.nameStart[slot]
                guard bytes[member.keyStart] == names[start],
                  memcmp(bytes.baseAddress! + member.keyStart, names.baseAddress! + start, length) == 0
                else { continue }
                if found[slot] < 0 {
                  found[slot] = Int32(truncatingIfNeeded: index)
                  missing -= 1
                }
                break
              }
              if missing == 0 { break }
            }
          }
        }
      }
    }
    return Selection(object: self, found: found)
  }

  /// A record's members named in `Names`, each read like the lookup by name of the same type
  /// (`string(_:)`, `numberText(_:)`, `epochSeconds(_:)`, the subscript).
  public struct Selection<Names: LazyJSONMemberNames> {
    /// The most names one selection holds (kept inline: a selection is made per record).
    static var capacity: Int { 48 }

    let object: LazyJSONObject
    /// Index into `object.members` of each name's member, by slot; -1 when absent.
    let found: InlineArray<48, Int32>

    func member(_ name: Names) -> Member? {
      let index = found[name.rawValue]
      return index < 0 ? nil : object.members[Int(index)]
    }

    public func contains(_ name: Names) -> Bool { found[name.rawValue] >= 0 }

    public subscript(_ name: Names) -> JSONValue? {
      guard let member = member(name) else { return nil }
      return object.value(of: member)
    }

    public func string(_ name: Names) -> String? {
      guard let member = member(name) else { return nil }
      return object.string(of: member)
    }

    public func numberText(_ name: Names) -> String? {
      guard let member = member(name) else { return nil }
      return object.numberText(of: member)
    }

    public func epochSeconds(_ name: Names) -> Int? {
      guard let member = member(name) else { return nil }
      return object.epochSeconds(of: member)
    }

    /// `self[name]?.intValue`.
    public func int(_ name: Names) -> Int? {
      guard let member = member(name) else { return nil }
      return object.int(of: member)
    }

    /// `self[name]?.boolValue`.
    public func bool(_ name: Names) -> Bool? {
      guard let member = member(name) else { return nil }
      return object.bool(of: member)
    }

    /// `LazyJSONObject.withRawValue` of the member.
    public func withRawValue<Result>(_ name: Names, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result? {
      guard let member = member(name) else { return nil }
      return object.storage.withUnsafeBufferPointer { bytes in
        body(UnsafeBufferPointer(rebasing: bytes[member.valueStart..<member.valueEnd]))
      }
    }
  }
}
