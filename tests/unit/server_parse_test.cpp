// The server's parsers: HTTP request heads (limits, malformed lines, Content-Length rules),
// OpenAI request bodies (types, ranges, unknown fields), and the split of model output into
// reasoning, content and tool calls at every possible piece boundary.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "server/http.h"
#include "server/openai.h"

namespace exaone::server {
namespace {

HeadParse Parse(const std::string& head, HttpRequest& req, size_t max_head = 4096,
                uint64_t max_body = 1000) {
  return ParseRequestHead(head, max_head, max_body, req);
}

TEST(HttpHead, ParsesARequest) {
  HttpRequest req;
  const std::string head =
      "POST /v1/chat/completions?x=1 HTTP/1.1\r\nHost: a\r\nContent-Type:  application/json \r\n"
      "Content-Length: 12\r\nAuthorization: Bearer k\r\n\r\n{\"a\": 1}";
  const HeadParse p = Parse(head, req);
  ASSERT_EQ(p.state, HeadParse::State::kComplete) << p.message;
  EXPECT_EQ(p.head_bytes, head.find("\r\n\r\n") + 4);
  EXPECT_EQ(p.content_length, 12u);
  EXPECT_TRUE(p.keep_alive);
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.path, "/v1/chat/completions");
  EXPECT_EQ(req.query, "x=1");
  ASSERT_NE(req.Header("content-type"), nullptr);
  EXPECT_EQ(*req.Header("content-type"), "application/json");
  EXPECT_EQ(*req.Header("authorization"), "Bearer k");
  EXPECT_EQ(req.Header("x-missing"), nullptr);
}

TEST(HttpHead, IncompleteUntilTheBlankLine) {
  HttpRequest req;
  const std::string head = "GET /health HTTP/1.1\r\nHost: a\r\n\r\n";
  for (size_t n = 0; n < head.size(); ++n) {
    EXPECT_EQ(Parse(head.substr(0, n), req).state, HeadParse::State::kIncomplete) << n;
  }
  EXPECT_EQ(Parse(head, req).state, HeadParse::State::kComplete);
}

TEST(HttpHead, ConnectionAndVersion) {
  HttpRequest req;
  EXPECT_FALSE(Parse("GET / HTTP/1.1\r\nConnection: keep-alive, Close\r\n\r\n", req).keep_alive);
  EXPECT_FALSE(Parse("GET / HTTP/1.0\r\n\r\n", req).keep_alive);
  EXPECT_TRUE(Parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", req).keep_alive);
  EXPECT_TRUE(Parse("POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n", req)
                  .expect_continue);
}

TEST(HttpHead, RejectsWithTheRightStatus) {
  const std::vector<std::pair<std::string, int>> cases = {
      {"GET /\r\n\r\n", 400},
      {"GET  / HTTP/1.1\r\n\r\n", 400},
      {"GET / HTTP/1.1 extra\r\n\r\n", 400},
      {"G\x01T / HTTP/1.1\r\n\r\n", 400},
      {"GET http://x/ HTTP/1.1\r\n\r\n", 400},
      {"GET /a\x7f HTTP/1.1\r\n\r\n", 400},
      {"GET / HTTP/2.0\r\n\r\n", 505},
      {"GET / HTTP/1.2\r\n\r\n", 505},
      {"GET / FTP/1.1x\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nNo colon\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\n: empty name\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nA: b\x01\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nContent-Length: 1e3\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nContent-Length: 1001\r\n\r\n", 413},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 411},
      {"POST / HTTP/1.1\r\nExpect: something\r\n\r\n", 417},
  };
  for (const auto& [head, status] : cases) {
    HttpRequest req;
    const HeadParse p = Parse(head, req);
    EXPECT_EQ(p.state, HeadParse::State::kError) << head;
    EXPECT_EQ(p.status, status) << head << ": " << p.message;
    EXPECT_FALSE(p.message.empty());
  }
  // Repeating the same length is allowed.
  HttpRequest req;
  EXPECT_EQ(Parse("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", req).state,
            HeadParse::State::kComplete);
}

TEST(HttpHead, SizeAndCountLimits) {
  HttpRequest req;
  const std::string big = "GET / HTTP/1.1\r\nA: " + std::string(5000, 'x') + "\r\n\r\n";
  EXPECT_EQ(Parse(big, req).status, 431);
  // Without the blank line, a head at the limit is refused before more arrives.
  EXPECT_EQ(Parse(big.substr(0, 4096), req).status, 431);
  std::string many = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 101; ++i) many += "H" + std::to_string(i) + ": v\r\n";
  many += "\r\n";
  EXPECT_EQ(Parse(many, req, 1 << 16).status, 431);
}

