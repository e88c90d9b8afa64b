#include "foundry/pii.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace exaone::foundry {
namespace {

// Byte classes, one table lookup per byte.
enum : uint8_t {
  kDigit = 1,
  kHexLetter = 2,  // a-f A-F
  kWord = 4,       // A-Z a-z 0-9 _: what may not touch a number
  kLocal = 8,      // e-mail local part: A-Z a-z 0-9 . _ % + -
  kLabel = 16,     // domain label: A-Z a-z 0-9 -
  kScheme = 32,    // URL scheme: A-Z a-z 0-9 + . -
  kUrlStop = 64,   // ends a URL: whitespace, controls, non-ASCII, " ' < > `
  kAlpha = 128,
};

constexpr std::array<uint8_t, 256> MakeClasses() {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    const bool digit = c >= '0' && c <= '9';
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    uint8_t f = 0;
    if (digit) f |= kDigit;
    if (alpha) f |= kAlpha;
    if ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) f |= kHexLetter;
    if (digit || alpha || c == '_') f |= kWord;
    if (digit || alpha || c == '.' || c == '_' || c == '%' || c == '+' || c == '-') f |= kLocal;
    if (digit || alpha || c == '-') f |= kLabel;
    if (digit || alpha || c == '+' || c == '.' || c == '-') f |= kScheme;
    if (c <= 0x20 || c >= 0x7F || c == '"' || c == '\'' || c == '<' || c == '>' || c == '`') {
      f |= kUrlStop;
    }
    t[c] = f;
  }
  return t;
}

constexpr std::array<uint8_t, 256> kClass = MakeClasses();

// The bytes the main loop stops at: digits and '@', ':', '+', '('. Letters never start PII on
// their own (an IPv6 address that starts with one is found from its first ':').
constexpr std::array<bool, 256> MakeTriggers() {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c) {
    t[c] = (kClass[c] & kDigit) || c == '@' || c == ':' || c == '+' || c == '(';
  }
  return t;
}

constexpr std::array<bool, 256> kTrigger = MakeTriggers();

// The first trigger byte at or after i, or n.
size_t NextTrigger(const uint8_t* u, size_t i, size_t n) {
#if defined(__SSE2__)
  // Sixteen bytes at a time: '0'-'9' and ':' are one range (0x30-0x3A), then '@', '+', '('.
  const __m128i lo = _mm_set1_epi8(0x30), span = _mm_set1_epi8(0x0A);
  const __m128i at = _mm_set1_epi8('@'), plus = _mm_set1_epi8('+'), paren = _mm_set1_epi8('(');
  for (; i + 16 <= n; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(u + i));
    const __m128i off = _mm_sub_epi8(v, lo);
    __m128i hit = _mm_cmpeq_epi8(_mm_min_epu8(off, span), off);
    hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v, at));
    hit = _mm_or_si128(hit, _mm_or_si128(_mm_cmpeq_epi8(v, plus), _mm_cmpeq_epi8(v, paren)));
    if (const int mask = _mm_movemask_epi8(hit))
      return i + static_cast<size_t>(__builtin_ctz(mask));
  }
#endif
  while (i < n && !kTrigger[u[i]]) ++i;
  return i;
}

constexpr size_t kMaxLocal = 64;    // RFC 5321 limit on an e-mail's local part
constexpr size_t kMaxLabel = 63;    // RFC 1035 limit on a domain label
constexpr size_t kMaxDomain = 253;  // and on a domain name
constexpr size_t kMaxScheme = 32;   // longer "schemes" are words glued to "://"

