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
    .target(
      name: "CSPipe",
      dependencies: [
        "CLibXML2",
        "CZlib",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    .executableTarget(name: "ingest", dependencies: ["CSPipe"]),
    .executableTarget(name: "normalise", dependencies: ["CSPipe"]),
    .executableTarget(name: "segment", dependencies: ["CSPipe"]),
    .testTarget(name: "CSPipeTests", dependencies: ["CSPipe"]),
    .testTarget(
      name: "CSPipeCLITests",
      dependencies: ["CSPipe", "ingest", "normalise", "segment"],
      exclude: ["Cases"]
    ),
  ]
)
