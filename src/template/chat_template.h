// Hugging Face chat templates: parse once, render many times, byte-identical to transformers'
// apply_chat_template (jinja2 in an ImmutableSandboxedEnvironment with trim_blocks, lstrip_blocks
// and loopcontrols; see docs/template.md for what is and is not supported).
//
//   auto t = tmpl::ChatTemplate::Parse(source, "chat_template.jinja");
//   std::string prompt = tmpl::RenderConversation(t, conversation, special_tokens);
//
// JSON is nlohmann::ordered_json throughout: Python dicts keep their key order, and tojson prints
// tool schemas in that order.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "template/interpreter.h"

namespace exaone::tmpl {

using Json = nlohmann::ordered_json;

class ChatTemplate {
 public:
  // Throws exaone::Error (kBadConfig, or kUnsupported for constructs this engine does not
  // implement) naming "template line L, column C". `name` prefixes error messages.
  static ChatTemplate Parse(std::string_view source, std::string name = "");

  // Renders with `variables` (a JSON object) as the template's variables. Throws exaone::Error
  // naming the line and column of the failing construct, including raise_exception().
  std::string Render(const Json& variables, const RenderLimits& limits = {}) const;

  const std::string& name() const { return *name_; }

 private:
  // Shared so that copies are cheap; the name is referenced by the parsed nodes' errors.
  std::shared_ptr<const std::string> name_;
  std::shared_ptr<const StmtList> body_;
  std::shared_ptr<const FrameInfo> root_frame_;
};

// JSON to template values: objects become dicts in key order, arrays lists.
Value FromJson(const Json& j);

// The special tokens transformers passes to every template (bos_token, eos_token, unk_token,
// sep_token, pad_token, cls_token, mask_token), as a JSON object of strings.
//
// The variables apply_chat_template renders a conversation with: `messages` (keys whose value is
// null dropped; reasoning_content / thinking / reasoning aliased to each other), `tools` and
// `documents` (None when absent), `add_generation_prompt` (false when absent), the special tokens,
// and every other key of `conversation` as an extra variable (enable_thinking, ...).
Json ConversationVariables(const Json& conversation, const Json& special_tokens);

std::string RenderConversation(const ChatTemplate& chat_template, const Json& conversation,
                               const Json& special_tokens = Json::object(),
                               const RenderLimits& limits = {});

// A Hugging Face model folder's chat template: chat_template.jinja, else tokenizer_config.json
// "chat_template" (a string, or a list of {name, template}: "tool_use" when `has_tools` and
// present, else "default"). Special tokens come from tokenizer_config.json, then
// special_tokens_map.json for those it lacks.
struct HfChatTemplate {
  std::string source;
  std::string origin;  // the file it came from, for messages
  Json special_tokens = Json::object();
};
HfChatTemplate LoadHfChatTemplate(const std::string& model_dir, bool has_tools);

// Parses JSON text into an ordered document; `what` names it in errors (kBadConfig).
Json ParseOrderedJson(std::string_view text, const std::string& what);

}  // namespace exaone::tmpl
