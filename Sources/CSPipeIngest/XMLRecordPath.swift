import CSPipeCore

/// Which elements are records: a path from the root, `/`-separated, where `*` matches any one
/// element name (`rss/channel/item`, `unload/*`, `tickets/ticket`).
public struct XMLRecordPath: Equatable, Sendable, CustomStringConvertible {
  /// Each step is a name, or nil for `*`.
  public let steps: [String?]

  public init(steps: [String?]) {
    self.steps = steps
  }

  /// Parses `a/b/*`; a leading `/` is allowed. Returns nil for an empty path or empty step.
  public init?(_ text: String) {
    var trimmed = Substring(text)
    if trimmed.first == "/" { trimmed = trimmed.dropFirst() }
    let parts = trimmed.split(separator: "/", omittingEmptySubsequences: false)
    guard !parts.isEmpty, !parts.contains(where: \.isEmpty) else { return nil }
    steps = parts.map { $0 == "*" ? nil : String($0) }
  }

  public var description: String { steps.map { $0 ?? "*" }.joined(separator: "/") }

  /// True when the element `name` under `ancestors` (root first) is one of these records.
  func matches(ancestors: [[UInt8]], name: [UInt8]) -> Bool {
    guard ancestors.count + 1 == steps.count else { return false }
    for (index, step) in steps.enumerated() {
      guard let step else { continue }
      let actual = index < ancestors.count ? ancestors[index] : name
      if !step.utf8.elementsEqual(actual) { return false }
    }
    return true
  }
}
