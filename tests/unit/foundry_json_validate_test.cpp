// JSON Schema validation: each keyword with values that pass and values that fail, the exact
// "PATH: message" of violations, numbers compared by value (1 == 1.0, integers past 2^53 and
// 2^63, decimal multipleOf), lengths in code points, unanchored ECMAScript-style patterns, the
// supported formats, local $refs (escapes, recursion, the depth guard), boolean schemas, the
// errors CheckSchema raises, and values built to exhaust the stack or take quadratic time.
//
// The corpus tests/fixtures/json_validate_cases.json holds 824 (schema, value, valid) triples: 74
// hand-written schemas, each with hand-picked values and random mutations of its valid ones
// (members dropped, added or retyped, items appended, numbers and strings nudged), whose expected
// validity came from Python's jsonschema 4.23.0 (Draft202012Validator with a FormatChecker), with
// three reference choices where the package alone does not give these semantics: its own "date"
// and "uuid" checkers, but independent ones built on Python's datetime / re / ipaddress for
// "date-time", "time" (the package needs rfc3339-validator for those) and "email" (the package
// only looks for an "@"); multipleOf in exact decimal arithmetic on the numbers' shortest repr;
// uniqueItems comparing all pairs with the package's own equality (its sorting shortcut misses
// [[1], [true], [1]]). Integers outside [-2^63, 2^64), which nlohmann::json holds as doubles,
// are left out.
#include "foundry/json_validate.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "base/error.h"
#include "test_util.h"

namespace exaone::foundry {
namespace {

Json J(const std::string& text) {
  return Json::parse(text);
}

// The violation for `value` (JSON text) under `schema` (JSON text); empty when valid.
std::string Check(const std::string& schema, const std::string& value) {
  return ValidateJson(J(value), J(schema));
}

// Every value in `valid` passes and every value in `invalid` fails.
void ExpectSplit(const std::string& schema, const std::vector<std::string>& valid,
                 const std::vector<std::string>& invalid) {
  const JsonSchema compiled(J(schema));
  for (const std::string& v : valid) {
    EXPECT_EQ(Check(schema, v), "") << "schema " << schema << " value " << v;
    EXPECT_TRUE(compiled.IsValid(J(v))) << "schema " << schema << " value " << v;
  }
  for (const std::string& v : invalid) {
    EXPECT_NE(Check(schema, v), "") << "schema " << schema << " value " << v;
    EXPECT_FALSE(compiled.IsValid(J(v))) << "schema " << schema << " value " << v;
  }
}

// The message of the Error CheckSchema throws for `schema`, or "" when it accepts it.
std::string SchemaError(const std::string& schema) {
  try {
    CheckSchema(J(schema));
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    return e.what();
  }
  return "";
}

TEST(FoundryJsonValidate, Types) {
  ExpectSplit(R"({"type": "string"})", {R"("")", R"("abc")"},
              {"1", "null", "[]", "{}", "true", "1.5"});
  ExpectSplit(
      R"({"type": "integer"})",
      {"1", "1.0", "-5", "0", "-0.0", "1e300", "18446744073709551615", "-9223372036854775808"},
      {"1.5", R"("1")", "true", "null", "1e-300"});
  ExpectSplit(R"({"type": "number"})", {"1", "1.5", "-1e-9", "1e308"},
              {R"("1.5")", "null", "false", "[1]"});
  ExpectSplit(R"({"type": "boolean"})", {"true", "false"}, {"0", "1", R"("true")", "null"});
  ExpectSplit(R"({"type": "null"})", {"null"}, {"0", R"("")", "false", "{}"});
  ExpectSplit(R"({"type": "array"})", {"[]", "[1, [2]]"}, {"{}", R"("[]")"});
  ExpectSplit(R"({"type": "object"})", {"{}", R"({"a": 1})"}, {"[]", "null"});
  ExpectSplit(R"({"type": ["string", "null"]})", {R"("x")", "null"}, {"0", "[]", "false"});
  ExpectSplit(R"({"type": ["integer", "boolean"]})", {"3", "3.0", "true"},
              {"3.5", R"("3")", "null"});
}

TEST(FoundryJsonValidate, ErrorPaths) {
  const std::string schema = R"({
    "type": "object",
    "properties": {
      "items": {"type": "array", "items": {
        "type": "object",
        "properties": {"name": {"type": "string"}, "tags": {"items": {"enum": ["a", "b"]}}},
        "required": ["name"]}},
      "odd key": {"type": "integer"},
      "it's": {"const": 1}
    },
    "additionalProperties": false
  })";
  EXPECT_EQ(Check(schema, R"({"items": [{"name": "a"}, {"name": "b"}, {"name": 3}]})"),
            "$.items[2].name: expected string, got integer");
  EXPECT_EQ(Check(schema, R"({"items": [{"name": "a", "tags": ["a", "c"]}]})"),
            R"($.items[0].tags[1]: value is not one of ["a","b"])");
  EXPECT_EQ(Check(schema, R"({"items": [{"name": "a"}, {}]})"),
            R"($.items[1]: missing required property "name")");
  EXPECT_EQ(Check(schema, R"({"odd key": 1.5})"), "$['odd key']: expected integer, got number");
  EXPECT_EQ(Check(schema, R"({"it's": 2})"), R"($['it\'s']: value is not the constant 1)");
  EXPECT_EQ(Check(schema, R"({"items": [], "extra": 1})"), "$.extra: property not allowed here");
  EXPECT_EQ(Check(schema, "[]"), "$: expected object, got array");
  EXPECT_EQ(Check(schema, R"({"items": [{"name": "a"}]})"), "");
  EXPECT_EQ(Check(R"({"type": ["string", "null"]})", "1"),
            "$: expected one of null, string, got integer");
  EXPECT_EQ(Check(R"({"items": {"items": {"type": "null"}}})", "[[null], [null, 0]]"),
            "$[1][1]: expected null, got integer");
  EXPECT_EQ(Check(R"({"properties": {"한글": {"type": "null"}}})", R"({"한글": 1})"),
            "$['한글']: expected null, got integer");
  EXPECT_EQ(Check(R"({"properties": {"_a1": {"type": "null"}}})", R"({"_a1": 1})"),
            "$._a1: expected null, got integer");
  EXPECT_EQ(Check(R"({"properties": {"1a": {"type": "null"}}})", R"({"1a": 1})"),
            "$['1a']: expected null, got integer");
}

