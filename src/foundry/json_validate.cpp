// JSON Schema validation: the schema is compiled into a graph of nodes (one per subschema, $refs
// resolved to the node they point at, patterns compiled), then values are checked against it.
//
// Untrusted values never make the validator recurse without bound or take exponential time:
// schemas that could apply themselves to the same value forever are refused when compiled, so
// recursion only follows the value down; $ref hops and nested applications are capped (past
// the cap the value is invalid, whatever branch found it); results at $ref hops are memoized,
// so anyOf / allOf / oneOf branches recursing into the same part of a value cost once. Every
// keyword is linear in the value's size except uniqueItems, which hashes the items and compares
// only those whose hashes collide. At most about 400 KB of stack is needed (release build).
#include "foundry/json_validate.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <compare>
#include <cstdint>
#include <cstring>
#include <deque>
#include <limits>
#include <mutex>
#include <set>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/error.h"
#include "foundry/json_formats.h"
#include "foundry/json_values.h"

namespace exaone::foundry {
namespace {

constexpr int kMaxSchemaDepth = 256;  // nested subschemas in a schema document
constexpr int kMaxRefDepth = 256;     // $ref hops on the validation stack at once
constexpr int kMaxCallDepth = 2048;   // nested subschema applications of any kind
constexpr int kHashDepth = 32;        // uniqueItems hashes values down to this depth
constexpr uint64_t kNoLimit = std::numeric_limits<uint64_t>::max();
constexpr uint32_t kMatchLimit = 10'000'000;  // PCRE2 backtracking steps per match

// Numbers compared by value, exact decimals and JSON equality / hashing live in json_values.h.
using jsonval::CompareNumbers;
using jsonval::Decimal;
using jsonval::HashJson;
using jsonval::IsIntegral;
using jsonval::IsMultiple;
using jsonval::JsonEqual;
using jsonval::Members;
using jsonval::Mix;
using jsonval::ToDecimal;

// ---- strings and formats -------------------------------------------------------------------

// Code points in UTF-8 text (each byte that is not a continuation byte starts one).
uint64_t CodePoints(std::string_view s) {
  uint64_t n = 0;
  for (const char c : s) n += (static_cast<uint8_t>(c) & 0xC0) != 0x80;
  return n;
}

// ASCII classes and the "format" checks live in json_formats.h.
using jsonfmt::Format;
using jsonfmt::IsAlpha;
using jsonfmt::IsDigit;
using jsonfmt::IsHex;

// ---- patterns ------------------------------------------------------------------------------

// A compiled regular expression. PCRE2 in UTF mode, set up to behave like ECMAScript where the
// two differ in ways schemas notice: '$' matches only at the very end, \uXXXX and \u{...}
// escapes, '.' stops at CR as well as LF. Invalid UTF-8 in the subject never matches a code
// point but does not make matching fail.
class Pattern {
 public:
  Pattern(std::string source, pcre2_code* code) : source_(std::move(source)), code_(code) {}
  ~Pattern() { pcre2_code_free(code_); }
  Pattern(const Pattern&) = delete;
  Pattern& operator=(const Pattern&) = delete;

  const std::string& source() const { return source_; }

  // 1: found somewhere in `s`, 0: not found, < 0: PCRE2 gave up (match limit).
  int Search(std::string_view s) const;

