// The template engine feature by feature. Expected outputs come from jinja2 itself:
// tools/make_template_fixtures.py renders each case of tests/fixtures/templates/engine.jsonl with
// Hugging Face's environment over engine_context.json, and records an error where jinja2 raises.
// The tests below the fixture loop cover what Python cannot check: error positions, the constructs
// this engine refuses, and the limits that stop hostile templates.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "base/error.h"
#include "template/chat_template.h"
#include "test_util.h"

namespace exaone::tmpl {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string Render(std::string_view source, const Json& vars = Json::object(),
                   const RenderLimits& limits = {}) {
  return ChatTemplate::Parse(source, "t").Render(vars, limits);
}

// The error a template raises, parsing or rendering; fails the test when there is none.
exaone::Error ErrorOf(std::string_view source, const Json& vars = Json::object(),
                      const RenderLimits& limits = {}) {
  try {
    Render(source, vars, limits);
  } catch (const exaone::Error& e) {
    return e;
  }
  ADD_FAILURE() << "no error from: " << source;
  return exaone::Error(ErrorCode::kBadConfig, "");
}

TEST(TemplateEngine, MatchesJinja2OnEveryFixtureCase) {
  const Json context =
      Json::parse(ReadAll(testing::SourcePath("tests/fixtures/templates/engine_context.json")));
  std::ifstream lines(testing::SourcePath("tests/fixtures/templates/engine.jsonl"));
  std::string line;
  int cases = 0, raising = 0;
  while (std::getline(lines, line)) {
    const Json row = Json::parse(line);
    const std::string source = row["source"].get<std::string>();
    ++cases;
    if (row.contains("error")) {
      ++raising;
      try {
        const std::string got = Render(source, context);
        ADD_FAILURE() << "jinja2 raised " << row["message"].get<std::string>()
                      << " but we rendered:\n  " << source << "\n  -> " << got;
      } catch (const exaone::Error& e) {
        EXPECT_NE(std::string(e.what()).find("template line "), std::string::npos) << e.what();
      }
      continue;
    }
    try {
      EXPECT_EQ(Render(source, context), row["expected"].get<std::string>()) << source;
    } catch (const exaone::Error& e) {
      ADD_FAILURE() << source << "\n  unexpected error: " << e.what();
    }
  }
  EXPECT_GT(cases, 150);
  EXPECT_GT(raising, 40);
}

TEST(TemplateEngine, ErrorsNameLineAndColumn) {
  const exaone::Error e = ErrorOf("line one\n{% if x %}\n  {{ 1 / 0 }}\n{% endif %}", {{"x", 1}});
  EXPECT_NE(std::string(e.what()).find("t: template line 3, column 8: division by zero"),
            std::string::npos)
      << e.what();
  const exaone::Error s = ErrorOf("ok\n  {{ a b }}");
  EXPECT_NE(std::string(s.what()).find("template line 2, column 8"), std::string::npos) << s.what();
  const exaone::Error r = ErrorOf("é{{ raise_exception('Roles must alternate') }}");
  EXPECT_NE(std::string(r.what()).find("template line 1, column 5: Roles must alternate"),
            std::string::npos)
      << r.what();
  EXPECT_EQ(r.code(), ErrorCode::kBadConfig);
}

TEST(TemplateEngine, UnsupportedConstructsRaiseWithPosition) {
  const char* sources[] = {
      "{% include 'x' %}",
      "{% extends 'base' %}",
      "{% for x in l recursive %}{% endfor %}",
      "{{ '%s' % 1 }}",
      "{{ 'x'.format(1) }}",
      "{{ l|map('upper') }}",  // printing a generator shows an address in Python
      "{{ 'x'|groupby('a') }}",
      "{{ 2 ** 64 }}",  // Python has big integers; we have 64 bits
      "{{ 99999999999999999999 }}",
      "{{ 'é'.isalpha() }}",
      "{{ f(*args) }}",
      "{{ 1 is sameas 1 }}",
      "{{ cycler() }}",
      "{{ '\\N{BULLET}' }}",
  };
  for (const char* source : sources) {
    const exaone::Error e = ErrorOf(source, {{"l", {"a"}}});
    EXPECT_EQ(e.code(), ErrorCode::kUnsupported) << source << ": " << e.what();
    EXPECT_NE(std::string(e.what()).find("template line 1, column "), std::string::npos)
        << e.what();
  }
}

TEST(TemplateEngine, HostileTemplatesHitLimitsNotCrashes) {
  RenderLimits small;
  small.max_output_bytes = 1 << 16;
  small.max_work_bytes = 1 << 20;
  small.max_loop_iterations = 10000;
  small.max_call_depth = 20;
  // Unbounded recursion.
  EXPECT_NE(
      std::string(
          ErrorOf("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", Json::object(), small).what())
          .find("recursion"),
      std::string::npos);
  // Loops multiplying each other.
  EXPECT_NE(std::string(ErrorOf("{% for a in range(1000) %}{% for b in range(1000) %}{% endfor %}"
                                "{% endfor %}",
                                Json::object(), small)
                            .what())
                .find("loop iterations"),
            std::string::npos);
  // Output growing without bound.
  EXPECT_NE(std::string(ErrorOf("{% for a in range(9999) %}{{ 'x' * 100 }}{% endfor %}",
                                Json::object(), small)
                            .what())
                .find("output"),
            std::string::npos);
  // A value doubling in a namespace.
  EXPECT_NE(std::string(ErrorOf("{% set ns = namespace(s='x') %}{% for i in range(64) %}"
                                "{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
                                Json::object(), small)
                            .what())
                .find("render limit"),
            std::string::npos);
  ErrorOf("{{ 'x' * 1000000000000 }}", Json::object(), small);
  ErrorOf("{{ [1] * 1000000000000 }}", Json::object(), small);
  // Expressions and statements nested past the parser's limit.
  ErrorOf("{{ " + std::string(500, '(') + "1" + std::string(500, ')') + " }}");
  ErrorOf("{{ x" + std::string(1000, '|') + " }}");
  std::string chain = "{{ 1";
  for (int i = 0; i < 1000; ++i) chain += "|abs";
  ErrorOf(chain + " }}");
  std::string nested;
  for (int i = 0; i < 500; ++i) nested += "{% if true %}";
  ErrorOf(nested);
  // A namespace holding itself is freed when rendering ends (LeakSanitizer checks this), and so
  // is a long chain of them, without recursing through it.
  EXPECT_EQ(Render("{% set ns = namespace() %}{% set ns.me = ns %}ok"), "ok");
  EXPECT_EQ(Render("{% set ns = namespace(c=none) %}{% for i in range(50000) %}"
                   "{% set ns.c = namespace(p=ns.c) %}{% endfor %}ok"),
            "ok");
  // Values nested deeper than kMaxNesting are refused rather than overflowing the stack.
  EXPECT_NE(std::string(ErrorOf("{% set ns = namespace(x=[]) %}{% for i in range(5000) %}"
                                "{% set ns.x = [ns.x] %}{% endfor %}")
                            .what())
                .find("nested too deeply"),
            std::string::npos);
  ErrorOf(
      "{% set ns = namespace(t=()) %}{% for i in range(5000) %}{% set ns.t = (ns.t,) %}"
      "{% endfor %}{{ {ns.t: 1} }}");
}

TEST(TemplateEngine, RejectsInvalidUtf8Templates) {
  const exaone::Error e = ErrorOf("ok\n\xff");
  EXPECT_NE(std::string(e.what()).find("not valid UTF-8"), std::string::npos) << e.what();
}

TEST(TemplateEngine, ParsedTemplateRendersManyTimes) {
  const ChatTemplate t = ChatTemplate::Parse("{{ greeting }}, {{ name|upper }}!");
  EXPECT_EQ(t.Render({{"greeting", "Hi"}, {"name", "ann"}}), "Hi, ANN!");
  const ChatTemplate copy = t;
  EXPECT_EQ(copy.Render({{"greeting", "Yo"}, {"name", "bob"}}), "Yo, BOB!");
  EXPECT_THROW(t.Render(Json::array()), exaone::Error);
}

TEST(TemplateEngine, JsonKeepsKeyOrderAndNumberTypes) {
  const Json vars = ParseOrderedJson(R"({"v": {"z": 1, "a": 2.0, "m": [1e20, -0.0, 3]}})", "vars");
  EXPECT_EQ(
      Render("{{ v|tojson }}|{{ v }}", vars),
      R"({"z": 1, "a": 2.0, "m": [1e+20, -0.0, 3]}|{'z': 1, 'a': 2.0, 'm': [1e+20, -0.0, 3]})");
}

TEST(TemplateEngine, ConversationVariablesFollowTransformers) {
  const Json conversation = ParseOrderedJson(R"({
    "messages": [{"role": "user", "content": "Hi", "name": null},
                 {"role": "assistant", "content": "Yo", "reasoning": "because"}],
    "enable_thinking": false, "bos_token": "<override>"})",
                                             "conversation");
  const Json vars =
      ConversationVariables(conversation, {{"bos_token", "<s>"}, {"eos_token", "</s>"}});
  EXPECT_TRUE(vars["tools"].is_null());
  EXPECT_TRUE(vars["documents"].is_null());
  EXPECT_EQ(vars["add_generation_prompt"], false);
  EXPECT_EQ(vars["bos_token"], "<override>");
  EXPECT_EQ(vars["eos_token"], "</s>");
  EXPECT_EQ(vars["enable_thinking"], false);
  EXPECT_FALSE(vars["messages"][0].contains("name"));
  // ref: transformers _alias_reasoning_fields: thinking first, reasoning_content last.
  EXPECT_EQ(vars["messages"][1].dump(),
            R"({"thinking":"because","role":"assistant","content":"Yo","reasoning":"because",)"
            R"("reasoning_content":"because"})");
  EXPECT_THROW(ConversationVariables(ParseOrderedJson(R"({"messages": []})", "c"), {}),
               exaone::Error);
  EXPECT_THROW(ConversationVariables(ParseOrderedJson(R"({"messages": [1]})", "c"), {}),
               exaone::Error);
}