TEST(FoundryJsonValidate, EnumAndConst) {
  ExpectSplit(
      R"({"enum": ["red", 3, null, [1, 2], {"a": 1}]})",
      {R"("red")", "3", "3.0", "null", "[1, 2]", "[1.0, 2]", R"({"a": 1})", R"({"a": 1.0})"},
      {R"("blue")", "[2, 1]", R"({"a": 2})", R"({"a": 1, "b": 2})", "true", "4", R"("3")"});
  // JSON booleans are not numbers.
  ExpectSplit(R"({"enum": [1, 0]})", {"1", "0", "1.0", "-0.0"}, {"true", "false"});
  ExpectSplit(R"({"enum": [false]})", {"false"}, {"0", "null", "0.0"});
  ExpectSplit(
      R"({"const": {"k": [1, "x", null]}})",
      {R"({"k": [1, "x", null]})", R"({"k": [1.0, "x", null]})"},
      {R"({"k": [1, "x"]})", R"({"k": [1, "x", null], "j": 1})", R"({"k": [1, "y", null]})"});
  ExpectSplit(R"({"const": null})", {"null"}, {"0", "false", R"("")", "[]"});
  // 2^53 + 1: not representable as a double, so equal only to the integer itself.
  ExpectSplit(R"({"const": 9007199254740993})", {"9007199254740993"},
              {"9007199254740992", "9007199254740992.0", "9007199254740994"});
  ExpectSplit(R"({"const": 18446744073709551615})", {"18446744073709551615"},
              {"18446744073709551614", "1.8446744073709552e19"});
  // Objects compare regardless of member order, also with many members.
  std::string a = "{", b = "{";
  for (int i = 0; i < 40; ++i) {
    a += (i ? "," : "") + std::string("\"k") + std::to_string(i) + "\":" + std::to_string(i);
    b += (i ? "," : "") + std::string("\"k") + std::to_string(39 - i) +
         "\":" + std::to_string(39 - i) + ".0";
  }
  a += "}", b += "}";
  EXPECT_EQ(Check(R"({"const": )" + a + "}", b), "");
  EXPECT_NE(Check(R"({"const": )" + a + "}", a.substr(0, a.size() - 1) + R"(,"k40":40})"), "");
  EXPECT_EQ(Check(R"({"enum": ["a"]})", R"("b")"), R"($: value is not one of ["a"])");
  EXPECT_EQ(Check(R"({"const": "x"})", R"("y")"), R"($: value is not the constant "x")");
}

TEST(FoundryJsonValidate, NumberBounds) {
  ExpectSplit(R"({"minimum": 10, "maximum": 20})", {"10", "20", "15.5", "10.0", R"("5")"},
              {"9", "21", "9.999", "20.0001"});
  ExpectSplit(R"({"exclusiveMinimum": 0, "exclusiveMaximum": 1})", {"0.5", "1e-300", "0.9999999"},
              {"0", "1", "-0.0", "1.0", "-1"});
  ExpectSplit(R"({"minimum": 0.1})", {"0.1", "1"}, {"0.09999999999999999", "0"});
  ExpectSplit(R"({"maximum": -1.5})", {"-2", "-1.5"}, {"-1", "-1.4999999"});
  EXPECT_EQ(Check(R"({"minimum": 13})", "12"), "$: 12 is less than the minimum 13");
  EXPECT_EQ(Check(R"({"maximum": 1.5})", "2"), "$: 2 is greater than the maximum 1.5");
  EXPECT_EQ(Check(R"({"exclusiveMinimum": 0})", "0"),
            "$: 0 is not greater than the exclusive minimum 0");
  EXPECT_EQ(Check(R"({"exclusiveMaximum": 0})", "0.0"),
            "$: 0.0 is not less than the exclusive maximum 0");
}

TEST(FoundryJsonValidate, BigIntegers) {
  // Integers past 2^53 compare exactly, between themselves and against doubles.
  ExpectSplit(R"({"minimum": 9007199254740993})",
              {"9007199254740993", "9007199254740994", "9007199254740994.0", "1e17"},
              {"9007199254740992", "9007199254740992.0"});
  ExpectSplit(R"({"exclusiveMaximum": 9223372036854775807})", {"9223372036854775806", "-1"},
              {"9223372036854775807", "9223372036854775808", "9.3e18"});
  ExpectSplit(R"({"maximum": 18446744073709551615})",
              {"18446744073709551615", "18446744073709551614", "-9223372036854775808"},
              {"1.8446744073709552e19", "1e20"});
  // -9223372036854775809 is out of int64 range: it parses as the double -2^63, the minimum.
  ExpectSplit(R"({"minimum": -9223372036854775808})",
              {"-9223372036854775808", "0", "-9223372036854775809"},
              {"-9223372036854777856.0", "-1e19"});
  ExpectSplit(R"({"exclusiveMinimum": 9007199254740992.0})", {"9007199254740993"},
              {"9007199254740992"});
  // A double bound between two integers (1e15 + 0.5 is exact in binary).
  ExpectSplit(R"({"maximum": 1000000000000000.5})", {"1000000000000000", "1000000000000000.5"},
              {"1000000000000001", "1000000000000000.625"});
}

