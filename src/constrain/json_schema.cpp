#include "constrain/json_schema.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/error.h"
#include "constrain/regex.h"

namespace exaone::constrain {
namespace {

using Json = SchemaJson;

constexpr int kMaxIndent = 20;
constexpr int64_t kMaxRepeat = 4096;  // bound on minItems / maxItems / string lengths
constexpr int kMaxDigits = 19;        // integer parts, fractions (a model cannot run on forever)
constexpr int kMaxExtraName = 64;     // bytes of an extra member's name
constexpr int kMaxDepth = 128;        // nested schemas

[[noreturn]] void Fail(const std::string& path, const std::string& msg) {
  throw Error(ErrorCode::kInvalidArgument, "JSON schema at " + path + ": " + msg);
}

// Keywords that only describe (ignored by generation and by validation alike).
const std::set<std::string>& Annotations() {
  static const std::set<std::string> k = {
      "title",      "description", "default",   "examples", "$schema",     "$id",    "$comment",
      "deprecated", "readOnly",    "writeOnly", "$defs",    "definitions", "strict", "name"};
  return k;
}

const std::set<std::string>& Supported() {
  static const std::set<std::string> k = {"type",
                                          "properties",
                                          "required",
                                          "additionalProperties",
                                          "enum",
                                          "const",
                                          "items",
                                          "prefixItems",
                                          "minItems",
                                          "maxItems",
                                          "anyOf",
                                          "oneOf",
                                          "allOf",
                                          "$ref",
                                          "minLength",
                                          "maxLength",
                                          "minimum",
                                          "maximum",
                                          "exclusiveMinimum",
                                          "exclusiveMaximum",
                                          "pattern",
                                          "format"};
  return k;
}

// Formats as anchored patterns of values a validator accepts: dates with days that exist in
// every year (February to the 28th), times with an offset, lowercase UUIDs, plain emails (at
// most four domain labels).
std::string FormatRegex(const std::string& format, const std::string& path) {
  const std::string date =
      "\\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\\d|30)"
      "|02-(?:0[1-9]|1\\d|2[0-8]))";
  const std::string time =
      "(?:[01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(?:\\.\\d{1,6})?(?:Z|[+-](?:[01]\\d|2[0-3]):[0-5]\\d)";
  if (format == "date") return "^" + date + "$";
  if (format == "time") return "^" + time + "$";
  if (format == "date-time") return "^" + date + "T" + time + "$";
  if (format == "uuid") {
    return "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$";
  }
  if (format == "email") {
    return "^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\\.[A-Za-z0-9-]{1,63}){0,3}\\.[A-Za-z]{2,"
           "24}$";
  }
  Fail(path, "format '" + format + "' is not supported (date, time, date-time, uuid, email are)");
}

std::string Digits(uint64_t v) {
  return std::to_string(v);
}

class Builder {
 public:
  Builder(Grammar& g, const Json* root) : g_(g), root_(root) {}

