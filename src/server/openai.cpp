#include "server/openai.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <set>

#include "io/json.h"

namespace exaone::server {
namespace {

constexpr const char* kToolOpen = "<tool_call>";
constexpr const char* kToolClose = "</tool_call>";

[[noreturn]] void Bad(const std::string& param, const std::string& message) {
  throw ApiError(400, message, param);
}

std::string TypeName(const Json& j) {
  return io::JsonTypeName(j.type());
}

// JSON values nest at most this deep in a request (tool schemas included); deeper documents are
// refused before parsing, so no recursion on them can exhaust the stack.
constexpr int kMaxDepth = 64;

void CheckDepth(std::string_view body) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxDepth) {
        throw ApiError(
            400, "the request nests JSON deeper than " + std::to_string(kMaxDepth) + " levels");
      }
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
}

Json ParseBody(std::string_view body) {
  if (body.empty()) throw ApiError(400, "the request body is empty (expected a JSON object)");
  CheckDepth(body);
  Json j;
  try {
    j = Json::parse(body.begin(), body.end());
  } catch (const Json::parse_error& e) {
    throw ApiError(400,
                   "the request body is not valid JSON (at byte " + std::to_string(e.byte) + ")");
  } catch (const Json::exception&) {
    // Well-formed but not representable (a number beyond double's range).
    throw ApiError(400, "the request body holds a number out of range");
  }
  if (!j.is_object()) throw ApiError(400, "the request body must be a JSON object");
  return j;
}

// Typed access to the request object's fields; every field must be known.
// The fields both endpoints take (ParseCommon reads them).
const std::set<std::string> kCommonFields = {"model",
                                             "temperature",
                                             "top_p",
                                             "top_k",
                                             "min_p",
                                             "repetition_penalty",
                                             "presence_penalty",
                                             "frequency_penalty",
                                             "n",
                                             "stream",
                                             "stream_options",
                                             "seed",
                                             "stop",
                                             "logit_bias",
                                             "user",
                                             "max_tokens",
                                             "logprobs",
                                             "guided_json",
                                             "guided_regex",
                                             "guided_choice"};

class Fields {
 public:
  // `known`: the endpoint's own fields besides kCommonFields.
  Fields(const Json& obj, const std::set<std::string>& known) : obj_(obj) {
    for (const auto& [key, value] : obj.items()) {
      if (kCommonFields.count(key) == 0 && known.count(key) == 0) {
        Bad(key, "unrecognized request argument: '" + key + "'");
      }
    }
  }
  // The value, or nullptr when absent or null.
  const Json* Get(const std::string& key) const {
    auto it = obj_.find(key);
    return it == obj_.end() || it->is_null() ? nullptr : &*it;
  }
  std::optional<double> Number(const std::string& key, double lo, double hi) const {
    const Json* v = Get(key);
    if (!v) return std::nullopt;
    if (!v->is_number()) Bad(key, "'" + key + "' must be a number, not " + TypeName(*v));
    const double d = v->get<double>();
    if (!std::isfinite(d) || d < lo || d > hi) {
      Bad(key, "'" + key + "' must be between " + Format(lo) + " and " + Format(hi));
    }
    return d;
  }
  std::optional<int64_t> Int(const std::string& key, int64_t lo, int64_t hi) const {
    const Json* v = Get(key);
    if (!v) return std::nullopt;
    if (!v->is_number_integer()) Bad(key, "'" + key + "' must be an integer, not " + TypeName(*v));
    const bool out_of_range = v->is_number_unsigned()
                                  ? (v->get<uint64_t>() > static_cast<uint64_t>(hi) ||
                                     (lo > 0 && v->get<uint64_t>() < static_cast<uint64_t>(lo)))
                                  : (v->get<int64_t>() < lo || v->get<int64_t>() > hi);
    if (out_of_range) {
      Bad(key,
          "'" + key + "' must be between " + std::to_string(lo) + " and " + std::to_string(hi));
    }
    return v->is_number_unsigned() ? static_cast<int64_t>(v->get<uint64_t>()) : v->get<int64_t>();
  }
  std::optional<bool> Bool(const std::string& key) const {
    const Json* v = Get(key);
    if (!v) return std::nullopt;
    if (!v->is_boolean()) Bad(key, "'" + key + "' must be a boolean, not " + TypeName(*v));
    return v->get<bool>();
  }
  std::optional<std::string> String(const std::string& key) const {
    const Json* v = Get(key);
    if (!v) return std::nullopt;
    if (!v->is_string()) Bad(key, "'" + key + "' must be a string, not " + TypeName(*v));
    return v->get<std::string>();
  }