TEST(FoundryJsonValidate, MultipleOf) {
  ExpectSplit(R"({"multipleOf": 3})", {"0", "9", "-9", "9.0", "18446744073709551615", "3e20"},
              {"10", "9.5", "18446744073709551614", "1e20", "-10"});
  // Decimal semantics: 19.99 / 0.01 is 1998.9999999999998 in binary floating point.
  ExpectSplit(R"({"multipleOf": 0.01})", {"19.99", "0.07", "1", "123456.78", "1e300", "-0.03"},
              {"0.001", "1e-5", "19.999"});
  ExpectSplit(R"({"multipleOf": 0.5})", {"2.5", "2", "-1.5", "0"}, {"2.25", "0.1"});
  ExpectSplit(R"({"multipleOf": 1e-8})", {"1e-8", "3e-8", "12", "0.12345678"},
              {"1.5e-8", "0.123456789"});
  ExpectSplit(R"({"multipleOf": 1.5e20})", {"3e20", "1.5e20", "0", "300000000000000000000"},
              {"1e20", "18446744073709551615", "1"});
  ExpectSplit(R"({"multipleOf": 0.123456789})", {"0.246913578"}, {"1e308", "1"});
  ExpectSplit(R"({"multipleOf": 1e-300})", {"1e300", "5e-300", "1"}, {"1.5e-300"});
  EXPECT_EQ(Check(R"({"multipleOf": 2})", "7"), "$: 7 is not a multiple of 2");
}

TEST(FoundryJsonValidate, StringLengthInCodePoints) {
  ExpectSplit(
      R"({"minLength": 2, "maxLength": 4})",
      {R"("ab")", R"("abcd")", R"("한국")", R"("한국어입")", R"("😀😀")", R"("e\u0301")", "12345"},
      {R"("")", R"("a")", R"("abcde")", R"("한국어입니")", R"("😀")", R"("😀😀😀😀😀")"});
  ExpectSplit(R"({"maxLength": 0})", {R"("")"}, {R"(" ")"});
  EXPECT_EQ(Check(R"({"minLength": 3})", R"("한국")"),
            "$: string has 2 characters, fewer than minLength 3");
  EXPECT_EQ(Check(R"({"maxLength": 1})", R"("😀😀")"),
            "$: string has 2 characters, more than maxLength 1");
  // A string made in code need not be UTF-8: counting still works, byte by byte.
  EXPECT_EQ(ValidateJson(Json(std::string("\xff\xfe\x80", 3)), J(R"({"maxLength": 1})")),
            "$: string has 2 characters, more than maxLength 1");
}

TEST(FoundryJsonValidate, PatternSearch) {
  // Unanchored: the pattern may match anywhere.
  ExpectSplit(R"({"pattern": "a+b"})", {R"("aab")", R"("xxaabyy")", "42"}, {R"("ba")", R"("")"});
  ExpectSplit(R"({"pattern": "^[a-z]{2,4}$"})", {R"("ab")", R"("abcd")"},
              {R"("abcde")", R"("a")", R"("AB")", R"("ab\n")"});  // ECMAScript '$': the end only
  ExpectSplit(R"({"pattern": "^\\d{3}-\\d{4}$"})", {R"("555-1234")"},
              {R"("5555-1234")", R"("555-12345")", R"("x555-1234")"});
  ExpectSplit(R"({"pattern": "(?:foo|bar)baz"})", {R"("foobaz")", R"("xbarbazx")"},
              {R"("foobar")"});
  // UTF mode: '.' is one code point.
  ExpectSplit(R"({"pattern": "^한.글$"})", {R"("한x글")", R"("한😀글")"},
              {R"("한글")", R"("한xx글")"});
  ExpectSplit(R"({"pattern": "^\\p{Lu}"})", {R"("Abc")", R"("Ábc")"}, {R"("abc")"});
  // ECMAScript escapes \uXXXX and \u{...}.
  ExpectSplit(R"({"pattern": "^\\u00e9\\u{1F600}$"})", {R"("é😀")"}, {R"("e😀")"});
  ExpectSplit(R"({"pattern": "^a.b$"})", {R"("a-b")"}, {R"("a\nb")", R"("a\rb")"});
  EXPECT_EQ(Check(R"({"pattern": "^x"})", R"("y")"),
            R"($: string does not match the pattern "^x")");
  // Invalid UTF-8 (possible in strings made in code) never crashes; valid parts still match.
  const Json bad(std::string("ab\xff\xfe", 4));
  EXPECT_EQ(ValidateJson(bad, J(R"({"pattern": "ab"})")), "");
  EXPECT_NE(ValidateJson(bad, J(R"({"pattern": "^ab$"})")), "");
  // Catastrophic backtracking gives up with a violation rather than hanging.
  const std::string evil = "\"" + std::string(40, 'a') + "!\"";
  const auto t0 = std::chrono::steady_clock::now();
  const std::string r = Check(R"({"pattern": "^(a+)+$"})", evil);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_NE(r, "");
  EXPECT_LT(seconds, 10.0);
}

