#include "template/py_format.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "template/errors.h"
#include "template/unicode.h"

namespace exaone::tmpl {
namespace {

void CheckDepth(int depth) {
  if (depth > kMaxNesting) Fail("values nested too deeply to print");
}

void AppendHex(std::string& out, const char* prefix, uint32_t v, int digits) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%s%0*x", prefix, digits, v);
  out += buf;
}

void ReprInto(const Value& v, std::string& out, int depth);

void ReprItems(const std::vector<Value>& items, std::string& out, int depth) {
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ", ";
    ReprInto(items[i], out, depth + 1);
  }
}

void ReprDict(const DictObj& d, std::string& out, int depth) {
  out += '{';
  bool first = true;
  for (const auto& [k, v] : d.entries()) {
    if (!first) out += ", ";
    first = false;
    ReprInto(k, out, depth + 1);
    out += ": ";
    ReprInto(v, out, depth + 1);
  }
  out += '}';
}

void SeqInto(const Value& v, std::string& out, int depth) {
  const ListObj& l = v.Seq();
  if (v.kind() == Kind::kTuple) {
    out += '(';
    ReprItems(l.items, out, depth);
    if (l.items.size() == 1) out += ',';
    out += ')';
    return;
  }
  switch (l.flavor) {
    case SeqFlavor::kPlain:
      out += '[';
      ReprItems(l.items, out, depth);
      out += ']';
      return;
    case SeqFlavor::kRange:
      out += "range(" + std::to_string(l.range_start) + ", " + std::to_string(l.range_stop);
      if (l.range_step != 1) out += ", " + std::to_string(l.range_step);
      out += ')';
      return;
    case SeqFlavor::kKeys:
    case SeqFlavor::kValues:
    case SeqFlavor::kItems:
      out += PyTypeName(v);
      out += "([";
      ReprItems(l.items, out, depth);
      out += "])";
      return;
    case SeqFlavor::kGenerator:
      // Python prints "<generator object ... at 0x...>", an address no template can rely on.
      Unsupported("printing a generator (the result of map, select, items, ...; add |list)");
  }
}

void ReprInto(const Value& v, std::string& out, int depth) {
  CheckDepth(depth);
  switch (v.kind()) {
    case Kind::kUndefined:
      out += "Undefined";
      return;
    case Kind::kString:
      if (v.IsSafe()) {
        out += "Markup(" + PyStrRepr(v.AsStr()) + ")";
      } else {
        out += PyStrRepr(v.AsStr());
      }
      return;
    case Kind::kList:
    case Kind::kTuple:
      SeqInto(v, out, depth);
      return;
    case Kind::kDict:
      ReprDict(v.Dict(), out, depth);
      return;
    case Kind::kNamespace:
      out += "<Namespace ";
      ReprDict(v.Dict(), out, depth);
      out += '>';
      return;
    default:
      out += PyStr(v);
  }
}

void JsonString(std::string_view s, bool ensure_ascii, std::string& out) {
  out += '"';
  std::u32string cps = ToU32(s);
  for (char32_t c : cps) {
    switch (c) {
      case '"':
        out += "\\\"";
        continue;
      case '\\':
        out += "\\\\";
        continue;
      case '\n':
        out += "\\n";
        continue;
      case '\r':
        out += "\\r";
        continue;
      case '\t':
        out += "\\t";
        continue;
      case '\b':
        out += "\\b";
        continue;
      case '\f':
        out += "\\f";
        continue;
      default:
        break;
    }
    if (c < 0x20 || (ensure_ascii && c >= 0x7f)) {
      if (c >= 0x10000) {  // a UTF-16 surrogate pair, as json.dumps writes it
        const uint32_t v = c - 0x10000;
        AppendHex(out, "\\u", 0xd800 | (v >> 10), 4);
        AppendHex(out, "\\u", 0xdc00 | (v & 0x3ff), 4);
      } else {
        AppendHex(out, "\\u", c, 4);
      }
    } else {
      AppendUtf8(out, c);
    }
  }
  out += '"';
}

std::string JsonFloat(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  return PyFloatRepr(d);
}

class JsonWriter {
 public:
  explicit JsonWriter(const JsonOptions& o) : o_(o) {}

  void Write(const Value& v, int level, int depth) {
    CheckDepth(depth);
    switch (v.kind()) {
      case Kind::kNone:
        out_ += "null";
        return;
      case Kind::kBool:
        out_ += v.AsBool() ? "true" : "false";
        return;
      case Kind::kInt:
        out_ += std::to_string(v.AsInt());
        return;
      case Kind::kFloat:
        out_ += JsonFloat(v.AsFloat());
        return;
      case Kind::kString:
        JsonString(v.AsStr(), o_.ensure_ascii, out_);
        return;
      case Kind::kList:
      case Kind::kTuple:
        if (v.Seq().flavor != SeqFlavor::kPlain) break;
        WriteList(v.Seq().items, level, depth);
        return;
      case Kind::kDict:
        WriteDict(v.Dict(), level, depth);
        return;
      default:
        break;
    }
    Fail(std::string("Object of type ") + PyTypeName(v) + " is not JSON serializable");
  }

  std::string& out() { return out_; }

 private:
  void Newline(int level) {
    out_ += '\n';
    for (int i = 0; i < level; ++i) out_ += o_.indent;
  }

  void WriteList(const std::vector<Value>& items, int level, int depth) {
    if (items.empty()) {
      out_ += "[]";
      return;
    }
    out_ += '[';
    if (o_.has_indent) Newline(level + 1);
    for (size_t i = 0; i < items.size(); ++i) {
      if (i) {
        out_ += o_.item_separator;
        if (o_.has_indent) Newline(level + 1);
      }
      Write(items[i], level + 1, depth + 1);
    }
    if (o_.has_indent) Newline(level);
    out_ += ']';
  }

