// swift-tools-version:6.0
import PackageDescription

// libFuzzer targets for cspipe's readers, kept out of the main package because they are built
// with -sanitize=fuzzer. Run them with `make fuzz` from the top.
let package = Package(
  name: "cspipe-fuzz",
  // `make fuzz` links .build-fuzz/cspipe to the project, so the dependency has a stable name.
  dependencies: [.package(path: "../.build-fuzz/cspipe")],
  targets: [
    .executableTarget(name: "fuzz", dependencies: [.product(name: "CSPipe", package: "cspipe")])
  ]
)