 private:
  static std::string Format(double d) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", d);
    return buf;
  }
  const Json& obj_;
};

// Fields shared by both endpoints: sampling, stop, n, stream, seed, logit bias.
// The guided_* extensions (the names other servers use): a schema, a regular expression or a
// list of strings the output must be.
void ParseGuided(const Fields& f, OutputFormat& out) {
  int given = 0;
  if (const Json* j = f.Get("guided_json")) {
    if (!j->is_object()) Bad("guided_json", "'guided_json' must be a JSON schema (an object)");
    out = {OutputFormat::Kind::kJsonSchema, "guided_json", *j, "", {}};
    ++given;
  }
  if (const Json* j = f.Get("guided_regex")) {
    if (!j->is_string()) Bad("guided_regex", "'guided_regex' must be a string");
    out = {OutputFormat::Kind::kRegex, "guided_regex", nullptr, j->get<std::string>(), {}};
    ++given;
  }
  if (const Json* j = f.Get("guided_choice")) {
    if (!j->is_array() || j->empty() || j->size() > 4096) {
      Bad("guided_choice", "'guided_choice' must be an array of 1 to 4096 strings");
    }
    std::vector<std::string> choices;
    for (const Json& c : *j) {
      if (!c.is_string() || c.get<std::string>().empty()) {
        Bad("guided_choice", "'guided_choice' must hold non-empty strings");
      }
      choices.push_back(c.get<std::string>());
    }
    out = {OutputFormat::Kind::kChoice, "guided_choice", nullptr, "", std::move(choices)};
    ++given;
  }
  if (given > 1) Bad("guided_json", "give one of 'guided_json', 'guided_regex', 'guided_choice'");
}

void ParseResponseFormat(const Json& rf, OutputFormat& out) {
  if (!rf.is_object() || !rf.contains("type") || !rf["type"].is_string()) {
    Bad("response_format", "'response_format' must be an object with a 'type'");
  }
  if (out.kind != OutputFormat::Kind::kText) {
    Bad("response_format", "'response_format' cannot be combined with '" + out.param + "'");
  }
  const std::string type = rf["type"].get<std::string>();
  auto only = [&](const std::set<std::string>& keys, const Json& obj, const std::string& where) {
    for (const auto& [key, value] : obj.items()) {
      if (!keys.count(key)) Bad("response_format", "unrecognized argument '" + where + key + "'");
    }
  };
  if (type == "text") {
    only({"type"}, rf, "response_format.");
  } else if (type == "json_object") {
    only({"type"}, rf, "response_format.");
    out = {OutputFormat::Kind::kJsonObject, "response_format", nullptr, "", {}};
  } else if (type == "json_schema") {
    only({"type", "json_schema"}, rf, "response_format.");
    if (!rf.contains("json_schema") || !rf["json_schema"].is_object()) {
      Bad("response_format", "'response_format.json_schema' must be an object");
    }
    const Json& js = rf["json_schema"];
    only({"name", "schema", "strict", "description"}, js, "response_format.json_schema.");
    if (!js.contains("name") || !js["name"].is_string()) {
      Bad("response_format", "'response_format.json_schema.name' must be a string");
    }
    const std::string name = js["name"].get<std::string>();
    const bool name_ok =
        !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
        });
    if (!name_ok) {
      Bad("response_format",
          "'response_format.json_schema.name' must be 1 to 64 of a-z, A-Z, "
          "0-9, '_' and '-'");
    }
    if (js.contains("strict") && !js["strict"].is_null() && !js["strict"].is_boolean()) {
      Bad("response_format", "'response_format.json_schema.strict' must be a boolean");
    }
    if (js.contains("description") && !js["description"].is_string()) {
      Bad("response_format", "'response_format.json_schema.description' must be a string");
    }
    Json schema = Json::object();  // no schema: any object
    if (js.contains("schema") && !js["schema"].is_null()) {
      if (!js["schema"].is_object()) {
        Bad("response_format", "'response_format.json_schema.schema' must be an object");
      }
      schema = js["schema"];
      out = {OutputFormat::Kind::kJsonSchema, "response_format", schema, "", {}};
    } else {
      out = {OutputFormat::Kind::kJsonObject, "response_format", nullptr, "", {}};
    }
  } else {
    Bad("response_format",
        "'response_format.type' must be \"text\", \"json_object\" or \"json_schema\"");
  }
}