bool IsLeap(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int DaysInMonth(int y, int m) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

bool Luhn(const uint8_t* d, size_t n) {
  int sum = 0;
  for (size_t k = 0; k < n; ++k) {
    int v = d[n - 1 - k];
    if (k % 2 == 1) v = v * 2 > 9 ? v * 2 - 9 : v * 2;
    sum += v;
  }
  return sum % 10 == 0;
}

// Issuer prefix (IIN) and length of the card networks we recognize.
bool KnownIssuer(const uint8_t* d, size_t n) {
  const int p2 = d[0] * 10 + d[1];
  const int p3 = p2 * 10 + d[2];
  const int p4 = p3 * 10 + d[3];
  if (d[0] == 4) return n == 13 || n == 16 || n == 19;                       // Visa
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return n == 16;  // Mastercard
  if (p2 == 34 || p2 == 37) return n == 15;                                  // Amex
  const bool long_ok = n >= 16 && n <= 19;
  if (p4 == 6011 || (p3 >= 644 && p3 <= 649) || p2 == 65) return long_ok;  // Discover
  if (p4 >= 3528 && p4 <= 3589) return long_ok;                            // JCB
  if (p2 == 62) return long_ok;                                            // UnionPay
  if (d[0] == 9) return n == 16;                                           // Korean domestic
  return false;
}

class Scanner {
 public:
  Scanner(std::string_view text, const PiiOptions& o) : p_(text.data()), n_(text.size()), o_(o) {}

  std::vector<PiiMatch> Run() {
    const auto* u = reinterpret_cast<const uint8_t*>(p_);
    size_t i = 0;
    while (i < n_) {
      i = NextTrigger(u, i, n_);
      if (i >= n_) break;
      const uint8_t c = u[i];
      if (kClass[c] & kDigit) {
        // Read the word whole: only a word that starts with a digit can start a number.
        const size_t start = i;
        bool digits = true;
        for (; i < n_ && (kClass[u[i]] & kWord); ++i) digits &= (kClass[u[i]] & kDigit) != 0;
        if (start > 0 && (kClass[u[start - 1]] & kWord)) continue;
        std::string_view kind;
        const size_t end = digits ? DigitRun(start, i - start, kind) : 0;
        if (end) {
          Emit(start, end, kind);
          i = end;
        }
        continue;
      }
      size_t begin = i, end = 0;
      std::string_view kind;
      if (c == '@' && o_.email) {
        end = Email(i, begin);
        kind = kPiiEmail;
      } else if (c == ':') {
        if (o_.url_credentials && At(i + 1) == '/' && At(i + 2) == '/') {
          end = Url(i, begin);
          kind = kPiiUrl;
        }
        if (!end && o_.ip) {
          begin = Ipv6Start(i);
          if (begin < i || (At(i + 1) == ':' && Ipv6StartOk(i))) end = Ipv6(begin);
          kind = kPiiIp;
        }
      } else if (c == '+' && o_.phone && (i == 0 || !Is(i - 1, kWord))) {
        end = PhonePlus(i);
        kind = kPiiPhone;
      } else if (c == '(' && o_.phone) {
        end = PhoneParen(i);
        kind = kPiiPhone;
      }
      if (end) {
        Emit(begin, end, kind);
        i = end;
      } else {
        ++i;
      }
    }
    return std::move(out_);
  }

 private:
  uint8_t At(size_t i) const { return i < n_ ? static_cast<uint8_t>(p_[i]) : 0; }
  bool Is(size_t i, uint8_t cls) const { return i < n_ && (kClass[At(i)] & cls); }
  bool IsDigit(size_t i) const { return Is(i, kDigit); }
  bool IsHex(size_t i) const { return Is(i, kDigit | kHexLetter); }

  // Digits in a row at i, counting at most cap + 1 (so "more than cap" is cheap to tell).
  size_t Digits(size_t i, size_t cap) const {
    size_t k = 0;
    while (k <= cap && IsDigit(i + k)) ++k;
    return k;
  }

  int Value(size_t i, size_t len) const {
    int v = 0;
    for (size_t k = 0; k < len; ++k) v = v * 10 + (At(i + k) - '0');
    return v;
  }

  void Emit(size_t begin, size_t end, std::string_view kind) {
    out_.push_back({begin, end, kind});
    last_end_ = end;
  }

  // A number may start at i (a digit whose previous byte is not a word byte): it must not be the
  // tail of "+digits" or of a digit structure like "1-", "1." or "1:".
  bool NumericStartOk(size_t i) const {
    if (i == 0) return true;
    const uint8_t c = At(i - 1);
    if (c == '+') return false;
    if ((c == '-' || c == '.' || c == ':') && i >= 2 && IsDigit(i - 2)) return false;
    return true;
  }

  // A number may end at e: no word byte, no '@' (an e-mail's local part), no "-5" or ".5".
  bool NumericEndOk(size_t e) const {
    if (e >= n_) return true;
    const uint8_t c = At(e);
    if ((kClass[c] & kWord) || c == '@') return false;
    if ((c == '-' || c == '.') && IsDigit(e + 1)) return false;
    return true;
  }

  // The recognizers for a token that starts with a run of r digits at i, in priority order; each
  // is tried only when the run's length and the byte after it fit.
  size_t DigitRun(size_t i, size_t r, std::string_view& kind) const {
    const uint8_t next = At(i + r), first = At(i);
    size_t e = 0;
    if (NumericStartOk(i)) {
      if (o_.ip && r <= 3 && next == '.' && (e = Ipv4(i))) {
        kind = kPiiIp;
      } else if (o_.card && ((r >= 13 && r <= 19) || (r == 4 && (next == ' ' || next == '-'))) &&
                 (e = Card(i))) {
        kind = kPiiCard;
      } else if (o_.rrn && (r == 13 || (r == 6 && next == '-')) && (e = Rrn(i))) {
        kind = kPiiId;
      } else if (o_.business_number && r == 3 && next == '-' && (e = Business(i))) {
        kind = kPiiBusiness;
      } else if (o_.phone &&
                 ((first == '0' && (r == 2 || r == 3 || r == 10 || r == 11)) ||
                  (first == '1' && r == 4 && next == '-')) &&
                 (e = PhoneDigits(i))) {
        kind = kPiiPhone;
      }
      if (e) return e;
    }
    if (o_.ip && r <= 4 && next == ':' && Ipv6StartOk(i) && (e = Ipv6(i))) kind = kPiiIp;
    return e;
  }

  // ---- IP addresses ----

  // Four dotted octets at i, without boundary checks; returns the end or 0.
  size_t Ipv4Body(size_t i) const {
    size_t q = i;
    for (int k = 0; k < 4; ++k) {
      const size_t r = Digits(q, 3);
      if (r == 0 || r > 3) return 0;
      if (r > 1 && At(q) == '0') return 0;
      if (Value(q, r) > 255) return 0;
      q += r;
      if (k < 3) {
        if (At(q) != '.') return 0;
        ++q;
      }
    }
    return q;
  }

  size_t Ipv4(size_t i) const {
    if (i > 0 && At(i - 1) == '.') return 0;
    const size_t e = Ipv4Body(i);
    return e && NumericEndOk(e) ? e : 0;
  }

  bool Ipv6StartOk(size_t i) const {
    if (i == 0) return true;
    const uint8_t c = At(i - 1);
    return !(kClass[c] & kWord) && c != ':' && c != '.';
  }

  // Where an IPv6 address whose first ':' is at c would start: after 1-4 hex digits that are a
  // word of their own and not all decimal (those were tried from their first digit); c if none.
  size_t Ipv6Start(size_t c) const {
    size_t s = c;
    bool letter = false;
    while (s > last_end_ && c - s < 5 && IsHex(s - 1)) letter |= !IsDigit(--s);
    if (s == c || c - s > 4 || !letter || !Ipv6StartOk(s)) return c;
    return s;
  }

  size_t Ipv6(size_t i) const {
    size_t q = i, end = 0;
    int groups = 0, colons = 0;
    bool compressed = false, decimal = false;
    if (At(q) == ':') {
      if (At(q + 1) != ':') return 0;
      compressed = true;
      colons = 2;
      q += 2;
      end = q;
    }
    for (;;) {
      size_t h = 0;
      while (h < 5 && IsHex(q + h)) ++h;
      if (h == 0) break;
      if (h > 4) return 0;
      if (At(q + h) == '.' && IsDigit(q + h + 1)) {  // embedded IPv4 tail
        const size_t e4 = Ipv4Body(q);
        if (!e4) return 0;
        groups += 2;
        decimal = true;
        end = e4;
        break;
      }
      for (size_t k = 0; k < h; ++k) decimal |= IsDigit(q + k);
      ++groups;
      q += h;
      end = q;
      if (groups > 8) return 0;
      if (At(q) == ':' && At(q + 1) == ':') {
        if (compressed) return 0;
        compressed = true;
        colons += 2;
        q += 2;
        end = q;
        continue;
      }
      if (At(q) == ':' && IsHex(q + 1)) {
        ++colons;
        ++q;
        continue;
      }
      break;
    }
    if (groups == 0 || colons < 2 || !decimal) return 0;
    if (compressed ? groups > 7 : groups != 8) return 0;
    if (Is(end, kWord) || (At(end) == '.' && IsDigit(end + 1))) return 0;
    if (At(end) == ':' && At(end - 1) == ':') return 0;  // ":::"
    return end;
  }

  // ---- cards, resident numbers, business numbers ----

  size_t Card(size_t i) const {
    uint8_t d[19];
    const size_t run = Digits(i, 19);
    if (run >= 13) {
      if (run > 19) return 0;
      for (size_t k = 0; k < run; ++k) d[k] = At(i + k) - '0';
      if (!KnownIssuer(d, run) || !Luhn(d, run)) return 0;
      return NumericEndOk(i + run) ? i + run : 0;
    }
    if (run != 4) return 0;
    const uint8_t sep = At(i + 4);
    if (sep != ' ' && sep != '-') return 0;
    size_t len[5], ends[5], total = 0, q = i;
    int groups = 0;
    while (groups < 5) {
      const size_t r = Digits(q, 6);
      if (r == 0 || r > 6 || total + r > 19) break;
      for (size_t k = 0; k < r; ++k) d[total + k] = At(q + k) - '0';
      total += r;
      q += r;
      len[groups] = r;
      ends[groups++] = q;
      if (At(q) != sep || !IsDigit(q + 1)) break;
      ++q;
    }
    for (int k = groups; k >= 3; --k) {
      bool shape;
      if (k == 3) {
        shape = len[0] == 4 && len[1] == 6 && (len[2] == 5 || len[2] == 4);
      } else {
        shape = len[0] == 4 && len[1] == 4 && len[2] == 4 && len[3] == 4 && (k == 4 || len[4] == 3);
      }
      if (!shape) continue;
      size_t n = 0;
      for (int g = 0; g < k; ++g) n += len[g];
      if (KnownIssuer(d, n) && Luhn(d, n) && NumericEndOk(ends[k - 1])) return ends[k - 1];
    }
    return 0;
  }

  size_t Rrn(size_t i) const {
    uint8_t d[13];
    size_t e;
    if (Digits(i, 13) == 13) {
      for (size_t k = 0; k < 13; ++k) d[k] = At(i + k) - '0';
      e = i + 13;
    } else if (Digits(i, 6) == 6 && At(i + 6) == '-' && Digits(i + 7, 7) == 7) {
      for (size_t k = 0; k < 6; ++k) d[k] = At(i + k) - '0';
      for (size_t k = 0; k < 7; ++k) d[6 + k] = At(i + 7 + k) - '0';
      e = i + 14;
    } else {
      return 0;
    }
    // The digit after the hyphen gives sex and century: 1, 2 (and 5, 6 for foreign residents)
    // for births in the 1900s; 3, 4 (7, 8) for the 2000s. 9 and 0 (the 1800s) are not accepted.
    static constexpr int kCentury[10] = {0, 1900, 1900, 2000, 2000, 1900, 1900, 2000, 2000, 0};
    const int century = kCentury[d[6]];
    if (!century) return 0;
    const int year = century + d[0] * 10 + d[1];
    const int month = d[2] * 10 + d[3];
    const int day = d[4] * 10 + d[5];
    if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month)) return 0;
    return NumericEndOk(e) ? e : 0;
  }

  size_t Business(size_t i) const {
    if (Digits(i, 3) != 3 || At(i + 3) != '-' || Digits(i + 4, 2) != 2 || At(i + 6) != '-' ||
        Digits(i + 7, 5) != 5) {
      return 0;
    }
    int d[10];
    for (size_t k = 0; k < 3; ++k) d[k] = At(i + k) - '0';
    for (size_t k = 0; k < 2; ++k) d[3 + k] = At(i + 4 + k) - '0';
    for (size_t k = 0; k < 5; ++k) d[5 + k] = At(i + 7 + k) - '0';
    static constexpr int kWeights[9] = {1, 3, 7, 1, 3, 7, 1, 3, 5};
    int sum = 0;
    for (int k = 0; k < 9; ++k) sum += d[k] * kWeights[k];
    sum += d[8] * 5 / 10;
    if ((10 - sum % 10) % 10 != d[9]) return 0;
    return NumericEndOk(i + 12) ? i + 12 : 0;
  }

  // ---- phone numbers ----

  // A Korean area code (without the trunk '0') at q: its length, or 0.
  size_t KrAreaCode(size_t q, bool& mobile) const {
    const uint8_t c0 = At(q), c1 = At(q + 1);
    mobile = false;
    if (c0 == '2') return 1;  // Seoul
    if (c0 == '1' && (c1 == '0' || c1 == '1' || (c1 >= '6' && c1 <= '9'))) {
      mobile = true;
      return 2;
    }
    if ((c0 == '3' && c1 >= '1' && c1 <= '3') || (c0 == '4' && c1 >= '1' && c1 <= '4') ||
        (c0 == '5' && c1 >= '1' && c1 <= '5') || (c0 == '6' && c1 >= '1' && c1 <= '4') ||
        (c0 == '7' && c1 == '0')) {
      return 2;
    }
    return 0;
  }

  // A Korean number at p: trunk '0' (optional after +82), area code, then 3-4 and 4 digits with
  // one separator throughout; mobile numbers also as 10-11 bare digits or 010-12345678. Returns
  // the end (boundary not checked) or 0.
  size_t KrNumber(size_t p, bool trunk_optional) const {
    size_t q = p;
    if (At(q) == '0') {
      ++q;
    } else if (!trunk_optional) {
      return 0;
    }
    bool mobile;
    const size_t area = KrAreaCode(q, mobile);
    if (!area) return 0;
    const size_t area_end = q + area;
    const size_t run = Digits(p, 12);
    if (run > area_end - p) {  // digits go on: the bare form
      const size_t rest = run - (area_end - p);
      return mobile && (rest == 7 || rest == 8) ? p + run : 0;
    }
    const uint8_t sep = At(area_end);
    if (sep != '-' && sep != '.' && sep != ' ') return 0;
    const size_t mid = Digits(area_end + 1, 8);
    if (mid == 3 || mid == 4) {
      const size_t q2 = area_end + 1 + mid;
      if (At(q2) == sep && Digits(q2 + 1, 4) == 4) return q2 + 5;
      return 0;
    }
    if (mobile && sep == '-' && mid == 8) return area_end + 9;
    return 0;
  }

  size_t PhoneDigits(size_t i) const {
    if (At(i) == '0') {
      const size_t e = KrNumber(i, false);
      return e && NumericEndOk(e) ? e : 0;
    }
    // Nationwide representative numbers 15xx-xxxx, 16xx-xxxx, 18xx-xxxx.
    const uint8_t c1 = At(i + 1);
    if (At(i) == '1' && (c1 == '5' || c1 == '6' || c1 == '8') && Digits(i, 4) == 4 &&
        At(i + 4) == '-' && Digits(i + 5, 4) == 4) {
      const int a = Value(i, 4), b = Value(i + 5, 4);
      if (b > a && (b <= 2100 || (a % 100 == 0 && b % 100 == 0))) return 0;  // a range
      return NumericEndOk(i + 9) ? i + 9 : 0;
    }
    return 0;
  }

  // "(02) 123-4567", "(031)1234-5678".
  size_t PhoneParen(size_t i) const {
    size_t q = i + 1;
    if (At(q) != '0') return 0;
    ++q;
    bool mobile;
    const size_t area = KrAreaCode(q, mobile);
    if (!area || At(q + area) != ')') return 0;
    q += area + 1;
    if (At(q) == ' ' || At(q) == '-') ++q;
    const size_t mid = Digits(q, 4);
    if (mid != 3 && mid != 4) return 0;
    q += mid;
    const uint8_t sep = At(q);
    if ((sep != '-' && sep != '.' && sep != ' ') || Digits(q + 1, 4) != 4) return 0;
    q += 5;
    return NumericEndOk(q) ? q : 0;
  }

  size_t PhonePlus(size_t i) const {
    if (At(i + 1) == '8' && At(i + 2) == '2') {
      size_t q = i + 3;
      if (At(q) == ' ' || At(q) == '-') ++q;
      if (At(q) == '(' && At(q + 1) == '0' && At(q + 2) == ')') {  // "+82 (0)10-..."
        q += 3;
        if (At(q) == ' ' || At(q) == '-') ++q;
      }
      const size_t e = KrNumber(q, true);
      if (e && NumericEndOk(e)) return e;
    }
    return E164(i);
  }

  // '+', a country code and national number: 8-15 digits in up to 6 groups.
  size_t E164(size_t i) const {
    size_t q = i + 1, end = 0, total = 0;
    size_t len[6];
    int groups = 0;
    uint8_t sep = 0;      // the separator before the group being read
    bool dashed = false;  // a '-' or '.' came between groups
    if (!IsDigit(q) || At(q) == '0') return 0;
    while (groups < 6) {
      size_t r;
      bool paren = false;
      if (At(q) == '(' && groups > 0) {
        r = Digits(q + 1, 4);
        if (r == 0 || r > 4 || At(q + 1 + r) != ')') break;
        paren = true;
      } else {
        r = Digits(q, 15);
        if (r == 0) break;
      }
      if (total + r > 15) {
        if (sep == ' ') break;  // a number that follows, not part of this one
        return 0;
      }
      if (groups >= 2 && sep == ' ' && r == 1) break;  // "+1 415 555 2671 2 apples"
      if (sep == ' ' && dashed) break;  // "+1 415-555-2671 2024-01-15": spaces come first
      total += r;
      len[groups++] = r;
      q += paren ? r + 2 : r;
      end = q;
      const uint8_t c = At(q);
      if ((c == ' ' || c == '-' || c == '.') && (IsDigit(q + 1) || At(q + 1) == '(')) {
        sep = c;
        dashed |= c != ' ';
        ++q;
      } else if (paren && IsDigit(q)) {
        sep = 0;
      } else {
        break;
      }
    }
    if (total < 8 || (groups == 1 && total < 10)) return 0;
    if (groups == 3 && len[0] == 4 && len[1] == 2 && len[2] == 2) return 0;  // +2024-01-15
    return NumericEndOk(end) ? end : 0;
  }

  // ---- e-mail and URLs ----

  // An e-mail around the '@' at a; sets begin.
  size_t Email(size_t a, size_t& begin) const {
    const size_t lim = a - std::min(a - last_end_, kMaxLocal + 1);
    size_t s = a;
    while (s > lim && Is(s - 1, kLocal)) --s;
    if (a - s > kMaxLocal) return 0;
    // Leading dots are punctuation; so is a run of dots inside ("see...kim@").
    for (size_t k = s; k + 1 < a; ++k) {
      if (At(k) == '.' && At(k + 1) == '.') s = k + 2;
    }
    while (s < a && At(s) == '.') ++s;
    if (s == a || At(a - 1) == '.') return 0;
    size_t q = a + 1, best = 0;
    int labels = 0;
    for (;;) {
      const size_t ls = q;
      bool alpha = true;
      for (; q - ls <= kMaxLabel && Is(q, kLabel); ++q) alpha &= Is(q, kAlpha);
      if (q == ls || q - ls > kMaxLabel || At(ls) == '-' || At(q - 1) == '-') break;
      if (q - (a + 1) > kMaxDomain) break;
      ++labels;
      if (labels >= 2 && alpha && q - ls >= 2) best = q;
      if (At(q) == '.' && Is(q + 1, kLabel)) {
        ++q;
        continue;
      }
      break;
    }
    if (!best) return 0;
    begin = s;
    return best;
  }

  // A URL with credentials around the "://" at c; sets begin.
  size_t Url(size_t c, size_t& begin) const {
    const size_t lim = c - std::min(c - last_end_, kMaxScheme);
    size_t s = c;
    while (s > lim && Is(s - 1, kScheme)) --s;
    while (s < c && !Is(s, kAlpha)) ++s;  // a scheme starts with a letter
    if (s == c) return 0;
    // The authority runs to the first '/', '?', '#' or stop byte; its last '@' ends the userinfo
    // (passwords with a raw '@' are common enough).
    const size_t a0 = c + 3;
    size_t ae = a0, at = 0;
    for (; ae < n_; ++ae) {
      const uint8_t b = At(ae);
      if ((kClass[b] & kUrlStop) || b == '/' || b == '?' || b == '#') break;
      if (b == '@') at = ae;
    }
    if (!at) return 0;
    size_t colon = a0;
    while (colon < at && At(colon) != ':') ++colon;
    if (colon + 1 >= at) return 0;  // need a password (the user may be empty: "redis://:pw@")
    bool host = false;
    for (size_t k = at + 1; k < ae; ++k) host |= Is(k, kWord);
    if (!host) return 0;
    size_t e = ae;
    while (e < n_ && !(kClass[At(e)] & kUrlStop)) ++e;
    int parens = 0, brackets = 0;  // opened minus closed
    for (size_t k = a0; k < e; ++k) {
      const uint8_t b = At(k);
      parens += (b == '(') - (b == ')');
      brackets += (b == '[') - (b == ']');
    }
    // Trailing punctuation belongs to the sentence, as does a ')' or ']' closing outside the URL.
    // The host's word byte is never stripped, so the URL keeps at least "scheme://u:p@h".
    for (;; --e) {
      const uint8_t b = At(e - 1);
      if (b == '.' || b == ',' || b == ';' || b == ':' || b == '!' || b == '?') continue;
      if (b == ')' && parens < 0) {
        ++parens;
        continue;
      }
      if (b == ']' && brackets < 0) {
        ++brackets;
        continue;
      }
      break;
    }
    begin = s;
    return e;
  }

  const char* p_;
  size_t n_;
  const PiiOptions& o_;
  size_t last_end_ = 0;
  std::vector<PiiMatch> out_;
};

}  // namespace

std::vector<PiiMatch> FindPii(std::string_view text, const PiiOptions& o) {
  return Scanner(text, o).Run();
}

std::string RedactPii(std::string_view text, const PiiOptions& o, std::vector<PiiMatch>* found) {
  std::vector<PiiMatch> matches = FindPii(text, o);
  std::string out;
  if (matches.empty()) {
    out.assign(text);
  } else {
    out.reserve(text.size());
    size_t pos = 0;
    for (const PiiMatch& m : matches) {
      out.append(text.substr(pos, m.begin - pos));
      out.append(m.kind);
      pos = m.end;
    }
    out.append(text.substr(pos));
  }
  if (found) *found = std::move(matches);
  return out;
}

}  // namespace exaone::foundry
