import Foundation

/// A configuration file (a mapping, segment's tier rules, score's model) that cannot be used:
/// the file and, in `message`, the key at fault.
public struct ConfigError: Error, CustomStringConvertible {
  public let file: String
  public let message: String
  public var description: String { "\(file): \(message)" }

  public init(file: String, message: String) {
    self.file = file
    self.message = message
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
