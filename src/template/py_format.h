// Python's text forms of values: str(), repr(), float repr, json.dumps and markupsafe's escape.
// jinja2 prints `{{ x }}` with str(x), which for containers is repr() of the items, and Hugging
// Face's tojson filter is json.dumps; both must match byte for byte.
#pragma once

#include <string>
#include <string_view>

#include "template/value.h"

namespace exaone::tmpl {

std::string PyStr(const Value& v);   // str(x); Undefined prints as ""
std::string PyRepr(const Value& v);  // repr(x)
std::string PyFloatRepr(double d);   // repr(float): 1.0, 0.1, 1e+20, inf
std::string PyStrRepr(std::string_view s);

struct JsonOptions {
  bool ensure_ascii = false;
  bool has_indent = false;  // indent=None means one line
  std::string indent;       // the indent unit when has_indent
  std::string item_separator = ", ";
  std::string key_separator = ": ";
  bool sort_keys = false;
};
// json.dumps(x, ...) for the JSON-compatible values (tuples become arrays); anything else raises
// like Python's "Object of type X is not JSON serializable".
std::string JsonDumps(const Value& v, const JsonOptions& options);

// markupsafe.escape: & < > " ' as HTML entities.
std::string HtmlEscape(std::string_view s);

}  // namespace exaone::tmpl
