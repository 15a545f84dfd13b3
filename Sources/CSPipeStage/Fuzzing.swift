import CSPipeCore

extension FuzzEntryPoints {
  /// The default journey once (the fuzzer calls the entry point millions of times).
  static let stageJourney = try! Journey.builtin()

  /// stage's journey loader and placement: bytes that are a JSON object with `milestones` are
  /// loaded as a journey (errors are fine, traps are not); any other JSON object is placed as
  /// an account record as of 2026-11-15. Placing must not trap, keys must be unique, every
  /// journey milestone must have a state, and the moments must respect the cap.
  public static func stage(_ bytes: [UInt8]) {
    guard let record = try? bytes.withUnsafeBufferPointer({ try JSONParser.parse($0) }).objectValue else { return }
    if record["milestones"] != nil && record["kind"] == nil {
      _ = try? Journey.make(ConfigReader(record, file: "fuzz"))
      return
    }
    let cutoff = 20407 * 86400 + 86400
    let asOfDay = 20407
    let context = PlacementContext(
      journey: stageJourney, cutoff: cutoff, asOfDay: asOfDay, asOfMonth: "2026-11", usageFrom: asOfDay - 90,
      recordNames: ["configured", "ebr1", "ebr2"], metrics: ["logins", "feature:reports"], snoozes: Snoozes(), history: nil)
    let placement = context.place(record, key: record["account"]?.stringValue ?? "fuzz")
    if PlacementContext.startDay(record) != nil {
      precondition(placement.milestones.count == stageJourney.milestones.count, "a milestone without a state")
    }
    precondition(placement.plan.moments.count <= stageJourney.maxMomentsPerAccount, "moments over the cap")
    let keys = placement.plan.moments.map(\.key)
    precondition(Set(keys).count == keys.count, "a moment key listed twice")
    var writer = JSONWriter()
    placement.write(to: &writer)
    var out = ByteBuffer(capacity: 256)
    Placement.finish(peer: placement.band?.name == .cruiser ? .some(nil) : nil, to: &out)
  }
}
