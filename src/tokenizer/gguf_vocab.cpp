#include "tokenizer/gguf_vocab.h"

#include "base/mapped_file.h"
#include "io/json.h"
#include "tokenizer/hf_vocab.h"

namespace exaone::tokenizer {
namespace {

// ref: gguf-py constants.py TokenType.
enum : int32_t { kNormal = 1, kControl = 3, kUserDefined = 4, kUnused = 5 };

std::string PreTokenizerName(const std::string& arch) {
  if (arch == "exaone" || arch == "exaone4") return arch;
  return "default";
}

}  // namespace

bool AddGgufVocab(const std::string& dir, const std::string& arch, io::GgufWriter& w) {
  int64_t vocab_size = 0;
  if (FileExists(dir + "/config.json")) {
    io::Json c = io::ReadJsonFile(dir + "/config.json");
    vocab_size = io::JsonView(c, dir + "/config.json").IntOr("vocab_size", 0);
  }
  auto vocab = ReadHfVocab(dir, vocab_size);
  if (!vocab) return false;
  using V = io::GgufValue;
  std::vector<V> tokens, types, merges;
  tokens.reserve(vocab->tokens.size());
  for (size_t id = 0; id < vocab->tokens.size(); ++id) {
    int32_t type = kNormal;
    std::string text = vocab->tokens[id];
    if (!vocab->assigned[id]) {
      text = "[PAD" + std::to_string(id) + "]";
      type = kUnused;
    }
    for (const auto& a : vocab->added) {
      if (static_cast<size_t>(a.id) == id) type = a.special ? kControl : kUserDefined;
    }
    tokens.push_back(V::String(std::move(text)));
    types.push_back(V::I32(type));
  }
  for (auto& m : vocab->merges) merges.push_back(V::String(m));
  w.Set("tokenizer.ggml.model", V::String("gpt2"));
  w.Set("tokenizer.ggml.pre", V::String(PreTokenizerName(arch)));
  w.Set("tokenizer.ggml.tokens", V::Array(io::GgufType::kString, std::move(tokens)));
  w.Set("tokenizer.ggml.token_type", V::Array(io::GgufType::kI32, std::move(types)));
  w.Set("tokenizer.ggml.merges", V::Array(io::GgufType::kString, std::move(merges)));
  if (vocab->bos) w.Set("tokenizer.ggml.bos_token_id", V::U32(*vocab->bos));
  if (vocab->eos) w.Set("tokenizer.ggml.eos_token_id", V::U32(*vocab->eos));
  if (vocab->unk) w.Set("tokenizer.ggml.unknown_token_id", V::U32(*vocab->unk));
  if (vocab->pad) w.Set("tokenizer.ggml.padding_token_id", V::U32(*vocab->pad));
  w.Set("tokenizer.ggml.add_bos_token", V::Bool(vocab->add_bos));
  w.Set("tokenizer.ggml.add_eos_token", V::Bool(vocab->add_eos));
  if (!vocab->chat_template.empty()) {
    w.Set("tokenizer.chat_template", V::String(vocab->chat_template));
  }
  return true;
}

}  // namespace exaone::tokenizer