  uint32_t Ws() {
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

  uint32_t StringChar() {
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

  uint32_t Repeat(const Sequence& x, int64_t min, int64_t max, const std::string& name) {
    return g_.Repeat(x, min, max, name);
  }

  uint32_t String(int64_t min = 0, int64_t max = -1) {
    if (min == 0 && max < 0 && any_string_) return *any_string_;
    const uint32_t body = Repeat({Element::Ref(StringChar())}, min, max, "chars");
    const uint32_t r = g_.NewRule("string");
    g_.AddAlternative(r, {Element::Byte('"'), Element::Ref(body), Element::Byte('"')});
    if (min == 0 && max < 0) any_string_ = r;
    return r;
  }

  uint32_t DigitsStar() {
    if (digits_) return *digits_;
    digits_ = g_.Star({Element::Bytes(ByteSet::Range('0', '9'))}, "digits");
    return *digits_;
  }

  // An optional fraction ("." and 1 to 19 digits), any digits or zeros only.
  uint32_t Fraction(bool zeros_only) {
    const uint8_t hi = zeros_only ? '0' : '9';
    const uint32_t more =
        Repeat({Element::Bytes(ByteSet::Range('0', hi))}, 0, kMaxDigits - 1, "frac-digits");
    const uint32_t r = g_.NewRule(zeros_only ? "zero-fraction" : "fraction");
    g_.AddAlternative(r, {});
    g_.AddAlternative(
        r, {Element::Byte('.'), Element::Bytes(ByteSet::Range('0', hi)), Element::Ref(more)});
    return r;
  }

  uint32_t Number() {
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
  void SameLength(const std::string& a, const std::string& b, Sequence prefix,
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
      mid.push_back(Element::Bytes(
          ByteSet::Range(static_cast<uint8_t>(mid_lo), static_cast<uint8_t>(mid_hi))));
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
  void AddUintRange(uint32_t rule, uint64_t lo, std::optional<uint64_t> hi) {
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

  static uint64_t Pow10(int n) {
    uint64_t p = 1;
    for (int i = 0; i < n; ++i) p *= 10;
    return p;
  }

  // Integers in [lo, hi] (either side may be open); "-0" too when 0 is in range and
  // `negative_zero` (not for the integer part of a bounded number, where "-0.5" would follow).
  uint32_t Integer(std::optional<int64_t> lo, std::optional<int64_t> hi,
                   bool negative_zero = true) {
    const bool any = !lo && !hi && negative_zero;
    if (any && integer_) return *integer_;
    const uint32_t r = g_.NewRule("integer");
    if (!hi || *hi >= 0) {
      const uint64_t from = lo && *lo > 0 ? static_cast<uint64_t>(*lo) : 0;
      AddUintRange(r, from,
                   hi ? std::optional<uint64_t>(static_cast<uint64_t>(*hi)) : std::nullopt);
    }
    if (!lo || *lo < 0) {
      // Magnitudes of the negatives: from max(1, -hi) to -lo.
      const uint64_t from = hi && *hi < 0 ? Magnitude(*hi) : 1;
      const std::optional<uint64_t> to =
          lo ? std::optional<uint64_t>(Magnitude(*lo)) : std::nullopt;
      if (!to || from <= *to) {
        const uint32_t mag = g_.NewRule("magnitude");
        AddUintRange(mag, from, to);
        g_.AddAlternative(r, {Element::Byte('-'), Element::Ref(mag)});
      }
    }
    if (negative_zero && (!lo || *lo <= 0) && (!hi || *hi >= 0)) {
      g_.AddAlternative(r, Grammar::Literal("-0"));
    }
    if (g_.alternatives(r).empty()) return Fail0("the integer range is empty");
    if (any) integer_ = r;
    return r;
  }

  static uint64_t Magnitude(int64_t v) {
    return v < 0 ? static_cast<uint64_t>(-(v + 1)) + 1 : static_cast<uint64_t>(v);
  }

  // Numbers in [lo, hi] with integer bounds (no exponent).
  uint32_t BoundedNumber(std::optional<int64_t> lo, std::optional<int64_t> hi) {
    const uint32_t r = g_.NewRule("bounded-number");
    const uint32_t any_frac = Fraction(false);
    const uint32_t zero_frac = Fraction(true);
    // x >= 0: integer part I with any fraction while I < hi; I == hi with zeros only.
    if (!hi || *hi >= 0) {
      const int64_t from = lo && *lo > 0 ? *lo : 0;
      if (!hi || *hi > from) {
        const uint32_t i =
            Integer(from, hi ? std::optional<int64_t>(*hi - 1) : std::nullopt, false);
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
        const uint32_t i =
            Integer(from, lo ? std::optional<int64_t>(-*lo - 1) : std::nullopt, false);
        g_.AddAlternative(r, {Element::Byte('-'), Element::Ref(i), Element::Ref(any_frac)});
      }
      if (lo && -*lo >= from && *lo < 0) {
        const uint32_t i = Integer(-*lo, -*lo, false);
        g_.AddAlternative(r, {Element::Byte('-'), Element::Ref(i), Element::Ref(zero_frac)});
      }
    }
    if (g_.alternatives(r).empty()) return Fail0("the number range is empty");
    return r;
  }

  uint32_t Literal(const Json& v) {
    const uint32_t r = g_.NewRule("literal");
    g_.AddAlternative(r, Grammar::Literal(v.dump()));
    return r;
  }

  uint32_t AnyValue() {
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

  uint32_t Schema(const Json& s, const std::string& path);

 private:
  [[noreturn]] uint32_t Fail0(const std::string& msg) { Fail(path_, msg); }
  uint32_t Typed(const Json& s, const std::string& type, const std::string& path);
  uint32_t Object(const Json& s, const std::string& path);
  uint32_t Array(const Json& s, const std::string& path);
  uint32_t ExtraKey(const std::vector<std::string>& listed);
  const Json& Resolve(const std::string& ref, const std::string& path);
  Json Merge(const Json& parts, const std::string& path);
  void CheckOneOf(const Json& branches, const std::string& path);

  Grammar& g_;
  const Json* root_;
  std::string path_ = "$";
  std::optional<uint32_t> ws_, char_, any_string_, digits_, number_, integer_, any_;
  std::map<std::string, uint32_t> refs_;
  int depth_ = 0;
};

std::optional<int64_t> IntBound(const Json& s, const char* key, const std::string& path,
                                bool integer) {
  if (!s.contains(key)) return std::nullopt;
  const Json& v = s[key];
  if (!v.is_number()) Fail(path + "." + key, "must be a number");
  const double d = v.get<double>();
  if (d != static_cast<double>(static_cast<int64_t>(d)) || d < -9.0e18 || d > 9.0e18) {
    if (!integer) Fail(path + "." + key, "bounds with a fraction are not supported for numbers");
    // For integers, round inward.
    return static_cast<int64_t>(
        std::string(key).find("inimum") != std::string::npos ? std::ceil(d) : std::floor(d));
  }
  return static_cast<int64_t>(d);
}

const Json& Builder::Resolve(const std::string& ref, const std::string& path) {
  if (ref.empty() || ref[0] != '#') Fail(path, "$ref '" + ref + "': only local references (#...)");
  try {
    const Json::json_pointer ptr(ref.substr(1));
    return root_->at(ptr);
  } catch (const Json::exception&) {
    Fail(path, "$ref '" + ref + "' does not resolve");
  }
}

Json Builder::Merge(const Json& parts, const std::string& path) {
  if (!parts.is_array() || parts.empty()) Fail(path, "allOf must be a non-empty array");
  Json out = Json::object();
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string p = path + ".allOf[" + std::to_string(i) + "]";
    Json part = parts[i];
    while (part.is_object() && part.contains("$ref") && part.size() == 1) {
      part = Resolve(part["$ref"].get<std::string>(), p);
    }
    if (part.is_boolean()) {
      if (!part.get<bool>()) Fail(p, "false: no value can match");
      continue;
    }
    if (!part.is_object()) Fail(p, "a schema must be an object or a boolean");
    if (part.contains("allOf")) {
      Json inner = Merge(part["allOf"], p);
      part.erase("allOf");
      part = Merge(Json::array({part, inner}), p);
    }
    for (auto it = part.begin(); it != part.end(); ++it) {
      const std::string& k = it.key();
      if (Annotations().count(k)) continue;
      if (!out.contains(k)) {
        out[k] = it.value();
      } else if (k == "properties") {
        for (auto pit = it.value().begin(); pit != it.value().end(); ++pit) {
          if (out[k].contains(pit.key()) && out[k][pit.key()] != pit.value()) {
            Fail(p, "allOf: property '" + pit.key() + "' given two different schemas");
          }
          out[k][pit.key()] = pit.value();
        }
      } else if (k == "required") {
        for (const Json& r : it.value()) {
          if (std::find(out[k].begin(), out[k].end(), r) == out[k].end()) out[k].push_back(r);
        }
      } else if (k == "type") {
        auto as_set = [](const Json& t) {
          std::set<std::string> s;
          if (t.is_string()) s.insert(t.get<std::string>());
          if (t.is_array()) {
            for (const Json& x : t) s.insert(x.get<std::string>());
          }
          return s;
        };
        std::set<std::string> a = as_set(out[k]), b = as_set(it.value()), both;
        for (const auto& t : a) {
          if (b.count(t) || (t == "integer" && b.count("number"))) both.insert(t);
          if (t == "number" && b.count("integer")) both.insert("integer");
        }
        if (both.empty()) Fail(p, "allOf: the types have nothing in common");
        out[k] = Json(std::vector<std::string>(both.begin(), both.end()));
      } else if (out[k] != it.value()) {
        Fail(p, "allOf: '" + k + "' given two different values (not supported)");
      }
    }
  }
  return out;
}

// Decidable oneOf: branches that cannot both match: different types, or a required property
// whose const / enum values differ between branches.
void Builder::CheckOneOf(const Json& branches, const std::string& path) {
  auto types = [&](const Json& b) -> std::set<std::string> {
    std::set<std::string> s;
    const Json* x = &b;
    while (x->is_object() && x->contains("$ref"))
      x = &Resolve((*x)["$ref"].get<std::string>(), path);
    if (!x->is_object() || !x->contains("type")) return {};
    const Json& t = (*x)["type"];
    if (t.is_string()) s.insert(t.get<std::string>());
    if (t.is_array()) {
      for (const Json& v : t) s.insert(v.get<std::string>());
    }
    if (s.count("number")) s.insert("integer");
    return s;
  };
  auto tags = [&](const Json& b) -> std::map<std::string, std::set<std::string>> {
    std::map<std::string, std::set<std::string>> m;
    const Json* x = &b;
    while (x->is_object() && x->contains("$ref"))
      x = &Resolve((*x)["$ref"].get<std::string>(), path);
    if (!x->is_object() || !x->contains("properties") || !x->contains("required")) return m;
    for (const Json& r : (*x)["required"]) {
      if (!r.is_string() || !(*x)["properties"].contains(r.get<std::string>())) continue;
      const Json& ps = (*x)["properties"][r.get<std::string>()];
      if (!ps.is_object()) continue;
      if (ps.contains("const")) m[r.get<std::string>()].insert(ps["const"].dump());
      if (ps.contains("enum") && ps["enum"].is_array()) {
        for (const Json& v : ps["enum"]) m[r.get<std::string>()].insert(v.dump());
      }
    }
    return m;
  };
  for (size_t i = 0; i < branches.size(); ++i) {
    for (size_t j = i + 1; j < branches.size(); ++j) {
      const auto ti = types(branches[i]), tj = types(branches[j]);
      bool disjoint = !ti.empty() && !tj.empty();
      for (const auto& t : ti) disjoint = disjoint && !tj.count(t);
      if (disjoint) continue;
      const auto ai = tags(branches[i]), aj = tags(branches[j]);
      bool tagged = false;
      for (const auto& [key, vals] : ai) {
        auto it = aj.find(key);
        if (it == aj.end()) continue;
        bool overlap = false;
        for (const auto& v : vals) overlap = overlap || it->second.count(v);
        tagged = tagged || !overlap;
      }
      if (!tagged) {
        Fail(path, "oneOf: branches " + std::to_string(i) + " and " + std::to_string(j) +
                       " may both match (give them different types or a required property "
                       "with different const values, or use anyOf)");
      }
    }
  }
}

uint32_t Builder::ExtraKey(const std::vector<std::string>& listed) {
  // Names of [A-Za-z0-9_-]+ that are not listed: a trie of the listed names, where leaving the
  // trie (a byte no listed name continues with) frees the rest.
  ByteSet name_chars = ByteSet::Range('a', 'z');
  name_chars.AddRange('A', 'Z');
  name_chars.AddRange('0', '9');
  name_chars.Add('_');
  name_chars.Add('-');
  // Each trie depth d has its own free tail (the name stops at kMaxExtraName bytes).
  auto rest_from = [&](size_t depth) {
    // Bytes left after the one that leaves the trie at `depth`.
    const int64_t left = kMaxExtraName - static_cast<int64_t>(depth) - 1;
    return Repeat({Element::Bytes(name_chars)}, 0, std::max<int64_t>(left, 0), "key-rest");
  };
  struct TrieNode {
    std::map<uint8_t, int> next;
    bool end = false;
  };
  std::vector<TrieNode> trie(1);
  std::vector<size_t> depth(1, 0);
  for (const std::string& k : listed) {
    int at = 0;
    bool ok = !k.empty();
    for (char c : k) ok = ok && name_chars.Has(static_cast<uint8_t>(c));
    // A listed name outside the alphabet or too long can never be produced here.
    if (!ok || k.size() > static_cast<size_t>(kMaxExtraName)) continue;
    for (char c : k) {
      auto it = trie[at].next.find(static_cast<uint8_t>(c));
      if (it == trie[at].next.end()) {
        trie.push_back({});
        depth.push_back(depth[static_cast<size_t>(at)] + 1);
        it =
            trie[at].next.emplace(static_cast<uint8_t>(c), static_cast<int>(trie.size() - 1)).first;
      }
      at = it->second;
    }
    trie[at].end = true;
  }
  // rule_of[n]: the rest of a name from trie node n, then the closing quote.
  std::vector<uint32_t> rule_of(trie.size());
  for (size_t n = 0; n < trie.size(); ++n) rule_of[n] = g_.NewRule("extra-key");
  for (size_t n = 0; n < trie.size(); ++n) {
    if (n != 0 && !trie[n].end) g_.AddAlternative(rule_of[n], {Element::Byte('"')});
    ByteSet others = name_chars;
    for (const auto& [b, child] : trie[n].next) {
      others.Remove(b);
      g_.AddAlternative(rule_of[n], {Element::Byte(b), Element::Ref(rule_of[child])});
    }
    if (!others.Empty() && depth[n] < static_cast<size_t>(kMaxExtraName)) {
      g_.AddAlternative(rule_of[n], {Element::Bytes(others), Element::Ref(rest_from(depth[n])),
                                     Element::Byte('"')});
    }
  }
  const uint32_t r = g_.NewRule("extra-name");
  g_.AddAlternative(r, {Element::Byte('"'), Element::Ref(rule_of[0])});
  return r;
}

uint32_t Builder::Object(const Json& s, const std::string& path) {
  const uint32_t ws = Ws();
  std::vector<std::pair<std::string, const Json*>> props;
  if (s.contains("properties")) {
    if (!s["properties"].is_object()) Fail(path + ".properties", "must be an object");
    for (auto it = s["properties"].begin(); it != s["properties"].end(); ++it) {
      props.emplace_back(it.key(), &it.value());
    }
  }
  std::set<std::string> required;
  if (s.contains("required")) {
    if (!s["required"].is_array()) Fail(path + ".required", "must be an array");
    for (const Json& r : s["required"]) {
      if (!r.is_string()) Fail(path + ".required", "must list strings");
      required.insert(r.get<std::string>());
    }
  }
  for (const std::string& r : required) {
    bool found = false;
    for (const auto& p : props) found = found || p.first == r;
    if (!found) props.emplace_back(r, nullptr);  // required but not described: any value
  }
  // Extra members: only when additionalProperties is true or a schema.
  std::optional<uint32_t> extra_value;
  if (s.contains("additionalProperties")) {
    const Json& ap = s["additionalProperties"];
    if (ap.is_boolean()) {
      if (ap.get<bool>()) extra_value = AnyValue();
    } else {
      extra_value = Schema(ap, path + ".additionalProperties");
    }
  }
  // member_n(emitted): the members from n on; `emitted` says whether a comma goes first.
  const size_t n = props.size();
  std::vector<uint32_t> with_comma(n + 1), first(n + 1);
  for (size_t i = 0; i <= n; ++i) {
    with_comma[i] = g_.NewRule("members-after");
    first[i] = g_.NewRule("members-from");
  }
  std::optional<uint32_t> extras_comma, extras_first;
  if (extra_value) {
    std::vector<std::string> names;
    for (const auto& p : props) names.push_back(p.first);
    const uint32_t key = ExtraKey(names);
    const Sequence member = {Element::Ref(key), Element::Ref(ws), Element::Byte(':'),
                             Element::Ref(ws), Element::Ref(*extra_value)};
    Sequence more = {Element::Ref(ws), Element::Byte(','), Element::Ref(ws)};
    more.insert(more.end(), member.begin(), member.end());
    extras_comma = g_.Star(more, "extra-members");
    extras_first = g_.NewRule("extra-members-first");
    Sequence seq = member;
    seq.push_back(Element::Ref(*extras_comma));
    g_.AddAlternative(*extras_first, std::move(seq));
    g_.AddAlternative(*extras_first, {});
  }
  for (size_t i = n + 1; i-- > 0;) {
    if (i == n) {
      g_.AddAlternative(with_comma[i],
                        extra_value ? Sequence{Element::Ref(*extras_comma)} : Sequence{});
      g_.AddAlternative(first[i], extra_value ? Sequence{Element::Ref(*extras_first)} : Sequence{});
      continue;
    }
    const std::string& name = props[i].first;
    const Json* schema = props[i].second;
    const uint32_t value = schema ? Schema(*schema, path + ".properties." + name) : AnyValue();
    const Sequence member = [&] {
      Sequence m = Grammar::Literal(Json(name).dump());
      m.insert(m.end(),
               {Element::Ref(ws), Element::Byte(':'), Element::Ref(ws), Element::Ref(value)});
      return m;
    }();
    Sequence after = {Element::Ref(ws), Element::Byte(','), Element::Ref(ws)};
    after.insert(after.end(), member.begin(), member.end());
    after.push_back(Element::Ref(with_comma[i + 1]));
    g_.AddAlternative(with_comma[i], after);
    Sequence lead = member;
    lead.push_back(Element::Ref(with_comma[i + 1]));
    g_.AddAlternative(first[i], lead);
    if (!required.count(name)) {
      g_.AddAlternative(with_comma[i], {Element::Ref(with_comma[i + 1])});
      g_.AddAlternative(first[i], {Element::Ref(first[i + 1])});
    }
  }
  const uint32_t r = g_.NewRule("object");
  g_.AddAlternative(r, {Element::Byte('{'), Element::Ref(ws), Element::Ref(first[0]),
                        Element::Ref(ws), Element::Byte('}')});
  return r;
}

uint32_t Builder::Array(const Json& s, const std::string& path) {
  const uint32_t ws = Ws();
  std::vector<uint32_t> prefix;
  if (s.contains("prefixItems")) {
    const Json& p = s["prefixItems"];
    if (!p.is_array()) Fail(path + ".prefixItems", "must be an array");
    for (size_t i = 0; i < p.size(); ++i) {
      prefix.push_back(Schema(p[i], path + ".prefixItems[" + std::to_string(i) + "]"));
    }
  }
  std::optional<uint32_t> rest;  // schema of items after the prefix; unset: none allowed
  if (s.contains("items")) {
    const Json& it = s["items"];
    if (it.is_boolean()) {
      if (it.get<bool>()) rest = AnyValue();
    } else {
      rest = Schema(it, path + ".items");
    }
  } else {
    rest = AnyValue();
  }
  auto count = [&](const char* key, int64_t fallback) {
    if (!s.contains(key)) return fallback;
    const Json& v = s[key];
    if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > kMaxRepeat) {
      Fail(path + "." + key, "must be an integer from 0 to " + std::to_string(kMaxRepeat));
    }
    return v.get<int64_t>();
  };
  const int64_t min = count("minItems", 0);
  int64_t max = count("maxItems", -1);
  if (!rest)
    max = max < 0 ? static_cast<int64_t>(prefix.size())
                  : std::min<int64_t>(max, static_cast<int64_t>(prefix.size()));
  if (max >= 0 && min > max) Fail(path, "minItems is more than the items allowed");
  // after[k]: k items written; closes when k >= min, adds item k when k < max.
  const int64_t p = static_cast<int64_t>(prefix.size());
  const int64_t chain = std::max<int64_t>(p, min);  // beyond: all positions alike (if max open)
  const int64_t last = max >= 0 ? max : chain;
  std::vector<uint32_t> after(static_cast<size_t>(last + 1));
  for (auto& a : after) a = g_.NewRule("items-after");
  for (int64_t k = last; k >= 0; --k) {
    const uint32_t r = after[static_cast<size_t>(k)];
    if (k >= min) g_.AddAlternative(r, {Element::Ref(ws), Element::Byte(']')});
    const bool more = max < 0 || k < max;
    if (!more) continue;
    const uint32_t item = k < p ? prefix[static_cast<size_t>(k)] : *rest;
    const uint32_t next = k == last ? r : after[static_cast<size_t>(k + 1)];  // open: loop
    Sequence seq;
    if (k > 0) seq = {Element::Ref(ws), Element::Byte(','), Element::Ref(ws)};
    seq.push_back(Element::Ref(item));
    seq.push_back(Element::Ref(next));
    if (k == last && k == 0) {
      // An open list from the start: the first item has no comma, the loop does.
      const uint32_t loop = g_.NewRule("items-loop");
      g_.AddAlternative(loop, {Element::Ref(ws), Element::Byte(']')});
      g_.AddAlternative(loop, {Element::Ref(ws), Element::Byte(','), Element::Ref(ws),
                               Element::Ref(item), Element::Ref(loop)});
      seq = {Element::Ref(item), Element::Ref(loop)};
    }
    g_.AddAlternative(r, std::move(seq));
  }
  const uint32_t r = g_.NewRule("array");
  g_.AddAlternative(r, {Element::Byte('['), Element::Ref(ws), Element::Ref(after[0])});
  return r;
}

uint32_t Builder::Typed(const Json& s, const std::string& type, const std::string& path) {
  if (type == "object") return Object(s, path);
  if (type == "array") return Array(s, path);
  if (type == "string") {
    auto len = [&](const char* key, int64_t fallback) {
      if (!s.contains(key)) return fallback;
      const Json& v = s[key];
      if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > kMaxRepeat) {
        Fail(path + "." + key, "must be an integer from 0 to " + std::to_string(kMaxRepeat));
      }
      return v.get<int64_t>();
    };
    const int64_t min = len("minLength", 0), max = len("maxLength", -1);
    if (max >= 0 && min > max) Fail(path, "minLength is more than maxLength");
    const bool lengths = s.contains("minLength") || s.contains("maxLength");
    for (const char* key : {"pattern", "format"}) {
      if (!s.contains(key)) continue;
      if (!s[key].is_string()) Fail(path + "." + key, "must be a string");
      if (lengths)
        Fail(path, std::string(key) + " together with minLength / maxLength is not supported");
      if (s.contains("pattern") && s.contains("format")) {
        Fail(path, "pattern together with format is not supported");
      }
      std::string re = s[key].get<std::string>();
      bool search = std::string(key) == "pattern";
      if (!search) {
        re = FormatRegex(re, path + ".format");
      }
      uint32_t body;
      try {
        body = CompileRegex(g_, re, RegexText::kJsonString, search);
      } catch (const Error& e) {
        Fail(path + "." + key, e.what());
      }
      const uint32_t r = g_.NewRule(key);
      g_.AddAlternative(r, {Element::Byte('"'), Element::Ref(body), Element::Byte('"')});
      return r;
    }
    return String(min, max);
  }
  if (type == "integer" || type == "number") {
    const bool integer = type == "integer";
    std::optional<int64_t> lo = IntBound(s, "minimum", path, integer);
    std::optional<int64_t> hi = IntBound(s, "maximum", path, integer);
    for (const char* key : {"exclusiveMinimum", "exclusiveMaximum"}) {
      if (!s.contains(key)) continue;
      if (!integer) Fail(path + "." + key, "exclusive bounds are supported for integers only");
      const Json& v = s[key];
      if (!v.is_number()) Fail(path + "." + key, "must be a number");
      const double d = v.get<double>();
      if (std::string(key) == "exclusiveMinimum") {
        const int64_t b = static_cast<int64_t>(std::floor(d)) + 1;
        lo = lo ? std::max(*lo, b) : b;
      } else {
        const int64_t b = static_cast<int64_t>(std::ceil(d)) - 1;
        hi = hi ? std::min(*hi, b) : b;
      }
    }
    if (lo && hi && *lo > *hi) Fail(path, "minimum is more than maximum");
    path_ = path;
    if (integer) return Integer(lo, hi);
    return lo || hi ? BoundedNumber(lo, hi) : Number();
  }
  if (type == "boolean") {
    const uint32_t r = g_.NewRule("boolean");
    g_.AddAlternative(r, Grammar::Literal("true"));
    g_.AddAlternative(r, Grammar::Literal("false"));
    return r;
  }
  if (type == "null") {
    const uint32_t r = g_.NewRule("null");
    g_.AddAlternative(r, Grammar::Literal("null"));
    return r;
  }
  Fail(path + ".type", "unknown type '" + type + "'");
}

uint32_t Builder::Schema(const Json& s, const std::string& path) {
  struct Depth {
    int& d;
    explicit Depth(int& v) : d(v) { ++d; }
    ~Depth() { --d; }
  } depth(depth_);
  if (depth_ > kMaxDepth) Fail(path, "schemas nested deeper than " + std::to_string(kMaxDepth));
  if (s.is_boolean()) {
    if (!s.get<bool>()) Fail(path, "false: no value can match");
    return AnyValue();
  }
  if (!s.is_object()) Fail(path, "a schema must be an object or a boolean");
  for (auto it = s.begin(); it != s.end(); ++it) {
    if (!Annotations().count(it.key()) && !Supported().count(it.key())) {
      Fail(path, "keyword '" + it.key() + "' is not supported");
    }
  }
  if (s.contains("$ref")) {
    if (!s["$ref"].is_string()) Fail(path + ".$ref", "must be a string");
    const std::string ref = s["$ref"].get<std::string>();
    for (auto it = s.begin(); it != s.end(); ++it) {
      if (it.key() != "$ref" && !Annotations().count(it.key())) {
        Fail(path, "keywords beside $ref are not supported ('" + it.key() + "')");
      }
    }
    auto found = refs_.find(ref);
    if (found != refs_.end()) return found->second;
    // A rule for the target first, so recursive references find it.
    const uint32_t r = g_.NewRule("ref " + ref);
    refs_[ref] = r;
    const uint32_t body = Schema(Resolve(ref, path), ref);
    g_.AddAlternative(r, {Element::Ref(body)});
    return r;
  }
  if (s.contains("allOf")) {
    Json merged = Merge(s["allOf"], path);
    Json rest = s;
    rest.erase("allOf");
    merged = Merge(Json::array({rest, merged}), path);
    return Schema(merged, path);
  }
  for (const char* key : {"anyOf", "oneOf"}) {
    if (!s.contains(key)) continue;
    const Json& branches = s[key];
    if (!branches.is_array() || branches.empty()) {
      Fail(path + "." + key, "must be a non-empty array");
    }
    if (std::string(key) == "oneOf") CheckOneOf(branches, path + ".oneOf");
    Json rest = s;
    rest.erase(key);
    bool plain = true;
    for (auto it = rest.begin(); it != rest.end(); ++it)
      plain = plain && Annotations().count(it.key());
    const uint32_t r = g_.NewRule(key);
    for (size_t i = 0; i < branches.size(); ++i) {
      const std::string p = path + "." + key + "[" + std::to_string(i) + "]";
      const uint32_t b =
          plain ? Schema(branches[i], p) : Schema(Merge(Json::array({rest, branches[i]}), p), p);
      g_.AddAlternative(r, {Element::Ref(b)});
    }
    return r;
  }
  if (s.contains("const")) {
    for (auto it = s.begin(); it != s.end(); ++it) {
      if (it.key() != "const" && it.key() != "type" && !Annotations().count(it.key())) {
        Fail(path, "keywords beside const are not supported ('" + it.key() + "')");
      }
    }
    return Literal(s["const"]);
  }
  if (s.contains("enum")) {
    const Json& values = s["enum"];
    if (!values.is_array() || values.empty()) Fail(path + ".enum", "must be a non-empty array");
    for (auto it = s.begin(); it != s.end(); ++it) {
      if (it.key() != "enum" && it.key() != "type" && !Annotations().count(it.key())) {
        Fail(path, "keywords beside enum are not supported ('" + it.key() + "')");
      }
    }
    const uint32_t r = g_.NewRule("enum");
    for (const Json& v : values) g_.AddAlternative(r, Grammar::Literal(v.dump()));
    return r;
  }
  std::vector<std::string> types;
  if (s.contains("type")) {
    const Json& t = s["type"];
    if (t.is_string()) {
      types.push_back(t.get<std::string>());
    } else if (t.is_array() && !t.empty()) {
      for (const Json& x : t) {
        if (!x.is_string()) Fail(path + ".type", "must list type names");
        types.push_back(x.get<std::string>());
      }
    } else {
      Fail(path + ".type", "must be a type name or a non-empty array of them");
    }
  } else {
    auto has = [&](std::initializer_list<const char*> keys) {
      for (const char* k : keys) {
        if (s.contains(k)) return true;
      }
      return false;
    };
    if (has({"properties", "required", "additionalProperties"})) types.push_back("object");
    if (has({"items", "prefixItems", "minItems", "maxItems"})) types.push_back("array");
    if (has({"minLength", "maxLength", "pattern", "format"})) types.push_back("string");
    if (has({"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"})) {
      types.push_back("number");
    }
    if (types.empty()) return AnyValue();
  }
  if (types.size() == 1) return Typed(s, types[0], path);
  const uint32_t r = g_.NewRule("types");
  for (const std::string& t : types) g_.AddAlternative(r, {Element::Ref(Typed(s, t, path))});
  return r;
}

}  // namespace

std::shared_ptr<Grammar> AnyJsonGrammar() {
  auto g = std::make_shared<Grammar>();
  Builder b(*g, nullptr);
  g->set_root(b.AnyValue());
  g->Validate();
  return g;
}

std::shared_ptr<Grammar> JsonSchemaGrammar(const SchemaJson& schema) {
  auto g = std::make_shared<Grammar>();
  Builder b(*g, &schema);
  g->set_root(b.Schema(schema, "$"));
  g->Validate();
  return g;
}

}  // namespace exaone::constrain