TEST(TemplateEngine, LoadsTemplatesFromHuggingFaceFolders) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("tokenizer_config.json"), R"({
    "bos_token": {"content": "<s>", "lstrip": false, "__type": "AddedToken"},
    "eos_token": "</s>", "pad_token": null,
    "chat_template": [{"name": "default", "template": "D{{ bos_token }}"},
                      {"name": "tool_use", "template": "T{{ eos_token }}"}]})");
  testing::WriteFile(dir.File("special_tokens_map.json"),
                     R"({"unk_token": "<unk>", "eos_token": "x"})");
  HfChatTemplate plain = LoadHfChatTemplate(dir.path(), false);
  EXPECT_EQ(plain.source, "D{{ bos_token }}");
  EXPECT_EQ(plain.special_tokens.dump(),
            R"({"bos_token":"<s>","eos_token":"</s>","unk_token":"<unk>"})");
  EXPECT_EQ(LoadHfChatTemplate(dir.path(), true).source, "T{{ eos_token }}");
  testing::WriteFile(dir.File("chat_template.jinja"), "J");
  EXPECT_EQ(LoadHfChatTemplate(dir.path(), true).source, "J");

  testing::TempDir empty;
  EXPECT_THROW(LoadHfChatTemplate(empty.path(), false), exaone::Error);
  testing::WriteFile(empty.File("tokenizer_config.json"),
                     R"({"chat_template": [{"name": "x", "template": ""}]})");
  EXPECT_THROW(LoadHfChatTemplate(empty.path(), false), exaone::Error);
}

}  // namespace
}  // namespace exaone::tmpl