// ---------------------------------------------------------------------------------------------

ApiDefaults Defaults() {
  ApiDefaults d;
  d.model_id = "m";
  d.n_ctx = 100;
  return d;
}

int StatusOf(const std::string& body, std::string* param = nullptr) {
  try {
    ParseChatRequest(body, Defaults(), 1000);
  } catch (const ApiError& e) {
    if (param) *param = e.param();
    return e.status();
  }
  return 200;
}

TEST(ChatRequest, ParsesTheFields) {
  const CompletionRequest r = ParseChatRequest(
      R"({"model": "m", "messages": [{"role": "developer", "content": "sys"},
          {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}],
          "max_completion_tokens": 7, "temperature": 0.5, "top_p": 0.9, "top_k": 4, "min_p": 0.1,
          "n": 2, "seed": -3, "stop": "x", "presence_penalty": 1, "frequency_penalty": -1,
          "logit_bias": {"5": -100, "7": 2.5}, "stream": true,
          "stream_options": {"include_usage": true},
          "chat_template_kwargs": {"enable_thinking": true}})",
      Defaults(), 1000);
  EXPECT_EQ(r.messages[0]["role"], "system");
  EXPECT_EQ(r.messages[1]["content"], "ab");
  EXPECT_EQ(r.max_tokens, 7);
  EXPECT_FLOAT_EQ(r.sampling.temperature, 0.5f);
  EXPECT_EQ(r.sampling.top_k, 4);
  EXPECT_EQ(r.n, 2);
  EXPECT_EQ(r.seed, static_cast<uint64_t>(-3));
  EXPECT_EQ(r.stop, std::vector<std::string>{"x"});
  EXPECT_FLOAT_EQ(r.sampling.logit_bias.at(5), -100.0f);
  EXPECT_TRUE(r.stream && r.include_usage);
  EXPECT_EQ(r.template_kwargs["enable_thinking"], true);
}

