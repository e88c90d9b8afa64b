// JSON and JSON Schema grammars: random walks through the grammar (each step a byte the matcher
// allows) give text that parses as JSON and satisfies the schema's constraints as checked here
// by hand; values written out in the schema's member order are accepted; values that break a
// constraint are refused; unsupported keywords are errors that name the keyword and its path.
// (The corpus of schemas validated with the jsonschema package lives in the integration tests.)
#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>

#include "base/error.h"
#include "constrain/json_schema.h"
#include "constrain/matcher.h"
#include "grammar_walk.h"

namespace exaone::constrain {
namespace {

using Json = SchemaJson;

TEST(JsonGrammar, WalksParseAndDumpsAreAccepted) {
  GrammarMatcher m(AnyJsonGrammar());
  std::mt19937 rng(5);
  int parsed = 0;
  for (int i = 0; i < 200; ++i) {
    const std::string text = Walk(m, rng);
    if (text.empty()) continue;
    EXPECT_TRUE(Json::accept(text)) << text;
    ++parsed;
  }
  EXPECT_GT(parsed, 150);
  for (const char* ok : {"0", "-0", "1.5e+10", "\"\\u00e9\\n\"", "\"한국어\"", "[]", "{}",
                         "[1, [2, {\"a\": null}]]", "{\"k\":\n  true}", "true", "false", "null"}) {
    EXPECT_TRUE(Accepts(m, ok)) << ok;
  }
  for (const char* bad : {"01", "1.", ".5", "+1", "[1,]", "{\"a\"}", "{a:1}", "\"\x01\"", "\"\\x\"",
                          "tru", "nul", "[1 2]", "\"\xC0\x80\"", "{} "}) {
    EXPECT_FALSE(Accepts(m, bad)) << bad;
  }
}

TEST(JsonSchemaGrammar, WalksSatisfyTheSchema) {
  const Json schema = Json::parse(R"({
    "type": "object",
    "properties": {
      "age": {"type": "integer", "minimum": -5, "maximum": 130},
      "id": {"type": "string", "minLength": 2, "maxLength": 4},
      "kind": {"enum": ["a", "b", 3]},
      "score": {"type": "number", "minimum": 0, "maximum": 1},
      "tags": {"type": "array", "items": {"type": "boolean"}, "minItems": 1, "maxItems": 3}
    },
    "required": ["id", "kind"],
    "additionalProperties": false
  })");
  GrammarMatcher m(JsonSchemaGrammar(schema));
  std::mt19937 rng(6);
  int checked = 0;
  for (int i = 0; i < 300; ++i) {
    const std::string text = Walk(m, rng);
    if (text.empty()) continue;
    const Json v = Json::parse(text);
    ASSERT_TRUE(v.is_object()) << text;
    ASSERT_TRUE(v.contains("id") && v.contains("kind")) << text;
    for (auto it = v.begin(); it != v.end(); ++it) {
      ASSERT_TRUE(schema["properties"].contains(it.key())) << text;
    }
    ASSERT_TRUE(v["id"].is_string());
    const std::string id = v["id"].get<std::string>();
    // Code points, not bytes.
    size_t cps = 0;
    for (unsigned char c : id) cps += (c & 0xC0) != 0x80;
    ASSERT_TRUE(cps >= 2 && cps <= 4) << text;
    ASSERT_TRUE(v["kind"] == "a" || v["kind"] == "b" || v["kind"] == 3) << text;
    if (v.contains("age")) {
      ASSERT_TRUE(v["age"].is_number_integer()) << text;
      ASSERT_TRUE(v["age"].get<int64_t>() >= -5 && v["age"].get<int64_t>() <= 130) << text;
    }
    if (v.contains("score")) {
      ASSERT_TRUE(v["score"].is_number()) << text;
      ASSERT_TRUE(v["score"].get<double>() >= 0 && v["score"].get<double>() <= 1) << text;
    }
    if (v.contains("tags")) {
      ASSERT_TRUE(v["tags"].is_array() && !v["tags"].empty() && v["tags"].size() <= 3) << text;
      for (const Json& t : v["tags"]) ASSERT_TRUE(t.is_boolean()) << text;
    }
    ++checked;
  }
  EXPECT_GT(checked, 200);
  EXPECT_TRUE(Accepts(m, R"({"age": 130, "id": "ab", "kind": 3, "score": 1.000})"));
  EXPECT_TRUE(Accepts(m, R"({"id": "한국", "kind": "b", "tags": [true, false]})"));
  EXPECT_TRUE(Accepts(m, R"({"age": -5, "id": "abcd", "kind": "a", "score": 0.999})"));
  for (const char* bad : {R"({"age": 131, "id": "ab", "kind": 3})",    // above maximum
                          R"({"age": -6, "id": "ab", "kind": 3})",     // below minimum
                          R"({"age": 1.5, "id": "ab", "kind": 3})",    // not an integer
                          R"({"id": "a", "kind": 3})",                 // too short
                          R"({"id": "abcde", "kind": 3})",             // too long
                          R"({"id": "ab", "kind": "c"})",              // not in the enum
                          R"({"id": "ab"})",                           // kind required
                          R"({"id": "ab", "kind": 3, "x": 1})",        // no additional properties
                          R"({"id": "ab", "kind": 3, "score": 1.5})",  // above maximum
                          R"({"id": "ab", "kind": 3, "score": 1.01})",
                          R"({"id": "ab", "kind": 3, "tags": []})",  // minItems
                          R"({"id": "ab", "kind": 3, "tags": [true, true, true, true]})"}) {
    EXPECT_FALSE(Accepts(m, bad)) << bad;
  }
}

TEST(JsonSchemaGrammar, IntegerRangesAreExact) {
  const std::pair<int64_t, int64_t> ranges[] = {{0, 0},    {-3, 3},     {7, 1234}, {-1000, -17},
                                                {99, 100}, {-9, 10001}, {123, 129}};
  for (const auto& [lo, hi] : ranges) {
    GrammarMatcher m(
        JsonSchemaGrammar(Json{{"type", "integer"}, {"minimum", lo}, {"maximum", hi}}));
    for (int64_t v = lo - 30; v <= hi + 30; ++v) {
      ASSERT_EQ(Accepts(m, std::to_string(v)), v >= lo && v <= hi)
          << v << " in " << lo << ".." << hi;
    }
    EXPECT_FALSE(Accepts(m, "0" + std::to_string(std::max<int64_t>(lo, 1))));
  }
  GrammarMatcher open(JsonSchemaGrammar(Json{{"type", "integer"}, {"exclusiveMinimum", 10}}));
  EXPECT_FALSE(Accepts(open, "10"));
  EXPECT_TRUE(Accepts(open, "11"));
  // Without a maximum, at most 19 digits (a model cannot run on in one number).
  EXPECT_TRUE(Accepts(open, "1234567890123456789"));
  EXPECT_FALSE(Accepts(open, "12345678901234567890"));
  EXPECT_FALSE(Accepts(open, "-11"));
}

TEST(JsonSchemaGrammar, RefsRecursionAndCombinators) {
  const Json tree = Json::parse(R"({
    "$defs": {"node": {"type": "object",
                       "properties": {"kids": {"type": "array", "items": {"$ref": "#/$defs/node"}},
                                      "v": {"type": "integer"}},
                       "required": ["v"], "additionalProperties": false}},
    "$ref": "#/$defs/node"})");
  GrammarMatcher m(JsonSchemaGrammar(tree));
  EXPECT_TRUE(Accepts(m, R"({"kids": [{"v": 1}, {"kids": [], "v": 2}], "v": 0})"));
  EXPECT_FALSE(Accepts(m, R"({"kids": [{"w": 1}], "v": 0})"));
  const Json any_of =
      Json::parse(R"({"anyOf": [{"type": "null"}, {"type": "string", "maxLength": 1}]})");
  GrammarMatcher a(JsonSchemaGrammar(any_of));
  EXPECT_TRUE(Accepts(a, "null"));
  EXPECT_TRUE(Accepts(a, "\"x\""));
  EXPECT_FALSE(Accepts(a, "\"xy\""));
  // allOf: additionalProperties false knows only the properties beside it (JSON Schema's
  // rule), so the outer schema must list what the parts require...
  const Json all_of = Json::parse(R"({"allOf": [
      {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]},
      {"properties": {"b": {"type": "boolean"}}, "required": ["b"]}],
      "properties": {"a": true, "b": true}, "additionalProperties": false})");
  GrammarMatcher b(JsonSchemaGrammar(all_of));
  EXPECT_TRUE(Accepts(b, R"({"a": 1, "b": true})"));
  EXPECT_FALSE(Accepts(b, R"({"a": 1})"));
  EXPECT_FALSE(Accepts(b, R"({"a": 1, "b": 2})"));
  // ...or no object can match, which is an error rather than output that would not validate.
  EXPECT_THROW((void)JsonSchemaGrammar(Json::parse(R"({"allOf": [
      {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]},
      {"properties": {"b": {"type": "boolean"}}, "required": ["b"]}],
      "additionalProperties": false})")),
               Error);
  // Optional members another part forbids are left out; anyOf branches that cannot match are
  // dropped, the others stay.
  GrammarMatcher c(JsonSchemaGrammar(Json::parse(R"({"type": "object",
      "properties": {"id": {"type": "integer", "minimum": 1, "maximum": 9}}, "required": ["id"],
      "additionalProperties": false,
      "anyOf": [{"properties": {"phone": {"type": "string"}}, "required": ["phone"]},
                {"properties": {"note": {"type": "string"}}}]})")));
  EXPECT_TRUE(Accepts(c, R"({"id": 3})"));
  EXPECT_FALSE(Accepts(c, R"({"id": 3, "note": "x"})"));
  EXPECT_FALSE(Accepts(c, R"({"id": 3, "phone": "x"})"));
  // enum and const keep to the schema's type; required names not under properties follow
  // additionalProperties; percent-encoded pointers resolve; 64-bit edges are exact.
  GrammarMatcher e(
      JsonSchemaGrammar(Json::parse(R"({"type": "string", "enum": ["lo", 1, null]})")));
  EXPECT_TRUE(Accepts(e, R"("lo")"));
  EXPECT_FALSE(Accepts(e, "1"));
  EXPECT_FALSE(Accepts(e, "null"));
  EXPECT_THROW((void)JsonSchemaGrammar(Json::parse(R"({"type": "string", "const": 1})")), Error);
  GrammarMatcher r(JsonSchemaGrammar(Json::parse(
      R"({"type": "object", "required": ["on"], "additionalProperties": {"type": "boolean"}})")));
  EXPECT_TRUE(Accepts(r, R"({"on": true})"));
  EXPECT_FALSE(Accepts(r, R"({"on": 5})"));
  EXPECT_THROW((void)JsonSchemaGrammar(Json::parse(
                   R"({"type": "object", "required": ["on"], "additionalProperties": false})")),
               Error);
  GrammarMatcher pct(JsonSchemaGrammar(Json::parse(
      R"({"$defs": {"unit price": {"type": "boolean"}}, "$ref": "#/$defs/unit%20price"})")));
  EXPECT_TRUE(Accepts(pct, "true"));
  GrammarMatcher big(JsonSchemaGrammar(Json::parse(
      R"({"type": "integer", "minimum": -9223372036854775808, "maximum": 18446744073709551615})")));
  EXPECT_TRUE(Accepts(big, "9223372036854775807"));
  EXPECT_TRUE(Accepts(big, "-9223372036854775808"));
  EXPECT_TRUE(Accepts(big, "0"));
  EXPECT_FALSE(Accepts(big, "9223372036854775808"));  // narrowed to 64 bits: never too large
  EXPECT_THROW((void)JsonSchemaGrammar(Json::parse(R"({"type": "integer", "minimum": 1e22})")),
               Error);
  // oneOf with a discriminating const is taken; overlapping branches are refused.
  EXPECT_NO_THROW((void)JsonSchemaGrammar(Json::parse(R"({"oneOf": [
      {"type": "object", "properties": {"t": {"const": "x"}}, "required": ["t"]},
      {"type": "object", "properties": {"t": {"const": "y"}}, "required": ["t"]}]})")));
  EXPECT_THROW((void)JsonSchemaGrammar(Json::parse(R"({"oneOf": [{"type": "string"},
      {"type": "string", "maxLength": 3}]})")),
               Error);
}

TEST(JsonSchemaGrammar, ExtraMembersNeverReuseAListedName) {
  const Json schema = Json::parse(R"({"type": "object",
      "properties": {"ab": {"type": "integer"}, "a": {"type": "integer"}},
      "additionalProperties": {"type": "null"}})");
  GrammarMatcher m(JsonSchemaGrammar(schema));
  EXPECT_TRUE(Accepts(m, R"({"ab": 1, "a": 2, "abc": null, "b": null})"));
  EXPECT_TRUE(Accepts(m, R"({"x_1": null})"));
  EXPECT_FALSE(Accepts(m, R"({"a": 2, "ab": null})"));
  EXPECT_FALSE(Accepts(m, R"({"ab": null})"));
  EXPECT_FALSE(Accepts(m, R"({"q": 1})"));
  // Extra names stop at 64 bytes.
  EXPECT_TRUE(Accepts(m, "{\"" + std::string(64, 'z') + "\": null}"));
  EXPECT_FALSE(Accepts(m, "{\"" + std::string(65, 'z') + "\": null}"));
}

TEST(JsonSchemaGrammar, PatternsSearchAndFormatsAnchor) {
  GrammarMatcher p(
      JsonSchemaGrammar(SchemaJson::parse(R"({"type": "string", "pattern": "a[0-9]"})")));
  EXPECT_TRUE(Accepts(p, R"("xa1y")"));
  EXPECT_TRUE(Accepts(p, R"("a9")"));
  EXPECT_FALSE(Accepts(p, R"("xay")"));
  GrammarMatcher q(JsonSchemaGrammar(SchemaJson{{"pattern", "^\"q\"$"}}));
  EXPECT_TRUE(Accepts(q, R"("\"q\"")"));
  EXPECT_FALSE(Accepts(q, R"(""q"")"));
  auto format = [](const char* f) {
    return std::make_unique<GrammarMatcher>(
        JsonSchemaGrammar(SchemaJson{{"type", "string"}, {"format", f}}));
  };
  auto date = format("date");
  for (const char* ok : {R"("2024-02-28")", R"("0001-12-31")", R"("1999-04-30")"}) {
    EXPECT_TRUE(Accepts(*date, ok)) << ok;
  }
  for (const char* bad :
       {R"("2024-02-30")", R"("2024-13-01")", R"("2024-04-31")", R"("24-01-01")"}) {
    EXPECT_FALSE(Accepts(*date, bad)) << bad;
  }
  auto dt = format("date-time");
  EXPECT_TRUE(Accepts(*dt, R"("2024-01-31T23:59:59.123+09:00")"));
  EXPECT_TRUE(Accepts(*dt, R"("2024-01-31T00:00:00Z")"));
  EXPECT_FALSE(Accepts(*dt, R"("2024-01-31T24:00:00Z")"));
  EXPECT_FALSE(Accepts(*dt, R"("2024-01-31 00:00:00Z")"));
  auto uuid = format("uuid");
  EXPECT_TRUE(Accepts(*uuid, R"("123e4567-e89b-12d3-a456-426614174000")"));
  EXPECT_FALSE(Accepts(*uuid, R"("123e4567e89b-12d3-a456-426614174000")"));
  auto mail = format("email");
  EXPECT_TRUE(Accepts(*mail, R"("kim.minji+ai@lgresearch.ai")"));
  EXPECT_FALSE(Accepts(*mail, R"("kim@localhost")"));
  EXPECT_THROW((void)JsonSchemaGrammar(SchemaJson{{"type", "string"}, {"format", "hostname"}}),
               Error);
  EXPECT_THROW((void)JsonSchemaGrammar(
                   SchemaJson::parse(R"({"type": "string", "pattern": "a", "maxLength": 3})")),
               Error);
  EXPECT_THROW((void)JsonSchemaGrammar(SchemaJson::parse(R"x({"pattern": "(?=a)"})x")), Error);
}

TEST(JsonSchemaGrammar, UnsupportedKeywordsNameThemselvesAndTheirPath) {
  try {
    (void)JsonSchemaGrammar(Json::parse(
        R"({"type": "object", "properties": {"x": {"type": "string", "patternX": "a"}}})"));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'patternX'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("$.properties.x"), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)JsonSchemaGrammar(Json::parse(R"({"$ref": "#/$defs/missing"})")), Error);
  EXPECT_THROW((void)JsonSchemaGrammar(Json::parse(R"({"$ref": "http://example.com/s"})")), Error);
  EXPECT_THROW(
      (void)JsonSchemaGrammar(Json::parse(R"({"type": "integer", "minimum": 5, "maximum": 4})")),
      Error);
  EXPECT_THROW((void)JsonSchemaGrammar(Json::parse(R"({"type": "number", "minimum": 0.5})")),
               Error);
  EXPECT_THROW((void)JsonSchemaGrammar(Json::parse(R"({"type": "wat"})")), Error);
  EXPECT_THROW((void)JsonSchemaGrammar(Json(false)), Error);
  EXPECT_THROW(
      (void)JsonSchemaGrammar(Json::parse(R"({"type": "array", "minItems": 5, "maxItems": 2})")),
      Error);
}

}  // namespace
}  // namespace exaone::constrain
