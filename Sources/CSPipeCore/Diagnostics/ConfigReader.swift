/// Reads one object of a JSON configuration file (score's model, stage's journey) strictly:
/// every error names the file and the key path (`measures[3].points.linear.poor`), and a key
/// the reader never asked for is an error too, so a typo (`wieght`) is caught at load instead
/// of silently meaning a default.
public final class ConfigReader {
  public let file: String
  public let path: String
  private let object: JSONObject
  private var read: Set<String> = []

  public init(_ object: JSONObject, file: String, path: String = "") {
    self.object = object
    self.file = file
    self.path = path
  }

  /// The file's top-level object.
  public static func load(file: String) throws -> ConfigReader {
    let bytes: [UInt8]
    do {
      let source = try ByteSource(path: file)
      var collected: [UInt8] = []
      var chunk = [UInt8](repeating: 0, count: 1 << 16)
      while true {
        let count = try chunk.withUnsafeMutableBytes { try source.read(into: $0) }
        if count == 0 { break }
        collected += chunk[..<count]
        guard collected.count <= 16 << 20 else { throw ConfigError(file: file, message: "larger than 16 MiB") }
      }
      bytes = collected
    } catch let error as InputError {
      throw ConfigError(file: file, message: error.diagnostic.message)
    }
    return try parse(bytes, file: file)
  }

  /// A configuration already in memory (a built-in default), named `file` in errors.
  public static func parse(_ bytes: [UInt8], file: String) throws -> ConfigReader {
    let value: JSONValue
    do {
      value = try bytes.withUnsafeBufferPointer { try JSONParser.parse($0) }
    } catch {
      throw ConfigError(file: file, message: "not JSON: \(error)")
    }
    guard let object = value.objectValue else { throw ConfigError(file: file, message: "expected a JSON object") }
    return ConfigReader(object, file: file)
  }

  public func fail(_ key: String?, _ message: String) -> ConfigError {
    ConfigError(file: file, message: "\(location(key)): \(message)")
  }

  public func location(_ key: String?) -> String {
    guard let key else { return path.isEmpty ? "(top level)" : path }
    return path.isEmpty ? key : "\(path).\(key)"
  }

  public func has(_ key: String) -> Bool { object[key] != nil }

  public var keys: [String] { object.keys }

  private func value(_ key: String) -> JSONValue? {
    read.insert(key)
    return object[key]
  }

  public func string(_ key: String) throws -> String {
    guard let value = try optionalString(key) else { throw fail(key, "missing (a string)") }
    return value
  }

  public func optionalString(_ key: String) throws -> String? {
    guard let value = value(key), value != .null else { return nil }
    guard let text = value.stringValue else { throw fail(key, "expected a string") }
    return text
  }

  public func number(_ key: String) throws -> Double {
    guard let value = try optionalNumber(key) else { throw fail(key, "missing (a number)") }
    return value
  }

  public func optionalNumber(_ key: String) throws -> Double? {
    guard let value = value(key), value != .null else { return nil }
    guard let text = value.numberText, let number = Double(text), number.isFinite else {
      throw fail(key, "expected a number")
    }
    return number
  }

  public func optionalInt(_ key: String) throws -> Int? {
    guard let number = try optionalNumber(key) else { return nil }
    guard number == number.rounded(), abs(number) < 1e15 else { throw fail(key, "expected a whole number") }
    return Int(number)
  }

  public func optionalBool(_ key: String) throws -> Bool? {
    guard let value = value(key), value != .null else { return nil }
    guard let flag = value.boolValue else { throw fail(key, "expected true or false") }
    return flag
  }

  public func object(_ key: String) throws -> ConfigReader {
    guard let reader = try optionalObject(key) else { throw fail(key, "missing (an object)") }
    return reader
  }

  public func optionalObject(_ key: String) throws -> ConfigReader? {
    guard let value = value(key), value != .null else { return nil }
    guard let nested = value.objectValue else { throw fail(key, "expected an object") }
    return ConfigReader(nested, file: file, path: location(key))
  }

  /// The array at `key` (empty when absent), each element handed to `element` with its path.
  public func array<Element>(_ key: String, _ element: (JSONValue, String) throws -> Element) throws -> [Element] {
    guard let value = value(key), value != .null else { return [] }
    guard case .array(let items) = value else { throw fail(key, "expected an array") }
    return try items.enumerated().map { try element($0.element, "\(location(key))[\($0.offset)]") }
  }

  /// The array of objects at `key`, each read by its own reader (checked for unknown keys).
  public func objects<Element>(_ key: String, _ element: (ConfigReader) throws -> Element) throws -> [Element] {
    try array(key) { value, path in
      guard let nested = value.objectValue else { throw ConfigError(file: file, message: "\(path): expected an object") }
      let reader = ConfigReader(nested, file: file, path: path)
      let result = try element(reader)
      try reader.finish()
      return result
    }
  }

  /// The array of strings at `key`.
  public func strings(_ key: String) throws -> [String] {
    try array(key) { value, path in
      guard let text = value.stringValue else { throw ConfigError(file: file, message: "\(path): expected a string") }
      return text
    }
  }

  /// Marks the object read in full: any key not asked for is an error naming it.
  public func finish() throws {
    for key in object.keys where !read.contains(key) {
      throw fail(key, "not a known key here (a typo?)")
    }
  }
}
