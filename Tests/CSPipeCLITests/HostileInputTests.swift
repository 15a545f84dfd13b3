import Foundation
import Testing

/// Hostile exports, end to end through the real binary.
@Suite("Hostile input")
struct HostileInputTests {
  @Test("an external entity pointing at a local file is never read")
  func externalEntity() throws {
    let folder = try Tool.temporaryDirectory()
    let secret = "TOP-SECRET-\(UUID().uuidString)"
    try secret.write(to: folder.appendingPathComponent("secret.txt"), atomically: true, encoding: .utf8)
    let xml = """
      <?xml version="1.0"?>
      <!DOCTYPE tickets [<!ENTITY leak SYSTEM "file://\(folder.path)/secret.txt">]>
      <tickets><ticket><subject>&leak;</subject></ticket><ticket><subject>x</subject></ticket></tickets>
      """
    try xml.write(to: folder.appendingPathComponent("evil.xml"), atomically: true, encoding: .utf8)
    let result = try Tool.run("ingest", ["evil.xml"], in: folder)
    #expect(result.status == 1)
    #expect(!result.stdoutText.contains(secret))
    #expect(!result.stderr.contains(secret))
    #expect(result.stderr.contains("evil.xml:2: error: not well-formed XML: entity declarations are refused"))
  }

  @Test("billion laughs fails fast")
  func billionLaughs() throws {
    var declarations = "<!ENTITY l0 \"lol\">"
    for level in 1...9 {
      let previous = String(repeating: "&l\(level - 1);", count: 10)
      declarations += "<!ENTITY l\(level) \"\(previous)\">"
    }
    let xml = "<?xml version=\"1.0\"?><!DOCTYPE lolz [\(declarations)]><lolz><a>&l9;</a></lolz>"
    let started = Date()
    let result = try Tool.run("ingest", ["--format", "xml"], stdinData: Data(xml.utf8))
    #expect(result.status == 1)
    #expect(result.stdout.isEmpty)
    #expect(Date().timeIntervalSince(started) < 5)
  }

  @Test("deep nesting and binary garbage fail cleanly, without a crash")
  func garbage() throws {
    let deep = String(repeating: "<a>", count: 100_000) + String(repeating: "</a>", count: 100_000)
    let nested = try Tool.run("ingest", ["--format", "xml"], stdinData: Data(deep.utf8))
    #expect(nested.status == 1)
    #expect(nested.stderr.contains("nested deeper than 256 levels"))

    // A fixed linear congruential sequence: the same "garbage" on every run.
    var state: UInt32 = 99
    let noise = Data(
      (0..<200_000).map { _ -> UInt8 in
        state = state &* 1_103_515_245 &+ 12345
        return UInt8(truncatingIfNeeded: state >> 16)
      })
    for format in ["csv", "xml"] {
      let result = try Tool.run("ingest", ["--format", format], stdinData: noise)
      #expect(result.status == 0 || result.status == 1, "\(format): \(result.status)")
      #expect(result.stderr.contains("ingest: "), "\(format) says what happened")
    }
  }

  /// Found by fuzz-xml: a character conversion failure halted libxml2 without an error on the
  /// parser's own channel, and ingest took it for a clean end of file.
  @Test("XML that cannot be decoded in its declared encoding fails with its line")
  func undecodable() throws {
    var bytes = Array("<?xml version=\"1.0\" encoding=\"ISO-2022-JP\"?>\n<a><b>\u{1B}$B".utf8)
    bytes += [0xFF, 0xFF] + Array("</b></a>".utf8)
    let result = try Tool.run("ingest", ["--format", "xml"], stdinData: Data(bytes))
    #expect(result.status == 1)
    #expect(result.stderr.hasPrefix("ingest: <stdin>:2: error: not well-formed XML"))
  }

  @Test("UTF-16 CSV (Excel's Unicode Text) is decoded; a lone surrogate fails with its byte offset")
  func utf16() throws {
    var little: [UInt8] = [0xFF, 0xFE]
    for unit in "account\tday\tmetric\tvalue\nÇa Va Café 🎉\t2026-01-01\tlogins\t3\n".utf16 {
      little += [UInt8(unit & 0xFF), UInt8(unit >> 8)]
    }
    let decoded = try Tool.run("ingest", ["--format", "csv"], stdinData: Data(little))
    #expect(decoded.status == 0, "\(decoded.stderr)")
    #expect(decoded.stdoutText.contains(#""account":"Ça Va Café 🎉""#))
    #expect(decoded.stdoutText.contains(#""system":"cspipe","dataset":"usage""#))
    var broken: [UInt8] = [0xFF, 0xFE]
    for unit in "a,b\n1,".utf16 { broken += [UInt8(unit & 0xFF), UInt8(unit >> 8)] }
    broken += [0x00, 0xD8, 0x78, 0x00, 0x0A, 0x00]  // a high surrogate, then "x\n"
    let failed = try Tool.run("ingest", ["--format", "csv"], stdinData: Data(broken))
    #expect(failed.status == 1)
    #expect(failed.stderr.contains("<stdin>:2: error: not valid UTF-16: a lone surrogate at byte offset 14"))
  }