 private:
  std::string source_;
  pcre2_code* code_;
};

// Per-thread match state: PCRE2 match data and contexts must not be shared while matching.
struct MatchState {
  pcre2_match_data* data = pcre2_match_data_create(1, nullptr);
  pcre2_match_context* context = pcre2_match_context_create(nullptr);
  pcre2_jit_stack* jit_stack = pcre2_jit_stack_create(32 * 1024, 1024 * 1024, nullptr);
  MatchState() {
    pcre2_set_match_limit(context, kMatchLimit);
    if (jit_stack != nullptr) pcre2_jit_stack_assign(context, nullptr, jit_stack);
  }
  ~MatchState() {
    pcre2_jit_stack_free(jit_stack);
    pcre2_match_context_free(context);
    pcre2_match_data_free(data);
  }
};

int Pattern::Search(std::string_view s) const {
  thread_local MatchState state;
  EXA_CHECK(state.data != nullptr && state.context != nullptr);
  const int rc = pcre2_match(code_, reinterpret_cast<PCRE2_SPTR>(s.data()), s.size(), 0, 0,
                             state.data, state.context);
  if (rc >= 0) return 1;  // 0: matched, with more groups than the match data holds
  return rc == PCRE2_ERROR_NOMATCH ? 0 : rc;
}

// Compiled patterns shared process-wide: recipes validate every record against the same few.
std::shared_ptr<const Pattern> CompilePattern(const std::string& source, std::string& error) {
  static std::mutex mutex;
  static std::unordered_map<std::string, std::shared_ptr<const Pattern>> cache;
  {
    std::lock_guard<std::mutex> lock(mutex);
    const auto it = cache.find(source);
    if (it != cache.end()) return it->second;
  }
  pcre2_compile_context* context = pcre2_compile_context_create(nullptr);
  EXA_CHECK(context != nullptr);
  pcre2_set_compile_extra_options(context, PCRE2_EXTRA_ALT_BSUX);
  pcre2_set_newline(context, PCRE2_NEWLINE_ANYCRLF);
  int code_error = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* code =
      pcre2_compile(reinterpret_cast<PCRE2_SPTR>(source.data()), source.size(),
                    PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_ALT_BSUX,
                    &code_error, &offset, context);
  pcre2_compile_context_free(context);
  if (code == nullptr) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(code_error, message, sizeof(message));
    error = std::string(reinterpret_cast<const char*>(message)) + " at offset " +
            std::to_string(offset);
    return nullptr;
  }
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // interpreted when JIT is unavailable
  auto pattern = std::make_shared<const Pattern>(source, code);
  std::lock_guard<std::mutex> lock(mutex);
  if (cache.size() >= 4096) cache.clear();  // holders keep their patterns alive
  cache.emplace(source, pattern);
  return pattern;
}

// ---- compiled schema -----------------------------------------------------------------------

enum TypeBit : uint8_t {
  kNull = 1,
  kBoolean = 2,
  kObject = 4,
  kArray = 8,
  kString = 16,
  kNumber = 32,
  kInteger = 64,
};

struct TypeName {
  const char* name;
  uint8_t bit;
};
constexpr TypeName kTypeNames[] = {{"null", kNull},      {"boolean", kBoolean}, {"object", kObject},
                                   {"array", kArray},    {"string", kString},   {"number", kNumber},
                                   {"integer", kInteger}};

struct Node {
  bool always = false, never = false;  // the boolean schemas true and false
  uint8_t types = 0;                   // TypeBit mask; 0: any type
  const Json* const_value = nullptr;
  const Json* enum_values = nullptr;
  // Numbers (pointers into the schema document).
  const Json* minimum = nullptr;
  const Json* maximum = nullptr;
  const Json* exclusive_minimum = nullptr;
  const Json* exclusive_maximum = nullptr;
  const Json* multiple_of = nullptr;
  Decimal multiple;
  // Strings.
  uint64_t min_length = 0, max_length = kNoLimit;
  std::shared_ptr<const Pattern> pattern;
  Format format = Format::kNone;
  // Arrays.
  uint64_t min_items = 0, max_items = kNoLimit;
  bool unique_items = false;
  std::vector<const Node*> prefix_items;
  const Node* items = nullptr;
  // Objects: the names under properties and required, sorted for lookup.
  struct Property {
    std::string name;
    const Node* schema = nullptr;  // null: only required
    bool required = false;
  };
  std::vector<Property> properties;
  std::vector<std::string> required;  // in schema order, for the message
  const Node* additional = nullptr;
  uint64_t min_properties = 0, max_properties = kNoLimit;
  // Applicators on the same value.
  std::vector<const Node*> all_of, any_of, one_of;
  const Node* not_schema = nullptr;
  const Node* ref = nullptr;
  std::string ref_text;
  std::string path;          // JSON pointer, for errors found after compiling
  mutable uint8_t mark = 0;  // cycle search state while compiling