TEST(ChatRequest, RejectsBadInputNamingTheParameter) {
  const std::string user = R"("messages": [{"role": "user", "content": "hi"}])";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", ""},
      {"{", ""},
      {"[]", ""},
      {"null", ""},
      {"{}", "messages"},
      {R"({"messages": []})", "messages"},
      {R"({"messages": "hi"})", "messages"},
      {R"({"messages": [{"role": "wizard", "content": "x"}]})", "messages[0].role"},
      {R"({"messages": [{"content": "x"}]})", "messages[0]"},
      {R"({"messages": [{"role": "user"}]})", "messages[0].content"},
      {R"({"messages": [{"role": "user", "content": 5}]})", "messages[0].content"},
      {R"({"messages": [{"role": "user", "content": [{"type": "image_url"}]}]})",
       "messages[0].content"},
      {R"({"messages": [{"role": "user", "content": "x", "extra": 1}]})", "messages[0]"},
      {"{" + user + R"(, "max_tokens": -1})", "max_tokens"},
      {"{" + user + R"(, "max_tokens": 0})", "max_tokens"},
      {"{" + user + R"(, "max_tokens": 1e300})", "max_tokens"},
      {"{" + user + R"(, "max_tokens": 101})", "max_tokens"},
      {"{" + user + R"(, "max_tokens": 5.5})", "max_tokens"},
      {"{" + user + R"(, "temperature": "hot"})", "temperature"},
      {"{" + user + R"(, "temperature": 2.5})", "temperature"},
      {"{" + user + R"(, "top_p": 0})", "top_p"},
      {"{" + user + R"(, "n": 0})", "n"},
      {"{" + user + R"(, "n": 99})", "n"},
      {"{" + user + R"(, "seed": 1.5})", "seed"},
      {"{" + user + R"(, "stop": ["a", "b", "c", "d", "e"]})", "stop"},
      {"{" + user + R"(, "stop": [1]})", "stop"},
      {"{" + user + R"(, "stop": ""})", "stop"},
      {"{" + user + R"(, "logit_bias": {"abc": 1}})", "logit_bias"},
      {"{" + user + R"(, "logit_bias": {"1000": 1}})", "logit_bias"},
      {"{" + user + R"(, "logit_bias": {"5": 101}})", "logit_bias"},
      {"{" + user + R"(, "stream_options": {"include_usage": true}})", "stream_options"},
      {"{" + user + R"(, "top_logprobs": 3})", "top_logprobs"},
      {"{" + user + R"(, "tools": {}})", "tools"},
      {"{" + user + R"(, "tools": [{"type": "function"}]})", "tools[0]"},
      {"{" + user + R"(, "tool_choice": "sometimes"})", "tool_choice"},
      {"{" + user + R"(, "chat_template_kwargs": {"messages": []}})", "chat_template_kwargs"},
      {"{" + user + R"(, "chat_template_kwargs": 1})", "chat_template_kwargs"},
      {"{" + user + R"(, "response_format": {"type": "json"}})", "response_format"},
      {"{" + user + R"(, "response_format": {"type": "json_schema"}})", "response_format"},
      {"{" + user + R"(, "response_format": {"type": "json_object", "x": 1}})", "response_format"},
      {"{" + user + R"(, "guided_choice": [1]})", "guided_choice"},
      {"{" + user + R"(, "guided_regex": ["a"]})", "guided_regex"},
      {"{" + user + R"(, "guided_json": "{}"})", "guided_json"},
      {"{" + user + R"(, "tools": [{"type": "function", "function": {"name": "f"}}],
                       "tool_choice": {"type": "function", "function": {"name": "g"}}})",
       "tool_choice"},
      {"{" + user + R"(, "unknown_field": 1})", "unknown_field"},
      {"{" + user + R"(, "model": 5})", "model"},
  };
  for (const auto& [body, param] : cases) {
    std::string got_param = "-";
    EXPECT_EQ(StatusOf(body, &got_param), 400) << body;
    if (!param.empty()) {
      EXPECT_EQ(got_param, param) << body;
    }
  }
  EXPECT_EQ(StatusOf("{" + user + R"(, "model": "other"})"), 404);
  EXPECT_EQ(StatusOf("{" + user + R"(, "model": "m"})"), 200);
  // Numbers beyond double's range (found by the fuzzer: nlohmann throws out_of_range, not a
  // parse error), in the body and in tool-call arguments.
  EXPECT_EQ(StatusOf("{" + user + R"(, "max_tokens": 5e5555})"), 400);
  EXPECT_EQ(StatusOf(R"({"messages": [{"role": "user", "content": "x"}, {"role": "assistant",
      "content": null, "tool_calls": [{"function": {"name": "f", "arguments": "{\"a\": 1e999}"}}]}]})"),
            400);
  // Invalid UTF-8 inside a string is not JSON.
  EXPECT_EQ(StatusOf("{\"messages\": [{\"role\": \"user\", \"content\": \"\xff\"}]}"), 400);
}