void ParseCommon(const Fields& f, const ApiDefaults& d, int64_t vocab, CompletionRequest& r) {
  ParseGuided(f, r.format);
  if (auto m = f.String("model"); m && !d.model_id.empty() && *m != d.model_id) {
    throw ApiError(
        404, "the model '" + *m + "' does not exist (this server serves '" + d.model_id + "')",
        "model", "invalid_request_error", "model_not_found");
  }
  r.sampling.temperature = static_cast<float>(f.Number("temperature", 0, 2).value_or(1.0));
  r.sampling.top_p = static_cast<float>(f.Number("top_p", 0, 1).value_or(1.0));
  if (r.sampling.top_p <= 0) Bad("top_p", "'top_p' must be greater than 0");
  r.sampling.top_k = static_cast<int>(f.Int("top_k", 0, vocab).value_or(0));
  r.sampling.min_p = static_cast<float>(f.Number("min_p", 0, 1).value_or(0.0));
  r.sampling.repetition_penalty =
      static_cast<float>(f.Number("repetition_penalty", 0, 10).value_or(1.0));
  if (r.sampling.repetition_penalty <= 0) {
    Bad("repetition_penalty", "'repetition_penalty' must be greater than 0");
  }
  r.sampling.presence_penalty = static_cast<float>(f.Number("presence_penalty", -2, 2).value_or(0));
  r.sampling.frequency_penalty =
      static_cast<float>(f.Number("frequency_penalty", -2, 2).value_or(0));
  r.n = static_cast<int>(f.Int("n", 1, d.max_n).value_or(1));
  r.stream = f.Bool("stream").value_or(false);
  if (const Json* so = f.Get("stream_options")) {
    if (!so->is_object()) Bad("stream_options", "'stream_options' must be an object");
    if (!r.stream) Bad("stream_options", "'stream_options' is only allowed with 'stream': true");
    for (const auto& [key, value] : so->items()) {
      if (key != "include_usage") Bad("stream_options", "unrecognized stream option '" + key + "'");
      if (!value.is_boolean()) Bad("stream_options", "'include_usage' must be a boolean");
      r.include_usage = value.get<bool>();
    }
  }
  if (auto seed = f.Int("seed", INT64_MIN, INT64_MAX)) {
    r.seed = static_cast<uint64_t>(*seed);
  }
  if (const Json* stop = f.Get("stop")) {
    if (stop->is_string()) {
      r.stop.push_back(stop->get<std::string>());
    } else if (stop->is_array()) {
      if (stop->size() > 4) Bad("stop", "'stop' may hold at most 4 strings");
      for (const Json& s : *stop) {
        if (!s.is_string()) Bad("stop", "'stop' must be a string or an array of strings");
        r.stop.push_back(s.get<std::string>());
      }
    } else {
      Bad("stop", "'stop' must be a string or an array of strings");
    }
    for (const std::string& s : r.stop) {
      if (s.empty()) Bad("stop", "stop strings must not be empty");
    }
  }
  if (const Json* bias = f.Get("logit_bias")) {
    if (!bias->is_object()) Bad("logit_bias", "'logit_bias' must be an object");
    if (bias->size() > 1024) Bad("logit_bias", "'logit_bias' may hold at most 1024 tokens");
    for (const auto& [key, value] : bias->items()) {
      int64_t id = -1;
      if (!key.empty() && key.size() <= 9 &&
          key.find_first_not_of("0123456789") == std::string::npos) {
        id = std::stoll(key);
      }
      if (id < 0 || id >= vocab) {
        Bad("logit_bias", "'logit_bias' key '" + key + "' is not a token id of this model");
      }
      if (!value.is_number() || !std::isfinite(value.get<double>()) ||
          std::fabs(value.get<double>()) > 100) {
        Bad("logit_bias", "'logit_bias' values must be numbers between -100 and 100");
      }
      r.sampling.logit_bias[static_cast<int32_t>(id)] = value.get<float>();
    }
  }
  if (auto user = f.String("user")) (void)user;
}

