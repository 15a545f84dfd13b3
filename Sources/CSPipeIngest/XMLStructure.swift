import CLibXML2
import CSPipeCore

/// A summary of the first part of an XML document: which element paths occur, how often,
/// and which have child elements. Used to find the repeating record element without reading
/// the whole file (memory stays bounded: only the first `XMLStructure.scanBytes` are looked at).
final class XMLStructure: XMLEventSink {
  final class Node {
    let name: String
    var count = 0
    /// Instances that had at least one child element.
    var withChildren = 0
    /// An instance carried Rails' `type="array"`: its children are the items of a list.
    var markedArray = false
    /// Attribute names seen on any instance (for layout signatures such as Recurly's `@href`).
    var attributeNames: Set<String> = []
    var childOrder: [String] = []
    var children: [String: Node] = [:]

    init(name: String) { self.name = name }

    func child(_ name: String) -> Node {
      if let existing = children[name] { return existing }
      let node = Node(name: name)
      children[name] = node
      childOrder.append(name)
      return node
    }

    var orderedChildren: [Node] { childOrder.compactMap { children[$0] } }
    var isComplex: Bool { withChildren > 0 }
  }

  static let scanBytes = 1 << 20
  private static let maxDepth = 12

  private(set) var root: Node?
  private var stack: [(node: Node, hadChild: Bool)] = []
  private var depthBeyond = 0

  func startElement(
    prefix: UnsafePointer<xmlChar>?, localName: UnsafePointer<xmlChar>,
    attributes: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?, count: Int, line: Int
  ) {
    if depthBeyond > 0 || stack.count >= Self.maxDepth {
      depthBeyond += 1
      return
    }
    let name = XMLNames.qualified(prefix: prefix, localName: localName)
    let node: Node
    if let parent = stack.last {
      node = parent.node.child(name)
      if !parent.hadChild {
        stack[stack.count - 1].hadChild = true
        parent.node.withChildren += 1
      }
    } else if let root {
      node = root  // a second root cannot happen in well-formed XML; keep the first
    } else {
      node = Node(name: name)
      root = node
    }
    node.count += 1
    if XMLNames.attribute(named: "type", in: attributes, count: count) == "array" {
      node.markedArray = true
    }
    if let attributes, node.attributeNames.count < 64 {
      for index in 0..<count {
        if let name = attributes[index * 5] { node.attributeNames.insert(String(cString: name)) }
      }
    }
    stack.append((node, false))
  }

  func endElement() {
    if depthBeyond > 0 {
      depthBeyond -= 1
      return
    }
    _ = stack.popLast()
  }

  func text(_ bytes: UnsafeBufferPointer<UInt8>) {}

  /// The record paths this document most likely holds (see docs/CONTRACT.md, "Finding records"):
  /// the children of the shallowest element that holds a list, descending through wrappers.
  func guessRecordPaths() -> [XMLRecordPath] {
    guard let root else { return [] }
    var path: [String] = [root.name]
    var node = root
    while true {
      let kids = node.orderedChildren
      let complexKids = kids.filter(\.isComplex)
      if node.markedArray || (path.count == 1 && kids.isEmpty && node.attributeNames.isEmpty) {
        // `type="array"` with no children is an empty list: no records, not one empty record.
        return kids.map { XMLRecordPath(steps: path + [$0.name]) }
      }
      if complexKids.isEmpty {
        let repeated = kids.filter { $0.count >= 2 }
        if !repeated.isEmpty {
          return repeated.map { XMLRecordPath(steps: path + [$0.name]) }
        }
        return [XMLRecordPath(steps: path)]  // the element itself is the one record
      }
      if complexKids.reduce(0, { $0 + $1.count }) >= 2 {
        return complexKids.map { XMLRecordPath(steps: path + [$0.name]) }
      }
      let only = complexKids[0]
      if only.children.values.contains(where: \.isComplex) {
        path.append(only.name)
        node = only
        continue
      }
      return [XMLRecordPath(steps: path + [only.name])]
    }
  }

  /// The node at `path` (names only; `*` takes the first child that exists).
  func node(at path: XMLRecordPath) -> Node? {
    guard let root, let first = path.steps.first else { return nil }
    if let first, first != root.name { return nil }
    var node = root
    for step in path.steps.dropFirst() {
      if let step {
        guard let next = node.children[step] else { return nil }
        node = next
      } else {
        guard let next = node.orderedChildren.first else { return nil }
        node = next
      }
    }
    return node
  }
}

/// Small helpers over libxml2's name and attribute pointers.
enum XMLNames {
  static func qualified(prefix: UnsafePointer<xmlChar>?, localName: UnsafePointer<xmlChar>) -> String {
    let local = String(cString: localName)
    guard let prefix else { return local }
    return String(cString: prefix) + ":" + local
  }

  static func qualifiedBytes(prefix: UnsafePointer<xmlChar>?, localName: UnsafePointer<xmlChar>) -> [UInt8] {
    var bytes: [UInt8] = []
    if let prefix {
      bytes.append(contentsOf: UnsafeBufferPointer(start: prefix, count: strlen(prefix)))
      bytes.append(0x3A)
    }
    bytes.append(contentsOf: UnsafeBufferPointer(start: localName, count: strlen(localName)))
    return bytes
  }

  static func attribute(
    named wanted: String, in attributes: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?, count: Int
  ) -> String? {
    guard let attributes else { return nil }
    for index in 0..<count {
      let base = index * 5
      guard let name = attributes[base], attributes[base + 1] == nil,
        String(cString: name) == wanted,
        let start = attributes[base + 3], let end = attributes[base + 4]
      else { continue }
      return String(decoding: UnsafeBufferPointer(start: start, count: end - start), as: UTF8.self)
    }
    return nil
  }

  static func strlen(_ pointer: UnsafePointer<xmlChar>) -> Int {
    var length = 0
    while pointer[length] != 0 { length += 1 }
    return length
  }
}
