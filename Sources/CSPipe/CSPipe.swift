// The whole library under one name, for programs that use several stages (the fuzzers, the
// tests of the chain). Each stage's own code imports only what lies below it (docs/ARCHITECTURE.md).
@_exported import CSPipeCLI
@_exported import CSPipeCore
@_exported import CSPipeIngest
@_exported import CSPipeNormalise
@_exported import CSPipeReport
@_exported import CSPipeScore
@_exported import CSPipeSegment
@_exported import CSPipeStage