  static std::string KeyText(const Value& k) {
    switch (k.kind()) {
      case Kind::kString:
        return k.AsStr();
      case Kind::kFloat:
        return JsonFloat(k.AsFloat());
      case Kind::kBool:
        return k.AsBool() ? "true" : "false";
      case Kind::kNone:
        return "null";
      case Kind::kInt:
        return std::to_string(k.AsInt());
      default:
        Fail(std::string("keys must be str, int, float, bool or None, not ") + PyTypeName(k));
    }
  }

  void WriteDict(const DictObj& d, int level, int depth) {
    if (d.size() == 0) {
      out_ += "{}";
      return;
    }
    std::vector<const std::pair<Value, Value>*> items;
    for (const auto& e : d.entries()) items.push_back(&e);
    if (o_.sort_keys) SortKeys(items);
    out_ += '{';
    if (o_.has_indent) Newline(level + 1);
    for (size_t i = 0; i < items.size(); ++i) {
      if (i) {
        out_ += o_.item_separator;
        if (o_.has_indent) Newline(level + 1);
      }
      JsonString(KeyText(items[i]->first), o_.ensure_ascii, out_);
      out_ += o_.key_separator;
      Write(items[i]->second, level + 1, depth + 1);
    }
    if (o_.has_indent) Newline(level);
    out_ += '}';
  }

  // sorted(d.items()) compares the keys, which must be all strings or all numbers.
  static void SortKeys(std::vector<const std::pair<Value, Value>*>& items) {
    const bool strings = items[0]->first.IsString();
    for (const auto* e : items) {
      const Value& k = e->first;
      if (strings ? !k.IsString() : !k.IsNumber()) {
        Fail(std::string("'<' not supported between instances of '") + PyTypeName(k) + "' and '" +
             PyTypeName(items[0]->first) + "'");
      }
    }
    std::stable_sort(items.begin(), items.end(), [strings](const auto* a, const auto* b) {
      if (strings) return a->first.AsStr() < b->first.AsStr();
      return a->first.AsFloat() < b->first.AsFloat();
    });
  }

  const JsonOptions& o_;
  std::string out_;
};

}  // namespace

std::string PyFloatRepr(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  std::string out;
  size_t pos = 0;
  if (sci[0] == '-') {
    out += '-';
    pos = 1;
  }
  const size_t e = sci.find('e');
  std::string digits;
  for (size_t i = pos; i < e; ++i) {
    if (sci[i] != '.') digits += sci[i];
  }
  const int exponent = std::stoi(sci.substr(e + 1));
  // ref: CPython Python/pystrtod.c format_float_short, mode 'r': positional notation when the
  // decimal point position is in (-4, 16], exponent notation otherwise.
  const int decpt = exponent + 1;
  const int n = static_cast<int>(digits.size());
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) {
      out += "0.";
      out.append(static_cast<size_t>(-decpt), '0');
      out += digits;
    } else if (decpt >= n) {
      out += digits;
      out.append(static_cast<size_t>(decpt - n), '0');
      out += ".0";
    } else {
      out.append(digits, 0, static_cast<size_t>(decpt));
      out += '.';
      out.append(digits, static_cast<size_t>(decpt));
    }
    return out;
  }
  out += digits[0];
  if (n > 1) {
    out += '.';
    out.append(digits, 1);
  }
  char exp[16];
  std::snprintf(exp, sizeof exp, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
  return out + exp;
}

std::string PyStrRepr(std::string_view s) {
  const bool has_single = s.find('\'') != std::string_view::npos;
  const bool has_double = s.find('"') != std::string_view::npos;
  const char quote = has_single && !has_double ? '"' : '\'';
  std::string out(1, quote);
  for (char32_t c : ToU32(s)) {
    if (c == static_cast<char32_t>(quote) || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (IsPyPrintable(c)) {
      AppendUtf8(out, c);
    } else if (c <= 0xff) {
      AppendHex(out, "\\x", c, 2);
    } else if (c <= 0xffff) {
      AppendHex(out, "\\u", c, 4);
    } else {
      AppendHex(out, "\\U", c, 8);
    }
  }
  out += quote;
  return out;
}

std::string PyStr(const Value& v) {
  switch (v.kind()) {
    case Kind::kUndefined:
      return "";
    case Kind::kNone:
      return "None";
    case Kind::kBool:
      return v.AsBool() ? "True" : "False";
    case Kind::kInt:
      return std::to_string(v.AsInt());
    case Kind::kFloat:
      return PyFloatRepr(v.AsFloat());
    case Kind::kString:
      return v.AsStr();
    case Kind::kList:
    case Kind::kTuple:
    case Kind::kDict:
    case Kind::kNamespace: {
      std::string out;
      ReprInto(v, out, 0);
      return out;
    }
    case Kind::kFunction:
      if (v.Function().kind == FunctionKind::kMacro) return "<Macro '" + v.Function().name + "'>";
      // Python prints the function's address.
      Unsupported("printing the function '" + v.Function().name + "'");
    case Kind::kLoop: {
      const LoopObj& l = v.Loop();
      return "<LoopContext " + std::to_string(l.index0 + 1) + "/" +
             std::to_string(l.items->size()) + ">";
    }
  }
  return "";
}

std::string PyRepr(const Value& v) {
  std::string out;
  ReprInto(v, out, 0);
  return out;
}

std::string JsonDumps(const Value& v, const JsonOptions& options) {
  JsonWriter w(options);
  w.Write(v, 0, 0);
  return std::move(w.out());
}

std::string HtmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace exaone::tmpl