  const Property* FindProperty(std::string_view name) const {
    const auto it = std::lower_bound(
        properties.begin(), properties.end(), name,
        [](const Property& p, std::string_view n) { return std::string_view(p.name) < n; });
    return it != properties.end() && it->name == name ? &*it : nullptr;
  }
};

// JSON pointer token escaping (RFC 6901).
std::string PointerToken(std::string_view key) {
  std::string out;
  for (const char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

struct JsonSchema::Compiled {
  Json owned;  // the schema, when the compiled form outlives the caller's copy
  const Json* root = nullptr;
  std::deque<Node> nodes;  // stable addresses; nodes[0] is the root
  const Node* root_node = nullptr;
};

namespace {

class Compiler {
 public:
  explicit Compiler(JsonSchema::Compiled& out) : out_(out) {}

  void Run() {
    out_.root_node = Compile(*out_.root, "#", 0);
    // $refs resolve after the walk: their targets may be anywhere, even not yet compiled, and
    // resolving them here rather than while walking keeps the recursion to the schema's nesting.
    while (!pending_refs_.empty()) {
      auto [node, path] = std::move(pending_refs_.back());
      pending_refs_.pop_back();
      std::string target_path;
      const Json* target = Resolve(node->ref_text, path, target_path);
      node->ref = Compile(*target, target_path, 0);
    }
    RejectCyclesInPlace();
  }

 private:
  // A chain of $ref / allOf / anyOf / oneOf / not that leads back to where it started applies a
  // schema to a value through itself, forever (the spec leaves this undefined; Python's
  // jsonschema overflows its stack). Refused here, so validation only ever recurses by
  // descending into the value. Depth-first search with an explicit stack.
  void RejectCyclesInPlace() {
    auto edge = [](const Node* n, size_t i) -> const Node* {
      for (const auto* list : {&n->all_of, &n->any_of, &n->one_of}) {
        if (i < list->size()) return (*list)[i];
        i -= list->size();
      }
      if (n->not_schema != nullptr && i-- == 0) return n->not_schema;
      if (n->ref != nullptr && i-- == 0) return n->ref;
      return nullptr;
    };
    std::vector<std::pair<const Node*, size_t>> stack;
    for (Node& start : out_.nodes) {
      if (start.mark != 0) continue;
      start.mark = 1;  // on the stack
      stack.emplace_back(&start, 0);
      while (!stack.empty()) {
        auto& [node, next] = stack.back();
        const Node* to = edge(node, next++);
        if (to == nullptr) {
          node->mark = 2;  // done
          stack.pop_back();
        } else if (to->mark == 1) {
          Fail(to->path,
               "$ref cycle that applies this schema to the same value again, "
               "without descending into it");
        } else if (to->mark == 0) {
          to->mark = 1;
          stack.emplace_back(to, 0);
        }
      }
    }
  }

  [[noreturn]] static void Fail(const std::string& path, const std::string& message) {
    throw Error(ErrorCode::kInvalidArgument, "JSON schema at " + path + ": " + message);
  }

  static uint64_t NonNegativeInteger(const Json& v, const std::string& path) {
    if (v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() >= 0)) {
      return v.get<uint64_t>();
    }
    if (v.is_number_float() && IsIntegral(v.get<double>()) && v.get<double>() >= 0) {
      const double d = v.get<double>();
      return d >= 0x1p64 ? kNoLimit : static_cast<uint64_t>(d);
    }
    Fail(path, "must be a non-negative integer");
  }

  static const Json& Number(const Json& v, const std::string& path) {
    if (!v.is_number()) Fail(path, "must be a number");
    return v;
  }

  std::vector<const Node*> SchemaArray(const Json& v, const std::string& path, int depth) {
    if (!v.is_array() || v.empty()) Fail(path, "must be a non-empty array of schemas");
    std::vector<const Node*> out;
    for (size_t i = 0; i < v.size(); ++i) {
      out.push_back(Compile(v[i], path + "/" + std::to_string(i), depth + 1));
    }
    return out;
  }

  const Node* Compile(const Json& schema, const std::string& path, int depth) {
    const auto seen = compiled_.find(&schema);
    if (seen != compiled_.end()) return seen->second;
    if (depth > kMaxSchemaDepth) {
      Fail(path, "schemas nested deeper than " + std::to_string(kMaxSchemaDepth) + " levels");
    }
    if (!schema.is_object() && !schema.is_boolean()) {
      Fail(path, "a schema must be an object or a boolean");
    }
    Node& n = out_.nodes.emplace_back();
    n.path = path;
    compiled_.emplace(&schema, &n);
    if (schema.is_boolean()) {
      (schema.get<bool>() ? n.always : n.never) = true;
      return &n;
    }
    const Json* properties = nullptr;
    const Json* required = nullptr;
    for (const auto& [key, v] : Members(schema)) {
      const std::string at = path + "/" + PointerToken(key);
      if (Leaf(n, key, v, at)) {
        // done
      } else if (key == "properties") {
        if (!v.is_object()) Fail(at, "must be an object of schemas");
        properties = &v;
      } else if (key == "required") {
        if (!v.is_array()) Fail(at, "must be an array of strings");
        required = &v;
      } else if (key == "additionalProperties") {
        n.additional = Compile(v, at, depth + 1);
      } else if (key == "items") {
        if (v.is_array()) Fail(at, "must be a schema (use prefixItems for tuples)");
        n.items = Compile(v, at, depth + 1);
      } else if (key == "prefixItems") {
        n.prefix_items = SchemaArray(v, at, depth);
      } else if (key == "anyOf") {
        n.any_of = SchemaArray(v, at, depth);
      } else if (key == "oneOf") {
        n.one_of = SchemaArray(v, at, depth);
      } else if (key == "allOf") {
        n.all_of = SchemaArray(v, at, depth);
      } else if (key == "not") {
        n.not_schema = Compile(v, at, depth + 1);
      } else if (key == "$defs" || key == "definitions") {
        if (!v.is_object()) Fail(at, "must be an object of schemas");
        for (const auto& [name, sub] : Members(v)) {
          Compile(sub, at + "/" + PointerToken(name), depth + 1);
        }
      } else {
        Fail(path, "unsupported keyword \"" + key + "\"");
      }
    }
    // Properties and required merge into one sorted table (compiled after the loop: `n` is
    // filled in place, and Compile only appends to the deque, which keeps it where it is).
    if (properties != nullptr) {
      for (const auto& [name, sub] : Members(*properties)) {
        const Node* child = Compile(sub, path + "/properties/" + PointerToken(name), depth + 1);
        n.properties.push_back({name, child, false});
      }
    }
    PropertyTable(n, required, path);
    return &n;
  }

  // Keywords without subschemas (kept out of Compile, whose frames the schema's nesting stacks
  // up). False when `key` is not one of them.
  [[gnu::noinline]] bool Leaf(Node& n, const std::string& key, const Json& v,
                              const std::string& at) {
    if (key == "type") {
      n.types = Types(v, at);
    } else if (key == "enum") {
      if (!v.is_array()) Fail(at, "must be an array");
      n.enum_values = &v;
    } else if (key == "const") {
      n.const_value = &v;
    } else if (key == "minItems") {
      n.min_items = NonNegativeInteger(v, at);
    } else if (key == "maxItems") {
      n.max_items = NonNegativeInteger(v, at);
    } else if (key == "uniqueItems") {
      if (!v.is_boolean()) Fail(at, "must be a boolean");
      n.unique_items = v.get<bool>();
    } else if (key == "minLength") {
      n.min_length = NonNegativeInteger(v, at);
    } else if (key == "maxLength") {
      n.max_length = NonNegativeInteger(v, at);
    } else if (key == "minProperties") {
      n.min_properties = NonNegativeInteger(v, at);
    } else if (key == "maxProperties") {
      n.max_properties = NonNegativeInteger(v, at);
    } else if (key == "minimum") {
      n.minimum = &Number(v, at);
    } else if (key == "maximum") {
      n.maximum = &Number(v, at);
    } else if (key == "exclusiveMinimum") {
      n.exclusive_minimum = &Number(v, at);
    } else if (key == "exclusiveMaximum") {
      n.exclusive_maximum = &Number(v, at);
    } else if (key == "multipleOf") {
      if (!v.is_number() || !(CompareNumbers(v, Json(0)) > 0)) {
        Fail(at, "must be a number greater than 0");
      }
      n.multiple_of = &v;
      n.multiple = ToDecimal(v);
      if (!n.multiple.ok) Fail(at, "must be a finite number");
    } else if (key == "$ref") {
      if (!v.is_string()) Fail(at, "must be a string");
      n.ref_text = v.get<std::string>();
      pending_refs_.emplace_back(&n, at);
    } else if (key == "pattern") {
      if (!v.is_string()) Fail(at, "must be a string");
      std::string error;
      n.pattern = CompilePattern(v.get<std::string>(), error);
      if (n.pattern == nullptr) Fail(at, "invalid regular expression: " + error);
    } else if (key == "format") {
      if (!v.is_string()) Fail(at, "must be a string");
      const std::string& f = v.get_ref<const std::string&>();
      n.format = f == "date"        ? Format::kDate
                 : f == "time"      ? Format::kTime
                 : f == "date-time" ? Format::kDateTime
                 : f == "email"     ? Format::kEmail
                 : f == "uuid"      ? Format::kUuid
                                    : Format::kNone;  // other formats: annotations only
    } else if (key == "title" || key == "description" || key == "$comment" || key == "$schema" ||
               key == "$id") {
      if (!v.is_string()) Fail(at, "must be a string");
    } else if (key == "deprecated" || key == "readOnly" || key == "writeOnly") {
      if (!v.is_boolean()) Fail(at, "must be a boolean");
    } else if (key == "examples") {
      if (!v.is_array()) Fail(at, "must be an array");
    } else if (key != "default") {  // default: an annotation, any value
      return false;
    }
    return true;
  }

  // Sorts the properties and adds the required names to them.
  [[gnu::noinline]] static void PropertyTable(Node& n, const Json* required,
                                              const std::string& path) {
    std::sort(n.properties.begin(), n.properties.end(),
              [](const Node::Property& a, const Node::Property& b) { return a.name < b.name; });
    if (required == nullptr) return;
    std::set<std::string> names;
    for (const Json& r : *required) {
      if (!r.is_string()) Fail(path + "/required", "must be an array of strings");
      const std::string& name = r.get_ref<const std::string&>();
      if (!names.insert(name).second) Fail(path + "/required", "repeats \"" + name + "\"");
      n.required.push_back(name);
    }
    for (const std::string& name : n.required) {
      auto it = std::lower_bound(
          n.properties.begin(), n.properties.end(), name,
          [](const Node::Property& p, const std::string& s) { return p.name < s; });
      if (it == n.properties.end() || it->name != name) {
        it = n.properties.insert(it, {name, nullptr, false});
      }
      it->required = true;
    }
  }

  static uint8_t Types(const Json& v, const std::string& path) {
    auto bit = [&](const Json& name) -> uint8_t {
      if (name.is_string()) {
        for (const auto& t : kTypeNames) {
          if (name.get_ref<const std::string&>() == t.name) return t.bit;
        }
      }
      Fail(path, "unknown type " + name.dump() +
                     " (expected object, array, string, number, integer, boolean or null)");
    };
    if (!v.is_array()) return bit(v);
    if (v.empty()) Fail(path, "must not be an empty array");
    uint8_t mask = 0;
    for (const Json& name : v) {
      const uint8_t b = bit(name);
      if (mask & b) Fail(path, "repeats " + name.dump());
      mask |= b;
    }
    return mask;
  }

  // The schema a local $ref names: "#" or "#/json/pointer", percent-decoded, ~0 ~1 unescaped.
  const Json* Resolve(const std::string& ref, const std::string& at, std::string& target_path) {
    if (ref.empty() || ref[0] != '#') {
      Fail(at, "\"" + ref + "\": only local references (\"#\", \"#/$defs/name\") are supported");
    }
    std::string pointer;
    for (size_t i = 1; i < ref.size(); ++i) {
      if (ref[i] != '%') {
        pointer += ref[i];
        continue;
      }
      if (i + 2 >= ref.size() || !IsHex(ref[i + 1]) || !IsHex(ref[i + 2])) {
        Fail(at, "\"" + ref + "\": bad percent escape");
      }
      pointer += static_cast<char>(std::stoi(ref.substr(i + 1, 2), nullptr, 16));
      i += 2;
    }
    const Json* cur = out_.root;
    target_path = "#";
    if (pointer.empty()) return cur;
    if (pointer[0] != '/') Fail(at, "\"" + ref + "\": named anchors are not supported");
    size_t start = 1;
    while (true) {
      size_t end = pointer.find('/', start);
      if (end == std::string::npos) end = pointer.size();
      std::string token;
      for (size_t i = start; i < end; ++i) {
        if (pointer[i] != '~') {
          token += pointer[i];
        } else if (i + 1 < end && (pointer[i + 1] == '0' || pointer[i + 1] == '1')) {
          token += pointer[++i] == '0' ? '~' : '/';
        } else {
          Fail(at, "\"" + ref + "\": bad ~ escape");
        }
      }
      if (cur->is_object()) {
        const auto it = cur->find(token);
        if (it == cur->end()) Fail(at, "\"" + ref + "\" points to nothing");
        cur = &*it;
      } else if (cur->is_array()) {
        const bool index = !token.empty() && token.size() <= 9 &&
                           std::all_of(token.begin(), token.end(), IsDigit) &&
                           (token == "0" || token[0] != '0');
        if (!index || std::stoul(token) >= cur->size()) {
          Fail(at, "\"" + ref + "\" points to nothing");
        }
        cur = &(*cur)[std::stoul(token)];
      } else {
        Fail(at, "\"" + ref + "\" points to nothing");
      }
      target_path += "/" + PointerToken(token);
      if (end == pointer.size()) return cur;
      start = end + 1;
    }
  }

  JsonSchema::Compiled& out_;
  std::unordered_map<const Json*, const Node*> compiled_;
  std::vector<std::pair<Node*, std::string>> pending_refs_;
};

std::unique_ptr<JsonSchema::Compiled> CompileSchema(const Json& schema, bool copy) {
  auto compiled = std::make_unique<JsonSchema::Compiled>();
  if (copy) {
    compiled->owned = schema;
    compiled->root = &compiled->owned;
  } else {
    compiled->root = &schema;
  }
  Compiler(*compiled).Run();
  return compiled;
}

// ---- validation ----------------------------------------------------------------------------

const char* ValueTypeName(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::boolean:
      return "boolean";
    case Json::value_t::object:
      return "object";
    case Json::value_t::array:
      return "array";
    case Json::value_t::string:
      return "string";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return "integer";
    case Json::value_t::number_float:
      return "number";
    default:
      return "binary";
  }
}

uint8_t ValueTypeBits(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null:
      return kNull;
    case Json::value_t::boolean:
      return kBoolean;
    case Json::value_t::object:
      return kObject;
    case Json::value_t::array:
      return kArray;
    case Json::value_t::string:
      return kString;
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return kNumber | kInteger;
    case Json::value_t::number_float:
      return IsIntegral(v.get<double>()) ? kNumber | kInteger : kNumber;
    default:
      return 0;
  }
}

bool IsIdentifier(std::string_view s) {
  if (s.empty() || IsDigit(s[0])) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return IsAlpha(c) || IsDigit(c) || c == '_'; });
}

