// The OpenAI API's request and response shapes: strict parsing of /v1/chat/completions and
// /v1/completions bodies (every field checked for type and range; unknown fields rejected, as
// OpenAI does), the split of generated text into reasoning, content and tool calls, and the JSON
// of responses, stream chunks and errors.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/reasoning.h"
#include "runtime/sampler.h"

namespace exaone::server {

using Json = nlohmann::ordered_json;

// An error to send as an OpenAI error object: {"error": {"message", "type", "param", "code"}}.
class ApiError : public std::runtime_error {
 public:
  ApiError(int status, std::string message, std::string param = "",
           std::string type = "invalid_request_error", std::string code = "")
      : std::runtime_error(std::move(message)),
        status_(status),
        param_(std::move(param)),
        type_(std::move(type)),
        code_(std::move(code)) {}
  int status() const { return status_; }
  const std::string& param() const { return param_; }
  const std::string& type() const { return type_; }
  const std::string& code() const { return code_; }

 private:
  int status_;
  std::string param_, type_, code_;
};

std::string ErrorBody(const ApiError& e);

// Server-wide settings requests are checked against and defaults they inherit.
struct ApiDefaults {
  std::string model_id;                   // the id /v1/models lists
  int n_ctx = 4096;                       // context of one sequence
  int max_n = 8;                          // largest `n`
  Json template_kwargs = Json::object();  // defaults for chat_template_kwargs
};

// What the answer must be (structured output, by constrained decoding). Reasoning, when the
// prompt opens it, comes first and is free.
struct OutputFormat {
  enum class Kind { kText, kJsonObject, kJsonSchema, kRegex, kChoice };
  Kind kind = Kind::kText;
  std::string param;                 // the request field it came from, for errors
  Json schema;                       // kJsonSchema
  std::string regex;                 // kRegex
  std::vector<std::string> choices;  // kChoice
};

struct CompletionRequest {
  bool chat = true;
  Json messages = Json::array();     // chat: validated messages, ready for the template
  Json tools;                        // chat: array of tools, or null
  std::string tool_choice = "auto";  // "none", "auto", "required", or a function name
  bool parallel_tool_calls = true;   // a forced tool choice may make several calls
  OutputFormat format;               // response_format / guided_json / guided_regex / ...
  Json template_kwargs = Json::object();
  std::string prompt;               // completions: text prompt
  std::vector<int32_t> prompt_ids;  // completions: a prompt given as token ids
  bool prompt_is_ids = false;
  bool echo = false;  // completions
  std::optional<int> max_tokens;
  int n = 1;
  bool stream = false;
  bool include_usage = false;
  bool logprobs = false;
  int top_logprobs = 0;
  std::vector<std::string> stop;
  std::optional<uint64_t> seed;
  runtime::SamplingParams sampling;  // temperature 1, top_p 1 unless given (OpenAI defaults)
};

// Parses and validates a request body. Throws ApiError (400, naming the parameter) for
// malformed JSON, wrong types, out-of-range values and unknown fields.
CompletionRequest ParseChatRequest(std::string_view body, const ApiDefaults& defaults,
                                   int64_t vocab_size);
CompletionRequest ParseCompletionRequest(std::string_view body, const ApiDefaults& defaults,
                                         int64_t vocab_size);

struct ToolCall {
  std::string id;
  std::string name;
  std::string arguments;  // JSON text
};

// Splits one choice's generated text, as it streams, into reasoning, content and tool calls.
// Reasoning is open at the start exactly when the rendered prompt left it open (the template's
// enable_thinking); <tool_call>{...}</tool_call> blocks in the answer become tool calls when
// `parse_tools`. A block whose JSON is not a call ({"name": string, "arguments": object}) stays
// in the content as written, and is counted in invalid_tool_calls().
class OutputParser {
 public:
  OutputParser(runtime::ReasoningTags tags, bool starts_in_reasoning, bool parse_tools,
               std::string id_prefix);

  struct Delta {
    std::string reasoning;
    std::string content;
    std::vector<ToolCall> tool_calls;
    bool empty() const { return reasoning.empty() && content.empty() && tool_calls.empty(); }
  };
  Delta Push(std::string_view text);
  Delta Finish();

  int tool_calls() const { return n_calls_; }
  const std::vector<std::string>& invalid_tool_calls() const { return invalid_; }

 private:
  void Content(std::string_view text, Delta& out);
  runtime::ReasoningSplitter reasoning_;
  bool parse_tools_;
  std::string id_prefix_;
  bool in_call_ = false;
  bool skip_blank_ = false;  // just after a call
  std::string pending_;      // content that may be the start of a tag, or a call's body
  int n_calls_ = 0;
  std::vector<std::string> invalid_;
};

// A unique id for a response ("chatcmpl-..."), from a process-wide counter and random bits.
std::string NewResponseId(std::string_view prefix);

}  // namespace exaone::server
