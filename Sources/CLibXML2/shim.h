// The parts of libxml2 cspipe uses: the SAX2 push parser and its error reporting.
#include <libxml/xmlversion.h>
// Debian builds libxml2 with ICU, and encoding.h then includes the system ICU headers. Those
// clash with the copy of ICU that Swift's Foundation carries ("'UErrorCode' has different
// definitions in different modules"), so we hide them: cspipe never touches the ICU-dependent
// encoder fields, and the parser context only points to them.
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>
#include <libxml/xmlerror.h>