class Validator {
 public:
  explicit Validator(std::string* error) : error_(error) {}

  bool Check(const Node& n, const Json& v) {
    if (aborted_) return false;
    if (n.always) return true;
    if (n.never) return Fail([] { return std::string("no value is allowed here (false schema)"); });
    if (++calls_ > kMaxCallDepth) {
      --calls_;
      return Abort("schema applied more than " + std::to_string(kMaxCallDepth) + " levels deep");
    }
    const bool ok = CheckNode(n, v);
    --calls_;
    return ok;
  }

 private:
  // Sets the message (only when one is wanted: branches of anyOf, oneOf and not run quiet) and
  // returns false.
  // Out of line, like the keyword checks below that do not recurse: their temporaries then
  // stay off the frames of the recursion, which bounds the stack a deep schema needs.
  template <typename MakeMessage>
  [[gnu::noinline]] bool Fail(MakeMessage make) {
    if (quiet_ == 0 && error_ != nullptr && !aborted_) *error_ = Path() + ": " + make();
    return false;
  }

  // A depth limit hit: the whole value is invalid, whichever branch of anyOf or oneOf found it
  // (letting another branch decide would make the result depend on the path taken).
  [[gnu::noinline]] bool Abort(const std::string& message) {
    if (error_ != nullptr && !aborted_) *error_ = Path() + ": " + message;
    aborted_ = true;
    return false;
  }

