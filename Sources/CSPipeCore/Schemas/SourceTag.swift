/// Which system exported a file, and which of its datasets it is (`stripe` / `subscriptions`).
public struct SourceTag: Equatable, Hashable, Sendable, CustomStringConvertible {
  public var system: String
  public var dataset: String

  public init(system: String, dataset: String) {
    self.system = system
    self.dataset = dataset
  }

  /// Parses `--source SYSTEM[/DATASET]`.
  public init?(_ text: String) {
    let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
    guard let system = parts.first, !system.isEmpty, parts.count == 1 || !parts[1].isEmpty else {
      return nil
    }
    self.system = String(system)
    self.dataset = parts.count > 1 ? String(parts[1]) : ""
  }

  public var description: String { dataset.isEmpty ? system : "\(system)/\(dataset)" }

  /// The system for files no signature matches.
  public static let genericSystem = "generic"
}
