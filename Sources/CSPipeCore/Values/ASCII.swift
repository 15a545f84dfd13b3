/// The bytes the readers and writers look for, by name. UTF-8 lead-byte ranges stay in hex
/// where they are used: there the number is the meaning.
public enum ASCII {
  public static let tab: UInt8 = 0x09
  public static let lineFeed: UInt8 = 0x0A
  public static let carriageReturn: UInt8 = 0x0D
  public static let space: UInt8 = 0x20
  public static let quote: UInt8 = 0x22
  public static let plus: UInt8 = 0x2B
  public static let comma: UInt8 = 0x2C
  public static let minus: UInt8 = 0x2D
  public static let dot: UInt8 = 0x2E
  public static let slash: UInt8 = 0x2F
  public static let digit0: UInt8 = 0x30
  public static let digit9: UInt8 = 0x39
  public static let colon: UInt8 = 0x3A
  public static let semicolon: UInt8 = 0x3B
  public static let upperA: UInt8 = 0x41
  public static let upperZ: UInt8 = 0x5A
  public static let openBracket: UInt8 = 0x5B
  public static let backslash: UInt8 = 0x5C
  public static let closeBracket: UInt8 = 0x5D
  public static let lowerF: UInt8 = 0x66
  public static let lowerT: UInt8 = 0x74
  public static let openBrace: UInt8 = 0x7B
  public static let pipe: UInt8 = 0x7C
  public static let closeBrace: UInt8 = 0x7D
}
