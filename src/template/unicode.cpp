#include "template/unicode.h"

#include <algorithm>
#include <cstdint>

namespace exaone::tmpl {
namespace {

struct CodepointRange {
  uint32_t first, last;
};
// A run of `count` code points from `start`, every `stride`, each mapping to itself + `delta`.
struct CaseRun {
  uint32_t start;
  uint32_t count;
  uint32_t stride;
  int32_t delta;
};
// A code point whose mapping is several code points (zero-padded), e.g. 'ß'.upper() == "SS".
struct CaseSpecial {
  uint32_t cp;
  uint32_t out[3];
};

#include "template/unicode_data.inc"

template <size_t N>
bool InRanges(const CodepointRange (&table)[N], char32_t c) {
  const auto* end = table + N;
  const auto* it =
      std::upper_bound(table, end, static_cast<uint32_t>(c),
                       [](uint32_t v, const CodepointRange& r) { return v < r.first; });
  return it != table && c <= (it - 1)->last;
}

template <size_t R, size_t S>
void MapCase(const CaseRun (&runs)[R], const CaseSpecial (&special)[S], char32_t c,
             std::u32string& out) {
  const auto* sp = std::lower_bound(special, special + S, static_cast<uint32_t>(c),
                                    [](const CaseSpecial& e, uint32_t v) { return e.cp < v; });
  if (sp != special + S && sp->cp == c) {
    for (uint32_t x : sp->out) {
      if (x) out.push_back(x);
    }
    return;
  }
  const auto* it = std::upper_bound(runs, runs + R, static_cast<uint32_t>(c),
                                    [](uint32_t v, const CaseRun& r) { return v < r.start; });
  if (it != runs) {
    const CaseRun& r = *(it - 1);
    const uint32_t off = c - r.start;
    if (off % r.stride == 0 && off / r.stride < r.count) {
      out.push_back(static_cast<char32_t>(static_cast<int64_t>(c) + r.delta));
      return;
    }
  }
  out.push_back(c);
}

bool IsCaseIgnorable(char32_t c) {
  return InRanges(kCaseIgnorable, c);
}

// ref: CPython Objects/unicodeobject.c handle_capital_sigma. U+03A3 lowercases to final sigma
// when a cased letter precedes it and none follows (case-ignorable code points are skipped).
char32_t LowerSigma(std::u32string_view s, size_t i) {
  size_t j = i;
  while (j > 0 && IsCaseIgnorable(s[j - 1])) --j;
  bool final_sigma = j > 0 && IsPyCased(s[j - 1]);
  if (final_sigma) {
    size_t k = i + 1;
    while (k < s.size() && IsCaseIgnorable(s[k])) ++k;
    final_sigma = k == s.size() || !IsPyCased(s[k]);
  }
  return final_sigma ? 0x3c2 : 0x3c3;
}

void LowerAt(std::u32string_view s, size_t i, std::u32string& out) {
  if (s[i] == 0x3a3) {
    out.push_back(LowerSigma(s, i));
  } else {
    MapCase(kLowerRuns, kLowerSpecial, s[i], out);
  }
}

}  // namespace

std::u32string ToU32(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t i = 0, n = s.size();
  while (i < n) {
    unsigned char c = p[i];
    char32_t cp;
    size_t len;
    if (c < 0x80) {
      cp = c;
      len = 1;
    } else if ((c & 0xe0) == 0xc0) {
      cp = c & 0x1f;
      len = 2;
    } else if ((c & 0xf0) == 0xe0) {
      cp = c & 0x0f;
      len = 3;
    } else {
      cp = c & 0x07;
      len = 4;
    }
    for (size_t k = 1; k < len && i + k < n; ++k) cp = (cp << 6) | (p[i + k] & 0x3f);
    out.push_back(cp);
    i += len;
  }
  return out;
}

void AppendUtf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out.push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

std::string ToUtf8(std::u32string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char32_t c : s) AppendUtf8(out, c);
  return out;
}

size_t CodepointCount(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xc0) != 0x80;
  return n;
}

bool IsAscii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return (c & 0x80) == 0; });
}

bool IsPySpace(char32_t c) {
  if (c < 0x80) return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20);
  return c == 0x85 || c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 ||
         c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

bool IsPyLineBreak(char32_t c) {
  return (c >= 0x0a && c <= 0x0d) || (c >= 0x1c && c <= 0x1e) || c == 0x85 || c == 0x2028 ||
         c == 0x2029;
}

bool IsPyPrintable(char32_t c) {
  if (c < 0x80) return c >= 0x20 && c < 0x7f;
  return !InRanges(kNonPrintable, c);
}

bool IsPyLower(char32_t c) {
  return InRanges(kLowercase, c);
}
bool IsPyUpper(char32_t c) {
  return InRanges(kUppercase, c);
}
bool IsPyTitle(char32_t c) {
  return InRanges(kTitlecase, c);
}
bool IsPyCased(char32_t c) {
  return IsPyLower(c) || IsPyUpper(c) || IsPyTitle(c);
}

std::u32string PyUpper(std::u32string_view s) {
  std::u32string out;
  out.reserve(s.size());
  for (char32_t c : s) MapCase(kUpperRuns, kUpperSpecial, c, out);
  return out;
}

std::u32string PyLower(std::u32string_view s) {
  std::u32string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) LowerAt(s, i, out);
  return out;
}

std::u32string PyTitle(std::u32string_view s) {
  std::u32string out;
  out.reserve(s.size());
  bool previous_is_cased = false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (previous_is_cased) {
      LowerAt(s, i, out);
    } else {
      MapCase(kTitleRuns, kTitleSpecial, s[i], out);
    }
    previous_is_cased = IsPyCased(s[i]);
  }
  return out;
}

std::u32string PyCapitalize(std::u32string_view s) {
  std::u32string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (i == 0) {
      MapCase(kTitleRuns, kTitleSpecial, s[i], out);
    } else {
      LowerAt(s, i, out);
    }
  }
  return out;
}

std::u32string PySwapCase(std::u32string_view s) {
  std::u32string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (IsPyUpper(s[i])) {
      LowerAt(s, i, out);
    } else if (IsPyLower(s[i])) {
      MapCase(kUpperRuns, kUpperSpecial, s[i], out);
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

bool PyIsLower(std::u32string_view s) {
  bool cased = false;
  for (char32_t c : s) {
    if (IsPyUpper(c) || IsPyTitle(c)) return false;
    if (IsPyLower(c)) cased = true;
  }
  return cased;
}

bool PyIsUpper(std::u32string_view s) {
  bool cased = false;
  for (char32_t c : s) {
    if (IsPyLower(c) || IsPyTitle(c)) return false;
    if (IsPyUpper(c)) cased = true;
  }
  return cased;
}

}  // namespace exaone::tmpl