  // $ref hops, the only way back into a schema already on the stack, are memoized per (target,
  // value): branches of anyOf / oneOf / allOf that recurse into the same part of the value then
  // cost once, not once per path, which would be exponential in the value's depth.
  [[gnu::noinline]] bool CheckRef(const Node& target, const Json& v) {
    if (refs_ >= kMaxRefDepth) {
      return Abort("$ref recursion deeper than " + std::to_string(kMaxRefDepth) + " levels");
    }
    const auto key = std::make_pair(&target, &v);
    const auto it = memo_.find(key);
    // A failure is evaluated again when its message is wanted.
    if (it != memo_.end() && (it->second || quiet_ > 0 || error_ == nullptr)) return it->second;
    ++refs_;
    const bool ok = Check(target, v);
    --refs_;
    if (!aborted_) memo_[key] = ok;
    return ok;
  }

  std::string Path() const {
    std::string out = "$";
    for (const auto& [key, index] : path_) {
      if (key == nullptr) {
        out += "[" + std::to_string(index) + "]";
      } else if (IsIdentifier(*key)) {
        out += "." + *key;
      } else {
        out += "['";
        for (const char c : *key) {
          if (c == '\'' || c == '\\') out += '\\';
          out += c;
        }
        out += "']";
      }
    }
    return out;
  }

