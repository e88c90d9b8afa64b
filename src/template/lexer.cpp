#include "template/lexer.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "base/utf8.h"
#include "template/unicode.h"

namespace exaone::tmpl {
namespace {

// Longest first, as jinja2's operator regex tries them.
constexpr std::string_view kOperators[] = {
    "//", "**", "==", "!=", ">=", "<=", "+", "-", "/", "*", "%", "~", "[",
    "]",  "(",  ")",  "{",  "}",  "|",  ".", ":", ",", "=", "<", ">", ";",
};

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}
bool IsNameStart(char c) {
  return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool IsNameChar(char c) {
  return IsNameStart(c) || IsDigit(c);
}
bool IsHex(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

class Lexer {
 public:
  Lexer(std::string_view source, const std::string& name) : name_(name) {
    // ref: jinja2 lexer.tokeniter: newlines normalised, one trailing newline dropped.
    src_.reserve(source.size());
    for (size_t i = 0; i < source.size(); ++i) {
      if (source[i] == '\r') {
        src_ += '\n';
        if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
      } else {
        src_ += source[i];
      }
    }
    if (!src_.empty() && src_.back() == '\n') src_.pop_back();
  }

  std::vector<Token> Run() {
    if (size_t bad = FindInvalidUtf8(src_); bad != std::string::npos) {
      Error(bad, "the template is not valid UTF-8");
    }
    bool line_starting = true;
    size_t pos = 0;
    const size_t n = src_.size();
    while (pos < n) {
      const size_t tag = FindTagStart(pos);
      if (tag == std::string::npos) {
        Emit(TokenType::kData, src_.substr(pos), pos);
        break;
      }
      const char kind = src_[tag + 1];
      size_t after = tag + 2;
      char sign = 0;
      if (after < n && (src_[after] == '-' || src_[after] == '+')) sign = src_[after++];
      size_t raw_body = 0;
      const bool raw = kind == '%' && MatchRawBegin(after, &raw_body);
      EmitData(pos, tag, sign, kind != '{', line_starting);
      if (raw) {
        line_starting = src_[raw_body - 1] == '\n';
        pos = LexRaw(raw_body, &line_starting);
      } else if (kind == '#') {
        pos = SkipComment(tag, after, &line_starting);
      } else {
        pos = LexTag(tag, after, kind == '%', &line_starting);
      }
    }
    Token eof;
    eof.type = TokenType::kEof;
    eof.pos = Pos(src_.size());
    tokens_.push_back(std::move(eof));
    return std::move(tokens_);
  }

 private:
  // Line and column (in code points) of a byte offset. Tokens arrive in source order, so the
  // cursor only moves forward and a template of any shape is positioned in linear time.
  SourcePos Pos(size_t offset) {
    if (offset < cursor_offset_) {
      cursor_offset_ = 0;
      cursor_ = {1, 1};
    }
    for (; cursor_offset_ < offset && cursor_offset_ < src_.size(); ++cursor_offset_) {
      const unsigned char c = static_cast<unsigned char>(src_[cursor_offset_]);
      if (c == '\n') {
        ++cursor_.line;
        cursor_.column = 1;
      } else if ((c & 0xc0) != 0x80) {
        ++cursor_.column;
      }
    }
    return cursor_;
  }

  [[noreturn]] void Error(size_t offset, const std::string& msg) {
    throw exaone::Error(ErrorCode::kBadConfig, FormatLocated(name_, Pos(offset), msg));
  }

  void Emit(TokenType type, std::string text, size_t offset) {
    Token t;
    t.type = type;
    t.text = std::move(text);
    t.pos = Pos(offset);
    tokens_.push_back(std::move(t));
  }

  size_t FindTagStart(size_t pos) const {
    for (size_t i = src_.find('{', pos); i != std::string::npos; i = src_.find('{', i + 1)) {
      if (i + 1 < src_.size() && (src_[i + 1] == '{' || src_[i + 1] == '%' || src_[i + 1] == '#'))
        return i;
    }
    return std::string::npos;
  }

  // Python's \s (Unicode whitespace) at byte offset `pos`; returns its length in bytes or 0.
  size_t SpaceAt(size_t pos) const {
    if (pos >= src_.size()) return 0;
    const unsigned char c = static_cast<unsigned char>(src_[pos]);
    if (c < 0x80) return IsPySpace(c) ? 1 : 0;
    size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
    len = std::min(len, src_.size() - pos);
    const std::u32string cp = ToU32(std::string_view(src_).substr(pos, len));
    return !cp.empty() && IsPySpace(cp[0]) ? len : 0;
  }

  size_t SkipSpaces(size_t pos) const {
    while (size_t len = SpaceAt(pos)) pos += len;
    return pos;
  }

  // Text before a tag, after the `-` / lstrip_blocks rules (jinja2 OptionalLStrip).
  void EmitData(size_t begin, size_t end, char sign, bool lstrip_applies, bool line_starting) {
    std::string_view text = std::string_view(src_).substr(begin, end - begin);
    if (sign == '-') {
      std::u32string cps = ToU32(text);
      size_t keep = cps.size();
      while (keep > 0 && IsPySpace(cps[keep - 1])) --keep;
      text = text.substr(0, ToUtf8(std::u32string_view(cps).substr(0, keep)).size());
    } else if (sign != '+' && lstrip_applies) {
      const size_t nl = text.rfind('\n');
      const size_t l_pos = nl == std::string_view::npos ? 0 : nl + 1;
      if (l_pos > 0 || line_starting) {
        // ref: jinja2 3.1 lexer: whitespace_re.fullmatch(text, l_pos), i.e. \s+ (any Unicode
        // whitespace, at least one character) between the line start and the tag.
        const std::u32string tail = ToU32(text.substr(l_pos));
        if (!tail.empty() && std::all_of(tail.begin(), tail.end(), IsPySpace)) {
          text = text.substr(0, l_pos);
        }
      }
    }
    if (!text.empty()) Emit(TokenType::kData, std::string(text), begin);
  }

  // {% raw %} / {%- raw -%}: `after` is just past "{%" and its sign.
  bool MatchRawBegin(size_t after, size_t* body) const {
    size_t p = SkipSpaces(after);
    if (src_.compare(p, 3, "raw") != 0) return false;
    p = SkipSpaces(p + 3);
    if (src_.compare(p, 3, "-%}") == 0) {
      *body = SkipSpaces(p + 3);
      return true;
    }
    if (src_.compare(p, 2, "%}") == 0) {
      *body = p + 2;
      return true;
    }
    return false;
  }

  size_t LexRaw(size_t body, bool* line_starting) {
    for (size_t i = src_.find("{%", body); i != std::string::npos; i = src_.find("{%", i + 1)) {
      size_t p = i + 2;
      char sign = 0;
      if (p < src_.size() && (src_[p] == '-' || src_[p] == '+')) sign = src_[p++];
      p = SkipSpaces(p);
      if (src_.compare(p, 6, "endraw") != 0) continue;
      p = SkipSpaces(p + 6);
      size_t end;
      if (src_.compare(p, 3, "+%}") == 0) {
        end = p + 3;
      } else if (src_.compare(p, 3, "-%}") == 0) {
        end = SkipSpaces(p + 3);
      } else if (src_.compare(p, 2, "%}") == 0) {
        end = p + 2;
        if (end < src_.size() && src_[end] == '\n') ++end;
      } else {
        continue;
      }
      EmitData(body, i, sign, true, *line_starting);
      *line_starting = src_[end - 1] == '\n';
      return end;
    }
    Error(body, "missing end of raw directive");
  }

  size_t SkipComment(size_t tag, size_t after, bool* line_starting) {
    for (size_t q = src_.find("#}", after); q != std::string::npos; q = src_.find("#}", q + 1)) {
      size_t end = q + 2;
      if (q > after && src_[q - 1] == '-') {
        end = SkipSpaces(end);
      } else if (!(q > after && src_[q - 1] == '+')) {
        if (end < src_.size() && src_[end] == '\n') ++end;
      }
      *line_starting = src_[end - 1] == '\n';
      return end;
    }
    Error(tag, "missing end of comment tag");
  }

  // Matches the end of a tag at `pos`; returns the offset after it (and trimmed whitespace) or 0.
  size_t MatchTagEnd(size_t pos, bool block) const {
    if (block) {
      if (src_.compare(pos, 3, "+%}") == 0) return pos + 3;
      if (src_.compare(pos, 3, "-%}") == 0) return SkipSpaces(pos + 3);
      if (src_.compare(pos, 2, "%}") == 0) {
        return pos + 2 < src_.size() && src_[pos + 2] == '\n' ? pos + 3 : pos + 2;
      }
      return 0;
    }
    if (src_.compare(pos, 3, "-}}") == 0) return SkipSpaces(pos + 3);
    if (src_.compare(pos, 2, "}}") == 0) return pos + 2;
    return 0;
  }

  size_t LexTag(size_t tag, size_t pos, bool block, bool* line_starting) {
    Emit(block ? TokenType::kBlockBegin : TokenType::kVariableBegin, "", tag);
    std::vector<char> balance;
    while (true) {
      if (pos >= src_.size()) Error(tag, block ? "unclosed block tag" : "unclosed variable tag");
      if (balance.empty()) {
        if (size_t end = MatchTagEnd(pos, block)) {
          Emit(block ? TokenType::kBlockEnd : TokenType::kVariableEnd, "", pos);
          *line_starting = src_[end - 1] == '\n';
          return end;
        }
      }
      if (size_t len = SpaceAt(pos)) {
        pos = SkipSpaces(pos + len);
        continue;
      }
      const char c = src_[pos];
      if (IsDigit(c)) {
        pos = LexNumber(pos);
      } else if (IsNameStart(c)) {
        size_t end = pos;
        while (end < src_.size() && IsNameChar(src_[end])) ++end;
        Emit(TokenType::kName, src_.substr(pos, end - pos), pos);
        pos = end;
      } else if (c == '\'' || c == '"') {
        pos = LexString(pos);
      } else {
        pos = LexOperator(pos, balance);
      }
    }
  }

  // Digits with single underscores between them: (\d+_)*\d+. Returns the end, or `pos` if none.
  size_t ScanDigits(size_t pos) const {
    size_t p = pos;
    while (p < src_.size() && IsDigit(src_[p])) {
      while (p < src_.size() && IsDigit(src_[p])) ++p;
      if (p + 1 < src_.size() && src_[p] == '_' && IsDigit(src_[p + 1])) ++p;
    }
    return p;
  }

  size_t LexNumber(size_t pos) {
    if (pos == 0 || src_[pos - 1] != '.') {  // jinja2's float regex has (?<!\.)
      const size_t int_end = ScanDigits(pos);
      size_t p = int_end;
      size_t frac_end = 0;
      if (p < src_.size() && src_[p] == '.') {
        const size_t f = ScanDigits(p + 1);
        if (f > p + 1) frac_end = f;
      }
      size_t e = frac_end ? frac_end : int_end;
      size_t exp_end = 0;
      if (e < src_.size() && (src_[e] == 'e' || src_[e] == 'E')) {
        size_t q = e + 1;
        if (q < src_.size() && (src_[q] == '+' || src_[q] == '-')) ++q;
        const size_t d = ScanDigits(q);
        if (d > q) exp_end = d;
      }
      const size_t end = exp_end ? exp_end : frac_end;
      if (end) {
        std::string text;
        for (size_t i = pos; i < end; ++i) {
          if (src_[i] != '_') text += src_[i];
        }
        Emit(TokenType::kFloat, text, pos);
        tokens_.back().float_value = std::strtod(text.c_str(), nullptr);
        return end;
      }
    }
    return LexInteger(pos);
  }

  size_t LexInteger(size_t pos) {
    int base = 10;
    size_t p = pos;
    if (src_[p] == '0' && p + 1 < src_.size()) {
      const char x = static_cast<char>(src_[p + 1] | 0x20);
      base = x == 'b' ? 2 : x == 'o' ? 8 : x == 'x' ? 16 : 10;
    }
    auto digit_ok = [base](char c) {
      return base == 16  ? IsHex(c)
             : base == 8 ? (c >= '0' && c <= '7')
             : base == 2 ? (c == '0' || c == '1')
                         : IsDigit(c);
    };
    std::string digits;
    if (base != 10) {
      p += 2;
      while (p < src_.size()) {  // (_?[digit])+
        size_t q = p + (src_[p] == '_' ? 1 : 0);
        if (q >= src_.size() || !digit_ok(src_[q])) break;
        digits += src_[q];
        p = q + 1;
      }
      if (digits.empty()) {  // "0x" alone: the regex matches just "0"
        base = 10;
        p = pos;
      }
    }
    if (base == 10) {
      const bool zero = src_[pos] == '0';
      digits = src_[pos];
      p = pos + 1;
      while (p < src_.size()) {  // [1-9](_?\d)* or 0(_?0)*
        size_t q = p + (src_[p] == '_' ? 1 : 0);
        if (q >= src_.size() || !(zero ? src_[q] == '0' : IsDigit(src_[q]))) break;
        digits += src_[q];
        p = q + 1;
      }
    }
    errno = 0;
    const unsigned long long v = std::strtoull(digits.c_str(), nullptr, base);
    if (errno == ERANGE || v > static_cast<unsigned long long>(INT64_MAX)) {
      throw exaone::Error(
          ErrorCode::kUnsupported,
          FormatLocated(name_, Pos(pos), "integers beyond 64 bits are not supported"));
    }
    Emit(TokenType::kInteger, src_.substr(pos, p - pos), pos);
    tokens_.back().int_value = static_cast<int64_t>(v);
    return p;
  }

  size_t LexString(size_t pos) {
    const char quote = src_[pos];
    size_t p = pos + 1;
    while (p < src_.size() && src_[p] != quote) {
      p += src_[p] == '\\' ? 2 : 1;
    }
    if (p >= src_.size()) Error(pos, std::string("unexpected char '") + quote + "'");
    try {
      Emit(TokenType::kString, DecodeStringLiteral(src_.substr(pos + 1, p - pos - 1)), pos);
    } catch (const PendingError& e) {
      throw exaone::Error(e.code(), FormatLocated(name_, Pos(pos), e.what()));
    }
    return p + 1;
  }

  size_t LexOperator(size_t pos, std::vector<char>& balance) {
    for (std::string_view op : kOperators) {
      if (src_.compare(pos, op.size(), op) != 0) continue;
      const char c = op[0];
      if (op.size() == 1 && (c == '(' || c == '[' || c == '{')) {
        balance.push_back(c == '(' ? ')' : c == '[' ? ']' : '}');
      } else if (op.size() == 1 && (c == ')' || c == ']' || c == '}')) {
        if (balance.empty()) Error(pos, std::string("unexpected '") + c + "'");
        if (balance.back() != c) {
          Error(pos, std::string("unexpected '") + c + "', expected '" + balance.back() + "'");
        }
        balance.pop_back();
      }
      Emit(TokenType::kOperator, std::string(op), pos);
      return pos + op.size();
    }
    const unsigned char c = static_cast<unsigned char>(src_[pos]);
    if (c >= 0x80) Error(pos, "unexpected character (non-ASCII names are not supported)");
    Error(pos, std::string("unexpected char '") + src_[pos] + "'");
  }

  const std::string& name_;
  std::string src_;
  size_t cursor_offset_ = 0;
  SourcePos cursor_{1, 1};
  std::vector<Token> tokens_;
};

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  return (c | 0x20) - 'a' + 10;
}

}  // namespace

std::string DecodeStringLiteral(std::string_view body) {
  // ref: jinja2 lexer: value.encode("ascii", "backslashreplace").decode("unicode-escape").
  std::string ascii;
  for (char32_t c : ToU32(body)) {
    char buf[16];
    if (c < 0x80) {
      ascii += static_cast<char>(c);
      continue;
    }
    if (c <= 0xff) {
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(c));
    } else if (c <= 0xffff) {
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
    } else {
      std::snprintf(buf, sizeof buf, "\\U%08x", static_cast<unsigned>(c));
    }
    ascii += buf;
  }
  std::string out;
  for (size_t i = 0; i < ascii.size(); ++i) {
    if (ascii[i] != '\\') {
      out += ascii[i];
      continue;
    }
    if (++i >= ascii.size()) Fail("\\ at end of string");
    const char c = ascii[i];
    switch (c) {
      case '\n':
        continue;
      case '\\':
      case '\'':
      case '"':
        out += c;
        continue;
      case 'a':
        out += '\a';
        continue;
      case 'b':
        out += '\b';
        continue;
      case 'f':
        out += '\f';
        continue;
      case 'n':
        out += '\n';
        continue;
      case 'r':
        out += '\r';
        continue;
      case 't':
        out += '\t';
        continue;
      case 'v':
        out += '\v';
        continue;
      default:
        break;
    }
    if (c >= '0' && c <= '7') {
      uint32_t v = 0;
      size_t k = 0;
      for (; k < 3 && i + k < ascii.size() && ascii[i + k] >= '0' && ascii[i + k] <= '7'; ++k) {
        v = v * 8 + static_cast<uint32_t>(ascii[i + k] - '0');
      }
      i += k - 1;
      AppendUtf8(out, v);
      continue;
    }
    if (c == 'x' || c == 'u' || c == 'U') {
      const size_t digits = c == 'x' ? 2 : c == 'u' ? 4 : 8;
      uint32_t v = 0;
      for (size_t k = 1; k <= digits; ++k) {
        if (i + k >= ascii.size() || !IsHex(ascii[i + k])) {
          Fail(std::string("truncated \\") +
               (c == 'x'   ? "xXX"
                : c == 'u' ? "uXXXX"
                           : "UXXXXXXXX") +
               " escape");
        }
        v = v * 16 + static_cast<uint32_t>(HexValue(ascii[i + k]));
      }
      i += digits;
      if (v > 0x10ffff) Fail("illegal Unicode character");
      if (v >= 0xd800 && v <= 0xdfff) Unsupported("a surrogate code point in a string literal");
      AppendUtf8(out, v);
      continue;
    }
    if (c == 'N') Unsupported("\\N{...} escapes");
    out += '\\';  // Python keeps unknown escapes as they are
    out += c;
  }
  return out;
}

std::vector<Token> Tokenize(std::string_view source, const std::string& template_name) {
  return Lexer(source, template_name).Run();
}

}  // namespace exaone::tmpl