TEST(FoundryJsonValidate, Formats) {
  ExpectSplit(R"({"format": "date"})",
              {R"("2024-02-29")", R"("2000-02-29")", R"("1999-12-31")", "20240101"},
              {R"("2023-02-29")", R"("1900-02-29")", R"("2024-13-01")", R"("2024-1-01")",
               R"("2024-04-31")", R"("20240101")", R"("2024-01-01T00:00:00Z")", R"("")",
               R"("2024-00-10")", R"("2024-01-00")", R"("２０２４-01-01")"});
  ExpectSplit(R"({"format": "time"})",
              {R"("12:34:56Z")", R"("12:34:56.789+09:00")", R"("23:59:60Z")", R"("15:59:60-08:00")",
               R"("12:34:56z")", R"("00:00:00-23:59")"},
              {R"("22:59:60Z")", R"("12:34:56")", R"("24:00:00Z")", R"("12:60:00Z")", R"("12:34Z")",
               R"("12:34:56+24:00")", R"("1:02:03Z")", R"("12:34:56.Z")", R"("12:34:56+09:0")",
               R"("12:34:56Z ")"});
  ExpectSplit(
      R"({"format": "date-time"})",
      {R"("2024-05-01T12:00:00Z")", R"("2024-05-01t12:00:00z")", R"("1998-12-31T23:59:60Z")",
       R"("1998-12-31T15:59:60.123-08:00")", R"("2024-05-01T12:00:00.5+05:30")", "null"},
      {R"("2024-05-01 12:00:00Z")", R"("2024-05-01T12:00:00")", R"("2024-02-30T00:00:00Z")",
       R"("2024-05-01T12:00:00+0530")", R"("2024-05-01T")", R"("2024-05-01")"});
  ExpectSplit(
      R"({"format": "email"})",
      {R"("a@b.co")", R"("joe.bloggs@example.com")", R"("\"a b\"@c.com")", R"("\"a@b\"@c.com")",
       R"("a@[127.0.0.1]")", R"("a@[IPv6:::1]")", R"("a@[IPv6:2001:db8::1]")",
       R"("a@[IPv6:::ffff:1.2.3.4]")", R"("te~st@example.com")", R"("a@localhost")"},
      {R"("no-at-sign")", R"("@example.com")", R"("a@")", R"(".a@b.com")", R"("a.@b.com")",
       R"("a..b@c.com")", R"("a@[127.0.0.300]")", R"("a@-b.com")", R"("a@b-.com")", R"("a@b..com")",
       R"("a@b_c.com")", R"("a@b@c.com")", R"("a@[IPv6:1:2:3:4:5:6:7:8:9]")",
       R"("a@[IPv6:1::2::3]")", R"("a@[01.2.3.4]")", "\"" + std::string(65, 'x') + "@b.com\"",
       R"("a b@c.com")"});
  ExpectSplit(
      R"({"format": "uuid"})",
      {R"("2eb8aa08-aa98-11ea-b4aa-73b441d16380")", R"("2EB8AA08-AA98-11EA-B4AA-73B441D16380")",
       R"("00000000-0000-0000-0000-000000000000")"},
      {R"("2eb8aa08-aa98-11ea-b4aa-73b441d1638")", R"("2eb8aa08aa9811eab4aa73b441d16380")",
       R"("2eb8aa08-aa98-11ea-b4aa-73b441d1638g")", R"("2eb8aa0-8aa98-11ea-b4aa-73b441d16380")",
       R"("{2eb8aa08-aa98-11ea-b4aa-73b441d16380}")"});
  // Other formats are annotations.
  ExpectSplit(R"({"format": "hostname"})", {R"("-not checked-")", "1"}, {});
  EXPECT_EQ(Check(R"({"format": "date"})", R"("2023-02-29")"), "$: string is not a valid date");
}

TEST(FoundryJsonValidate, Arrays) {
  ExpectSplit(R"({"items": {"type": "integer"}})", {"[]", "[1, 2]", "[1.0]", R"("no array")"},
              {R"([1, "2"])"});
  ExpectSplit(R"({"prefixItems": [{"type": "string"}, {"type": "number"}]})",
              {"[]", R"(["a"])", R"(["a", 1])", R"(["a", 1, null])"},
              {R"([1, "a"])", R"(["a", "b"])"});
  ExpectSplit(R"({"prefixItems": [{"type": "string"}], "items": false})", {"[]", R"(["a"])"},
              {R"(["a", "b"])", "[1]"});
  ExpectSplit(R"({"prefixItems": [{"const": 1}], "items": {"type": "string"}})",
              {"[1]", R"([1, "a", "b"])"}, {"[1, 2]", R"([2, "a"])"});
  ExpectSplit(R"({"items": false})", {"[]", "{}"}, {"[1]"});
  ExpectSplit(R"({"minItems": 2, "maxItems": 3})", {"[1, 2]", "[1, 2, 3]", R"("ab")"},
              {"[]", "[1]", "[1, 2, 3, 4]"});
  ExpectSplit(R"({"uniqueItems": true})",
              {"[]", "[1, 2, 3]", "[1, true]", "[0, false]", "[[1], [true]]",
               R"([{"a": 1}, {"a": 2}])", "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]",
               R"([1, "1", [1], {"1": 1}, null, true, 1.5, 2, 3, 4])"},
              {"[1, 1]", "[1, 1.0]", "[[1], [1]]", R"([{"a": 1, "b": 2}, {"b": 2, "a": 1}])",
               R"(["a", "b", "a"])", "[null, null]", "[[1, [2]], [1, [2.0]]]",
               "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 7]", "[-0.0, 0, 1, 2, 3, 4, 5, 6, 7, 8]"});
  // 2^64 - 1 and the double 2^64 differ, however close.
  ExpectSplit(R"({"uniqueItems": true})",
              {"[18446744073709551615, 1, 2, 3, 4, 5, 6, 7, 1.8446744073709551615e19]",
               "[18446744073709551615, 1.8446744073709551615e19]"},
              {"[9007199254740992, 1, 2, 3, 4, 5, 6, 7, 9007199254740992.0, 0]"});
  ExpectSplit(R"({"uniqueItems": false})", {"[1, 1]"}, {});
  EXPECT_EQ(Check(R"({"prefixItems": [true], "items": false})", "[1, 2, 3]"),
            "$: array has 3 items, at most 1 allowed");
  EXPECT_EQ(Check(R"({"minItems": 2})", "[1]"), "$: array has 1 items, fewer than minItems 2");
  EXPECT_EQ(Check(R"({"maxItems": 0})", "[1]"), "$: array has 1 items, more than maxItems 0");
  EXPECT_EQ(Check(R"({"uniqueItems": true})", "[1, 2, 1.0]"), "$: array items 0 and 2 are equal");
  EXPECT_EQ(Check(R"({"prefixItems": [{"type": "string"}]})", "[1]"),
            "$[0]: expected string, got integer");
}