std::string ContentText(const Json& content, const std::string& param) {
  if (content.is_string()) return content.get<std::string>();
  if (!content.is_array()) Bad(param, "message content must be a string or an array of parts");
  std::string text;
  for (const Json& part : content) {
    if (!part.is_object() || !part.contains("type") || !part["type"].is_string()) {
      Bad(param, "each content part must be an object with a 'type'");
    }
    const std::string type = part["type"].get<std::string>();
    if (type != "text") Bad(param, "content parts of type '" + type + "' are not supported");
    if (!part.contains("text") || !part["text"].is_string()) {
      Bad(param, "a text content part needs a string 'text'");
    }
    for (const auto& [key, value] : part.items()) {
      if (key != "type" && key != "text")
        Bad(param, "unrecognized content part field '" + key + "'");
    }
    text += part["text"].get<std::string>();
  }
  return text;
}

Json ParseMessages(const Json* messages) {
  if (!messages) Bad("messages", "'messages' is required");
  if (!messages->is_array() || messages->empty()) {
    Bad("messages", "'messages' must be a non-empty array");
  }
  Json out = Json::array();
  for (size_t i = 0; i < messages->size(); ++i) {
    const Json& m = (*messages)[i];
    const std::string where = "messages[" + std::to_string(i) + "]";
    if (!m.is_object()) Bad(where, where + " must be an object");
    static const std::set<std::string> kKnown = {
        "role", "content", "name", "tool_calls", "tool_call_id", "reasoning_content", "refusal"};
    for (const auto& [key, value] : m.items()) {
      if (kKnown.count(key) == 0) Bad(where, "unrecognized field '" + key + "' in " + where);
    }
    if (!m.contains("role") || !m["role"].is_string()) Bad(where, where + " needs a string 'role'");
    std::string role = m["role"].get<std::string>();
    if (role == "developer") role = "system";
    if (role != "system" && role != "user" && role != "assistant" && role != "tool") {
      Bad(where + ".role",
          "unknown role '" + role + "' (system, developer, user, assistant, tool)");
    }
    Json msg = {{"role", role}};
    const bool has_calls = m.contains("tool_calls") && !m["tool_calls"].is_null();
    if (!m.contains("content") || m["content"].is_null()) {
      if (role != "assistant" || !has_calls) Bad(where + ".content", where + " needs 'content'");
      msg["content"] = "";
    } else {
      msg["content"] = ContentText(m["content"], where + ".content");
    }
    if (m.contains("name") && !m["name"].is_null()) {
      if (!m["name"].is_string()) Bad(where + ".name", "'name' must be a string");
      msg["name"] = m["name"];
    }
    if (m.contains("reasoning_content") && !m["reasoning_content"].is_null()) {
      if (!m["reasoning_content"].is_string() || role != "assistant") {
        Bad(where + ".reasoning_content", "'reasoning_content' must be a string on an assistant");
      }
      msg["reasoning_content"] = m["reasoning_content"];
    }
    if (m.contains("tool_call_id") && !m["tool_call_id"].is_null()) {
      if (!m["tool_call_id"].is_string() || role != "tool") {
        Bad(where + ".tool_call_id", "'tool_call_id' must be a string on a tool message");
      }
      msg["tool_call_id"] = m["tool_call_id"];
    }
    if (has_calls) {
      const Json& calls = m["tool_calls"];
      if (role != "assistant" || !calls.is_array()) {
        Bad(where + ".tool_calls", "'tool_calls' must be an array on an assistant message");
      }
      Json out_calls = Json::array();
      for (const Json& c : calls) {
        if (!c.is_object() || !c.contains("function") || !c["function"].is_object() ||
            !c["function"].contains("name") || !c["function"]["name"].is_string()) {
          Bad(where + ".tool_calls", "each tool call needs a function with a string 'name'");
        }
        Json args = Json::object();
        if (c["function"].contains("arguments")) {
          const Json& a = c["function"]["arguments"];
          if (a.is_string()) {
            try {
              args = Json::parse(a.get<std::string>());
            } catch (const Json::exception&) {
              Bad(where + ".tool_calls", "tool call arguments are not valid JSON");
            }
          } else if (a.is_object()) {
            args = a;
          } else {
            Bad(where + ".tool_calls", "tool call arguments must be a JSON string or object");
          }
        }
        Json call = {{"type", "function"},
                     {"function", {{"name", c["function"]["name"]}, {"arguments", args}}}};
        if (c.contains("id") && c["id"].is_string()) call["id"] = c["id"];
        out_calls.push_back(std::move(call));
      }
      msg["tool_calls"] = std::move(out_calls);
    }
    out.push_back(std::move(msg));
  }
  return out;
}

