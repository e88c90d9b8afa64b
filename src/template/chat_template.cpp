#include "template/chat_template.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/error.h"
#include "template/fold.h"
#include "template/parser.h"
#include "template/symbols.h"

namespace exaone::tmpl {
namespace {

constexpr const char* kSpecialTokenKeys[] = {"bos_token", "eos_token", "unk_token", "sep_token",
                                             "pad_token", "cls_token", "mask_token"};
// ref: transformers chat_template_utils._REASONING_FIELDS.
constexpr const char* kReasoningFields[] = {"reasoning_content", "thinking", "reasoning"};
constexpr const char* kConversationKeys[] = {"messages", "tools", "documents",
                                             "add_generation_prompt"};

Value FromJsonAt(const Json& j, int depth) {
  if (depth > kMaxNesting) Fail("JSON nested too deeply");
  switch (j.type()) {
    case Json::value_t::null:
      return Value::None();
    case Json::value_t::boolean:
      return Value::Bool(j.get<bool>());
    case Json::value_t::number_integer:
      return Value::Int(j.get<int64_t>());
    case Json::value_t::number_unsigned: {
      const uint64_t u = j.get<uint64_t>();
      if (u > static_cast<uint64_t>(INT64_MAX)) Unsupported("integers beyond 64 bits");
      return Value::Int(static_cast<int64_t>(u));
    }
    case Json::value_t::number_float:
      return Value::Float(j.get<double>());
    case Json::value_t::string:
      return Value::Str(j.get<std::string>());
    case Json::value_t::array: {
      std::vector<Value> items;
      items.reserve(j.size());
      for (const Json& item : j) items.push_back(FromJsonAt(item, depth + 1));
      return Value::List(std::move(items));
    }
    case Json::value_t::object: {
      auto d = std::make_shared<DictObj>();
      for (auto it = j.begin(); it != j.end(); ++it) {
        d->Set(Value::Str(it.key()), FromJsonAt(it.value(), depth + 1));
      }
      return Value::Dict(std::move(d));
    }
    default:
      Unsupported("binary JSON values");
  }
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(ErrorCode::kIo, "cannot read " + path.string());
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// A special token in tokenizer_config.json is a string or an AddedToken object with "content".
bool TokenText(const Json& v, std::string* out) {
  if (v.is_string()) {
    *out = v.get<std::string>();
    return true;
  }
  if (v.is_object() && v.contains("content") && v["content"].is_string()) {
    *out = v["content"].get<std::string>();
    return true;
  }
  return false;
}

std::string SelectTemplate(const Json& value, bool has_tools, const std::string& origin) {
  if (value.is_string()) return value.get<std::string>();
  if (!value.is_array()) {
    throw Error(ErrorCode::kBadConfig, origin + ": \"chat_template\" must be a string or a list");
  }
  const Json* fallback = nullptr;
  for (const Json& entry : value) {
    if (!entry.is_object() || !entry.contains("name") || !entry.contains("template") ||
        !entry["name"].is_string() || !entry["template"].is_string()) {
      throw Error(ErrorCode::kBadConfig,
                  origin + ": \"chat_template\" list entries need \"name\" and \"template\"");
    }
    const std::string name = entry["name"].get<std::string>();
    if (has_tools && name == "tool_use") return entry["template"].get<std::string>();
    if (name == "default") fallback = &entry["template"];
  }
  if (!fallback) {
    throw Error(ErrorCode::kBadConfig,
                origin + ": several chat templates and none is named \"default\"");
  }
  return fallback->get<std::string>();
}

}  // namespace

ChatTemplate ChatTemplate::Parse(std::string_view source, std::string name) {
  ChatTemplate t;
  t.name_ = std::make_shared<const std::string>(std::move(name));
  auto body = std::make_shared<StmtList>(ParseTemplate(source, *t.name_));
  FoldConstants(*body, *t.name_);
  t.root_frame_ = AnalyzeScopes(*body);
  t.body_ = std::move(body);
  return t;
}

std::string ChatTemplate::Render(const Json& variables, const RenderLimits& limits) const {
  if (!variables.is_object()) {
    throw Error(ErrorCode::kInvalidArgument, "template variables must be a JSON object");
  }
  Variables vars;
  try {
    for (auto it = variables.begin(); it != variables.end(); ++it) {
      vars[it.key()] = FromJsonAt(it.value(), 0);
    }
  } catch (const PendingError& e) {
    throw Error(e.code(), "template variables: " + std::string(e.what()));
  }
  Interpreter interpreter(*name_, limits, std::move(vars));
  return interpreter.Render(*body_, *root_frame_);
}

Value FromJson(const Json& j) {
  return FromJsonAt(j, 0);
}

Json ConversationVariables(const Json& conversation, const Json& special_tokens) {
  if (!conversation.is_object()) {
    throw Error(ErrorCode::kBadConfig, "the conversation must be a JSON object");
  }
  if (!conversation.contains("messages") || !conversation["messages"].is_array()) {
    throw Error(ErrorCode::kBadConfig, "the conversation needs a \"messages\" array");
  }
  if (conversation["messages"].empty()) {
    throw Error(ErrorCode::kBadConfig, "cannot apply a chat template to an empty conversation");
  }
  if (conversation.contains("continue_final_message") &&
      conversation["continue_final_message"] != false) {
    throw Error(ErrorCode::kUnsupported, "continue_final_message is not supported");
  }
  Json vars = Json::object();
  for (const char* key : kSpecialTokenKeys) {
    if (special_tokens.is_object() && special_tokens.contains(key)) vars[key] = special_tokens[key];
  }
  for (auto it = conversation.begin(); it != conversation.end(); ++it) {
    bool named = false;
    for (const char* key : kConversationKeys) named = named || it.key() == key;
    if (!named) vars[it.key()] = it.value();
  }
  Json messages = Json::array();
  size_t index = 0;
  for (const Json& m : conversation["messages"]) {
    if (!m.is_object()) {
      throw Error(ErrorCode::kBadConfig,
                  "messages[" + std::to_string(index) + "] must be a JSON object");
    }
    // ref: transformers _normalize_chat_messages, then _alias_reasoning_fields.
    Json msg = Json::object();
    for (auto it = m.begin(); it != m.end(); ++it) {
      if (!it.value().is_null()) msg[it.key()] = it.value();
    }
    const Json* reasoning = nullptr;
    for (const char* key : kReasoningFields) {
      if (!reasoning && msg.contains(key)) reasoning = &msg[key];
    }
    if (reasoning) {
      Json aliased = Json::object();
      const Json text = *reasoning;
      aliased["thinking"] = text;
      for (auto it = msg.begin(); it != msg.end(); ++it) aliased[it.key()] = it.value();
      aliased["reasoning_content"] = text;
      msg = std::move(aliased);
    }
    messages.push_back(std::move(msg));
    ++index;
  }
  vars["messages"] = std::move(messages);
  vars["tools"] = conversation.contains("tools") ? conversation["tools"] : Json();
  vars["documents"] = conversation.contains("documents") ? conversation["documents"] : Json();
  vars["add_generation_prompt"] = conversation.contains("add_generation_prompt")
                                      ? conversation["add_generation_prompt"]
                                      : Json(false);
  return vars;
}

std::string RenderConversation(const ChatTemplate& chat_template, const Json& conversation,
                               const Json& special_tokens, const RenderLimits& limits) {
  return chat_template.Render(ConversationVariables(conversation, special_tokens), limits);
}

Json ParseOrderedJson(std::string_view text, const std::string& what) {
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::exception& e) {
    throw Error(ErrorCode::kBadConfig, what + ": invalid JSON: " + e.what());
  }
}

HfChatTemplate LoadHfChatTemplate(const std::string& model_dir, bool has_tools) {
  namespace fs = std::filesystem;
  const fs::path dir(model_dir);
  HfChatTemplate out;
  const fs::path config_path = dir / "tokenizer_config.json";
  Json config = Json::object();
  if (fs::exists(config_path)) {
    config = ParseOrderedJson(ReadFile(config_path), config_path.string());
    if (!config.is_object()) {
      throw Error(ErrorCode::kBadConfig, config_path.string() + ": expected a JSON object");
    }
  }
  const fs::path jinja_path = dir / "chat_template.jinja";
  if (fs::exists(jinja_path)) {
    out.source = ReadFile(jinja_path);
    out.origin = jinja_path.string();
  } else if (config.contains("chat_template") && !config["chat_template"].is_null()) {
    out.origin = config_path.string();
    out.source = SelectTemplate(config["chat_template"], has_tools, out.origin);
  } else {
    throw Error(ErrorCode::kNotFound, model_dir +
                                          ": no chat template (neither chat_template.jinja"
                                          " nor \"chat_template\" in tokenizer_config.json)");
  }
  Json map = Json::object();
  const fs::path map_path = dir / "special_tokens_map.json";
  if (fs::exists(map_path)) map = ParseOrderedJson(ReadFile(map_path), map_path.string());
  for (const char* key : kSpecialTokenKeys) {
    std::string text;
    if (config.contains(key) && TokenText(config[key], &text)) {
      out.special_tokens[key] = text;
    } else if (map.is_object() && map.contains(key) && TokenText(map[key], &text)) {
      out.special_tokens[key] = text;
    }
  }
  return out;
}

}  // namespace exaone::tmpl
