// jinja2's builtin filters on single values (strings and numbers), with Hugging Face's tojson,
// and the filter table. ref: jinja2/filters.py; each function notes the Python it follows.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <unordered_map>

#include "template/builtins.h"
#include "template/call_args.h"
#include "template/interpreter.h"
#include "template/methods.h"
#include "template/operators.h"
#include "template/py_format.h"
#include "template/unicode.h"

namespace exaone::tmpl {
namespace {

// markupsafe.soft_str: strings (Markup included) as they are, anything else through str().
Value SoftStr(Interpreter& in, const Value& v) {
  return v.IsString() ? v : in.MakeStr(PyStr(v));
}

Value CallStrMethod(Interpreter& in, const Value& s, const std::string& name,
                    std::vector<Value> pos) {
  Value method;
  LookupStrMethod(s, name, &method);
  CallArgs args;
  args.pos = std::move(pos);
  return in.Call(method, args);
}

Value StrMethodFilter(Interpreter& in, const Value& v, CallArgs& args, const char* name) {
  BoundArgs a(name, args, {});
  return CallStrMethod(in, SoftStr(in, v), name, {});
}

Value Upper(Interpreter& in, const Value& v, CallArgs& a) {
  return StrMethodFilter(in, v, a, "upper");
}
Value Lower(Interpreter& in, const Value& v, CallArgs& a) {
  return StrMethodFilter(in, v, a, "lower");
}
Value Capitalize(Interpreter& in, const Value& v, CallArgs& a) {
  return StrMethodFilter(in, v, a, "capitalize");
}

Value Trim(Interpreter& in, const Value& v, CallArgs& args) {
  BoundArgs a("trim", args, {"chars"});
  return CallStrMethod(in, SoftStr(in, v), "strip", {a.Or(0, Value::None())});
}

Value Center(Interpreter& in, const Value& v, CallArgs& args) {
  BoundArgs a("center", args, {"width"});
  return CallStrMethod(in, SoftStr(in, v), "center", {a.Or(0, Value::Int(80))});
}

// do_title: words split at runs of "-", whitespace and opening brackets; first char upper.
Value Title(Interpreter& in, const Value& v, CallArgs& args) {
  BoundArgs a("title", args, {});
  const std::u32string s = ToU32(SoftStr(in, v).AsStr());
  auto is_sep = [](char32_t c) {
    return c == '-' || c == '(' || c == '{' || c == '[' || c == '<' || IsPySpace(c);
  };
  std::u32string out;
  size_t i = 0;
  while (i < s.size()) {
    size_t j = i;
    const bool sep = is_sep(s[i]);
    while (j < s.size() && is_sep(s[j]) == sep) ++j;
    if (sep) {
      out.append(s, i, j - i);
    } else {
      out += PyUpper(s.substr(i, 1));
      out += PyLower(s.substr(i + 1, j - i - 1));
    }
    i = j;
  }
  return in.MakeStr(ToUtf8(out));
}

Value Replace(Interpreter& in, const Value& v, CallArgs& args) {
  BoundArgs a("replace", args, {"old", "new", "count"}, 2);
  Value count = a.Or(2, Value::None());
  if (count.IsNone()) count = Value::Int(-1);
  // With autoescape off jinja2 calls str(s).replace(str(old), str(new), count).
  return CallStrMethod(in, in.MakeStr(PyStr(v)), "replace",
                       {in.MakeStr(PyStr(a.Get(0))), in.MakeStr(PyStr(a.Get(1))), count});
}

Value Default(Interpreter&, const Value& v, CallArgs& args) {
  BoundArgs a("default", args, {"default_value", "boolean"});
  const bool boolean = a.Has(1) && Truthy(a.Get(1));
  if (v.IsUndefined() || (boolean && !Truthy(v))) return a.Or(0, Value::Str(""));
  return v;
}

Value Length(Interpreter&, const Value& v, CallArgs& args) {
  BoundArgs a("length", args, {});
  bool ok;
  const size_t n = PyLen(v, &ok);
  if (!ok) Fail(std::string("object of type '") + PyTypeName(v) + "' has no len()");
  return Value::Int(static_cast<int64_t>(n));
}

Value Safe(Interpreter& in, const Value& v, CallArgs& args) {
  BoundArgs a("safe", args, {});
  return in.MakeStr(PyStr(v), true);
}

Value Escape(Interpreter& in, const Value& v, CallArgs& args) {
  BoundArgs a("escape", args, {});
  if (v.IsSafe()) return v;
  return in.MakeStr(HtmlEscape(PyStr(v)), true);
}

Value ForceEscape(Interpreter& in, const Value& v, CallArgs& args) {
  BoundArgs a("forceescape", args, {});
  return in.MakeStr(HtmlEscape(PyStr(v)), true);
}

Value String(Interpreter& in, const Value& v, CallArgs& args) {
  BoundArgs a("string", args, {});
  return SoftStr(in, v);
}

// Python's float(str): surrounding whitespace, a sign, digits with single underscores between
// them, a fraction, an exponent, or inf/infinity/nan in any case.
bool ParsePyFloat(const std::string& text, double* out) {
  std::u32string s = ToU32(text);
  size_t b = 0, e = s.size();
  while (b < e && IsPySpace(s[b])) ++b;
  while (e > b && IsPySpace(s[e - 1])) --e;
  std::string t;
  for (size_t i = b; i < e; ++i) {
    if (s[i] >= 0x80) return false;
    t += static_cast<char>(s[i]);
  }
  size_t p = (!t.empty() && (t[0] == '+' || t[0] == '-')) ? 1 : 0;
  std::string word;
  for (size_t i = p; i < t.size(); ++i) word += static_cast<char>(t[i] | 0x20);
  if (word == "inf" || word == "infinity" || word == "nan") {
    const double x = word == "nan" ? NAN : INFINITY;
    *out = p && t[0] == '-' ? -x : x;
    return true;
  }
  std::string clean = t.substr(0, p);
  bool digits = false, prev_digit = false;
  for (size_t i = p; i < t.size(); ++i) {
    const char c = t[i];
    if (c == '_') {
      if (!prev_digit || i + 1 >= t.size() || !(t[i + 1] >= '0' && t[i + 1] <= '9')) return false;
      prev_digit = false;
      continue;
    }
    const bool is_digit = c >= '0' && c <= '9';
    if (!is_digit && c != '.' && c != 'e' && c != 'E' && c != '+' && c != '-') return false;
    digits = digits || is_digit;
    prev_digit = is_digit;
    clean += c;
  }
  if (!digits) return false;
  char* end = nullptr;
  *out = std::strtod(clean.c_str(), &end);
  return end && *end == '\0' && clean.find_first_of("xXpP") == std::string::npos;
}

// Python's int(str, base) for bases 2-36: whitespace, sign, an optional matching prefix and
// digits with single underscores between them.
bool ParsePyInt(const std::string& text, int64_t base, int64_t* out) {
  std::u32string s = ToU32(text);
  size_t b = 0, e = s.size();
  while (b < e && IsPySpace(s[b])) ++b;
  while (e > b && IsPySpace(s[e - 1])) --e;
  std::string t;
  for (size_t i = b; i < e; ++i) {
    if (s[i] >= 0x80) return false;
    t += static_cast<char>(s[i]);
  }
  size_t p = 0;
  const bool negative = !t.empty() && t[0] == '-';
  if (!t.empty() && (t[0] == '+' || t[0] == '-')) p = 1;
  if (p + 1 < t.size() && t[p] == '0') {
    const char x = static_cast<char>(t[p + 1] | 0x20);
    if ((x == 'x' && base == 16) || (x == 'o' && base == 8) || (x == 'b' && base == 2)) {
      p += 2;
      if (p < t.size() && t[p] == '_') ++p;
    }
  }
  if (p >= t.size()) return false;
  unsigned __int128 v = 0;
  bool prev_digit = false;
  for (size_t i = p; i < t.size(); ++i) {
    const char c = t[i];
    if (c == '_') {
      if (!prev_digit || i + 1 >= t.size()) return false;
      prev_digit = false;
      continue;
    }
    int d = c >= '0' && c <= '9'                     ? c - '0'
            : (c | 0x20) >= 'a' && (c | 0x20) <= 'z' ? (c | 0x20) - 'a' + 10
                                                     : 99;
    if (d >= base) return false;
    v = v * static_cast<unsigned>(base) + static_cast<unsigned>(d);
    if (v > (static_cast<unsigned __int128>(1) << 63)) Unsupported("integers beyond 64 bits");
    prev_digit = true;
  }
  if (!negative && v > static_cast<unsigned __int128>(INT64_MAX)) {
    Unsupported("integers beyond 64 bits");
  }
  *out = negative ? static_cast<int64_t>(-static_cast<__int128>(v)) : static_cast<int64_t>(v);
  return true;
}

int64_t FloatToInt(double d) {
  if (std::isnan(d)) Fail("cannot convert float NaN to integer");
  if (std::isinf(d)) Fail("cannot convert float infinity to integer");
  if (d >= 9.2233720368547758e18 || d < -9.2233720368547758e18) {
    Unsupported("integers beyond 64 bits");
  }
  return static_cast<int64_t>(d);
}

Value Int(Interpreter&, const Value& v, CallArgs& args) {
  BoundArgs a("int", args, {"default", "base"});
  const Value fallback = a.Or(0, Value::Int(0));
  if (v.IsUndefined()) FailUndefined(v);
  if (v.IsNumber()) {
    return Value::Int(v.kind() == Kind::kFloat ? FloatToInt(v.AsFloat()) : v.AsInt());
  }
  if (v.IsString()) {
    const int64_t base = a.Int(1, 10);
    if (base < 2 || base > 36) Unsupported("int() bases other than 2-36");
    int64_t out;
    if (ParsePyInt(v.AsStr(), base, &out)) return Value::Int(out);
    double d;  // "42.23"|int is 42: jinja2 retries through float()
    if (ParsePyFloat(v.AsStr(), &d) && std::isfinite(d)) return Value::Int(FloatToInt(d));
  }
  return fallback;
}

Value Float(Interpreter&, const Value& v, CallArgs& args) {
  BoundArgs a("float", args, {"default"});
  if (v.IsUndefined()) FailUndefined(v);
  if (v.IsNumber()) return Value::Float(v.AsFloat());
  double d;
  if (v.IsString() && ParsePyFloat(v.AsStr(), &d)) return Value::Float(d);
  return a.Or(0, Value::Float(0.0));
}

Value Abs(Interpreter&, const Value& v, CallArgs& args) {
  BoundArgs a("abs", args, {});
  if (v.kind() == Kind::kFloat) return Value::Float(std::fabs(v.AsFloat()));
  if (v.kind() == Kind::kInt || v.kind() == Kind::kBool) {
    if (v.AsInt() == INT64_MIN) Unsupported("integers beyond 64 bits");
    return Value::Int(v.AsInt() < 0 ? -v.AsInt() : v.AsInt());
  }
  Fail(std::string("bad operand type for abs(): '") + PyTypeName(v) + "'");
}

// Python's round(x, n): correctly rounded, ties to even (printf rounds the same way).
Value Round(Interpreter&, const Value& v, CallArgs& args) {
  BoundArgs a("round", args, {"precision", "method"});
  const int64_t precision = a.Int(0, 0);
  const std::string method = a.Has(1) ? PyStr(a.Get(1)) : "common";
  if (method != "common" && method != "ceil" && method != "floor") {
    Fail("method must be common, ceil or floor");
  }
  if (v.IsUndefined()) FailUndefined(v);
  if (!v.IsNumber()) Fail(std::string("type ") + PyTypeName(v) + " doesn't define __round__");
  if (method == "common") {
    if (v.kind() != Kind::kFloat) {
      if (precision < 0) Unsupported("round() of an integer to negative precision");
      return Value::Int(v.AsInt());
    }
    const double x = v.AsFloat();
    if (!std::isfinite(x) || precision > 323) return Value::Float(x);
    if (precision < 0) Unsupported("round() to negative precision");
    std::string buf(static_cast<size_t>(precision) + 400, '\0');
    std::snprintf(buf.data(), buf.size(), "%.*f", static_cast<int>(precision), x);
    return Value::Float(std::strtod(buf.c_str(), nullptr));
  }
  if (precision < 0 || precision > 22) Unsupported("round() with ceil/floor at this precision");
  const double scale = std::pow(10.0, static_cast<double>(precision));
  const double scaled = v.AsFloat() * scale;
  return Value::Float((method == "ceil" ? std::ceil(scaled) : std::floor(scaled)) / scale);
}

Value Indent(Interpreter& in, const Value& v, CallArgs& args) {
  BoundArgs a("indent", args, {"width", "first", "blank"});
  if (v.IsUndefined()) FailUndefined(v);
  if (!v.IsString()) {
    Fail(std::string("unsupported operand type(s) for +=: '") + PyTypeName(v) + "' and 'str'");
  }
  std::string indention;
  if (a.Has(0) && a.Get(0).IsString()) {
    indention = a.Get(0).AsStr();
  } else {
    const int64_t width = a.Int(0, 4);
    if (width > (1 << 20)) Fail("indent width too large (render limit)");
    indention.assign(static_cast<size_t>(std::max<int64_t>(width, 0)), ' ');
  }
  const bool first = a.Has(1) && Truthy(a.Get(1));
  const bool blank = a.Has(2) && Truthy(a.Get(2));
  Value lines_value = CallStrMethod(in, in.MakeStr(v.AsStr() + "\n"), "splitlines", {});
  const std::vector<Value>& lines = lines_value.Seq().items;
  std::string rv;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) {
      rv += '\n';
      if (blank || !lines[i].AsStr().empty()) rv += indention;
    }
    rv += lines[i].AsStr();
    in.Charge(indention.size() + lines[i].AsStr().size());
  }
  if (first) rv = indention + rv;
  return in.MakeStr(std::move(rv), v.IsSafe());
}

