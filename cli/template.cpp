// exaone template MODEL CONVERSATION.json
//
// Prints the prompt a model's chat template renders for a conversation, exactly as transformers'
// apply_chat_template(..., tokenize=False) would, with no newline added. See docs/template.md.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "args.h"
#include "base/error.h"
#include "commands.h"
#include "io/gguf.h"
#include "template/chat_template.h"

namespace exaone::cli {
namespace {

constexpr const char* kUsage = "exaone template MODEL CONVERSATION.json";

std::string ReadText(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(ErrorCode::kNotFound, "cannot read " + path);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// GGUF keeps the template under tokenizer.chat_template (named variants under
// tokenizer.chat_template.<name>) and the special tokens as ids into tokenizer.ggml.tokens.
tmpl::HfChatTemplate LoadGgufChatTemplate(const std::string& path, bool has_tools) {
  io::GgufFile gguf(path);
  const io::GgufContents& g = gguf.contents();
  const io::GgufValue* source = has_tools ? g.Find("tokenizer.chat_template.tool_use") : nullptr;
  if (!source) source = g.Find("tokenizer.chat_template");
  if (!source) throw Error(ErrorCode::kNotFound, path + ": no tokenizer.chat_template metadata");
  if (source->type != io::GgufType::kString) {
    throw Error(ErrorCode::kBadFile, path + ": tokenizer.chat_template is not a string");
  }
  tmpl::HfChatTemplate out;
  out.source = source->str;
  out.origin = path;
  const io::GgufValue* tokens = g.Find("tokenizer.ggml.tokens");
  static const std::pair<const char*, const char*> kIds[] = {
      {"tokenizer.ggml.bos_token_id", "bos_token"},
      {"tokenizer.ggml.eos_token_id", "eos_token"},
      {"tokenizer.ggml.unknown_token_id", "unk_token"},
      {"tokenizer.ggml.seperator_token_id", "sep_token"},
      {"tokenizer.ggml.padding_token_id", "pad_token"},
  };
  for (const auto& [key, name] : kIds) {
    const io::GgufValue* id = g.Find(key);
    if (!id || !tokens || tokens->type != io::GgufType::kArray) continue;
    const std::optional<int64_t> i = id->AsInt();
    if (i && *i >= 0 && static_cast<uint64_t>(*i) < tokens->strings.size()) {
      out.special_tokens[name] = tokens->strings[static_cast<size_t>(*i)];
    }
  }
  return out;
}

std::string OneLine(std::string s) {
  for (size_t i = 0; (i = s.find('\n', i)) != std::string::npos; i += 2) s.replace(i, 1, "\\n");
  return s;
}

}  // namespace

int TemplateCommand(int argc, char** argv) {
  Args args(argc, argv, {"--help"}, {});
  if (args.Flag("--help")) {
    std::printf("usage: %s\n", kUsage);
    return 0;
  }
  args.ExpectPositional(2, 2, kUsage);
  const std::string& model = args.positional()[0];
  const std::string& conversation_path = args.positional()[1];
  try {
    const tmpl::Json conversation =
        tmpl::ParseOrderedJson(ReadText(conversation_path), conversation_path);
    const bool has_tools = conversation.is_object() && conversation.contains("tools") &&
                           !conversation["tools"].is_null();
    if (!std::filesystem::exists(model)) throw Error(ErrorCode::kNotFound, model + ": not found");
    const tmpl::HfChatTemplate found = std::filesystem::is_directory(model)
                                           ? tmpl::LoadHfChatTemplate(model, has_tools)
                                           : LoadGgufChatTemplate(model, has_tools);
    const tmpl::ChatTemplate chat = tmpl::ChatTemplate::Parse(found.source, found.origin);
    const std::string prompt = tmpl::RenderConversation(chat, conversation, found.special_tokens);
    std::fwrite(prompt.data(), 1, prompt.size(), stdout);
    return std::fflush(stdout) == 0 ? 0 : 1;
  } catch (const Error& e) {
    // Template errors may quote the template or a raise_exception() message with newlines.
    throw Error(e.code() == ErrorCode::kInvalidArgument ? ErrorCode::kBadConfig : e.code(),
                OneLine(e.what()));
  }
}

}  // namespace exaone::cli
