#include "constrain/json_schema.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/error.h"
#include "constrain/json_rules.h"
#include "constrain/regex.h"

namespace exaone::constrain {
namespace {

using Json = SchemaJson;

constexpr int64_t kMaxRepeat = 4096;  // bound on minItems / maxItems / string lengths
constexpr int kMaxExtraName = 64;     // bytes of an extra member's name
constexpr int kMaxDepth = 128;        // nested schemas

[[noreturn]] void Fail(const std::string& path, const std::string& msg) {
  throw Error(ErrorCode::kInvalidArgument, "JSON schema at " + path + ": " + msg);
}

// A count keyword (minItems, maxLength...): 0 .. kMaxRepeat, or `fallback` when absent.
int64_t Count(const Json& s, const char* key, int64_t fallback, const std::string& path) {
  if (!s.contains(key)) return fallback;
  const Json& v = s[key];
  if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > kMaxRepeat) {
    Fail(path + "." + key, "must be an integer from 0 to " + std::to_string(kMaxRepeat));
  }
  return v.get<int64_t>();
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

// Whether `v` is of JSON Schema type `t` (an integer is also a number; 1.0 is an integer).
bool HasType(const Json& v, const std::string& t) {
  if (t == "null") return v.is_null();
  if (t == "boolean") return v.is_boolean();
  if (t == "string") return v.is_string();
  if (t == "array") return v.is_array();
  if (t == "object") return v.is_object();
  if (t == "number") return v.is_number();
  if (t == "integer") {
    return v.is_number_integer() || (v.is_number_float() && std::isfinite(v.get<double>()) &&
                                     v.get<double>() == std::floor(v.get<double>()));
  }
  return false;
}

// The values of `values` whose type is one of the schema's `type` (all when it has none).
std::vector<Json> OfSchemaType(const Json& s, const std::vector<Json>& values) {
  if (!s.contains("type")) return values;
  std::vector<std::string> types;
  if (s["type"].is_string()) types.push_back(s["type"].get<std::string>());
  if (s["type"].is_array()) {
    for (const Json& t : s["type"]) {
      if (t.is_string()) types.push_back(t.get<std::string>());
    }
  }
  std::vector<Json> out;
  for (const Json& v : values) {
    for (const std::string& t : types) {
      if (HasType(v, t)) {
        out.push_back(v);
        break;
      }
    }
  }
  return out;
}

class Builder {
 public:
  Builder(Grammar& g, const Json* root) : g_(g), rules_(g), root_(root) {}

  uint32_t Schema(const Json& s, const std::string& path);

 private:
  uint32_t Typed(const Json& s, const std::string& type, const std::string& path);
  uint32_t Object(const Json& s, const std::string& path);
  uint32_t Array(const Json& s, const std::string& path);
  uint32_t ExtraKey(const std::vector<std::string>& listed);
  const Json& Resolve(const std::string& ref, const std::string& path);
  Json Merge(const Json& parts, const std::string& path);
  void CheckOneOf(const Json& branches, const std::string& path);