  /// A giant field or text node is a limit, not an out-of-memory: the record is rejected and
  /// the rest goes on (the limits are 64 MiB by default; small here to keep the test fast).
  @Test("an oversized CSV field or XML text node is rejected, the rest kept, memory bounded")
  func oversized() throws {
    let giant = String(repeating: "x", count: 8_000_000)
    let csv = "id,Note\n1,small\n2,\(giant)\n3,small\n"
    let csvRun = try Tool.run("ingest", ["--format", "csv", "--max-field-bytes", "100000"], stdinData: Data(csv.utf8))
    #expect(csvRun.status == 0)
    #expect(csvRun.lines.count == 2)
    #expect(csvRun.stderr.contains("<stdin>:3: warning: rejected: field \"Note\": longer than the 100000-byte field limit"))
    let xml = "<r><i><v>small</v></i><i><v>\(giant)</v></i><i><v>small</v></i></r>"
    let xmlRun = try Tool.run("ingest", ["--format", "xml", "--record", "r/i", "--max-record-bytes", "100000"], stdinData: Data(xml.utf8))
    #expect(xmlRun.status == 0)
    #expect(xmlRun.lines.count == 2)
    #expect(xmlRun.stderr.contains("record is larger than the 100000-byte limit"))
  }

  /// The same at full size with the default limits: a 1 GiB field or text node, streamed
  /// through a pipe (never on disk), ends as one reject with a clear reason, and memory stays
  /// bounded by the 64 MiB limit, not by the value.
  @Test(
    "a 1 GiB CSV field or XML text node: one clear reject at the default limit, memory bounded",
    .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/time"), "needs GNU time"),
    arguments: [
      ("csv", #"printf 'id,notes\n1,"'"#, #"printf '"\n2,ok\n'"#, "field \"notes\": longer than the 67108864-byte field limit"),
      (
        "xml", #"printf '<tickets type="array"><ticket><id>1</id><notes>'"#,
        #"printf '</notes></ticket><ticket><id>2</id><notes>ok</notes></ticket></tickets>\n'"#,
        "record is larger than the 67108864-byte limit"
      ),
    ])
  func gigabyteValue(format: String, head: String, tail: String, reason: String) throws {
    let folder = try Tool.temporaryDirectory()
    let gigabyte = #"python3 -c 'import sys; block = b"a" * (1 << 24); [sys.stdout.buffer.write(block) for _ in range(64)]'"#
    let result = try Tool.shell(
      "{ \(head); \(gigabyte); \(tail); } | /usr/bin/time -f %M -o rss.txt ingest --format \(format) -o out.ndjson",
      in: folder)
    #expect(result.status == 0)
    #expect(result.stderr.contains(reason), "\(result.stderr)")
    #expect(result.stderr.contains("2 in, 1 out, 1 rejected"))
    let out = try String(contentsOf: folder.appendingPathComponent("out.ndjson"), encoding: .utf8)
    #expect(out.contains(#""id":"2""#))
    let rss = try String(contentsOf: folder.appendingPathComponent("rss.txt"), encoding: .utf8)
    let peakMegabytes = (Int(rss.split(separator: "\n").last ?? "") ?? Int.max) / 1024
    #expect(peakMegabytes < 512, "peak RSS \(peakMegabytes) MB for a 1 GiB value")
  }

  @Test("NUL bytes are kept and escaped, never truncating a value")
  func nulBytes() throws {
    let csv = Data("a,b\nx\u{0}y,2\n".utf8)
    let result = try Tool.run("ingest", ["--format", "csv"], stdinData: csv)
    #expect(result.status == 0)
    #expect(result.stdoutText.contains(#""a":"x\u0000y""#))
  }

  @Test("a truncated file: the last row cut mid-record is rejected, the rest kept")
  func truncated() throws {
    let csv = Data("id,Email,Created (UTC),Delinquent\ncus_1,a@x,2025-01-01,false\ncus_2,\"b@".utf8)
    let result = try Tool.run("ingest", ["--format", "csv"], stdinData: csv)
    #expect(result.status == 0)
    #expect(result.lines.count == 1)
    #expect(result.stderr.contains("<stdin>:3: warning: rejected: the file ends inside a quoted field opened on line 3"))
  }

  /// Memory must not grow with the file: 40 MB of tickets streamed through stdin must run in a
  /// small fraction of that. Peak RSS is read by GNU time (`/usr/bin/time`, Debian's `time`).
  @Test(
    "memory stays flat on a large XML stream",
    .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/time"), "needs GNU time"))
  func boundedMemory() throws {
    let folder = try Tool.temporaryDirectory()
    let path = folder.appendingPathComponent("tickets.xml")
    FileManager.default.createFile(atPath: path.path, contents: nil)
    let handle = try FileHandle(forWritingTo: path)
    handle.write(Data("<tickets type=\"array\">\n".utf8))
    var chunk = ""
    for index in 0..<200_000 {
      chunk +=
        "<ticket id=\"\(index)\"><nice-id>\(index)</nice-id><subject>Cannot export &amp; import \(index)</subject><status-id>1</status-id><created-at>2024-05-01T10:00:00Z</created-at></ticket>\n"
      if index % 10_000 == 0 {
        handle.write(Data(chunk.utf8))
        chunk = ""
      }
    }
    handle.write(Data((chunk + "</tickets>\n").utf8))
    try handle.close()
    let size = try FileManager.default.attributesOfItem(atPath: path.path)[.size] as? Int ?? 0
    #expect(size > 30_000_000)
    let result = try Tool.shell(
      "/usr/bin/time -f %M -o rss.txt ingest -o /dev/null < tickets.xml", in: folder)
    #expect(result.status == 0)
    #expect(result.stderr.contains("200000 in, 200000 out, 0 rejected"))
    let rss = try String(contentsOf: folder.appendingPathComponent("rss.txt"), encoding: .utf8)
    let peakMegabytes = (Int(rss.split(separator: "\n").last ?? "") ?? Int.max) / 1024
    #expect(peakMegabytes < 40, "peak RSS \(peakMegabytes) MB for a \(size / 1_000_000) MB file")
  }

  @Test(
    "a gzip file that expands a thousandfold streams in bounded memory",
    .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/time"), "needs GNU time"))
  func gzipExpansion() throws {
    let folder = try Tool.temporaryDirectory()
    // 2M rows, 64 MB of CSV that gzip shrinks to about 100 KB: a "zip bomb" in miniature.
    let made = try Tool.shell(
      #"awk 'BEGIN { print "account,day,metric,value"; for (i = 0; i < 2000000; i++) print "acme-corporation-international,2026-01-01,api_calls,1234567" }' | gzip -c > usage.csv.gz"#,
      in: folder)
    #expect(made.status == 0)
    let compressed =
      try FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent("usage.csv.gz").path)[.size] as? Int ?? 0
    #expect(compressed < 1_000_000)
    let result = try Tool.shell("/usr/bin/time -f %M -o rss.txt ingest -o /dev/null usage.csv.gz", in: folder)
    #expect(result.status == 0)
    #expect(result.stderr.contains("2000000 in, 2000000 out, 0 rejected"), "\(result.stderr)")
    let rss = try String(contentsOf: folder.appendingPathComponent("rss.txt"), encoding: .utf8)
    let peakMegabytes = (Int(rss.split(separator: "\n").last ?? "") ?? Int.max) / 1024
    #expect(peakMegabytes < 40, "peak RSS \(peakMegabytes) MB")
  }

  @Test("one bad file with -o: the others go through, its own records are taken back, exit 1")
  func badFileAmongGood() throws {
    let folder = try Tool.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    try "a,b\n1,2\n3,4\n".write(to: folder.appendingPathComponent("first.csv"), atomically: true, encoding: .utf8)
    try "a,b\n5,6\n".write(to: folder.appendingPathComponent("last.csv"), atomically: true, encoding: .utf8)
    // Well over the output buffer before the fault, so the taking back reaches the file itself.
    var xml = "<tickets type=\"array\">\n"
    for index in 0..<20_000 { xml += "<ticket><id>\(index)</id><subject>\(String(repeating: "x", count: 100))</subject></ticket>\n" }
    xml += "<ticket><id>broken</id></tick>\n"
    try xml.write(to: folder.appendingPathComponent("middle.xml"), atomically: true, encoding: .utf8)
    let result = try Tool.run("ingest", ["first.csv", "middle.xml", "last.csv", "-o", "raw.ndjson"], in: folder)
    #expect(result.status == 1)
    #expect(result.stderr.contains("middle.xml:20002: error: not well-formed XML"))
    #expect(
      result.stderr.contains("20003 in, 3 out, 0 rejected, 20000 dropped with the failed file(s) (3 files, 1 failed)"), "\(result.stderr)")
    let written = try String(contentsOf: folder.appendingPathComponent("raw.ndjson"), encoding: .utf8)
    let files = written.split(separator: "\n").map { line -> String in
      let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
      return ((object?["source"] as? [String: Any])?["file"] as? String) ?? "?"
    }
    #expect(files == ["first.csv", "first.csv", "last.csv"])
  }
}