Json ParseTools(const Json* tools) {
  if (!tools) return nullptr;
  if (!tools->is_array()) Bad("tools", "'tools' must be an array");
  if (tools->size() > 128) Bad("tools", "'tools' may hold at most 128 tools");
  for (size_t i = 0; i < tools->size(); ++i) {
    const Json& t = (*tools)[i];
    const std::string where = "tools[" + std::to_string(i) + "]";
    if (!t.is_object() || !t.contains("type") || t["type"] != "function") {
      Bad(where, where + " must be an object with \"type\": \"function\"");
    }
    if (!t.contains("function") || !t["function"].is_object() || !t["function"].contains("name") ||
        !t["function"]["name"].is_string() || t["function"]["name"].get<std::string>().empty()) {
      Bad(where, where + " needs a function with a non-empty string 'name'");
    }
    if (t["function"].contains("parameters") && !t["function"]["parameters"].is_object()) {
      Bad(where, where + ".function.parameters must be an object (a JSON schema)");
    }
  }
  return tools->empty() ? Json(nullptr) : *tools;
}

}  // namespace

std::string ErrorBody(const ApiError& e) {
  Json err = {{"message", e.what()},
              {"type", e.type()},
              {"param", e.param().empty() ? Json(nullptr) : Json(e.param())},
              {"code", e.code().empty() ? Json(nullptr) : Json(e.code())}};
  return Json{{"error", err}}.dump(-1, ' ', false, Json::error_handler_t::replace);
}

