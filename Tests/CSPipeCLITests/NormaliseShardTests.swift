import Foundation
import Testing

/// normalise over shards (docs/SCALE.md): which copy of a source key wins, and every record's
/// account, must not depend on the order of the input or on how it is split, so that shards
/// exchanging their surveys (`--survey`, `--identity`) give one run's records.
@Suite("normalise shards")
struct NormaliseShardTests {
  /// Raw records from generated exports, plus copies of keyed records that compete with the
  /// originals: a ticket updated later, one updated after as-of, a re-export of the same line
  /// with other content, and a copy from a later export file.
  static let withCopies = #"""
    import json, sys
    out = open('raw.ndjson', 'w')
    for n, text in enumerate(open('originals.ndjson')):
        out.write(text)
        record = json.loads(text)
        source, fields = record['source'], record['fields']
        if source['dataset'] == 'tickets' and 'updated-at' in fields and n % 3 == 0:
            later = json.loads(text)
            later['fields']['updated-at'] = '2026-11-10T00:00:00Z'
            later['fields']['status-id'] = '4'
            out.write(json.dumps(later) + '\n')
            unknown = json.loads(text)
            unknown['fields']['updated-at'] = '2027-01-01T00:00:00Z'
            unknown['fields']['subject'] = 'known only after as-of'
            out.write(json.dumps(unknown) + '\n')
        if source['dataset'] == 'subscriptions' and n % 4 == 0:
            again = json.loads(text)
            again['fields']['Status'] = 'canceled' if fields['Status'] != 'canceled' else 'active'
            out.write(json.dumps(again) + '\n')
            moved = json.loads(text)
            moved['source']['file'] = source['file'] + '.later'
            moved['fields']['Quantity'] = '999'
            out.write(json.dumps(moved) + '\n')
    """#

  static let flags = "--as-of 2026-11-15 -q"

  @Test("any order and any split of the input gives one run's records, duplicates across shards included")
  func anySplitAnyOrder() throws {
    let folder = try Tool.temporaryDirectory()
    try Self.withCopies.write(to: folder.appendingPathComponent("copies.py"), atomically: true, encoding: .utf8)
    let setUp = try Tool.shell(
      "python3 \(Tool.packageRoot.path)/scripts/generate_exports.py --out exports --accounts 120 --seed 5 --usage-days 5"
        + " && ingest -q exports/* > originals.ndjson && python3 copies.py"
        + " && normalise \(Self.flags.dropLast(3)) raw.ndjson -o single.ndjson 2> single.log && sort single.ndjson > single.sorted",
      in: folder)
    #expect(setUp.status == 0, "\(setUp.stderr)")
    let summary = try String(contentsOf: folder.appendingPathComponent("single.log"), encoding: .utf8)
    let merged = NormaliseEndToEndTests.Counts(summary: summary).duplicates
    #expect(merged > 20, "the copies should be merged: \(summary)")

    // A later update beats an earlier one; one made after as-of loses to what was known then;
    // a later export file beats an earlier one.
    let single = try String(contentsOf: folder.appendingPathComponent("single.ndjson"), encoding: .utf8)
    #expect(single.contains(#""updated_at":"2026-11-10T00:00:00Z""#))
    #expect(!single.contains("known only after as-of"))
    #expect(single.contains(#".later","line":"#))

    for (seed, shards) in [(1, 2), (2, 3), (3, 5), (4, 1)] {
      let run = try Tool.shell(
        """
        rm -f part.* surveys.ndjson
        awk 'BEGIN{srand(\(seed))} {print rand() "\\t" $0}' raw.ndjson | sort -k1,1 | cut -f2- > shuffled.ndjson
        normalise \(Self.flags) shuffled.ndjson | sort | cmp - single.sorted
        split -n l/\(shards) shuffled.ndjson part.
        for part in part.a?; do normalise --survey \(Self.flags) "$part" -o "$part.survey"; done
        cat part.a?.survey > surveys.ndjson
        for part in part.a?; do normalise --identity surveys.ndjson \(Self.flags) "$part"; done | sort | cmp - single.sorted
        # Surveys merge: a survey of the surveys (no input of its own) serves as well.
        normalise --survey --identity surveys.ndjson \(Self.flags) /dev/null -o merged.survey
        for part in part.a?; do normalise --identity merged.survey \(Self.flags) "$part"; done | sort | cmp - single.sorted
        """, in: folder)
      #expect(run.status == 0, "seed \(seed), \(shards) shards: \(run.stdout) \(run.stderr)")
    }
  }

  @Test("the survey of a shard is the same for any order of it, and one made as of another day is refused")
  func surveys() throws {
    let folder = try Tool.temporaryDirectory()
    let run = try Tool.shell(
      """
      ingest -q \(Tool.packageRoot.path)/samples/exports/* > raw.ndjson
      normalise --survey \(Self.flags) raw.ndjson -o a.survey
      tac raw.ndjson | normalise --survey \(Self.flags) -o b.survey
      cmp a.survey b.survey
      """, in: folder)
    #expect(run.status == 0, "\(run.stderr)")
    let survey = try String(contentsOf: folder.appendingPathComponent("a.survey"), encoding: .utf8)
    #expect(survey.hasPrefix(#"{"kind":"normalise_survey","cutoff":"#))
    #expect(survey.contains(#"{"kind":"duplicate_key","key":"#))
    let other = try Tool.run("normalise", ["--identity", "a.survey", "--as-of", "2026-11-01", "raw.ndjson"], in: folder)
    #expect(other.status != 0)
    #expect(other.stderr.contains("a.survey:1: a survey of the facts before 2026-11-16T00:00:00Z"))
    #expect(other.stderr.contains("but this run reads those before 2026-11-02T00:00:00Z"))
    // A survey's output never replaces the file it reads.
    let clash = try Tool.run("normalise", ["--identity", "a.survey", "raw.ndjson", "-o", "a.survey"], in: folder)
    #expect(clash.status == 64)
    #expect(try String(contentsOf: folder.appendingPathComponent("a.survey"), encoding: .utf8) == survey)
  }
}
