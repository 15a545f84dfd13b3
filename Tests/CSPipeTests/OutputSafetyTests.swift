import Testing

@testable import CSPipe
@testable import CSPipeCore
@testable import CSPipeIngest
@testable import CSPipeNormalise
@testable import CSPipeSegment

@Suite("Output safety")
struct OutputSafetyTests {
  @Test(
    "formula-looking CSV cells are neutralised",
    arguments: [
      ("=HYPERLINK(\"http://evil\",\"x\")", "\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\""),
      ("+1+2", "'+1+2"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"), ("\tcmd", "'\tcmd"),
      ("=1,2", "\"'=1,2\""), ("\r=x", "\"'\r=x\""),
    ])
  func formulas(value: String, expected: String) {
    #expect(OutputSafety.csvCell(value) == expected)
  }

  @Test(
    "ordinary values, numbers and negative numbers stay as they are",
    arguments: [
      ("Acme Corp", "Acme Corp"), ("-42.5", "-42.5"), ("+3", "+3"), ("1068", "1068"), ("", ""),
      ("a \"quote\"", "\"a \"\"quote\"\"\""), ("two\nlines", "\"two\nlines\""), ("x,y", "\"x,y\""),
      ("e-mail: jo@acme.example", "e-mail: jo@acme.example"),
    ])
  func plain(value: String, expected: String) {
    #expect(OutputSafety.csvCell(value) == expected)
  }

  @Test("HTML text escapes markup and quotes")
  func html() {
    #expect(
      OutputSafety.htmlText("<script>alert('x')</script> & \"y\"") == "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;y&quot;")
    #expect(OutputSafety.htmlText("Ça Va Café – “ok”") == "Ça Va Café – “ok”")
  }
}
