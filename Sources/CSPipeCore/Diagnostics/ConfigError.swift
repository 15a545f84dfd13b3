import Foundation

/// A configuration file (a mapping, segment's tier rules, score's model) that cannot be used:
/// the file and, in `message`, the key at fault.
public struct ConfigError: ReportableError, CustomStringConvertible {
  public let file: String
  public let message: String
  /// What the file is to the user (`mapping`, `config`), the first word of the message.
  public var role = "config"
  public var description: String { "\(file): \(message)" }

  public init(file: String, message: String) {
    self.file = file
    self.message = message
  }

  public var diagnostic: Diagnostic { Diagnostic(.error, "\(role) \(description)") }

  /// The same error, reported as a file of this role.
  public func asRole(_ role: String) -> ConfigError {
    var copy = self
    copy.role = role
    return copy
  }
}

extension ConfigError {
  /// A JSON decoding error as a person reads it: what is wrong, and at which key path.
  public static func describe(_ error: DecodingError) -> String {
    func path(_ context: DecodingError.Context) -> String {
      let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
      return keys.isEmpty ? "" : " at \(keys.dropFirst())"
    }
    switch error {
    case .keyNotFound(let key, let context): return "missing \"\(key.stringValue)\"\(path(context))"
    case .typeMismatch(_, let context), .valueNotFound(_, let context):
      return "\(context.debugDescription)\(path(context))"
    case .dataCorrupted(let context): return "\(context.debugDescription)\(path(context))"
    @unknown default: return "\(error)"
    }
  }
}
