// swift-tools-version:6.0
import PackageDescription

// cspipe: six small NDJSON tools over one library (see README.md and docs/CONTRACT.md).
let package = Package(
  name: "cspipe",
  products: [
    .executable(name: "ingest", targets: ["ingest"]),
    .executable(name: "normalise", targets: ["normalise"]),
    .executable(name: "segment", targets: ["segment"]),
    .library(name: "CSPipe", targets: ["CSPipe"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
  ],
  targets: [
    // The system libxml2 (Debian: libxml2-dev), driven as a SAX2 push parser for streaming.
    .systemLibrary(
      name: "CLibXML2",
      pkgConfig: "libxml-2.0",
      providers: [.apt(["libxml2-dev"])]
    ),
    // zlib (Debian: zlib1g-dev), to read gzip-compressed exports as they stream in.
    .systemLibrary(
      name: "CZlib",
      pkgConfig: "zlib",
      providers: [.apt(["zlib1g-dev"])]
    ),
    // The ladder (docs/ARCHITECTURE.md): each target depends only on those above it.
    // Core: bytes, JSON, values, time, diagnostics, I/O, schemas. No stage logic.
    .target(name: "CSPipeCore", dependencies: ["CZlib"]),
    // One target per stage, each on Core alone.
    .target(name: "CSPipeIngest", dependencies: ["CSPipeCore", "CLibXML2"]),
    .target(name: "CSPipeNormalise", dependencies: ["CSPipeCore"]),
    .target(name: "CSPipeSegment", dependencies: ["CSPipeCore"]),
    // The command line: flags every tool shares and the one stage lifecycle.
    .target(
      name: "CSPipeCLI",
      dependencies: ["CSPipeCore", .product(name: "ArgumentParser", package: "swift-argument-parser")]
    ),
    // Everything under one name, for the fuzzers and tests of the whole chain.
    .target(
      name: "CSPipe",
      dependencies: ["CSPipeCore", "CSPipeIngest", "CSPipeNormalise", "CSPipeSegment", "CSPipeCLI"]
    ),
    .executableTarget(name: "ingest", dependencies: ["CSPipeCLI", "CSPipeIngest"]),
    .executableTarget(name: "normalise", dependencies: ["CSPipeCLI", "CSPipeNormalise"]),
    .executableTarget(name: "segment", dependencies: ["CSPipeCLI", "CSPipeSegment"]),
    .testTarget(
      name: "CSPipeTests",
      dependencies: ["CSPipe", "CSPipeCore", "CSPipeIngest", "CSPipeNormalise", "CSPipeSegment", "CSPipeCLI"]
    ),
    .testTarget(
      name: "CSPipeCLITests",
      dependencies: ["CSPipe", "ingest", "normalise", "segment"],
      exclude: ["Cases"]
    ),
  ]
)