  bool CheckNode(const Node& n, const Json& v) {
    if (n.types != 0 && (ValueTypeBits(v) & n.types) == 0) {
      return Fail([&] { return "expected " + TypesText(n.types) + ", got " + ValueTypeName(v); });
    }
    if ((n.const_value != nullptr || n.enum_values != nullptr) && !CheckConstEnum(n, v)) {
      return false;
    }
    if (v.is_number() && !CheckNumber(n, v)) return false;
    if (v.is_string() && !CheckString(n, v.get_ref<const std::string&>())) return false;
    if (v.is_array() && !CheckArray(n, v)) return false;
    if (v.is_object() && !CheckObject(n, v)) return false;
    for (const Node* s : n.all_of) {
      if (!Check(*s, v)) return false;
    }
    if (!n.any_of.empty()) {
      ++quiet_;
      const bool any = std::any_of(n.any_of.begin(), n.any_of.end(),
                                   [&](const Node* s) { return Check(*s, v); });
      --quiet_;
      if (!any) return Fail([] { return std::string("value matches no schema in anyOf"); });
    }
    if (!n.one_of.empty()) {
      size_t matches = 0, first = 0, second = 0;
      ++quiet_;
      for (size_t i = 0; i < n.one_of.size() && matches < 2; ++i) {
        if (Check(*n.one_of[i], v)) (matches++ == 0 ? first : second) = i;
      }
      --quiet_;
      if (matches == 0) return Fail([] { return std::string("value matches no schema in oneOf"); });
      if (matches > 1) {
        return Fail([&] {
          return "value matches oneOf schemas " + std::to_string(first) + " and " +
                 std::to_string(second) + ", expected exactly one";
        });
      }
    }
    if (n.not_schema != nullptr) {
      ++quiet_;
      const bool matched = Check(*n.not_schema, v);
      --quiet_;
      if (matched) return Fail([] { return std::string("value matches the schema in not"); });
    }
    if (n.ref != nullptr && !CheckRef(*n.ref, v)) return false;
    return true;
  }

