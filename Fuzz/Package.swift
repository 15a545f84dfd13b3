// swift-tools-version:6.0
import PackageDescription

// libFuzzer targets for cspipe's readers, kept out of the main package because they are built
// with -sanitize=fuzzer. Run them with `make fuzz` from the top.
let package = Package(
  name: "cspipe-fuzz",
  dependencies: [.package(path: "..")],
  targets: ["csv", "xml", "ndjson"].map { name in
    .executableTarget(
      name: "fuzz-\(name)", dependencies: [.product(name: "CSPipe", package: "main")])
  }
)
