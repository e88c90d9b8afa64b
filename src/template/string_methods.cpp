// Python's str methods over code points. A Markup (safe) string keeps its Markup type through the
// methods markupsafe wraps, as jinja2 sees it.
#include <algorithm>
#include <functional>
#include <unordered_map>

#include "template/call_args.h"
#include "template/interpreter.h"
#include "template/methods.h"
#include "template/py_format.h"
#include "template/unicode.h"

namespace exaone::tmpl {
namespace {

using U32 = std::u32string;

struct Self {
  U32 s;
  bool safe;
  Interpreter& in;
  Value Str(const U32& v, bool keep_markup) const {
    return in.MakeStr(ToUtf8(v), keep_markup && safe);
  }
};

using Method = std::function<Value(const Self&, const CallArgs&)>;

U32 ArgU32(const BoundArgs& a, size_t i) {
  const std::string* s = a.Str(i, false);
  return s ? ToU32(*s) : U32();
}

// CPython ADJUST_INDICES for the optional start/end of find, count, startswith, ...
void AdjustIndices(const BoundArgs& a, size_t first, int64_t len, int64_t* start, int64_t* end) {
  auto opt = [&a](size_t i, int64_t fallback) {
    return !a.Has(i) || a.Get(i).IsNone() ? fallback : a.Int(i, fallback);
  };
  *start = opt(first, 0);
  *end = opt(first + 1, len);
  if (*end > len) {
    *end = len;
  } else if (*end < 0) {
    *end = std::max<int64_t>(*end + len, 0);
  }
  if (*start < 0) *start = std::max<int64_t>(*start + len, 0);
}

bool IsStripChar(char32_t c, const U32* chars) {
  return chars ? chars->find(c) != U32::npos : IsPySpace(c);
}

U32 Strip(const U32& s, const U32* chars, bool left, bool right) {
  size_t b = 0, e = s.size();
  while (left && b < e && IsStripChar(s[b], chars)) ++b;
  while (right && e > b && IsStripChar(s[e - 1], chars)) --e;
  return s.substr(b, e - b);
}

Value StripMethod(const Self& self, const CallArgs& args, const char* name, bool l, bool r) {
  BoundArgs a(name, args, {"chars"}, 0, true);
  const std::string* chars = a.Str(0);
  const U32 set = chars ? ToU32(*chars) : U32();
  return self.Str(Strip(self.s, chars ? &set : nullptr, l, r), true);
}

std::vector<U32> Split(const U32& s, const U32* sep, int64_t maxsplit, bool from_right) {
  std::vector<U32> parts;
  if (maxsplit < 0) maxsplit = INT64_MAX;
  if (!sep) {  // runs of whitespace, ignoring leading and trailing whitespace
    if (!from_right) {
      size_t i = 0;
      while (true) {
        while (i < s.size() && IsPySpace(s[i])) ++i;
        if (i >= s.size()) break;
        if (static_cast<int64_t>(parts.size()) == maxsplit) {
          parts.push_back(s.substr(i));  // the rest keeps its trailing whitespace
          break;
        }
        size_t j = i;
        while (j < s.size() && !IsPySpace(s[j])) ++j;
        parts.push_back(s.substr(i, j - i));
        i = j;
      }
      return parts;
    }
    size_t e = s.size();
    while (true) {
      while (e > 0 && IsPySpace(s[e - 1])) --e;
      if (e == 0) break;
      if (static_cast<int64_t>(parts.size()) == maxsplit) {
        parts.push_back(s.substr(0, e));  // the rest keeps its leading whitespace
        break;
      }
      size_t b = e;
      while (b > 0 && !IsPySpace(s[b - 1])) --b;
      parts.push_back(s.substr(b, e - b));
      e = b;
    }
    std::reverse(parts.begin(), parts.end());
    return parts;
  }
  if (sep->empty()) Fail("empty separator");
  if (!from_right) {
    size_t start = 0;
    while (static_cast<int64_t>(parts.size()) < maxsplit) {
      const size_t hit = s.find(*sep, start);
      if (hit == U32::npos) break;
      parts.push_back(s.substr(start, hit - start));
      start = hit + sep->size();
    }
    parts.push_back(s.substr(start));
    return parts;
  }
  size_t end = s.size();
  while (static_cast<int64_t>(parts.size()) < maxsplit && end >= sep->size()) {
    const size_t hit = s.rfind(*sep, end - sep->size());
    if (hit == U32::npos) break;
    parts.push_back(s.substr(hit + sep->size(), end - hit - sep->size()));
    end = hit;
  }
  parts.push_back(s.substr(0, end));
  std::reverse(parts.begin(), parts.end());
  return parts;
}

Value SplitMethod(const Self& self, const CallArgs& args, bool from_right) {
  BoundArgs a(from_right ? "rsplit" : "split", args, {"sep", "maxsplit"});
  const std::string* sep = a.Str(0);
  const U32 sep32 = sep ? ToU32(*sep) : U32();
  std::vector<Value> out;
  for (const U32& part : Split(self.s, sep ? &sep32 : nullptr, a.Int(1, -1), from_right)) {
    out.push_back(self.Str(part, true));
  }
  return self.in.MakeList(std::move(out));
}

Value SplitLines(const Self& self, const CallArgs& args) {
  BoundArgs a("splitlines", args, {"keepends"});
  const bool keep = a.Has(0) && Truthy(a.Get(0));
  std::vector<Value> out;
  const U32& s = self.s;
  size_t i = 0;
  while (i < s.size()) {
    size_t j = i;
    while (j < s.size() && !IsPyLineBreak(s[j])) ++j;
    size_t eol = j;
    if (j < s.size()) eol = (s[j] == '\r' && j + 1 < s.size() && s[j + 1] == '\n') ? j + 2 : j + 1;
    out.push_back(self.Str(s.substr(i, (keep ? eol : j) - i), true));
    i = eol;
  }
  return self.in.MakeList(std::move(out));
}

int64_t Find(const Self& self, const CallArgs& args, const char* name, bool reverse) {
  BoundArgs a(name, args, {"sub", "start", "end"}, 1, true);
  const U32 sub = ArgU32(a, 0);
  int64_t start, end;
  AdjustIndices(a, 1, static_cast<int64_t>(self.s.size()), &start, &end);
  if (end - start < static_cast<int64_t>(sub.size())) return -1;
  const U32 window = self.s.substr(static_cast<size_t>(start), static_cast<size_t>(end - start));
  const size_t hit = reverse ? window.rfind(sub) : window.find(sub);
  return hit == U32::npos ? -1 : start + static_cast<int64_t>(hit);
}

Value Count(const Self& self, const CallArgs& args) {
  BoundArgs a("count", args, {"sub", "start", "end"}, 1, true);
  const U32 sub = ArgU32(a, 0);
  int64_t start, end;
  AdjustIndices(a, 1, static_cast<int64_t>(self.s.size()), &start, &end);
  if (end - start < static_cast<int64_t>(sub.size())) return Value::Int(0);
  if (sub.empty()) return Value::Int(end - start + 1);
  int64_t n = 0;
  for (size_t p = static_cast<size_t>(start);
       (p = self.s.find(sub, p)) != U32::npos && p + sub.size() <= static_cast<size_t>(end);
       p += sub.size()) {
    ++n;
  }
  return Value::Int(n);
}

Value StartsEnds(const Self& self, const CallArgs& args, bool ends) {
  const char* name = ends ? "endswith" : "startswith";
  BoundArgs a(name, args, {"prefix", "start", "end"}, 1, true);
  std::vector<U32> options;
  const Value& p = a.Get(0);
  if (p.kind() == Kind::kTuple) {
    for (const Value& item : p.Seq().items) {
      if (!item.IsString()) Fail(std::string("tuple for ") + name + " must only contain str");
      options.push_back(ToU32(item.AsStr()));
    }
  } else if (p.IsString()) {
    options.push_back(ToU32(p.AsStr()));
  } else {
    Fail(std::string(name) + " first arg must be str or a tuple of str, not " + PyTypeName(p));
  }
  const int64_t len = static_cast<int64_t>(self.s.size());
  int64_t start, end;
  AdjustIndices(a, 1, len, &start, &end);
  for (const U32& o : options) {
    const int64_t n = static_cast<int64_t>(o.size());
    if (start > len || end - start < n) continue;
    const int64_t at = ends ? end - n : start;
    if (self.s.compare(static_cast<size_t>(at), o.size(), o) == 0) return Value::Bool(true);
  }
  return Value::Bool(false);
}

Value Replace(const Self& self, const CallArgs& args) {
  BoundArgs a("replace", args, {"old", "new", "count"}, 2, true);
  const U32 old_s = ArgU32(a, 0);
  U32 new_s = ArgU32(a, 1);
  if (self.safe && !a.Get(1).IsSafe()) new_s = ToU32(HtmlEscape(a.Get(1).AsStr()));
  int64_t count = a.Int(2, -1);
  if (count < 0) count = INT64_MAX;
  const U32& s = self.s;
  U32 out;
  if (old_s.empty()) {  // Python inserts `new` before every character and at the end
    int64_t done = 0;
    for (size_t i = 0; i <= s.size(); ++i) {
      if (done < count) {
        self.in.Charge(new_s.size() * 4);
        out += new_s;
        ++done;
      }
      if (i < s.size()) out += s[i];
    }
    return self.Str(out, true);
  }
  size_t start = 0;
  for (int64_t done = 0; done < count; ++done) {
    const size_t hit = s.find(old_s, start);
    if (hit == U32::npos) break;
    self.in.Charge(new_s.size() * 4);
    out.append(s, start, hit - start);
    out += new_s;
    start = hit + old_s.size();
  }
  out.append(s, start, U32::npos);
  return self.Str(out, true);
}

Value Justify(const Self& self, const CallArgs& args, const char* name) {
  BoundArgs a(name, args, {"width", "fillchar"}, 1, true);
  const int64_t width = a.Int(0, 0);
  U32 fill = U" ";
  if (a.Has(1)) {
    const std::string* f = a.Str(1, false);
    fill = ToU32(self.safe ? HtmlEscape(*f) : *f);
    if (fill.size() != 1) Fail("The fill character must be exactly one character long");
  }
  const int64_t len = static_cast<int64_t>(self.s.size());
  if (width <= len) return self.Str(self.s, true);
  if (width > (int64_t{1} << 30)) Fail("result too large (render limit)");
  self.in.Charge(static_cast<size_t>(width) * 4);
  const int64_t marg = width - len;
  int64_t left = 0;
  if (std::string(name) == "center") {
    left = marg / 2 + (marg & width & 1);  // ref: CPython unicode_center_impl
  } else if (std::string(name) == "rjust") {
    left = marg;
  }
  U32 out(static_cast<size_t>(left), fill[0]);
  out += self.s;
  out.append(static_cast<size_t>(marg - left), fill[0]);
  return self.Str(out, true);
}

Value Join(const Self& self, const CallArgs& args) {
  BoundArgs a("join", args, {"iterable"}, 1, true);
  std::string out;
  const std::string sep = ToUtf8(self.s);
  size_t i = 0;
  for (const Value& item : self.in.Iterate(a.Get(0))) {
    if (i) out += sep;
    if (self.safe) {  // Markup.join escapes whatever is not already Markup
      out += item.IsSafe() ? item.AsStr() : HtmlEscape(PyStr(item));
    } else if (!item.IsString()) {
      Fail("sequence item " + std::to_string(i) + ": expected str instance, " + PyTypeName(item) +
           " found");
    } else {
      out += item.AsStr();
    }
    ++i;
  }
  return self.in.MakeStr(std::move(out), self.safe);
}

Value Partition(const Self& self, const CallArgs& args, bool from_right) {
  BoundArgs a(from_right ? "rpartition" : "partition", args, {"sep"}, 1, true);
  const U32 sep = ArgU32(a, 0);
  if (sep.empty()) Fail("empty separator");
  const size_t hit = from_right ? self.s.rfind(sep) : self.s.find(sep);
  std::vector<Value> parts;
  if (hit == U32::npos) {
    parts = from_right ? std::vector<Value>{self.Str(U32(), true), self.Str(U32(), true),
                                            self.Str(self.s, true)}
                       : std::vector<Value>{self.Str(self.s, true), self.Str(U32(), true),
                                            self.Str(U32(), true)};
  } else {
    parts = {self.Str(self.s.substr(0, hit), true), self.Str(sep, true),
             self.Str(self.s.substr(hit + sep.size()), true)};
  }
  return Value::Tuple(std::move(parts));
}

// is* predicates that need Unicode categories beyond the generated tables work on ASCII only.
Value AsciiPredicate(const Self& self, const char* name, bool (*pred)(char32_t)) {
  for (char32_t c : self.s) {
    if (c >= 0x80) Unsupported(std::string("str.") + name + "() on non-ASCII text");
  }
  if (self.s.empty()) return Value::Bool(false);
  return Value::Bool(std::all_of(self.s.begin(), self.s.end(), pred));
}

bool IsAsciiDigit(char32_t c) {
  return c >= '0' && c <= '9';
}
bool IsAsciiAlpha(char32_t c) {
  return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}
bool IsAsciiAlnum(char32_t c) {
  return IsAsciiDigit(c) || IsAsciiAlpha(c);
}

Value IsTitle(const Self& self) {
  bool cased = false, previous_cased = false;
  for (char32_t c : self.s) {
    if (IsPyUpper(c) || IsPyTitle(c)) {
      if (previous_cased) return Value::Bool(false);
      previous_cased = cased = true;
    } else if (IsPyLower(c)) {
      if (!previous_cased) return Value::Bool(false);
      previous_cased = cased = true;
    } else {
      previous_cased = false;
    }
  }
  return Value::Bool(cased);
}

Value NoArgs(const CallArgs& args, const char* name, const std::function<Value()>& fn) {
  BoundArgs a(name, args, {}, 0, true);
  return fn();
}

const std::unordered_map<std::string, Method>& Methods() {
  static const auto* table = new std::unordered_map<std::string, Method>{
      {"strip",
       [](const Self& s, const CallArgs& a) { return StripMethod(s, a, "strip", true, true); }},
      {"lstrip",
       [](const Self& s, const CallArgs& a) { return StripMethod(s, a, "lstrip", true, false); }},
      {"rstrip",
       [](const Self& s, const CallArgs& a) { return StripMethod(s, a, "rstrip", false, true); }},
      {"split", [](const Self& s, const CallArgs& a) { return SplitMethod(s, a, false); }},
      {"rsplit", [](const Self& s, const CallArgs& a) { return SplitMethod(s, a, true); }},
      {"splitlines", SplitLines},
      {"find",
       [](const Self& s, const CallArgs& a) { return Value::Int(Find(s, a, "find", false)); }},
      {"rfind",
       [](const Self& s, const CallArgs& a) { return Value::Int(Find(s, a, "rfind", true)); }},
      {"index",
       [](const Self& s, const CallArgs& a) {
         const int64_t i = Find(s, a, "index", false);
         if (i < 0) Fail("substring not found");
         return Value::Int(i);
       }},
      {"rindex",
       [](const Self& s, const CallArgs& a) {
         const int64_t i = Find(s, a, "rindex", true);
         if (i < 0) Fail("substring not found");
         return Value::Int(i);
       }},
      {"count", Count},
      {"startswith", [](const Self& s, const CallArgs& a) { return StartsEnds(s, a, false); }},
      {"endswith", [](const Self& s, const CallArgs& a) { return StartsEnds(s, a, true); }},
      {"replace", Replace},
      {"center", [](const Self& s, const CallArgs& a) { return Justify(s, a, "center"); }},
      {"ljust", [](const Self& s, const CallArgs& a) { return Justify(s, a, "ljust"); }},
      {"rjust", [](const Self& s, const CallArgs& a) { return Justify(s, a, "rjust"); }},
      {"join", Join},
      {"partition", [](const Self& s, const CallArgs& a) { return Partition(s, a, false); }},
      {"rpartition", [](const Self& s, const CallArgs& a) { return Partition(s, a, true); }},
      {"upper",
       [](const Self& s, const CallArgs& a) {
         return NoArgs(a, "upper", [&] { return s.Str(PyUpper(s.s), true); });
       }},
      {"lower",
       [](const Self& s, const CallArgs& a) {
         return NoArgs(a, "lower", [&] { return s.Str(PyLower(s.s), true); });
       }},
      {"title",
       [](const Self& s, const CallArgs& a) {
         return NoArgs(a, "title", [&] { return s.Str(PyTitle(s.s), true); });
       }},
      {"capitalize",
       [](const Self& s, const CallArgs& a) {
         return NoArgs(a, "capitalize", [&] { return s.Str(PyCapitalize(s.s), true); });
       }},
      {"swapcase",
       [](const Self& s, const CallArgs& a) {
         return NoArgs(a, "swapcase", [&] { return s.Str(PySwapCase(s.s), true); });
       }},
      {"removeprefix",
       [](const Self& s, const CallArgs& a) {
         BoundArgs b("removeprefix", a, {"prefix"}, 1, true);
         const U32 p = ArgU32(b, 0);
         const bool hit = s.s.compare(0, p.size(), p) == 0;
         return s.Str(hit ? s.s.substr(p.size()) : s.s, true);
       }},
      {"removesuffix",
       [](const Self& s, const CallArgs& a) {
         BoundArgs b("removesuffix", a, {"suffix"}, 1, true);
         const U32 p = ArgU32(b, 0);
         const bool hit =
             p.size() <= s.s.size() && s.s.compare(s.s.size() - p.size(), p.size(), p) == 0;
         return s.Str(hit && !p.empty() ? s.s.substr(0, s.s.size() - p.size()) : s.s, true);
       }},
      {"isspace",
       [](const Self& s, const CallArgs& a) {
         return NoArgs(a, "isspace", [&] {
           return Value::Bool(!s.s.empty() && std::all_of(s.s.begin(), s.s.end(), IsPySpace));
         });
       }},
      {"islower",
       [](const Self& s, const CallArgs& a) {
         return NoArgs(a, "islower", [&] { return Value::Bool(PyIsLower(s.s)); });
       }},
      {"isupper",
       [](const Self& s, const CallArgs& a) {
         return NoArgs(a, "isupper", [&] { return Value::Bool(PyIsUpper(s.s)); });
       }},
      {"istitle",
       [](const Self& s, const CallArgs& a) {
         return NoArgs(a, "istitle", [&] { return IsTitle(s); });
       }},
      {"isascii",
       [](const Self& s, const CallArgs& a) {
         return NoArgs(a, "isascii", [&] {
           return Value::Bool(
               std::all_of(s.s.begin(), s.s.end(), [](char32_t c) { return c < 0x80; }));
         });
       }},
      {"isprintable",
       [](const Self& s, const CallArgs& a) {
         return NoArgs(a, "isprintable", [&] {
           return Value::Bool(std::all_of(s.s.begin(), s.s.end(), IsPyPrintable));
         });
       }},
      {"isdigit",
       [](const Self& s, const CallArgs& a) {
         return NoArgs(a, "isdigit", [&] { return AsciiPredicate(s, "isdigit", IsAsciiDigit); });
       }},
      {"isdecimal",
       [](const Self& s, const CallArgs& a) {
         return NoArgs(a, "isdecimal",
                       [&] { return AsciiPredicate(s, "isdecimal", IsAsciiDigit); });
       }},
      {"isnumeric",
       [](const Self& s, const CallArgs& a) {
         return NoArgs(a, "isnumeric",
                       [&] { return AsciiPredicate(s, "isnumeric", IsAsciiDigit); });
       }},
      {"isalpha",
       [](const Self& s, const CallArgs& a) {
         return NoArgs(a, "isalpha", [&] { return AsciiPredicate(s, "isalpha", IsAsciiAlpha); });
       }},
      {"isalnum",
       [](const Self& s, const CallArgs& a) {
         return NoArgs(a, "isalnum", [&] { return AsciiPredicate(s, "isalnum", IsAsciiAlnum); });
       }},
  };
  return *table;
}

// str attributes Python has but this engine does not implement: calling them is an error.
constexpr std::string_view kUnimplemented[] = {
    "casefold",     "encode",    "expandtabs", "format", "format_map",
    "isidentifier", "maketrans", "translate",  "zfill",
};

}  // namespace

bool LookupStrMethod(const Value& self, const std::string& name, Value* out) {
  const auto& table = Methods();
  auto it = table.find(name);
  if (it != table.end()) {
    const Method* method = &it->second;
    *out =
        Value::Function(FunctionKind::kMethod, name, [self, method](Interpreter& in, CallArgs& a) {
          const Self s{ToU32(self.AsStr()), self.IsSafe(), in};
          return (*method)(s, a);
        });
    return true;
  }
  for (std::string_view u : kUnimplemented) {
    if (u == name) {
      *out = Value::Function(FunctionKind::kMethod, name, [name](Interpreter&, CallArgs&) -> Value {
        Unsupported("str." + name + "()");
      });
      return true;
    }
  }
  return false;
}

}  // namespace exaone::tmpl