TEST(CompletionRequest, Prompts) {
  auto parse = [](const std::string& body) {
    return ParseCompletionRequest(body, Defaults(), 1000);
  };
  EXPECT_EQ(parse(R"({"prompt": "abc"})").prompt, "abc");
  EXPECT_EQ(parse(R"({"prompt": "abc"})").max_tokens, 16);
  EXPECT_EQ(parse(R"({"prompt": ["abc"]})").prompt, "abc");
  EXPECT_EQ(parse(R"({"prompt": [1, 2]})").prompt_ids, (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(parse(R"({"prompt": [[3]]})").prompt_ids, (std::vector<int32_t>{3}));
  for (const char* bad :
       {R"({})", R"({"prompt": 5})", R"({"prompt": ["a", "b"]})", R"({"prompt": [1000]})",
        R"({"prompt": [-1]})", R"({"prompt": []})", R"({"prompt": "a", "suffix": "b"})",
        R"({"prompt": "a", "best_of": 2})", R"({"prompt": "a", "logprobs": 6})",
        R"({"prompt": "a", "messages": []})"}) {
    EXPECT_THROW(parse(bad), ApiError) << bad;
  }
}

// ---------------------------------------------------------------------------------------------

struct Split {
  std::string reasoning, content;
  std::vector<ToolCall> calls;
  std::vector<std::string> invalid;
};

// Feeds `text` cut at the given positions.
Split Feed(const std::string& text, const std::vector<size_t>& cuts, bool thinking, bool tools) {
  OutputParser p(runtime::ReasoningTags{}, thinking, tools, "call_");
  Split s;
  auto take = [&](OutputParser::Delta d) {
    s.reasoning += d.reasoning;
    s.content += d.content;
    for (auto& c : d.tool_calls) s.calls.push_back(c);
  };
  size_t pos = 0;
  for (size_t cut : cuts) {
    take(p.Push(text.substr(pos, cut - pos)));
    pos = cut;
  }
  take(p.Push(text.substr(pos)));
  take(p.Finish());
  s.invalid = p.invalid_tool_calls();
  return s;
}

// Every way of cutting the text into two or three pieces gives the same split.
void ExpectSplit(const std::string& text, bool thinking, bool tools, const std::string& reasoning,
                 const std::string& content, const std::vector<std::string>& call_args) {
  for (size_t a = 0; a <= text.size(); ++a) {
    for (size_t b = a; b <= text.size(); b += (text.size() / 7 + 1)) {
      const Split s = Feed(text, {a, b}, thinking, tools);
      ASSERT_EQ(s.reasoning, reasoning) << "cuts " << a << ", " << b;
      ASSERT_EQ(s.content, content) << "cuts " << a << ", " << b;
      ASSERT_EQ(s.calls.size(), call_args.size()) << "cuts " << a << ", " << b;
      for (size_t i = 0; i < call_args.size(); ++i) {
        EXPECT_EQ(s.calls[i].name, "f");
        EXPECT_EQ(s.calls[i].arguments, call_args[i]);
        EXPECT_EQ(s.calls[i].id, "call_" + std::to_string(i));
      }
    }
  }
}

TEST(OutputParser, ReasoningFollowsThePromptNotTheText) {
  ExpectSplit("Let me see.</think>\n\nIt is 4.", true, false, "Let me see.", "It is 4.", {});
  ExpectSplit("Let me see.</think>It is 4.", false, false, "", "Let me see.</think>It is 4.", {});
  ExpectSplit("no close tag", true, false, "no close tag", "", {});
}

TEST(OutputParser, ToolCalls) {
  const std::string two =
      "Sure.<tool_call>{\"name\": \"f\", \"arguments\": {\"a\": 1}}</tool_call>\n"
      "<tool_call>{\"name\": \"f\", \"arguments\": {\"b\": [2, \"x\"]}}</tool_call>";
  ExpectSplit(two, false, true, "", "Sure.", {R"({"a":1})", R"({"b":[2,"x"]})"});
  ExpectSplit("r</think>" + two, true, true, "r", "Sure.", {R"({"a":1})", R"({"b":[2,"x"]})"});
  // Without tools the text is content as written.
  ExpectSplit(two, false, false, "", two, {});
  // Broken calls stay in the content and are reported.
  const std::string broken = "<tool_call>{\"name\": \"f\", \"arguments\": [1]}</tool_call>";
  ExpectSplit(broken, false, true, "", broken, {});
  EXPECT_EQ(Feed(broken, {}, false, true).invalid.size(), 1u);
  ExpectSplit("<tool_call>{not json", false, true, "", "<tool_call>{not json", {});
  // A number out of range in the model's call is a broken call, not a crash.
  const std::string huge =
      "<tool_call>{\"name\": \"f\", \"arguments\": {\"a\": 1e999}}</tool_call>";
  ExpectSplit(huge, false, true, "", huge, {});
  EXPECT_EQ(Feed("<tool_call>{not json", {}, false, true).invalid.size(), 1u);
  // A partial opening tag at the end is text.
  ExpectSplit("a <tool_ca", false, true, "", "a <tool_ca", {});
  ExpectSplit("{\"name\": \"f\"}", false, true, "", "{\"name\": \"f\"}", {});
}

}  // namespace
}  // namespace exaone::server
