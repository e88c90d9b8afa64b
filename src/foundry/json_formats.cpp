#include "foundry/json_formats.h"

#include <cstddef>
#include <cstring>
#include <string>

namespace exaone::foundry::jsonfmt {
namespace {

// `n` ASCII digits at s[pos..] as a number, or -1.
int Digits(std::string_view s, size_t pos, size_t n) {
  if (pos + n > s.size()) return -1;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!IsDigit(s[i])) return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

int DaysInMonth(int year, int month) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

// RFC 3339 full-date: YYYY-MM-DD with a day that exists.
bool IsDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  const int y = Digits(s, 0, 4), m = Digits(s, 5, 2), d = Digits(s, 8, 2);
  return y >= 0 && m >= 1 && m <= 12 && d >= 1 && d <= DaysInMonth(y, m);
}

// RFC 3339 full-time: HH:MM:SS[.frac](Z|+HH:MM|-HH:MM). A leap second (:60) is accepted only
// at 23:59 UTC, the only minute that can have one.
bool IsTime(std::string_view s) {
  if (s.size() < 9 || s[2] != ':' || s[5] != ':') return false;
  const int h = Digits(s, 0, 2), m = Digits(s, 3, 2), sec = Digits(s, 6, 2);
  if (h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec > 60) return false;
  size_t pos = 8;
  if (s[pos] == '.') {
    const size_t start = ++pos;
    while (pos < s.size() && IsDigit(s[pos])) ++pos;
    if (pos == start) return false;
  }
  if (pos >= s.size()) return false;
  int offset = 0;  // minutes east of UTC
  if (s[pos] == 'Z' || s[pos] == 'z') {
    if (pos + 1 != s.size()) return false;
  } else if (s[pos] == '+' || s[pos] == '-') {
    if (pos + 6 != s.size() || s[pos + 3] != ':') return false;
    const int oh = Digits(s, pos + 1, 2), om = Digits(s, pos + 4, 2);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return false;
    offset = (s[pos] == '+' ? 1 : -1) * (oh * 60 + om);
  } else {
    return false;
  }
  if (sec == 60) {
    const int utc = ((h * 60 + m - offset) % 1440 + 1440) % 1440;
    if (utc != 23 * 60 + 59) return false;
  }
  return true;
}

bool IsDateTime(std::string_view s) {
  return s.size() > 11 && (s[10] == 'T' || s[10] == 't') && IsDate(s.substr(0, 10)) &&
         IsTime(s.substr(11));
}

bool IsUuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !IsHex(s[i])) return false;
  }
  return true;
}

bool IsIpv4(std::string_view s) {
  int parts = 0;
  size_t pos = 0;
  while (true) {
    size_t start = pos;
    int v = 0;
    while (pos < s.size() && IsDigit(s[pos]) && pos - start < 3) v = v * 10 + (s[pos++] - '0');
    const size_t len = pos - start;
    if (len == 0 || v > 255 || (len > 1 && s[start] == '0')) return false;
    if (++parts == 4) return pos == s.size();
    if (pos >= s.size() || s[pos] != '.') return false;
    ++pos;
  }
}

// RFC 4291 text form: up to eight groups of 1-4 hex digits, one "::" at most, optionally ending
// in a dotted IPv4 address (which counts as two groups).
bool IsIpv6(std::string_view s) {
  int groups = 0;
  bool compressed = false;
  size_t pos = 0;
  if (s.substr(0, 2) == "::") {
    compressed = true;
    pos = 2;
    if (pos == s.size()) return true;
  } else if (!s.empty() && s[0] == ':') {
    return false;
  }
  while (pos < s.size()) {
    size_t end = pos;
    while (end < s.size() && IsHex(s[end]) && end - pos < 5) ++end;
    if (end < s.size() && s[end] == '.') {  // trailing IPv4
      if (!IsIpv4(s.substr(pos))) return false;
      groups += 2;
      pos = s.size();
      break;
    }
    if (end == pos || end - pos > 4) return false;
    ++groups;
    pos = end;
    if (pos == s.size()) break;
    if (s[pos] != ':') return false;
    if (pos + 1 < s.size() && s[pos + 1] == ':') {
      if (compressed) return false;
      compressed = true;
      pos += 2;
      if (pos == s.size()) break;
    } else {
      ++pos;
      if (pos == s.size()) return false;  // trailing single ':'
    }
  }
  return compressed ? groups <= 7 : groups == 8;
}