TEST(FoundryJsonValidate, Objects) {
  const std::string s = R"({"properties": {"a": {"type": "string"}, "b": {"type": "integer"}},
                            "required": ["a"], "additionalProperties": false})";
  ExpectSplit(s, {R"({"a": "x"})", R"({"a": "x", "b": 1})", "[]", R"("a")"},
              {R"({"b": 1})", R"({"a": 1})", R"({"a": "x", "c": 0})", "{}"});
  ExpectSplit(R"({"properties": {"a": true}, "additionalProperties": {"type": "number"}})",
              {R"({"a": "anything", "z": 1})", R"({"y": 1.5, "z": 2})"}, {R"({"z": "x"})"});
  ExpectSplit(R"({"required": ["x", "y"]})", {R"({"x": 1, "y": null})", "[]"},
              {R"({"x": 1})", "{}"});
  // A name only under required is still an additional property.
  ExpectSplit(R"({"required": ["k"], "additionalProperties": false})", {}, {R"({"k": 1})", "{}"});
  ExpectSplit(R"({"minProperties": 1, "maxProperties": 2})", {R"({"a": 1})", R"({"a": 1, "b": 2})"},
              {"{}", R"({"a": 1, "b": 2, "c": 3})"});
  ExpectSplit(R"({"properties": {"a": false}})", {"{}", R"({"b": 1})"}, {R"({"a": null})"});
  EXPECT_EQ(Check(R"({"required": ["x", "y", "z"]})", R"({"y": 1})"),
            R"($: missing required property "x")");
  EXPECT_EQ(Check(R"({"properties": {"a": false}})", R"({"a": 1})"),
            "$.a: no value is allowed here (false schema)");
  EXPECT_EQ(Check(R"({"additionalProperties": {"type": "string"}})", R"({"q": 1})"),
            "$.q: expected string, got integer");
  EXPECT_EQ(Check(R"({"maxProperties": 1})", R"({"a": 1, "b": 2})"),
            "$: object has 2 properties, more than maxProperties 1");
  EXPECT_EQ(Check(R"({"minProperties": 1})", "{}"),
            "$: object has 0 properties, fewer than minProperties 1");
}

TEST(FoundryJsonValidate, Combinators) {
  ExpectSplit(
      R"({"anyOf": [{"type": "string", "maxLength": 2}, {"type": "integer", "minimum": 5}]})",
      {R"("ab")", "5", "5.0"}, {R"("abc")", "4", "null"});
  ExpectSplit(R"({"oneOf": [{"type": "integer"}, {"minimum": 2}]})", {"1", "2.5", R"("x")"},
              {"3", "1.5"});  // "x": not a number, so minimum holds and integer does not
  ExpectSplit(R"({"oneOf": [{"multipleOf": 3}, {"multipleOf": 5}]})", {"3", "5"}, {"15", "7"});
  ExpectSplit(R"({"allOf": [{"minLength": 2}, {"pattern": "^a"}]})", {R"("ab")", "3"},
              {R"("a")", R"("ba")"});
  ExpectSplit(R"({"not": {"type": "null"}})", {"1", R"("x")"}, {"null"});
  ExpectSplit(R"({"not": {"enum": [1, 2]}})", {"3"}, {"1", "2.0"});
  EXPECT_EQ(Check(R"({"oneOf": [{"type": "number"}, {"type": "integer"}, {"const": 1}]})", "1"),
            "$: value matches oneOf schemas 0 and 1, expected exactly one");
  EXPECT_EQ(Check(R"({"oneOf": [{"type": "string"}, {"type": "null"}]})", "1"),
            "$: value matches no schema in oneOf");
  EXPECT_EQ(Check(R"({"anyOf": [{"type": "string"}, {"type": "null"}]})", "1"),
            "$: value matches no schema in anyOf");
  EXPECT_EQ(Check(R"({"not": true})", "1"), "$: value matches the schema in not");
  // allOf reports the failing branch's own violation.
  EXPECT_EQ(Check(R"({"allOf": [true, {"properties": {"a": {"type": "null"}}}]})", R"({"a": 0})"),
            "$.a: expected null, got integer");
  // A failing branch inside anyOf does not leak its message when another branch passes.
  EXPECT_EQ(Check(R"({"anyOf": [{"type": "null"}, true]})", "1"), "");
}

TEST(FoundryJsonValidate, BooleanSchemas) {
  ExpectSplit("true", {"1", "null", R"({"a": [1]})"}, {});
  ExpectSplit("false", {}, {"1", "null", "{}"});
  ExpectSplit("{}", {"1", "null", "[]"}, {});
  EXPECT_EQ(Check("false", "1"), "$: no value is allowed here (false schema)");
}