  [[gnu::noinline]] bool CheckConstEnum(const Node& n, const Json& v) {
    if (n.const_value != nullptr && !JsonEqual(*n.const_value, v)) {
      return Fail([&] { return "value is not the constant " + Short(*n.const_value); });
    }
    if (n.enum_values != nullptr) {
      const auto& options = *n.enum_values;
      if (!std::any_of(options.begin(), options.end(),
                       [&](const Json& o) { return JsonEqual(o, v); })) {
        return Fail([&] { return "value is not one of " + Short(options); });
      }
    }
    return true;
  }

  [[gnu::noinline]] bool CheckNumber(const Node& n, const Json& v) {
    if (n.minimum != nullptr && !(CompareNumbers(v, *n.minimum) >= 0)) {
      return Fail([&] { return v.dump() + " is less than the minimum " + n.minimum->dump(); });
    }
    if (n.maximum != nullptr && !(CompareNumbers(v, *n.maximum) <= 0)) {
      return Fail([&] { return v.dump() + " is greater than the maximum " + n.maximum->dump(); });
    }
    if (n.exclusive_minimum != nullptr && !(CompareNumbers(v, *n.exclusive_minimum) > 0)) {
      return Fail([&] {
        return v.dump() + " is not greater than the exclusive minimum " +
               n.exclusive_minimum->dump();
      });
    }
    if (n.exclusive_maximum != nullptr && !(CompareNumbers(v, *n.exclusive_maximum) < 0)) {
      return Fail([&] {
        return v.dump() + " is not less than the exclusive maximum " + n.exclusive_maximum->dump();
      });
    }
    if (n.multiple_of != nullptr && !IsMultiple(ToDecimal(v), n.multiple)) {
      return Fail([&] { return v.dump() + " is not a multiple of " + n.multiple_of->dump(); });
    }
    return true;
  }

  [[gnu::noinline]] bool CheckString(const Node& n, const std::string& s) {
    if (n.min_length > 0 || n.max_length != kNoLimit) {
      const uint64_t length = CodePoints(s);
      if (length < n.min_length) {
        return Fail([&] {
          return "string has " + std::to_string(length) + " characters, fewer than minLength " +
                 std::to_string(n.min_length);
        });
      }
      if (length > n.max_length) {
        return Fail([&] {
          return "string has " + std::to_string(length) + " characters, more than maxLength " +
                 std::to_string(n.max_length);
        });
      }
    }
    if (n.pattern != nullptr) {
      const int found = n.pattern->Search(s);
      if (found == 0) {
        return Fail(
            [&] { return "string does not match the pattern " + Quote(n.pattern->source()); });
      }
      if (found < 0) {
        return Fail([&] {
          return "matching the pattern " + Quote(n.pattern->source()) + " gave up (PCRE2 error " +
                 std::to_string(found) + ")";
        });
      }
    }
    if (n.format != Format::kNone && !jsonfmt::CheckFormat(n.format, s)) {
      return Fail(
          [&] { return std::string("string is not a valid ") + jsonfmt::FormatName(n.format); });
    }
    return true;
  }

  bool CheckArray(const Node& n, const Json& v) {
    const size_t size = v.size();
    if (size < n.min_items) {
      return Fail([&] {
        return "array has " + std::to_string(size) + " items, fewer than minItems " +
               std::to_string(n.min_items);
      });
    }
    if (size > n.max_items) {
      return Fail([&] {
        return "array has " + std::to_string(size) + " items, more than maxItems " +
               std::to_string(n.max_items);
      });
    }
    const size_t prefix = std::min(size, n.prefix_items.size());
    if (n.items != nullptr && n.items->never && size > prefix) {
      return Fail([&] {
        return "array has " + std::to_string(size) + " items, at most " +
               std::to_string(n.prefix_items.size()) + " allowed";
      });
    }
    for (size_t i = 0; i < size; ++i) {
      const Node* s = i < prefix ? n.prefix_items[i] : n.items;
      if (s == nullptr) {
        if (i >= prefix) break;
        continue;
      }
      path_.emplace_back(nullptr, i);
      const bool ok = Check(*s, v[i]);
      path_.pop_back();
      if (!ok) return false;
    }
    if (n.unique_items && size > 1) return CheckUnique(v);
    return true;
  }