bool IsAtext(char c) {
  return IsAlpha(c) || IsDigit(c) || std::strchr("!#$%&'*+-/=?^_`{|}~", c) != nullptr;
}

// RFC 5321 Domain: dot-separated labels of letters, digits and inner hyphens (1-63 each), or an
// address literal [IPv4] / [IPv6:...].
bool IsEmailDomain(std::string_view d) {
  if (d.empty() || d.size() > 255) return false;
  if (d.front() == '[') {
    if (d.back() != ']') return false;
    const std::string_view inner = d.substr(1, d.size() - 2);
    // The tag is case-insensitive, like every literal in RFC 5234 grammars.
    if (inner.size() > 5 && (inner[0] | 0x20) == 'i' && (inner[1] | 0x20) == 'p' &&
        (inner[2] | 0x20) == 'v' && inner[3] == '6' && inner[4] == ':') {
      return IsIpv6(inner.substr(5));
    }
    return IsIpv4(inner);
  }
  size_t start = 0;
  while (true) {
    size_t end = d.find('.', start);
    if (end == std::string_view::npos) end = d.size();
    const std::string_view label = d.substr(start, end - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (const char c : label) {
      if (!IsAlpha(c) && !IsDigit(c) && c != '-') return false;
    }
    if (end == d.size()) return true;
    start = end + 1;
  }
}

// RFC 5321 Mailbox: Local-part "@" Domain, the local part a dot-string (atoms of atext joined by
// single dots) or a quoted string, at most 64 octets.
bool IsEmail(std::string_view s) {
  size_t pos = 0;
  if (!s.empty() && s[0] == '"') {
    for (pos = 1; pos < s.size() && s[pos] != '"'; ++pos) {
      const auto c = static_cast<uint8_t>(s[pos]);
      if (c == '\\') {
        if (++pos >= s.size()) return false;
        const auto q = static_cast<uint8_t>(s[pos]);
        if (q < 32 || q > 126) return false;
      } else if (c < 32 || c > 126) {
        return false;
      }
    }
    if (pos >= s.size()) return false;
    ++pos;  // closing quote
  } else {
    bool atom_start = true;
    for (; pos < s.size() && s[pos] != '@'; ++pos) {
      if (s[pos] == '.') {
        if (atom_start) return false;
        atom_start = true;
      } else if (IsAtext(s[pos])) {
        atom_start = false;
      } else {
        return false;
      }
    }
    if (atom_start) return false;  // empty, or ends in '.'
  }
  if (pos > 64 || pos >= s.size() || s[pos] != '@') return false;
  return IsEmailDomain(s.substr(pos + 1));
}

}  // namespace

bool CheckFormat(Format f, std::string_view s) {
  switch (f) {
    case Format::kDate:
      return IsDate(s);
    case Format::kTime:
      return IsTime(s);
    case Format::kDateTime:
      return IsDateTime(s);
    case Format::kEmail:
      return IsEmail(s);
    case Format::kUuid:
      return IsUuid(s);
    default:
      return true;
  }
}

const char* FormatName(Format f) {
  switch (f) {
    case Format::kDate:
      return "date";
    case Format::kTime:
      return "time";
    case Format::kDateTime:
      return "date-time";
    case Format::kEmail:
      return "email";
    case Format::kUuid:
      return "uuid";
    default:
      return "";
  }
}

}  // namespace exaone::foundry::jsonfmt