TEST(FoundryJsonValidate, Refs) {
  ExpectSplit(R"({"$defs": {"pos": {"type": "integer", "minimum": 1}},
                  "type": "array", "items": {"$ref": "#/$defs/pos"}})",
              {"[1, 2]", "[]"}, {"[1, 0]", "[1, 2.5]"});
  ExpectSplit(R"({"definitions": {"a~b/c": {"type": "string"}}, "$ref": "#/definitions/a~0b~1c"})",
              {R"("x")"}, {"1"});
  ExpectSplit(R"({"$defs": {"x y": {"const": 7}}, "$ref": "#/$defs/x%20y"})", {"7"}, {"8"});
  ExpectSplit(R"({"$defs": {"%": {"const": 7}}, "$ref": "#/$defs/%25"})", {"7"}, {"8"});
  ExpectSplit(R"({"prefixItems": [{"type": "integer"}, {"$ref": "#/prefixItems/0"}]})", {"[1, 2]"},
              {R"([1, "2"])"});
  // $ref applies alongside its siblings (2020-12).
  ExpectSplit(R"({"$defs": {"s": {"type": "string"}}, "$ref": "#/$defs/s", "maxLength": 2})",
              {R"("ab")"}, {R"("abc")", "1"});
  // A tree: recursive through $defs.
  const std::string tree = R"({
    "$defs": {"node": {
      "type": "object",
      "properties": {"value": {"type": "integer"},
                     "children": {"type": "array", "items": {"$ref": "#/$defs/node"}}},
      "required": ["value"], "additionalProperties": false}},
    "$ref": "#/$defs/node"})";
  ExpectSplit(tree, {R"({"value": 1})", R"({"value": 1, "children": [{"value": 2},
                                   {"value": 3, "children": [{"value": 4}]}]})"},
              {R"({"value": 1, "extra": 0})", R"({"value": 1, "children": [{"children": []}]})"});
  EXPECT_EQ(
      Check(tree, R"({"value": 1, "children": [{"value": 2, "children": [{"value": "x"}]}]})"),
      "$.children[0].children[0].value: expected integer, got string");
  // Recursive through the root.
  ExpectSplit(R"({"properties": {"name": {"type": "string"}, "next": {"$ref": "#"}},
                  "required": ["name"]})",
              {R"({"name": "a", "next": {"name": "b", "next": {"name": "c"}}})"},
              {R"({"name": "a", "next": {"name": "b", "next": {}}})"});
}

// Nested arrays `depth` deep around `inner`.
Json Nest(int depth, Json inner) {
  for (int i = 0; i < depth; ++i) {
    Json outer = Json::array();
    outer.push_back(std::move(inner));
    inner = std::move(outer);
  }
  return inner;
}