Value WordCount(Interpreter& in, const Value& v, CallArgs& args) {
  BoundArgs a("wordcount", args, {});
  const std::string s = SoftStr(in, v).AsStr();
  if (!IsAscii(s)) Unsupported("wordcount on non-ASCII text");
  int64_t n = 0;
  bool in_word = false;
  for (char c : s) {
    const bool w = c == '_' || (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
    n += w && !in_word;
    in_word = w;
  }
  return Value::Int(n);
}

// Hugging Face's tojson: json.dumps(x, ensure_ascii=False, indent=None, separators=None,
// sort_keys=False), positional arguments in that order.
Value ToJson(Interpreter& in, const Value& v, CallArgs& args) {
  BoundArgs a("tojson", args, {"ensure_ascii", "indent", "separators", "sort_keys"});
  JsonOptions o;
  o.ensure_ascii = a.Has(0) && Truthy(a.Get(0));
  o.sort_keys = a.Has(3) && Truthy(a.Get(3));
  if (a.Has(1) && !a.Get(1).IsNone()) {
    const Value& indent = a.Get(1);
    o.has_indent = true;
    if (indent.IsString()) {
      o.indent = indent.AsStr();
    } else if (indent.kind() == Kind::kInt || indent.kind() == Kind::kBool) {
      if (indent.AsInt() > 1024) Unsupported("tojson indent wider than 1024");
      o.indent.assign(static_cast<size_t>(std::max<int64_t>(indent.AsInt(), 0)), ' ');
    } else {
      Fail(std::string("can't multiply sequence by non-int of type '") + PyTypeName(indent) + "'");
    }
    o.item_separator = ",";
  }
  if (a.Has(2) && !a.Get(2).IsNone()) {
    std::vector<Value> seps = in.Iterate(a.Get(2));
    if (seps.size() != 2) Fail("separators must be a pair (item_separator, key_separator)");
    if (!seps[0].IsString() || !seps[1].IsString()) Fail("separators must be strings");
    o.item_separator = seps[0].AsStr();
    o.key_separator = seps[1].AsStr();
  }
  return in.MakeStr(JsonDumps(v, o));
}

// do_attr: the attribute only, never falling back to obj[name].
Value Attr(Interpreter& in, const Value& v, CallArgs& args) {
  BoundArgs a("attr", args, {"name"}, 1);
  return in.GetAttrOnly(v, PyStr(a.Get(0)));
}

Value NotImplemented(Interpreter&, const Value&, CallArgs&) {
  Unsupported("this filter");
}

const std::unordered_map<std::string_view, FilterFn>& Filters() {
  static const auto* table = new std::unordered_map<std::string_view, FilterFn>{
      {"abs", Abs},
      {"attr", Attr},
      {"batch", FilterBatch},
      {"capitalize", Capitalize},
      {"center", Center},
      {"count", Length},
      {"d", Default},
      {"default", Default},
      {"dictsort", FilterDictSort},
      {"e", Escape},
      {"escape", Escape},
      {"filesizeformat", NotImplemented},
      {"first", FilterFirst},
      {"float", Float},
      {"forceescape", ForceEscape},
      {"format", NotImplemented},
      {"groupby", NotImplemented},
      {"indent", Indent},
      {"int", Int},
      {"items", FilterItems},
      {"join", FilterJoin},
      {"last", FilterLast},
      {"length", Length},
      {"list", FilterList},
      {"lower", Lower},
      {"map", FilterMap},
      {"max", FilterMax},
      {"min", FilterMin},
      {"pprint", NotImplemented},
      {"random", NotImplemented},
      {"reject", FilterReject},
      {"rejectattr", FilterRejectAttr},
      {"replace", Replace},
      {"reverse", FilterReverse},
      {"round", Round},
      {"safe", Safe},
      {"select", FilterSelect},
      {"selectattr", FilterSelectAttr},
      {"slice", NotImplemented},
      {"sort", FilterSort},
      {"string", String},
      {"striptags", NotImplemented},
      {"sum", FilterSum},
      {"title", Title},
      {"tojson", ToJson},
      {"trim", Trim},
      {"truncate", NotImplemented},
      {"unique", FilterUnique},
      {"upper", Upper},
      {"urlencode", NotImplemented},
      {"urlize", NotImplemented},
      {"wordcount", WordCount},
      {"wordwrap", NotImplemented},
      {"xmlattr", NotImplemented},
  };
  return *table;
}

}  // namespace

FilterFn FindFilter(std::string_view name) {
  auto it = Filters().find(name);
  return it == Filters().end() ? nullptr : it->second;
}

Value Interpreter::CallFilter(const std::string& name, const Value& input, CallArgs& args) {
  const FilterFn fn = FindFilter(name);
  if (!fn) Fail("no filter named '" + name + "'");
  if (fn == NotImplemented) Unsupported("the filter '" + name + "'");
  return fn(*this, input, args);
}

}  // namespace exaone::tmpl
