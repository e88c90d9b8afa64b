#include "constrain/regex.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "base/error.h"

namespace exaone::constrain {
namespace {

using Ranges = std::vector<std::pair<uint32_t, uint32_t>>;  // code point ranges, inclusive

constexpr uint32_t kMaxCp = 0x10FFFF;
constexpr int64_t kMaxCount = 1000;
constexpr int kMaxDepth = 256;  // nested groups

// One code point of well-formed UTF-8 at the start of `s` (0 bytes taken when ill-formed).
uint32_t DecodeOne(std::string_view s, size_t& len) {
  len = 0;
  if (s.empty()) return 0;
  const auto b0 = static_cast<uint8_t>(s[0]);
  int n;
  uint32_t cp;
  if (b0 < 0x80) {
    len = 1;
    return b0;
  } else if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2, cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3, cp = b0 & 0x0F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4, cp = b0 & 0x07;
  } else {
    return 0;
  }
  if (s.size() < static_cast<size_t>(n)) return 0;
  for (int i = 1; i < n; ++i) {
    const auto b = static_cast<uint8_t>(s[i]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  const uint32_t min = n == 2 ? 0x80 : n == 3 ? 0x800 : 0x10000;
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  len = static_cast<size_t>(n);
  return cp;
}

Ranges Normalize(Ranges r) {
  std::sort(r.begin(), r.end());
  Ranges out;
  for (const auto& [lo, hi] : r) {
    if (!out.empty() && lo <= out.back().second + 1) {
      out.back().second = std::max(out.back().second, hi);
    } else {
      out.emplace_back(lo, hi);
    }
  }
  return out;
}

Ranges Complement(const Ranges& r) {
  Ranges n = Normalize(r), out;
  uint32_t next = 0;
  for (const auto& [lo, hi] : n) {
    if (lo > next) out.emplace_back(next, lo - 1);
    next = hi + 1;
  }
  if (next <= kMaxCp) out.emplace_back(next, kMaxCp);
  return out;
}

const Ranges& Digits() {
  static const Ranges r = {{'0', '9'}};
  return r;
}
const Ranges& Word() {
  static const Ranges r = {{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}};
  return r;
}
const Ranges& Space() {
  static const Ranges r = {{'\t', '\r'},     {' ', ' '},       {0xA0, 0xA0},     {0x1680, 0x1680},
                           {0x2000, 0x200A}, {0x2028, 0x2029}, {0x202F, 0x202F}, {0x205F, 0x205F},
                           {0x3000, 0x3000}, {0xFEFF, 0xFEFF}};
  return r;
}
const Ranges& LineTerminators() {
  static const Ranges r = {{'\n', '\n'}, {'\r', '\r'}, {0x2028, 0x2029}};
  return r;
}

class Parser {
 public:
  Parser(Grammar& g, std::string_view p, RegexText text) : g_(g), p_(p), text_(text) {}

  uint32_t Compile(bool search) {
    bool start = false, end = false;
    if (!p_.empty() && p_[0] == '^') {
      start = true;
      pos_ = 1;
    }
    if (p_.size() > pos_ && p_.back() == '$' && !Escaped(p_.size() - 1)) {
      end = true;
      p_ = p_.substr(0, p_.size() - 1);
    }
    const uint32_t body = Alternation();
    if (pos_ != p_.size()) Fail("unbalanced ')'");
    if (!search || (start && end)) {
      return body;
    }
    const uint32_t any = g_.Star({Element::Ref(Chars({{0, kMaxCp}}))}, "regex-any");
    Sequence seq;
    if (!start) seq.push_back(Element::Ref(any));
    seq.push_back(Element::Ref(body));
    if (!end) seq.push_back(Element::Ref(any));
    const uint32_t r = g_.NewRule("regex-search");
    g_.AddAlternative(r, std::move(seq));
    return r;
  }

 private:
  [[noreturn]] void Fail(const std::string& msg) const {
    throw Error(ErrorCode::kInvalidArgument,
                "regex '" + std::string(p_) + "' at " + std::to_string(pos_) + ": " + msg);
  }

  bool Escaped(size_t i) const {
    size_t n = 0;
    while (i > n && p_[i - n - 1] == '\\') ++n;
    return n % 2 == 1;
  }

  bool More() const { return pos_ < p_.size(); }
  char Peek() const { return p_[pos_]; }

  uint32_t Cp() {
    size_t len = 0;
    const uint32_t cp = DecodeOne(p_.substr(pos_), len);
    if (len == 0) Fail("the pattern is not valid UTF-8");
    pos_ += len;
    return cp;
  }

  // A rule taking one character of `ranges`, written as the text form asks.
  uint32_t Chars(const Ranges& ranges) {
    const uint32_t r = g_.NewRule("regex-chars");
    for (const auto& [lo, hi] : Normalize(ranges)) {
      if (text_ == RegexText::kRaw) {
        g_.AddUtf8Range(r, lo, hi);
        continue;
      }
      // JSON string: controls, '"' and '\' as escapes, the rest as themselves.
      for (uint32_t c = lo; c <= std::min<uint32_t>(hi, 0x1F); ++c) {
        static const char* kShort[] = {"b", "t", "n", nullptr, "f", "r"};
        std::string esc;
        if (c >= 8 && c <= 13 && kShort[c - 8] != nullptr) {
          esc = std::string("\\") + kShort[c - 8];
        } else {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          esc = buf;
        }
        g_.AddAlternative(r, Grammar::Literal(esc));
      }
      const uint32_t from = std::max<uint32_t>(lo, 0x20);
      for (uint32_t special : {0x22u, 0x5Cu}) {
        if (special >= lo && special <= hi) {
          g_.AddAlternative(r, Grammar::Literal(special == 0x22 ? "\\\"" : "\\\\"));
        }
      }
      // The plain characters of [from, hi] without '"' and '\'.
      uint32_t a = from;
      for (uint32_t special : {0x22u, 0x5Cu, kMaxCp + 1}) {
        const uint32_t b = std::min(hi, special - 1);
        if (a <= b && a <= hi) g_.AddUtf8Range(r, a, b);
        a = std::max(a, special + 1);
        if (a > hi) break;
      }
    }
    if (g_.alternatives(r).empty()) Fail("a class that matches nothing");
    return r;
  }

  uint32_t Alternation() {
    const uint32_t r = g_.NewRule("regex-alt");
    g_.AddAlternative(r, Concatenation());
    while (More() && Peek() == '|') {
      ++pos_;
      g_.AddAlternative(r, Concatenation());
    }
    return r;
  }

  Sequence Concatenation() {
    Sequence seq;
    while (More() && Peek() != '|' && Peek() != ')') {
      const uint32_t atom = Atom();
      seq.push_back(Element::Ref(Quantified(atom)));
    }
    return seq;
  }

  int64_t Number() {
    if (!More() || Peek() < '0' || Peek() > '9') Fail("a number was expected");
    int64_t v = 0;
    while (More() && Peek() >= '0' && Peek() <= '9') {
      v = v * 10 + (Peek() - '0');
      if (v > kMaxCount) Fail("counts above " + std::to_string(kMaxCount) + " are not supported");
      ++pos_;
    }
    return v;
  }

  uint32_t Quantified(uint32_t atom) {
    if (!More()) return atom;
    int64_t min = 1, max = 1;
    const char c = Peek();
    if (c == '*') {
      min = 0, max = -1;
      ++pos_;
    } else if (c == '+') {
      min = 1, max = -1;
      ++pos_;
    } else if (c == '?') {
      min = 0, max = 1;
      ++pos_;
    } else if (c == '{') {
      const size_t save = pos_;
      ++pos_;
      if (!More() || Peek() < '0' || Peek() > '9') {
        pos_ = save;  // a literal '{' (ECMAScript's annex B)
        return atom;
      }
      min = max = Number();
      if (More() && Peek() == ',') {
        ++pos_;
        max = More() && Peek() == '}' ? -1 : Number();
      }
      if (!More() || Peek() != '}') Fail("'}' expected");
      ++pos_;
      if (max >= 0 && max < min) Fail("{n,m} with m < n");
    } else {
      return atom;
    }
    if (More() && Peek() == '?') ++pos_;  // lazy: the same language
    if (More() && (Peek() == '*' || Peek() == '+' || Peek() == '{')) Fail("nothing to repeat");
    return g_.Repeat({Element::Ref(atom)}, min, max, "regex-repeat");
  }

  // The ranges of a backslash escape that stands for a set, or one code point.
  Ranges Escape(bool in_class) {
    if (!More()) Fail("a pattern cannot end with '\\'");
    const char c = Peek();
    ++pos_;
    switch (c) {
      case 'd':
        return Digits();
      case 'D':
        return Complement(Digits());
      case 'w':
        return Word();
      case 'W':
        return Complement(Word());
      case 's':
        return Space();
      case 'S':
        return Complement(Space());
      case 'n':
        return {{'\n', '\n'}};
      case 't':
        return {{'\t', '\t'}};
      case 'r':
        return {{'\r', '\r'}};
      case 'f':
        return {{'\f', '\f'}};
      case 'v':
        return {{'\v', '\v'}};
      case '0':
        return {{0, 0}};
      case 'b':
        if (in_class) return {{8, 8}};
        Fail("word boundaries (\\b) are not supported");
      case 'B':
        Fail("word boundaries (\\B) are not supported");
      case 'x':
      case 'u': {
        const int digits = c == 'x' ? 2 : 4;
        if (c == 'u' && More() && Peek() == '{') Fail("\\u{...} is not supported");
        uint32_t v = 0;
        for (int i = 0; i < digits; ++i) {
          if (!More() || !std::isxdigit(static_cast<unsigned char>(Peek()))) {
            Fail("a hexadecimal escape needs " + std::to_string(digits) + " digits");
          }
          const char h = Peek();
          v = v * 16 + static_cast<uint32_t>(h <= '9' ? h - '0' : (h | 0x20) - 'a' + 10);
          ++pos_;
        }
        return {{v, v}};
      }
      default:
        if (c >= '1' && c <= '9') Fail("backreferences are not supported");
        if (c == 'k') Fail("named backreferences are not supported");
        if (c == 'p' || c == 'P') Fail("Unicode property escapes are not supported");
        if (std::isalnum(static_cast<unsigned char>(c))) {
          Fail(std::string("unknown escape '\\") + c + "'");
        }
        --pos_;
        {
          const uint32_t cp = Cp();
          return {{cp, cp}};
        }
    }
  }

  // One member of a class: an escape (a set or one code point) or a code point.
  Ranges ClassItem() {
    if (Peek() == '\\') {
      ++pos_;
      return Escape(true);
    }
    const uint32_t cp = Cp();
    return {{cp, cp}};
  }

  uint32_t Class() {
    ++pos_;  // '['
    bool negate = false;
    if (More() && Peek() == '^') {
      negate = true;
      ++pos_;
    }
    Ranges ranges;
    bool first = true;
    while (true) {
      if (!More()) Fail("unterminated '['");
      if (Peek() == ']' && !first) break;
      first = false;
      Ranges item = ClassItem();
      // A range a-b between two single characters.
      if (item.size() == 1 && item[0].first == item[0].second && pos_ + 1 < p_.size() &&
          Peek() == '-' && p_[pos_ + 1] != ']') {
        ++pos_;
        const Ranges end = ClassItem();
        if (end.size() != 1 || end[0].first != end[0].second) Fail("a range needs two characters");
        if (end[0].first < item[0].first) Fail("a range out of order");
        item = {{item[0].first, end[0].first}};
      }
      ranges.insert(ranges.end(), item.begin(), item.end());
    }
    ++pos_;  // ']'
    return Chars(negate ? Complement(ranges) : ranges);
  }

  uint32_t Atom() {
    const char c = Peek();
    switch (c) {
      case '(': {
        if (++depth_ > kMaxDepth) Fail("groups nested deeper than " + std::to_string(kMaxDepth));
        ++pos_;
        if (More() && Peek() == '?') {
          if (pos_ + 1 < p_.size() && p_[pos_ + 1] == ':') {
            pos_ += 2;
          } else {
            Fail("lookaround and named groups are not supported");
          }
        }
        const uint32_t r = Alternation();
        if (!More() || Peek() != ')') Fail("')' expected");
        ++pos_;
        --depth_;
        return r;
      }
      case '[':
        return Class();
      case '.':
        ++pos_;
        return Chars(Complement(LineTerminators()));
      case '\\':
        ++pos_;
        return Chars(Escape(false));
      case '^':
      case '$':
        Fail("anchors are supported only at the very start and end");
      case '*':
      case '+':
      case '?':
        Fail("nothing to repeat");
      case ')':
        Fail("unbalanced ')'");
      default: {
        const uint32_t cp = Cp();
        return Chars({{cp, cp}});
      }
    }
  }

  Grammar& g_;
  std::string_view p_;
  RegexText text_;
  size_t pos_ = 0;
  int depth_ = 0;
};

}  // namespace

uint32_t CompileRegex(Grammar& g, std::string_view pattern, RegexText text, bool search) {
  return Parser(g, pattern, text).Compile(search);
}

std::shared_ptr<Grammar> RegexGrammar(std::string_view pattern) {
  auto g = std::make_shared<Grammar>();
  g->set_root(CompileRegex(*g, pattern, RegexText::kRaw, false));
  g->Validate();
  return g;
}

}  // namespace exaone::constrain