TEST(FoundryJsonValidate, RecursionGuards) {
  // No progress: schemas that apply themselves to the same value are refused up front.
  const std::string cycle =
      ": $ref cycle that applies this schema to the same value again, without descending into it";
  EXPECT_EQ(SchemaError(R"({"$ref": "#"})"), "JSON schema at #" + cycle);
  EXPECT_EQ(SchemaError(R"({"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}},
                           "$ref": "#/$defs/a"})"),
            "JSON schema at #/$defs/a" + cycle);
  EXPECT_EQ(SchemaError(R"({"anyOf": [{"type": "null"}, {"not": {"$ref": "#"}}]})"),
            "JSON schema at #" + cycle);
  EXPECT_EQ(SchemaError(R"({"$defs": {"a": {"allOf": [true, {"$ref": "#/$defs/a"}]}}})"),
            "JSON schema at #/$defs/a" + cycle);
  // Not cycles: the same schema reached twice without a loop, and recursion through items.
  EXPECT_EQ(SchemaError(R"({"$defs": {"s": {"type": "string"}},
                           "allOf": [{"$ref": "#/$defs/s"}, {"anyOf": [{"$ref": "#/$defs/s"}]}]})"),
            "");
  EXPECT_EQ(SchemaError(R"({"anyOf": [{"type": "null"}, {"items": {"$ref": "#"}}]})"), "");
  // With progress: fine up to 256 levels of $ref, a violation (not a crash) past it.
  const Json list = J(R"({"items": {"$ref": "#"}})");
  EXPECT_EQ(ValidateJson(Nest(200, Json::array()), list), "");
  const std::string deep = ValidateJson(Nest(100000, Json::array()), list);
  EXPECT_NE(deep.find("recursion deeper than 256 levels"), std::string::npos) << deep;
  EXPECT_EQ(deep.substr(0, 8), "$[0][0][");
  // The limit fails the whole value, even where another branch of anyOf would accept it.
  EXPECT_NE(
      ValidateJson(Nest(300, Json::array()), J(R"({"anyOf": [{"items": {"$ref": "#"}}, true]})"))
          .find("$ref recursion deeper than 256 levels"),
      std::string::npos);
  EXPECT_EQ(
      ValidateJson(Nest(200, Json::array()), J(R"({"anyOf": [{"items": {"$ref": "#"}}, true]})")),
      "");
  // Deep values against shallow schemas, and deep values compared for uniqueItems.
  Json two = Json::array();
  two.push_back(Nest(100000, 1));
  two.push_back(Nest(100000, 1));
  EXPECT_EQ(ValidateJson(two, J(R"({"uniqueItems": true})")), "$: array items 0 and 1 are equal");
  two[1] = Nest(100000, 2);
  EXPECT_EQ(ValidateJson(two, J(R"({"uniqueItems": true, "items": {"type": "array"}})")), "");
  EXPECT_EQ(ValidateJson(Nest(100000, 1), J(R"({"const": [[1]]})")),
            "$: value is not the constant [[1]]");
  // Schemas nested past the limit are refused when compiled.
  Json nested = true;
  for (int i = 0; i < 300; ++i) nested = Json{{"not", std::move(nested)}};
  EXPECT_NE(std::string(SchemaError(nested.dump())).find("nested deeper than 256"),
            std::string::npos);
}

TEST(FoundryJsonValidate, BranchesRecursingIntoTheSameValueAreNotExponential) {
  // Each level tries two branches that both recurse into the same child: 2^200 paths without
  // memoizing $ref results.
  const Json deep_fail = Nest(200, 1), deep_pass = Nest(200, Json::array());
  const auto t0 = std::chrono::steady_clock::now();
  const Json any = J(R"({"anyOf": [{"items": {"$ref": "#"}}, {"items": {"$ref": "#"}}],
                         "type": "array"})");
  EXPECT_EQ(ValidateJson(deep_pass, any), "");
  EXPECT_EQ(ValidateJson(deep_fail, any), "$: value matches no schema in anyOf");
  const Json all = J(R"({"allOf": [{"items": {"$ref": "#"}}, {"items": {"$ref": "#"}}],
                         "type": "array"})");
  EXPECT_EQ(ValidateJson(deep_pass, all), "");
  std::string where = "$";
  for (int i = 0; i < 200; ++i) where += "[0]";
  EXPECT_EQ(ValidateJson(deep_fail, all), where + ": expected array, got integer");
  const Json one =
      J(R"({"oneOf": [{"items": {"$ref": "#"}}, {"items": {"$ref": "#"}, "minItems": 2}],
                         "type": "array"})");
  EXPECT_EQ(ValidateJson(deep_pass, one), "");
  EXPECT_EQ(ValidateJson(deep_fail, one), "$: value matches no schema in oneOf");
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 5.0);
}

TEST(FoundryJsonValidate, UniqueItemsIsNotQuadratic) {
  // 200000 distinct items, then a duplicate at the end: found by hashing, not pairwise.
  Json a = Json::array();
  for (int i = 0; i < 200000; ++i) a.push_back(i % 2 ? Json(i) : Json(std::to_string(i)));
  const Json schema = J(R"({"uniqueItems": true})");
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(ValidateJson(a, schema), "");
  a.push_back(199999.0);
  EXPECT_EQ(ValidateJson(a, schema), "$: array items 199999 and 200000 are equal");
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 5.0);
}

TEST(FoundryJsonValidate, CheckSchemaErrors) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"patternProperties": {"a": true}})",
       R"(JSON schema at #: unsupported keyword "patternProperties")"},
      {R"({"properties": {"a/b": {"if": true}}})",
       R"(JSON schema at #/properties/a~1b: unsupported keyword "if")"},
      {R"({"items": {"contains": true}})",
       R"(JSON schema at #/items: unsupported keyword "contains")"},
      {R"({"$defs": {"x": {"unevaluatedProperties": false}}})",
       R"(JSON schema at #/$defs/x: unsupported keyword "unevaluatedProperties")"},
      {R"({"anyOf": [true, {"propertyNames": true}]})",
       R"(JSON schema at #/anyOf/1: unsupported keyword "propertyNames")"},
      {R"({"minimum": "1"})", "JSON schema at #/minimum: must be a number"},
      {R"({"maximum": true})", "JSON schema at #/maximum: must be a number"},
      {R"({"minLength": -1})", "JSON schema at #/minLength: must be a non-negative integer"},
      {R"({"maxItems": 1.5})", "JSON schema at #/maxItems: must be a non-negative integer"},
      {R"({"multipleOf": 0})", "JSON schema at #/multipleOf: must be a number greater than 0"},
      {R"({"multipleOf": -2})", "JSON schema at #/multipleOf: must be a number greater than 0"},
      {R"({"type": "str"})",
       R"(JSON schema at #/type: unknown type "str" (expected object, array, string, number, )"
       R"(integer, boolean or null))"},
      {R"({"type": []})", "JSON schema at #/type: must not be an empty array"},
      {R"({"type": ["null", "null"]})", R"(JSON schema at #/type: repeats "null")"},
      {R"({"required": "a"})", "JSON schema at #/required: must be an array of strings"},
      {R"({"required": ["a", "a"]})", R"(JSON schema at #/required: repeats "a")"},
      {R"({"required": [1]})", "JSON schema at #/required: must be an array of strings"},
      {R"({"properties": []})", "JSON schema at #/properties: must be an object of schemas"},
      {R"({"properties": {"a": 1}})",
       "JSON schema at #/properties/a: a schema must be an object or a boolean"},
      {R"({"items": [true]})",
       "JSON schema at #/items: must be a schema (use prefixItems for tuples)"},
      {R"({"prefixItems": []})",
       "JSON schema at #/prefixItems: must be a non-empty array of schemas"},
      {R"({"anyOf": {}})", "JSON schema at #/anyOf: must be a non-empty array of schemas"},
      {R"({"enum": 1})", "JSON schema at #/enum: must be an array"},
      {R"({"uniqueItems": 1})", "JSON schema at #/uniqueItems: must be a boolean"},
      {R"({"pattern": "("})",
       "JSON schema at #/pattern: invalid regular expression: missing closing parenthesis at "
       "offset 1"},
      {R"({"format": 1})", "JSON schema at #/format: must be a string"},
      {R"({"title": 1})", "JSON schema at #/title: must be a string"},
      {R"({"readOnly": "yes"})", "JSON schema at #/readOnly: must be a boolean"},
      {R"({"$ref": "#/$defs/missing"})",
       R"(JSON schema at #/$ref: "#/$defs/missing" points to nothing)"},
      {R"({"$ref": "other.json#/a"})",
       R"(JSON schema at #/$ref: "other.json#/a": only local references ("#", "#/$defs/name") are )"
       R"(supported)"},
      {R"({"$ref": "#anchor"})",
       R"(JSON schema at #/$ref: "#anchor": named anchors are not supported)"},
      {R"({"$ref": "#/a%2"})", R"(JSON schema at #/$ref: "#/a%2": bad percent escape)"},
      {R"({"$defs": {"a~": true}, "$ref": "#/$defs/a~"})",
       R"(JSON schema at #/$ref: "#/$defs/a~": bad ~ escape)"},
      {R"({"prefixItems": [true], "$ref": "#/prefixItems/01"})",
       R"(JSON schema at #/$ref: "#/prefixItems/01" points to nothing)"},
      {R"({"properties": {"a": true}, "$ref": "#/properties"})",  // not a schema
       R"(JSON schema at #/properties: unsupported keyword "a")"},
      {R"({"$defs": {"a": {"type": "object", "properties": {"x": {"maximum": "1"}}}}})",
       "JSON schema at #/$defs/a/properties/x/maximum: must be a number"},
      {"1", "JSON schema at #: a schema must be an object or a boolean"},
      {"null", "JSON schema at #: a schema must be an object or a boolean"},
  };
  for (const auto& [schema, message] : cases) EXPECT_EQ(SchemaError(schema), message) << schema;
  // ValidateJson and JsonSchema refuse the same schemas.
  EXPECT_THROW(ValidateJson(J("1"), J(R"({"if": true})")), Error);
  EXPECT_THROW(JsonSchema(J(R"({"minimum": null})")), Error);
  // Accepted: every supported keyword and annotation.
  EXPECT_EQ(SchemaError(R"({
      "$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "urn:x", "title": "t",
      "description": "d", "default": 1, "examples": [1], "$comment": "c", "deprecated": false,
      "readOnly": false, "writeOnly": false, "type": ["object", "array"],
      "properties": {"a": true}, "required": ["a"], "additionalProperties": false,
      "enum": [1], "const": 1, "items": true, "prefixItems": [true], "minItems": 0,
      "maxItems": 2.0, "uniqueItems": true, "minLength": 0, "maxLength": 1, "minimum": 1,
      "maximum": 2, "exclusiveMinimum": 0, "exclusiveMaximum": 3, "multipleOf": 0.5,
      "minProperties": 0, "maxProperties": 9, "anyOf": [true], "oneOf": [true],
      "allOf": [true], "not": false, "$defs": {"x": true}, "definitions": {"y": true},
      "$ref": "#/$defs/x", "pattern": "a", "format": "ipv4"})"),
            "");
  EXPECT_EQ(SchemaError(R"({"$ref": "#/$defs/list",
                           "$defs": {"list": {"items": {"$ref": "#/$defs/list"}}}})"),
            "");
}

TEST(FoundryJsonValidate, CompiledSchemaAcrossThreads) {
  JsonSchema schema(J(R"({"type": "object", "properties": {
      "id": {"type": "string", "pattern": "^r[0-9]+$"}, "n": {"type": "integer", "minimum": 0}},
      "required": ["id", "n"]})"));
  JsonSchema moved = std::move(schema);
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        const Json good = {{"id", "r" + std::to_string(i)}, {"n", i}};
        const Json bad = {{"id", "x" + std::to_string(i)}, {"n", i}};
        failures[t] += !moved.Validate(good).empty();
        failures[t] +=
            moved.Validate(bad) != R"($.id: string does not match the pattern "^r[0-9]+$")";
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(failures[t], 0);
}

// Agreement with Python's jsonschema (generated by a script; see the file comment).
TEST(FoundryJsonValidate, AgreesWithPythonJsonschema) {
  std::ifstream in(testing::SourcePath("tests/fixtures/json_validate_cases.json"));
  ASSERT_TRUE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  const Json cases = Json::parse(text.str());
  ASSERT_GE(cases.size(), 300u);
  size_t agree = 0, valid = 0;
  for (const Json& c : cases) {
    const std::string error = ValidateJson(c["value"], c["schema"]);
    const bool expected = c["valid"].get<bool>();
    valid += expected;
    if (error.empty() == expected) {
      ++agree;
    } else {
      ADD_FAILURE() << "schema " << c["schema"].dump() << "\nvalue " << c["value"].dump()
                    << "\nexpected " << (expected ? "valid" : "invalid") << ", got: " << error;
    }
  }
  EXPECT_EQ(agree, cases.size());
  std::printf("agreement: %zu of %zu cases (%zu valid)\n", agree, cases.size(), valid);
}

TEST(FoundryJsonValidate, Throughput) {
  // Judge verdicts, as a recipe would check them: compiled once, validated per record.
  const JsonSchema schema(J(R"({"type": "object", "properties": {
      "verdict": {"enum": ["pass", "fail"]},
      "score": {"type": "number", "minimum": 0, "maximum": 10},
      "reasons": {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 200},
                  "maxItems": 5},
      "id": {"type": "string", "format": "uuid"},
      "label": {"type": "string", "pattern": "^[a-z_]+$"}},
      "required": ["verdict", "score"], "additionalProperties": false})"));
  std::vector<Json> records;
  size_t bytes = 0;
  for (int i = 0; i < 20000; ++i) {
    Json r = {
        {"verdict", i % 3 ? "pass" : "fail"},
        {"score", (i % 101) / 10.0},
        {"reasons", {"clear and correct answer number " + std::to_string(i), "cites sources"}},
        {"id", "2eb8aa08-aa98-11ea-b4aa-73b441d16380"},
        {"label", "math_reasoning"}};
    bytes += r.dump().size();
    records.push_back(std::move(r));
  }
  const auto t0 = std::chrono::steady_clock::now();
  size_t ok = 0;
  for (const Json& r : records) ok += schema.IsValid(r);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(ok, records.size());
  std::printf("validated %zu records (%.1f MB of JSON) in %.3f s: %.0f records/s, %.1f MB/s\n",
              records.size(), bytes / 1e6, s, records.size() / s, bytes / 1e6 / s);
  // The one-off form compiles the schema every time (patterns come from the cache).
  const Json schema_json = J(R"({"type": "object", "properties": {
      "verdict": {"enum": ["pass", "fail"]}, "label": {"type": "string", "pattern": "^[a-z_]+$"}},
      "required": ["verdict"]})");
  const auto t1 = std::chrono::steady_clock::now();
  for (const Json& r : records) ok += ValidateJson(r, schema_json).empty();
  const double s1 = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  EXPECT_EQ(ok, 2 * records.size());
  std::printf("ValidateJson (compiling a 4-keyword schema per call): %.0f records/s\n",
              records.size() / s1);
}

}  // namespace
}  // namespace exaone::foundry