CompletionRequest ParseChatRequest(std::string_view body, const ApiDefaults& d,
                                   int64_t vocab_size) {
  const Json j = ParseBody(body);
  Fields f(j,
           {"messages", "max_completion_tokens", "top_logprobs", "tools", "tool_choice",
            "parallel_tool_calls", "response_format", "chat_template_kwargs", "store", "metadata"});
  CompletionRequest r;
  r.chat = true;
  ParseCommon(f, d, vocab_size, r);
  r.messages = ParseMessages(f.Get("messages"));
  auto max_tokens = f.Int("max_completion_tokens", 1, d.n_ctx);
  if (!max_tokens) max_tokens = f.Int("max_tokens", 1, d.n_ctx);
  if (max_tokens) r.max_tokens = static_cast<int>(*max_tokens);
  r.logprobs = f.Bool("logprobs").value_or(false);
  if (auto top = f.Int("top_logprobs", 0, 20)) {
    if (!r.logprobs) Bad("top_logprobs", "'top_logprobs' needs 'logprobs': true");
    r.top_logprobs = static_cast<int>(*top);
  }
  r.tools = ParseTools(f.Get("tools"));
  if (const Json* tc = f.Get("tool_choice")) {
    if (tc->is_string()) {
      r.tool_choice = tc->get<std::string>();
      if (r.tool_choice != "none" && r.tool_choice != "auto" && r.tool_choice != "required") {
        Bad("tool_choice", "'tool_choice' must be \"none\", \"auto\", \"required\" or a function");
      }
    } else if (tc->is_object() && tc->contains("type") && (*tc)["type"] == "function" &&
               tc->contains("function") && (*tc)["function"].is_object() &&
               (*tc)["function"].contains("name") && (*tc)["function"]["name"].is_string()) {
      r.tool_choice = (*tc)["function"]["name"].get<std::string>();
    } else {
      Bad("tool_choice", "'tool_choice' must be \"none\", \"auto\", \"required\" or a function");
    }
    if (r.tool_choice != "none" && r.tool_choice != "auto") {
      if (r.tools.is_null()) Bad("tool_choice", "'tool_choice' needs 'tools'");
      if (r.tool_choice != "required") {
        bool found = false;
        for (const Json& t : r.tools) found = found || t["function"]["name"] == r.tool_choice;
        if (!found) Bad("tool_choice", "'tool_choice' names '" + r.tool_choice + "', not a tool");
      }
    }
  }
  if (auto ptc = f.Bool("parallel_tool_calls")) r.parallel_tool_calls = *ptc;
  if (auto store = f.Bool("store"); store && *store) {
    Bad("store", "'store' is not supported (nothing is kept on the server)");
  }
  if (const Json* md = f.Get("metadata"); md && !md->is_object()) {
    Bad("metadata", "'metadata' must be an object");
  }
  if (const Json* rf = f.Get("response_format")) ParseResponseFormat(*rf, r.format);
  if (r.format.kind != OutputFormat::Kind::kText && r.tool_choice != "none" &&
      r.tool_choice != "auto") {
    Bad("tool_choice", "a forced 'tool_choice' cannot be combined with '" + r.format.param + "'");
  }
  r.template_kwargs = d.template_kwargs;
  if (const Json* kw = f.Get("chat_template_kwargs")) {
    if (!kw->is_object()) Bad("chat_template_kwargs", "'chat_template_kwargs' must be an object");
    static const std::set<std::string> kReserved = {"messages", "tools", "add_generation_prompt",
                                                    "documents"};
    for (const auto& [key, value] : kw->items()) {
      if (kReserved.count(key)) {
        Bad("chat_template_kwargs", "'chat_template_kwargs' may not set '" + key + "'");
      }
      r.template_kwargs[key] = value;
    }
  }
  if (r.tool_choice == "none") r.tools = nullptr;
  return r;
}

CompletionRequest ParseCompletionRequest(std::string_view body, const ApiDefaults& d,
                                         int64_t vocab_size) {
  const Json j = ParseBody(body);
  Fields f(j, {"prompt", "suffix", "echo", "best_of"});
  CompletionRequest r;
  r.chat = false;
  ParseCommon(f, d, vocab_size, r);
  const Json* prompt = f.Get("prompt");
  if (!prompt) Bad("prompt", "'prompt' is required");
  auto ids_of = [&](const Json& arr) {
    std::vector<int32_t> ids;
    for (const Json& v : arr) {
      if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() >= vocab_size) {
        Bad("prompt",
            "token ids in 'prompt' must be integers in [0, " + std::to_string(vocab_size) + ")");
      }
      ids.push_back(static_cast<int32_t>(v.get<int64_t>()));
    }
    return ids;
  };
  if (prompt->is_string()) {
    r.prompt = prompt->get<std::string>();
  } else if (prompt->is_array() && !prompt->empty() && (*prompt)[0].is_number()) {
    r.prompt_ids = ids_of(*prompt);
    r.prompt_is_ids = true;
  } else if (prompt->is_array() && prompt->size() == 1 && (*prompt)[0].is_string()) {
    r.prompt = (*prompt)[0].get<std::string>();
  } else if (prompt->is_array() && prompt->size() == 1 && (*prompt)[0].is_array()) {
    r.prompt_ids = ids_of((*prompt)[0]);
    r.prompt_is_ids = true;
  } else {
    Bad("prompt",
        "'prompt' must be a string, an array of token ids, or an array holding one of them");
  }
  if (r.prompt_is_ids && r.prompt_ids.empty()) Bad("prompt", "'prompt' must not be empty");
  if (auto suffix = f.String("suffix"); suffix && !suffix->empty()) {
    Bad("suffix", "'suffix' is not supported");
  }
  if (auto best_of = f.Int("best_of", 1, 1)) (void)best_of;
  r.max_tokens = static_cast<int>(f.Int("max_tokens", 1, d.n_ctx).value_or(16));
  if (auto lp = f.Int("logprobs", 0, 5)) {
    r.logprobs = true;
    r.top_logprobs = static_cast<int>(*lp);
  }
  r.echo = f.Bool("echo").value_or(false);
  return r;
}

