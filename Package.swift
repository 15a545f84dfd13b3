// swift-tools-version:6.0
import PackageDescription

// cspipe: small NDJSON tools over one layered library (README.md, docs/ARCHITECTURE.md).

/// One line per tool: its executable, the library target of its stage, and what that stage
/// needs besides CSPipeCore. Adding a tool is a folder pair and a line here.
let tools: [(name: String, stage: String, needs: [Target.Dependency])] = [
  ("ingest", "CSPipeIngest", ["CLibXML2"]),
  ("normalise", "CSPipeNormalise", []),
  ("segment", "CSPipeSegment", []),
  ("score", "CSPipeScore", []),
  ("stage", "CSPipeStage", []),
  ("report", "CSPipeReport", []),
]

let argumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")

/// Release builds optimise across the library's modules (the stage loops call Core's readers
/// and value parsers on every record): without it the split into layers cost 3–5% of
/// instructions, measured with callgrind.
let crossModule: [SwiftSetting] = [.unsafeFlags(["-cross-module-optimization"], .when(configuration: .release))]

let package = Package(
  name: "cspipe",
  products: tools.map { .executable(name: $0.name, targets: [$0.name]) } + [
    .library(name: "CSPipe", targets: ["CSPipe"])
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
  ],
  targets: [
    // The system libxml2 (Debian: libxml2-dev), driven as a SAX2 push parser for streaming.
    .systemLibrary(name: "CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
    // zlib (Debian: zlib1g-dev), to read gzip-compressed exports as they stream in.
    .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
    // The ladder (docs/ARCHITECTURE.md): each target depends only on those above it.
    // Core: bytes, IO, CSV, JSON, values, time, schemas, diagnostics. No stage logic.
    .target(name: "CSPipeCore", dependencies: ["CZlib"], exclude: ["JSON/README.md"], swiftSettings: crossModule),
    // The command line: the flags every tool shares and the one stage lifecycle.
    .target(name: "CSPipeCLI", dependencies: ["CSPipeCore", argumentParser]),
    // Everything under one name, for the fuzzers and the tests of the whole chain.
    .target(name: "CSPipe", dependencies: ["CSPipeCore", "CSPipeCLI"] + tools.map { .target(name: $0.stage) }),
    .testTarget(
      name: "CSPipeTests",
      dependencies: ["CSPipe", "CSPipeCore", "CSPipeCLI"] + tools.map { .target(name: $0.stage) }
    ),
    .testTarget(
      name: "CSPipeCLITests",
      dependencies: ["CSPipe"] + tools.map { .target(name: $0.name) },
      exclude: ["Cases"]
    ),
  ]
    // One target per stage, on Core alone; one executable per tool, on its stage and the CLI.
    + tools.map { .target(name: $0.stage, dependencies: ["CSPipeCore"] + $0.needs, swiftSettings: crossModule) }
    + tools.map { .executableTarget(name: $0.name, dependencies: ["CSPipeCLI", .target(name: $0.stage)]) }
)