  Grammar& g_;
  JsonRules rules_;
  const Json* root_;
  std::map<std::string, uint32_t> refs_;
  int depth_ = 0;
};

// An integer bound of the schema, rounded inward for integers. Bounds past the 64-bit range are
// brought to its edge when that only narrows the values (a maximum above 2^63 - 1, a minimum
// below -2^63); one that would leave nothing in range is an error. Numbers keep their integer
// bounds within +-2^62.
std::optional<int64_t> IntBound(const Json& s, const char* key, const std::string& path,
                                bool integer) {
  if (!s.contains(key)) return std::nullopt;
  const Json& v = s[key];
  if (!v.is_number()) Fail(path + "." + key, "must be a number");
  const bool lower = std::string(key).find("inimum") != std::string::npos;
  const int64_t top = integer ? INT64_MAX : (int64_t{1} << 62);
  const int64_t bottom = integer ? INT64_MIN : -(int64_t{1} << 62);
  auto beyond = [&](bool above) -> int64_t {
    if (above != lower) return above ? top : bottom;  // narrows: clamp
    Fail(path + "." + key, std::string("integer bounds beyond ") +
                               (integer ? "64 bits" : "+-2^62 for numbers") + " are not supported");
  };
  if (v.is_number_unsigned()) {
    const uint64_t u = v.get<uint64_t>();
    return u > static_cast<uint64_t>(top) ? beyond(true) : static_cast<int64_t>(u);
  }
  if (v.is_number_integer()) {
    const int64_t i = v.get<int64_t>();
    if (i < bottom) return beyond(false);
    return i > top ? beyond(true) : i;
  }
  const double d = v.get<double>();
  if (!std::isfinite(d)) Fail(path + "." + key, "must be finite");
  if (d != std::floor(d) && !integer) {
    Fail(path + "." + key, "bounds with a fraction are not supported for numbers");
  }
  const double r = lower ? std::ceil(d) : std::floor(d);
  // 2^63 as a double; anything from there on is past int64's top.
  if (r >= 9223372036854775808.0 || r > static_cast<double>(top)) return beyond(true);
  if (r < static_cast<double>(bottom)) return beyond(false);
  return static_cast<int64_t>(r);
}

const Json& Builder::Resolve(const std::string& ref, const std::string& path) {
  if (ref.empty() || ref[0] != '#') Fail(path, "$ref '" + ref + "': only local references (#...)");
  // The fragment is percent-decoded before it is read as a JSON pointer (RFC 6901, section 6).
  std::string pointer;
  for (size_t i = 1; i < ref.size(); ++i) {
    auto hex = [](char c) {
      return std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
             : (c >= 'a' && c <= 'f')                    ? c - 'a' + 10
             : (c >= 'A' && c <= 'F')                    ? c - 'A' + 10
                                                         : -1;
    };
    if (ref[i] == '%' && i + 2 < ref.size() && hex(ref[i + 1]) >= 0 && hex(ref[i + 2]) >= 0) {
      pointer += static_cast<char>(hex(ref[i + 1]) * 16 + hex(ref[i + 2]));
      i += 2;
    } else {
      pointer += ref[i];
    }
  }
  try {
    const Json::json_pointer ptr(pointer);
    return root_->at(ptr);
  } catch (const Json::exception&) {
    Fail(path, "$ref '" + ref + "' does not resolve");
  }
}

Json Builder::Merge(const Json& parts, const std::string& path) {
  if (!parts.is_array() || parts.empty()) Fail(path, "allOf must be a non-empty array");
  Json out = Json::object();
  std::vector<Json> resolved;  // the object parts, references followed
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
    resolved.push_back(part);
    for (auto it = part.begin(); it != part.end(); ++it) {
      const std::string& k = it.key();
      if (Annotations().count(k)) continue;
      if (!out.contains(k)) {
        out[k] = it.value();
      } else if (k == "properties") {
        for (auto pit = it.value().begin(); pit != it.value().end(); ++pit) {
          if (out[k].contains(pit.key()) && out[k][pit.key()] != pit.value()) {
            // Both schemas hold for the member.
            out[k][pit.key()] = Merge(Json::array({out[k][pit.key()], pit.value()}),
                                      p + ".properties." + pit.key());
          } else {
            out[k][pit.key()] = pit.value();
          }
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
      } else if (k == "additionalProperties" && (out[k] == false || it.value() == false)) {
        out[k] = false;  // each part's own check is applied below
      } else if (out[k] != it.value()) {
        Fail(p, "allOf: '" + k + "' given two different values (not supported)");
      }
    }
  }
  // A part's additionalProperties knows only that part's own properties: the members other
  // parts add must satisfy it too (with false they cannot be there, and a required one leaves
  // no object that matches).
  if (out.contains("properties") && out["properties"].is_object()) {
    for (const Json& part : resolved) {
      if (!part.contains("additionalProperties") || part["additionalProperties"] == true) {
        continue;
      }
      const Json& ap = part["additionalProperties"];
      std::vector<std::string> gone;
      for (auto it = out["properties"].begin(); it != out["properties"].end(); ++it) {
        const std::string& name = it.key();
        if (part.contains("properties") && part["properties"].is_object() &&
            part["properties"].contains(name)) {
          continue;
        }
        if (ap == false) {
          const Json& req = out.contains("required") ? out["required"] : Json::array();
          if (std::find(req.begin(), req.end(), Json(name)) != req.end()) {
            Fail(path, "'" + name +
                           "' is required, but a part with additionalProperties false "
                           "does not list it: no object can match");
          }
          gone.push_back(name);
        } else {
          it.value() = Merge(Json::array({it.value(), ap}), path + ".properties." + name);
        }
      }
      for (const std::string& name : gone) out["properties"].erase(name);
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
    return g_.Repeat({Element::Bytes(name_chars)}, 0, std::max<int64_t>(left, 0), "key-rest");
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
  const uint32_t ws = rules_.Ws();
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
  // A required name not under properties is an additional property: its value follows
  // additionalProperties (any value when that is absent or true; none when false).
  const Json* ap_schema = nullptr;
  if (s.contains("additionalProperties") && s["additionalProperties"].is_object()) {
    ap_schema = &s["additionalProperties"];
  }
  for (const std::string& r : required) {
    bool found = false;
    for (const auto& p : props) found = found || p.first == r;
    if (found) continue;
    if (s.contains("additionalProperties") && s["additionalProperties"] == false) {
      Fail(path + ".required", "'" + r +
                                   "' is required but neither under properties nor allowed by "
                                   "additionalProperties false: no object can match");
    }
    props.emplace_back(r, ap_schema);
  }
  // Extra members: only when additionalProperties is true or a schema.
  std::optional<uint32_t> extra_value;
  if (s.contains("additionalProperties")) {
    const Json& ap = s["additionalProperties"];
    if (ap.is_boolean()) {
      if (ap.get<bool>()) extra_value = rules_.AnyValue();
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
    const uint32_t value =
        schema ? Schema(*schema, schema == ap_schema ? path + ".additionalProperties"
                                                     : path + ".properties." + name)
               : rules_.AnyValue();
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
  const uint32_t ws = rules_.Ws();
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
      if (it.get<bool>()) rest = rules_.AnyValue();
    } else {
      rest = Schema(it, path + ".items");
    }
  } else {
    rest = rules_.AnyValue();
  }
  const int64_t min = Count(s, "minItems", 0, path);
  int64_t max = Count(s, "maxItems", -1, path);
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
    const int64_t min = Count(s, "minLength", 0, path), max = Count(s, "maxLength", -1, path);
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
    return rules_.String(min, max);
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
    if (integer) return rules_.Integer(lo, hi);
    return lo || hi ? rules_.BoundedNumber(lo, hi) : rules_.Number();
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
    return rules_.AnyValue();
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
    std::string none_match;  // a branch no value can match is left out; all of them: an error
    for (size_t i = 0; i < branches.size(); ++i) {
      const std::string p = path + "." + key + "[" + std::to_string(i) + "]";
      Json merged;
      if (!plain) {
        try {
          merged = Merge(Json::array({rest, branches[i]}), p);
        } catch (const Error& e) {
          if (std::string(e.what()).find("no object can match") == std::string::npos) throw;
          if (none_match.empty()) none_match = e.what();
          continue;
        }
      }
      const uint32_t b = plain ? Schema(branches[i], p) : Schema(merged, p);
      g_.AddAlternative(r, {Element::Ref(b)});
    }
    if (g_.alternatives(r).empty()) throw Error(ErrorCode::kInvalidArgument, none_match);
    return r;
  }
  if (s.contains("const")) {
    for (auto it = s.begin(); it != s.end(); ++it) {
      if (it.key() != "const" && it.key() != "type" && !Annotations().count(it.key())) {
        Fail(path, "keywords beside const are not supported ('" + it.key() + "')");
      }
    }
    if (OfSchemaType(s, {s["const"]}).empty()) Fail(path, "const is not of the schema's type");
    const uint32_t r = g_.NewRule("const");
    g_.AddAlternative(r, Grammar::Literal(s["const"].dump()));
    return r;
  }
  if (s.contains("enum")) {
    const Json& values = s["enum"];
    if (!values.is_array() || values.empty()) Fail(path + ".enum", "must be a non-empty array");
    for (auto it = s.begin(); it != s.end(); ++it) {
      if (it.key() != "enum" && it.key() != "type" && !Annotations().count(it.key())) {
        Fail(path, "keywords beside enum are not supported ('" + it.key() + "')");
      }
    }
    // Only the values of the schema's type can match.
    const std::vector<Json> kept = OfSchemaType(s, std::vector<Json>(values.begin(), values.end()));
    if (kept.empty()) Fail(path, "no enum value is of the schema's type");
    const uint32_t r = g_.NewRule("enum");
    for (const Json& v : kept) g_.AddAlternative(r, Grammar::Literal(v.dump()));
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
    if (types.empty()) return rules_.AnyValue();
  }
  if (types.size() == 1) return Typed(s, types[0], path);
  const uint32_t r = g_.NewRule("types");
  for (const std::string& t : types) g_.AddAlternative(r, {Element::Ref(Typed(s, t, path))});
  return r;
}

}  // namespace

std::shared_ptr<Grammar> JsonSchemaGrammar(const SchemaJson& schema) {
  auto g = std::make_shared<Grammar>();
  g->set_root(CompileJsonSchema(*g, schema));
  g->Validate();
  return g;
}

uint32_t CompileJsonSchema(Grammar& g, const SchemaJson& schema, const std::string& path) {
  Builder b(g, &schema);
  return b.Schema(schema, path);
}

uint32_t CompileAnyJsonObject(Grammar& g) {
  return JsonRules(g).AnyObject();
}

}  // namespace exaone::constrain
