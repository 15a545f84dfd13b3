import CLibXML2
import CSPipeCore
import Glibc

/// What a streaming XML consumer receives. Names and text point into libxml2's buffers and are
/// valid only during the call.
protocol XMLEventSink: AnyObject {
  /// `attributes` holds `count` groups of five pointers (libxml2 SAX2 layout): local name,
  /// prefix, URI, value start, value end.
  func startElement(
    prefix: UnsafePointer<xmlChar>?, localName: UnsafePointer<xmlChar>,
    attributes: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?, count: Int, line: Int)
  func endElement()
  func text(_ bytes: UnsafeBufferPointer<UInt8>)
}

/// libxml2's SAX2 push parser, configured so that hostile input cannot reach outside the file.
///
/// - No DTD is loaded and no network is touched (`XML_PARSE_NONET`, no `XML_PARSE_DTDLOAD`), and
///   the external entity loader refuses every request.
/// - Any entity declaration stops the parse with an error: exports never declare entities, and
///   refusing them outright rules out XXE, billion laughs and quadratic blow-up in one move
///   (the `defusedxml` policy). Predefined entities and character references still decode.
/// - Without `XML_PARSE_HUGE`, libxml2 keeps its own limits (nesting depth 256, name lengths).
/// We feed it 256 KiB chunks, so memory stays flat however large the file is.
final class XMLPushParser {
  private(set) var context: xmlParserCtxtPtr?
  private let sink: XMLEventSink
  private let fileName: String
  /// Lines skipped before the XML (an HTTP header), added to every line number we report.
  let lineOffset: Int
  /// Deeper nesting fails the parse. libxml2's own depth limit guards only tree building, not
  /// SAX, and every open element costs us a frame, so without this a 1 GB file of `<a>` would
  /// grow memory with its size.
  let maxDepth: Int
  private var depth = 0
  /// The first fatal problem, with the line it was found on.
  private(set) var failure: (message: String, line: Int)?

  private static let refuseExternalEntities: Void = {
    xmlSetExternalEntityLoader { url, _, _ in nil }
    // Some libxml2 errors (I/O and encoding) bypass the parser's structured handler and go to
    // its generic one, which prints to stderr ("I/O error : encoder error"). Ours are reported
    // through `failure` in cspipe's own format, so the generic channel writes to /dev/null.
    // (The handler is variadic C, which Swift cannot define; a FILE context is what it takes.)
    if let devNull = fopen("/dev/null", "w") { xmlSetGenericErrorFunc(devNull, nil) }
  }()

  init(sink: XMLEventSink, fileName: String, lineOffset: Int = 0, maxDepth: Int = 256) {
    _ = Self.refuseExternalEntities
    self.maxDepth = maxDepth
    self.sink = sink
    self.fileName = fileName
    self.lineOffset = lineOffset
  }

  deinit {
    if let context { xmlFreeParserCtxt(context) }
  }

  var currentLine: Int {
    guard let context, let input = context.pointee.input else { return lineOffset }
    return Int(input.pointee.line) + lineOffset
  }

  /// Feeds the next bytes; `last` finishes the document. Returns false once the parse failed.
  @discardableResult
  func feed(_ bytes: UnsafeRawBufferPointer, last: Bool = false) -> Bool {
    if failure != nil { return false }
    let base = bytes.baseAddress?.assumingMemoryBound(to: CChar.self)
    if context == nil {
      var handler = Self.makeHandler()
      let user = Unmanaged.passUnretained(self).toOpaque()
      context = xmlCreatePushParserCtxt(&handler, user, nil, 0, fileName)
      guard let context else {
        failure = ("cannot create an XML parser", lineOffset)
        return false
      }
      xmlCtxtUseOptions(context, Int32(XML_PARSE_NONET.rawValue))
    }
    let status = xmlParseChunk(context, base, Int32(bytes.count), last ? 1 : 0)
    // Any non-zero status ends the parse. Most come with an error already recorded; a failed
    // character conversion does not (libxml2 halts with XML_PARSER_EOF and reports it only on
    // its generic channel), and must never pass as a clean end of file.
    if failure == nil && status != 0 {
      if let error = xmlCtxtGetLastError(context), error.pointee.message != nil {
        record(error)
      } else if status == Int32(XML_PARSER_EOF.rawValue) {
        failure = ("the text cannot be decoded in the document's declared encoding", currentLine)
      } else {
        failure = ("libxml2 stopped at an undecodable or invalid character (error \(status))", currentLine)
      }
    }
    return failure == nil
  }

  fileprivate func record(_ error: UnsafePointer<xmlError>) {
    guard failure == nil else { return }
    var message = error.pointee.message.map { String(cString: $0) } ?? "XML error"
    while message.last == "\n" || message.last == " " { message.removeLast() }
    failure = (message, Int(error.pointee.line) + lineOffset)
  }

  fileprivate func refuse(_ message: String) {
    if failure == nil { failure = (message, currentLine) }
    if let context { xmlStopParser(context) }
  }

  private static func parser(_ user: UnsafeMutableRawPointer?) -> XMLPushParser {
    Unmanaged<XMLPushParser>.fromOpaque(user!).takeUnretainedValue()
  }

  private static func makeHandler() -> xmlSAXHandler {
    var handler = xmlSAXHandler()
    handler.initialized = UInt32(XML_SAX2_MAGIC)
    handler.startElementNs = { user, localName, prefix, _, _, _, attributeCount, _, attributes in
      let parser = XMLPushParser.parser(user)
      guard parser.failure == nil, let localName else { return }
      parser.depth += 1
      if parser.depth > parser.maxDepth {
        parser.refuse("elements are nested deeper than \(parser.maxDepth) levels")
        return
      }
      parser.sink.startElement(
        prefix: prefix, localName: localName, attributes: attributes,
        count: Int(attributeCount), line: parser.currentLine)
    }
    handler.endElementNs = { user, _, _, _ in
      let parser = XMLPushParser.parser(user)
      guard parser.failure == nil else { return }
      parser.depth -= 1
      parser.sink.endElement()
    }
    handler.characters = { user, bytes, length in
      let parser = XMLPushParser.parser(user)
      guard parser.failure == nil, let bytes else { return }
      parser.sink.text(UnsafeBufferPointer(start: bytes, count: Int(length)))
    }
    handler.cdataBlock = handler.characters
    handler.entityDecl = { user, name, _, _, _, _ in
      let entity = name.map { String(cString: $0) } ?? "?"
      XMLPushParser.parser(user).refuse(
        "entity declarations are refused (found <!ENTITY \(entity) …>): cspipe never expands "
          + "DTD entities, which closes XXE and entity-expansion attacks")
    }
    handler.serror = { user, error in
      guard let user, let error, error.pointee.level == XML_ERR_FATAL else { return }
      XMLPushParser.parser(user).record(error)
    }
    return handler
  }
}
