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

/// The reader under test; a C callback cannot capture it, so it lives here.
nonisolated(unsafe) var reader: ([UInt8]) -> Void = FuzzEntryPoints.csv

/// `fuzz csv|xml|ndjson|raw|values|arithmetic|gzip|score|stage|report [libFuzzer options and corpus folders]`: feeds arbitrary bytes to one
/// reader; any crash or hang is a bug.
@main
struct Fuzz {
  static func main() {
    let targets: [String: ([UInt8]) -> Void] = [
      "csv": FuzzEntryPoints.csv, "xml": FuzzEntryPoints.xml, "ndjson": FuzzEntryPoints.ndjson,
      "raw": FuzzEntryPoints.raw, "values": FuzzEntryPoints.values, "arithmetic": FuzzEntryPoints.arithmetic, "gzip": FuzzEntryPoints.gzip,
      "score": FuzzEntryPoints.score, "stage": FuzzEntryPoints.stage, "report": FuzzEntryPoints.report,
    ]
    let arguments = CommandLine.arguments
    guard arguments.count > 1, let chosen = targets[arguments[1]] else {
      let usage = "usage: fuzz csv|xml|ndjson|raw|values|arithmetic|gzip|score|stage|report [libFuzzer options] [corpus folders]\n"
      _ = usage.withCString { write(2, $0, strlen($0)) }
      exit(64)
    }
    reader = chosen
    // libFuzzer sees the program name and everything after the target.
    var argv = CommandLine.unsafeArgv
    argv[1] = argv[0]
    var argc = CommandLine.argc - 1
    var shifted = argv + 1
    exit(
      runFuzzerDriver(&argc, &shifted) { data, count in
        reader(data.map { Array(UnsafeBufferPointer(start: $0, count: count)) } ?? [])
        return 0
      })
  }
}
