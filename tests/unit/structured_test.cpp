// Structured-output shapes around a value: a choice of strings, EXAONE tool calls checked against
// each tool's parameters schema, and free reasoning before the answer. Texts written out by hand
// are accepted or refused; random walks through the grammars parse back into what they promise.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "base/error.h"
#include "constrain/matcher.h"
#include "constrain/structured.h"
#include "grammar_walk.h"

namespace exaone::constrain {
namespace {

using Json = SchemaJson;

bool Viable(GrammarMatcher& m, const std::string& text) {
  return !m.Advance(m.Initial(), text).empty();
}

TEST(StructuredChoice, ExactlyOneOfTheStrings) {
  GrammarMatcher m(ChoiceGrammar({"yes", "no", "yes, but", "아니요"}));
  for (const char* ok : {"yes", "no", "yes, but", "아니요"}) EXPECT_TRUE(Accepts(m, ok)) << ok;
  for (const char* bad : {"", "ye", "yes,", "nope", "yesno", "yes, but "}) {
    EXPECT_FALSE(Accepts(m, bad)) << bad;
  }
  EXPECT_TRUE(Viable(m, "yes,"));
  EXPECT_THROW(ChoiceGrammar({}), Error);
  EXPECT_THROW(ChoiceGrammar({"a", ""}), Error);
}

TEST(StructuredToolCalls, CallsFollowTheirToolsSchemas) {
  const Json weather = Json::parse(R"({"type": "object",
      "properties": {"city": {"type": "string", "maxLength": 10},
                     "unit": {"enum": ["c", "f"]}},
      "required": ["city"], "additionalProperties": false})");
  auto g = std::make_shared<Grammar>();
  const uint32_t one = CompileToolCalls(*g, {{"get_weather", &weather}, {"now", nullptr}}, false);
  GrammarMatcher m(Finish(g, one));
  EXPECT_TRUE(Accepts(
      m, R"(<tool_call>{"name": "get_weather", "arguments": {"city": "Seoul"}}</tool_call>)"));
  EXPECT_TRUE(Accepts(
      m,
      R"(<tool_call>{"name": "get_weather", "arguments": {"city": "Seoul", "unit": "c"}}</tool_call>)"));
  EXPECT_TRUE(Accepts(
      m, R"(<tool_call>{"name": "now", "arguments": {"any": [1, {"x": null}]}}</tool_call>)"));
  // Unknown tools, arguments that break the schema, non-objects, several calls.
  EXPECT_FALSE(Accepts(m, R"(<tool_call>{"name": "later", "arguments": {}}</tool_call>)"));
  EXPECT_FALSE(Accepts(m, R"(<tool_call>{"name": "get_weather", "arguments": {}}</tool_call>)"));
  EXPECT_FALSE(Accepts(
      m,
      R"(<tool_call>{"name": "get_weather", "arguments": {"city": "Seoul", "unit": "k"}}</tool_call>)"));
  EXPECT_FALSE(Accepts(m, R"(<tool_call>{"name": "now", "arguments": []}</tool_call>)"));
  EXPECT_FALSE(Accepts(m,
                       "<tool_call>{\"name\": \"now\", \"arguments\": {}}</tool_call>\n"
                       "<tool_call>{\"name\": \"now\", \"arguments\": {}}</tool_call>"));

  auto g2 = std::make_shared<Grammar>();
  GrammarMatcher several(Finish(g2, CompileToolCalls(*g2, {{"now", nullptr}}, true)));
  EXPECT_TRUE(Accepts(several,
                      "<tool_call>{\"name\": \"now\", \"arguments\": {}}</tool_call>\n"
                      "<tool_call>{\"name\": \"now\", \"arguments\": {}}</tool_call>"));
  EXPECT_FALSE(Accepts(several, "<tool_call>{\"name\": \"now\", \"arguments\": {}}</tool_call>\n"));

  // Random walks are calls whose arguments satisfy the schema.
  std::mt19937 rng(3);
  int seen = 0;
  for (int i = 0; i < 100; ++i) {
    const std::string text = Walk(m, rng, 4000);
    if (text.empty()) continue;
    ++seen;
    const std::string open = "<tool_call>", close = "</tool_call>";
    ASSERT_EQ(text.rfind(open, 0), 0u) << text;
    ASSERT_EQ(text.substr(text.size() - close.size()), close) << text;
    const Json call =
        Json::parse(text.substr(open.size(), text.size() - open.size() - close.size()));
    const std::string name = call.at("name").get<std::string>();
    ASSERT_TRUE(call.at("arguments").is_object()) << text;
    if (name == "get_weather") {
      const Json& a = call["arguments"];
      EXPECT_TRUE(a.at("city").is_string()) << text;
      for (const auto& [k, v] : a.items()) EXPECT_TRUE(k == "city" || k == "unit") << text;
    } else {
      EXPECT_EQ(name, "now");
    }
  }
  EXPECT_GT(seen, 50);
}

TEST(StructuredToolCalls, SchemaErrorsNameTheTool) {
  const Json bad = Json::parse(R"({"type": "object", "patternProperties": {}})");
  auto g = std::make_shared<Grammar>();
  try {
    CompileToolCalls(*g, {{"search", &bad}}, false);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("tool 'search'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("patternProperties"), std::string::npos) << e.what();
  }
}

TEST(StructuredReasoning, AnyTextWithoutTheTagThenTheAnswer) {
  auto g = std::make_shared<Grammar>();
  const uint32_t answer = CompileChoice(*g, {"A", "B"});
  GrammarMatcher m(Finish(g, CompileAfterReasoning(*g, answer, "</think>")));
  using namespace std::string_literals;
  for (const std::string& ok :
       {"</think>\n\nA"s, "let me see </thin k> <</think>\n\nB"s, "<</think>\n\nA"s,
        "x</think</think>\n\nA"s, "\xff\x00\x01</think>\n\nB"s}) {
    EXPECT_TRUE(Accepts(m, ok)) << ok;
  }
  for (const char* bad :
       {"", "</think>", "</think>\n\nC", "</think>A", "a</think>\n\n</think>\n\nA", "thinking"}) {
    EXPECT_FALSE(Accepts(m, bad)) << bad;
  }
  // A second tag is never allowed: after "</think>\n\n" only the answer can come.
  EXPECT_FALSE(Viable(m, "</think>\n\n<"));
  EXPECT_TRUE(Viable(m, "thinking </thi"));
  // A tag whose prefix repeats inside it still matches at the first occurrence only.
  auto g2 = std::make_shared<Grammar>();
  const uint32_t a2 = CompileChoice(*g2, {"!"});
  GrammarMatcher m2(Finish(g2, CompileAfterReasoning(*g2, a2, "abab")));
  EXPECT_TRUE(Accepts(m2, "aabab\n\n!"));
  EXPECT_TRUE(Accepts(m2, "abaabab\n\n!"));
  EXPECT_FALSE(Accepts(m2, "ababab\n\n!"));  // "abab" ends at byte 4, then "ab" is not "\n\n"
  EXPECT_TRUE(Accepts(m2, "abab\n\n!"));
}

}  // namespace
}  // namespace exaone::constrain
