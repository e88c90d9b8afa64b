#include "constrain/json_rules.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "constrain/json_schema.h"

namespace exaone::constrain {
namespace {

constexpr int kMaxIndent = 20;

std::string Digits(uint64_t v) {
  return std::to_string(v);
}

uint64_t Pow10(int n) {
  uint64_t p = 1;
  for (int i = 0; i < n; ++i) p *= 10;
  return p;
}

uint64_t Magnitude(int64_t v) {
  return v < 0 ? static_cast<uint64_t>(-(v + 1)) + 1 : static_cast<uint64_t>(v);
}

}  // namespace

uint32_t JsonRules::Ws() {
  if (ws_) return *ws_;
  // indent_k: up to kMaxIndent - k more spaces.
  uint32_t next = g_.NewRule("indent" + std::to_string(kMaxIndent));
  g_.AddAlternative(next, {});
  for (int k = kMaxIndent - 1; k >= 0; --k) {
    const uint32_t r = g_.NewRule("indent" + std::to_string(k));
    g_.AddAlternative(r, {});
    g_.AddAlternative(r, {Element::Byte(' '), Element::Ref(next)});
    next = r;
  }
  const uint32_t ws = g_.NewRule("ws");
  g_.AddAlternative(ws, {});
  g_.AddAlternative(ws, Grammar::Literal(" "));
  g_.AddAlternative(ws, {Element::Byte('\n'), Element::Ref(next)});
  ws_ = ws;
  return ws;
}

uint32_t JsonRules::StringChar() {
  if (char_) return *char_;
  const uint32_t r = g_.NewRule("char");
  g_.AddUtf8Range(r, 0x20, 0x21);
  g_.AddUtf8Range(r, 0x23, 0x5B);
  g_.AddUtf8Range(r, 0x5D, 0x10FFFF);
  ByteSet esc;
  for (char c : std::string("\"\\/bfnrt")) esc.Add(static_cast<uint8_t>(c));
  g_.AddAlternative(r, {Element::Byte('\\'), Element::Bytes(esc)});
  ByteSet hex = ByteSet::Range('0', '9');
  hex.AddRange('a', 'f');
  hex.AddRange('A', 'F');
  g_.AddAlternative(r, {Element::Byte('\\'), Element::Byte('u'), Element::Bytes(hex),
                        Element::Bytes(hex), Element::Bytes(hex), Element::Bytes(hex)});
  char_ = r;
  return r;
}

uint32_t JsonRules::String(int64_t min, int64_t max) {
  if (min == 0 && max < 0 && any_string_) return *any_string_;
  const uint32_t body = g_.Repeat({Element::Ref(StringChar())}, min, max, "chars");
  const uint32_t r = g_.NewRule("string");
  g_.AddAlternative(r, {Element::Byte('"'), Element::Ref(body), Element::Byte('"')});
  if (min == 0 && max < 0) any_string_ = r;
  return r;
}

// An optional fraction ("." and 1 to 19 digits), any digits or zeros only.
uint32_t JsonRules::Fraction(bool zeros_only) {
  const uint8_t hi = zeros_only ? '0' : '9';
  const uint32_t more =
      g_.Repeat({Element::Bytes(ByteSet::Range('0', hi))}, 0, kMaxDigits - 1, "frac-digits");
  const uint32_t r = g_.NewRule(zeros_only ? "zero-fraction" : "fraction");
  g_.AddAlternative(r, {});
  g_.AddAlternative(
      r, {Element::Byte('.'), Element::Bytes(ByteSet::Range('0', hi)), Element::Ref(more)});
  return r;
}

uint32_t JsonRules::Number() {
  if (number_) return *number_;
  const uint32_t exp = g_.NewRule("exponent");
  g_.AddAlternative(exp, {});
  ByteSet e = ByteSet::Of('e');
  e.Add('E');
  ByteSet sign = ByteSet::Of('+');
  sign.Add('-');
  const uint32_t sign_opt = g_.Optional({Element::Bytes(sign)}, "sign");
  // At most two exponent digits: every number stays a finite double for the reader.
  const uint32_t second = g_.Optional({Element::Bytes(ByteSet::Range('0', '9'))}, "digit");
  g_.AddAlternative(exp, {Element::Bytes(e), Element::Ref(sign_opt),
                          Element::Bytes(ByteSet::Range('0', '9')), Element::Ref(second)});
  const uint32_t r = g_.NewRule("number");
  g_.AddAlternative(r, {Element::Ref(Integer(std::nullopt, std::nullopt)),
                        Element::Ref(Fraction(false)), Element::Ref(exp)});
  number_ = r;
  return r;
}

// Decimal digit strings of A's length from A to B (A <= B, same length), as sequences: at the
// first digit where they differ, A's digit with the rest from A's up, the digits between with
// any rest, B's digit with the rest up to B's (merged into the middle when A's rest is all 0s
// or B's all 9s, so the count of sequences grows with the square of the length, not 2^length).
void JsonRules::SameLength(const std::string& a, const std::string& b, Sequence prefix,
                           std::vector<Sequence>& out) {
  if (a.empty()) {
    out.push_back(std::move(prefix));
    return;
  }
  const size_t rest = a.size() - 1;
  if (a[0] == b[0]) {
    prefix.push_back(Element::Byte(static_cast<uint8_t>(a[0])));
    SameLength(a.substr(1), b.substr(1), std::move(prefix), out);
    return;
  }
  const bool a_zeros = a.find_first_not_of('0', 1) == std::string::npos;
  const bool b_nines = b.find_first_not_of('9', 1) == std::string::npos;
  char mid_lo = static_cast<char>(a[0] + 1), mid_hi = static_cast<char>(b[0] - 1);
  if (a_zeros) {
    mid_lo = a[0];
  } else {
    Sequence lo = prefix;
    lo.push_back(Element::Byte(static_cast<uint8_t>(a[0])));
    SameLength(a.substr(1), std::string(rest, '9'), std::move(lo), out);
  }
  if (b_nines) mid_hi = b[0];
  if (mid_lo <= mid_hi) {
    Sequence mid = prefix;
    mid.push_back(
        Element::Bytes(ByteSet::Range(static_cast<uint8_t>(mid_lo), static_cast<uint8_t>(mid_hi))));
    for (size_t i = 0; i < rest; ++i) mid.push_back(Element::Bytes(ByteSet::Range('0', '9')));
    out.push_back(std::move(mid));
  }
  if (!b_nines) {
    Sequence hi = prefix;
    hi.push_back(Element::Byte(static_cast<uint8_t>(b[0])));
    SameLength(std::string(rest, '0'), b.substr(1), std::move(hi), out);
  }
}

// Alternatives for the non-negative integers lo .. hi (hi unset: up to 19 digits), no leading
// zeros.
void JsonRules::AddUintRange(uint32_t rule, uint64_t lo, std::optional<uint64_t> hi) {
  std::vector<Sequence> seqs;
  uint64_t start = lo;
  for (int len = 1; len <= 19; ++len) {
    const uint64_t first = len == 1 ? 0 : Pow10(len - 1);
    const uint64_t last = Pow10(len) - 1;
    if (hi && start > *hi) break;
    if (start > last) continue;
    const uint64_t a = std::max(start, first);
    const uint64_t b = hi ? std::min(*hi, last) : last;
    if (a <= b) {
      SameLength(Digits(a), Digits(b), {}, seqs);
    }
    start = last + 1;
    if (!hi && len == 19) break;
  }
  for (Sequence& s : seqs) g_.AddAlternative(rule, std::move(s));
}

// Integers in [lo, hi] (either side may be open); "-0" too when 0 is in range and
// `negative_zero` (not for the integer part of a bounded number, where "-0.5" would follow).
uint32_t JsonRules::Integer(std::optional<int64_t> lo, std::optional<int64_t> hi,
                            bool negative_zero) {
  const bool any = !lo && !hi && negative_zero;
  if (any && integer_) return *integer_;
  const uint32_t r = g_.NewRule("integer");
  if (!hi || *hi >= 0) {
    const uint64_t from = lo && *lo > 0 ? static_cast<uint64_t>(*lo) : 0;
    AddUintRange(r, from, hi ? std::optional<uint64_t>(static_cast<uint64_t>(*hi)) : std::nullopt);
  }
  if (!lo || *lo < 0) {
    // Magnitudes of the negatives: from max(1, -hi) to -lo.
    const uint64_t from = hi && *hi < 0 ? Magnitude(*hi) : 1;
    const std::optional<uint64_t> to = lo ? std::optional<uint64_t>(Magnitude(*lo)) : std::nullopt;
    if (!to || from <= *to) {
      const uint32_t mag = g_.NewRule("magnitude");
      AddUintRange(mag, from, to);
      g_.AddAlternative(r, {Element::Byte('-'), Element::Ref(mag)});
    }
  }
  if (negative_zero && (!lo || *lo <= 0) && (!hi || *hi >= 0)) {
    g_.AddAlternative(r, Grammar::Literal("-0"));
  }
  EXA_CHECK(!g_.alternatives(r).empty());  // lo <= hi, checked by the caller
  if (any) integer_ = r;
  return r;
}

// Numbers in [lo, hi] with integer bounds (no exponent).
uint32_t JsonRules::BoundedNumber(std::optional<int64_t> lo, std::optional<int64_t> hi) {
  const uint32_t r = g_.NewRule("bounded-number");
  const uint32_t any_frac = Fraction(false);
  const uint32_t zero_frac = Fraction(true);
  // x >= 0: integer part I with any fraction while I < hi; I == hi with zeros only.
  if (!hi || *hi >= 0) {
    const int64_t from = lo && *lo > 0 ? *lo : 0;
    if (!hi || *hi > from) {
      const uint32_t i = Integer(from, hi ? std::optional<int64_t>(*hi - 1) : std::nullopt, false);
      g_.AddAlternative(r, {Element::Ref(i), Element::Ref(any_frac)});
    }
    if (hi && *hi >= from) {
      const uint32_t i = Integer(*hi, *hi, false);
      g_.AddAlternative(r, {Element::Ref(i), Element::Ref(zero_frac)});
    }
  }
  // x < 0, written -I.F with I.F in (0, -lo]: I in [max(-hi, 0), -lo - 1] with any
  // fraction, I == -lo with zeros only.
  if (!lo || *lo < 0) {
    const int64_t from = hi && *hi < 0 ? -*hi : 0;
    if (!lo || -*lo > from) {
      const uint32_t i = Integer(from, lo ? std::optional<int64_t>(-*lo - 1) : std::nullopt, false);
      g_.AddAlternative(r, {Element::Byte('-'), Element::Ref(i), Element::Ref(any_frac)});
    }
    if (lo && -*lo >= from && *lo < 0) {
      const uint32_t i = Integer(-*lo, -*lo, false);
      g_.AddAlternative(r, {Element::Byte('-'), Element::Ref(i), Element::Ref(zero_frac)});
    }
  }
  EXA_CHECK(!g_.alternatives(r).empty());  // lo <= hi, checked by the caller
  return r;
}

uint32_t JsonRules::AnyValue() {
  if (any_) return *any_;
  const uint32_t v = g_.NewRule("value");
  any_ = v;
  const uint32_t ws = Ws();
  // object
  const uint32_t member = g_.NewRule("member");
  g_.AddAlternative(member, {Element::Ref(String()), Element::Ref(ws), Element::Byte(':'),
                             Element::Ref(ws), Element::Ref(v)});
  const uint32_t members = g_.Star(
      {Element::Ref(ws), Element::Byte(','), Element::Ref(ws), Element::Ref(member)}, "members");
  const uint32_t obj = g_.NewRule("object");
  any_object_ = obj;
  g_.AddAlternative(obj, {Element::Byte('{'), Element::Ref(ws), Element::Byte('}')});
  g_.AddAlternative(obj, {Element::Byte('{'), Element::Ref(ws), Element::Ref(member),
                          Element::Ref(members), Element::Ref(ws), Element::Byte('}')});
  // array
  const uint32_t elems = g_.Star(
      {Element::Ref(ws), Element::Byte(','), Element::Ref(ws), Element::Ref(v)}, "elements");
  const uint32_t arr = g_.NewRule("array");
  g_.AddAlternative(arr, {Element::Byte('['), Element::Ref(ws), Element::Byte(']')});
  g_.AddAlternative(arr, {Element::Byte('['), Element::Ref(ws), Element::Ref(v),
                          Element::Ref(elems), Element::Ref(ws), Element::Byte(']')});
  for (uint32_t alt : {obj, arr, String(), Number()}) g_.AddAlternative(v, {Element::Ref(alt)});
  for (const char* lit : {"true", "false", "null"}) g_.AddAlternative(v, Grammar::Literal(lit));
  return v;
}

uint32_t JsonRules::AnyObject() {
  AnyValue();
  return *any_object_;
}

std::shared_ptr<Grammar> AnyJsonGrammar() {
  auto g = std::make_shared<Grammar>();
  JsonRules rules(*g);
  g->set_root(rules.AnyValue());
  g->Validate();
  return g;
}

}  // namespace exaone::constrain