// ---------------------------------------------------------------------------------------------

OutputParser::OutputParser(runtime::ReasoningTags tags, bool starts_in_reasoning, bool parse_tools,
                           std::string id_prefix)
    : reasoning_(std::move(tags), starts_in_reasoning),
      parse_tools_(parse_tools),
      id_prefix_(std::move(id_prefix)) {}

void OutputParser::Content(std::string_view text, Delta& out) {
  if (!parse_tools_) {
    out.content += text;
    return;
  }
  pending_ += text;
  while (true) {
    // Calls are separated by newlines in EXAONE's format: blanks right after a call are not
    // content (they may arrive in a later piece).
    if (skip_blank_) {
      size_t n = 0;
      while (n < pending_.size() && (pending_[n] == '\n' || pending_[n] == ' ')) ++n;
      pending_.erase(0, n);
      if (pending_.empty()) return;
      skip_blank_ = false;
    }
    if (!in_call_) {
      const size_t open = pending_.find(kToolOpen);
      if (open == std::string::npos) {
        // Keep back a suffix that could start the opening tag.
        size_t keep = 0;
        const std::string_view tag = kToolOpen;
        for (size_t n = std::min(pending_.size(), tag.size() - 1); n > 0; --n) {
          if (pending_.compare(pending_.size() - n, n, tag.substr(0, n)) == 0) {
            keep = n;
            break;
          }
        }
        out.content += pending_.substr(0, pending_.size() - keep);
        pending_.erase(0, pending_.size() - keep);
        return;
      }
      out.content += pending_.substr(0, open);
      pending_.erase(0, open + std::strlen(kToolOpen));
      in_call_ = true;
    }
    const size_t close = pending_.find(kToolClose);
    if (close == std::string::npos) return;
    const std::string body = pending_.substr(0, close);
    pending_.erase(0, close + std::strlen(kToolClose));
    in_call_ = false;
    Json call;
    bool ok = false;
    try {
      call = Json::parse(body);
      ok = call.is_object() && call.contains("name") && call["name"].is_string() &&
           (!call.contains("arguments") || call["arguments"].is_object());
    } catch (const Json::exception&) {  // malformed, or a number out of range
      ok = false;
    }
    if (!ok) {
      invalid_.push_back(body);
      out.content += std::string(kToolOpen) + body + kToolClose;
      continue;
    }
    ToolCall tc;
    tc.id = id_prefix_ + std::to_string(n_calls_++);
    tc.name = call["name"].get<std::string>();
    tc.arguments = call.contains("arguments")
                       ? call["arguments"].dump(-1, ' ', false, Json::error_handler_t::replace)
                       : "{}";
    out.tool_calls.push_back(std::move(tc));
    skip_blank_ = true;
  }
}

OutputParser::Delta OutputParser::Push(std::string_view text) {
  Delta out;
  runtime::ReasoningSplitter::Pieces p = reasoning_.Push(text);
  out.reasoning = std::move(p.reasoning);
  if (!p.content.empty()) Content(p.content, out);
  return out;
}

OutputParser::Delta OutputParser::Finish() {
  Delta out;
  runtime::ReasoningSplitter::Pieces p = reasoning_.Flush();
  out.reasoning = std::move(p.reasoning);
  if (!p.content.empty()) Content(p.content, out);
  // An unterminated call or a held-back partial tag is content as written.
  if (in_call_) {
    invalid_.push_back(pending_);
    out.content += std::string(kToolOpen) + pending_;
  } else {
    out.content += pending_;
  }
  pending_.clear();
  in_call_ = false;
  return out;
}

std::string NewResponseId(std::string_view prefix) {
  static std::atomic<uint64_t> counter{0};
  static const uint64_t salt = [] {
    std::random_device rd;
    return (static_cast<uint64_t>(rd()) << 32) ^ rd();
  }();
  const uint64_t n = counter.fetch_add(1) ^ salt;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(n));
  return std::string(prefix) + buf;
}

}  // namespace exaone::server
