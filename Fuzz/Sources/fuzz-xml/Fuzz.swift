import CSPipe

#if canImport(Glibc)
  import Glibc
#endif

/// libFuzzer's driver, started from our own main (SwiftPM executables need one).
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
  _ argc: UnsafeMutablePointer<CInt>,
  _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
  _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// Feeds arbitrary bytes to the xml reader; any crash or hang is a bug.
@main
struct FuzzXML {
  static func main() {
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    exit(runFuzzerDriver(&argc, &argv) { data, count in
      FuzzEntryPoints.xml(data.map { Array(UnsafeBufferPointer(start: $0, count: count)) } ?? [])
      return 0
    })
  }
}
