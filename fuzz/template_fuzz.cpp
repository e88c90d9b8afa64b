// libFuzzer target: chat-template parsing and rendering. The input is template source, rendered
// against a small fixed conversation with tight render limits. Any input must either render or
// raise exaone::Error; a crash, a sanitizer report, a hang, a leak or an uncaught exception of
// another type is a finding.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.h"
#include "template/chat_template.h"

namespace {

using exaone::tmpl::Json;

const Json& Conversation() {
  static const Json* conversation = new Json(Json::parse(R"({
    "messages": [
      {"role": "system", "content": "You are EXAONE."},
      {"role": "user", "content": "서울 날씨? \"quoted\" \\ 😀"},
      {"role": "assistant", "content": "<think>\nhmm\n</think>\n\nSunny.", "reasoning_content": "r",
       "tool_calls": [{"type": "function", "function": {"name": "get_weather",
                                                       "arguments": {"city": "Seoul", "days": 2}}}]},
      {"role": "tool", "content": "{\"temp\": 23.5}"},
      {"role": "user", "content": ["text", {"type": "image"}]}
    ],
    "tools": [{"type": "function", "function": {"name": "get_weather", "description": "날씨",
               "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                              "required": ["city"]}}}],
    "add_generation_prompt": true, "enable_thinking": false, "bos_token": "<s>", "n": 3,
    "f": 0.1, "nested": {"a": [1, [2, [3, null]]], "b": {"c": true}}
  })"));
  return *conversation;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view source(reinterpret_cast<const char*>(data), size);
  exaone::tmpl::RenderLimits limits;
  limits.max_output_bytes = 1 << 20;
  limits.max_work_bytes = 16 << 20;
  limits.max_loop_iterations = 20000;
  limits.max_call_depth = 32;
  try {
    const auto chat = exaone::tmpl::ChatTemplate::Parse(source, "fuzz");
    const std::string out = exaone::tmpl::RenderConversation(chat, Conversation(), {}, limits);
    volatile size_t keep = out.size();
    (void)keep;
  } catch (const exaone::Error&) {
  }
  return 0;
}