  [[gnu::noinline]] bool CheckUnique(const Json& v) {
    const size_t size = v.size();
    auto duplicate = [&](size_t i, size_t j) {
      return Fail([&] {
        return "array items " + std::to_string(i) + " and " + std::to_string(j) + " are equal";
      });
    };
    if (size <= 8) {
      for (size_t i = 0; i < size; ++i) {
        for (size_t j = i + 1; j < size; ++j) {
          if (JsonEqual(v[i], v[j])) return duplicate(i, j);
        }
      }
      return true;
    }
    std::vector<std::pair<uint64_t, size_t>> hashes(size);
    for (size_t i = 0; i < size; ++i) hashes[i] = {HashJson(v[i], kHashDepth), i};
    std::sort(hashes.begin(), hashes.end());
    for (size_t a = 0; a < size;) {
      size_t b = a + 1;
      while (b < size && hashes[b].first == hashes[a].first) ++b;
      for (size_t i = a; i < b; ++i) {
        for (size_t j = i + 1; j < b; ++j) {
          if (JsonEqual(v[hashes[i].second], v[hashes[j].second])) {
            return duplicate(hashes[i].second, hashes[j].second);
          }
        }
      }
      a = b;
    }
    return true;
  }

  bool CheckObject(const Node& n, const Json& v) {
    const size_t size = v.size();
    if (size < n.min_properties) {
      return Fail([&] {
        return "object has " + std::to_string(size) + " properties, fewer than minProperties " +
               std::to_string(n.min_properties);
      });
    }
    if (size > n.max_properties) {
      return Fail([&] {
        return "object has " + std::to_string(size) + " properties, more than maxProperties " +
               std::to_string(n.max_properties);
      });
    }
    if (n.properties.empty() && n.additional == nullptr) return true;
    size_t required_seen = 0;
    for (const auto& [key, value] : Members(v)) {
      const Node::Property* p = n.FindProperty(key);
      if (p != nullptr) required_seen += p->required;
      const bool listed = p != nullptr && p->schema != nullptr;  // under properties
      const Node* s = listed ? p->schema : n.additional;
      if (s == nullptr) continue;
      path_.emplace_back(&key, 0);
      const bool ok = !listed && s->never
                          ? Fail([] { return std::string("property not allowed here"); })
                          : Check(*s, value);
      path_.pop_back();
      if (!ok) return false;
    }
    if (required_seen < n.required.size()) {
      for (const std::string& name : n.required) {
        if (v.find(name) == v.end()) {
          return Fail([&] { return "missing required property " + Quote(name); });
        }
      }
    }
    return true;
  }

  static std::string TypesText(uint8_t types) {
    std::string out;
    int count = 0;
    for (const auto& t : kTypeNames) {
      if (types & t.bit) {
        out += std::string(count++ ? ", " : "") + t.name;
      }
    }
    return count > 1 ? "one of " + out : out;
  }

  static std::string Quote(const std::string& s) { return Json(s).dump(); }

  // A value for a message, cut short when long.
  static std::string Short(const Json& v) {
    std::string s = v.dump(-1, ' ', false, Json::error_handler_t::replace);
    if (s.size() > 120) s = s.substr(0, 117) + "...";
    return s;
  }

  std::string* error_;
  int quiet_ = 0;
  int calls_ = 0;
  int refs_ = 0;
  bool aborted_ = false;
  std::vector<std::pair<const std::string*, size_t>> path_;  // key, or index when key is null
  struct PairHash {
    size_t operator()(const std::pair<const Node*, const Json*>& p) const {
      return Mix(reinterpret_cast<uintptr_t>(p.first), reinterpret_cast<uintptr_t>(p.second));
    }
  };
  std::unordered_map<std::pair<const Node*, const Json*>, bool, PairHash> memo_;
};

}  // namespace

JsonSchema::JsonSchema(const Json& schema) : compiled_(CompileSchema(schema, true)) {}
JsonSchema::~JsonSchema() = default;
JsonSchema::JsonSchema(JsonSchema&&) noexcept = default;
JsonSchema& JsonSchema::operator=(JsonSchema&&) noexcept = default;

std::string JsonSchema::Validate(const Json& value) const {
  std::string error;
  Validator(&error).Check(*compiled_->root_node, value);
  return error;
}

bool JsonSchema::IsValid(const Json& value) const {
  return Validator(nullptr).Check(*compiled_->root_node, value);
}

std::string ValidateJson(const Json& value, const Json& schema) {
  const auto compiled = CompileSchema(schema, false);
  std::string error;
  Validator(&error).Check(*compiled->root_node, value);
  return error;
}

void CheckSchema(const Json& schema) {
  CompileSchema(schema, false);
}

}  // namespace exaone::foundry
