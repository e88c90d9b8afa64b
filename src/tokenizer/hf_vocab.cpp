#include "tokenizer/hf_vocab.h"

#include <fstream>

#include "base/error.h"
#include "base/mapped_file.h"
#include "io/json.h"

namespace exaone::tokenizer {
namespace {

constexpr int64_t kMaxVocab = 1 << 22;

void Assign(HfVocab& v, int64_t id, const std::string& text, const std::string& where) {
  if (id < 0 || id >= kMaxVocab) {
    throw Error(ErrorCode::kBadConfig,
                where + ": token id " + std::to_string(id) + " out of range");
  }
  if (static_cast<size_t>(id) >= v.tokens.size()) {
    v.tokens.resize(id + 1);
    v.assigned.resize(id + 1, false);
  }
  v.tokens[id] = text;
  v.assigned[id] = true;
}

void ReadVocabObject(HfVocab& v, const io::JsonView& vocab) {
  if (!vocab.json().is_object()) vocab.Fail("expected an object of token -> id");
  for (auto it = vocab.json().begin(); it != vocab.json().end(); ++it) {
    Assign(v, vocab.At(it.key()).Int(), it.key(), vocab.path());
  }
}

void ReadAdded(HfVocab& v, const io::JsonView& entry, int64_t id) {
  AddedToken a;
  a.id = static_cast<int32_t>(id);
  a.content = entry.String("content");
  a.special = entry.BoolOr("special", false);
  Assign(v, id, a.content, entry.path());
  v.added.push_back(a);
}

// bos_token etc. are a string or {"content": ...}.
std::optional<std::string> SpecialText(const io::JsonView& cfg, const char* key) {
  if (!cfg.Has(key)) return std::nullopt;
  io::JsonView t = cfg.At(key);
  if (t.json().is_string()) return t.String();
  if (t.json().is_object()) return t.String("content");
  t.Fail("expected a string or an object with \"content\"");
}

std::optional<int32_t> IdOf(const HfVocab& v, const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  for (const auto& a : v.added) {
    if (a.content == *text) return a.id;
  }
  for (size_t i = 0; i < v.tokens.size(); ++i) {
    if (v.assigned[i] && v.tokens[i] == *text) return static_cast<int32_t>(i);
  }
  return std::nullopt;
}

}  // namespace

std::optional<HfVocab> ReadHfVocab(const std::string& dir, int64_t vocab_size) {
  HfVocab v;
  const std::string tok_json = dir + "/tokenizer.json";
  const std::string vocab_json = dir + "/vocab.json";
  const std::string merges_txt = dir + "/merges.txt";
  const std::string config_json = dir + "/tokenizer_config.json";
  io::Json config;
  if (FileExists(config_json)) config = io::ReadJsonFile(config_json);
  io::JsonView cfg(config, config_json);

  if (FileExists(tok_json)) {
    io::Json j = io::ReadJsonFile(tok_json);
    io::JsonView root(j, tok_json);
    io::JsonView model = root.At("model");
    if (auto type = model.StringOr("type"); type && *type != "BPE") {
      model.At("type").Fail("only BPE tokenizers can be converted, found \"" + *type + "\"");
    }
    ReadVocabObject(v, model.At("vocab"));
    if (model.Has("merges")) {
      io::JsonView merges = model.At("merges");
      for (size_t i = 0; i < merges.Size(); ++i) {
        io::JsonView m = merges.At(i);
        if (m.json().is_string()) {
          v.merges.push_back(m.String());
        } else {
          if (m.Size() != 2) m.Fail("a merge pair must have two entries");
          v.merges.push_back(m.At(size_t{0}).String() + " " + m.At(size_t{1}).String());
        }
      }
    }
    if (root.Has("added_tokens")) {
      io::JsonView added = root.At("added_tokens");
      for (size_t i = 0; i < added.Size(); ++i) ReadAdded(v, added.At(i), added.At(i).Int("id"));
    }
  } else if (FileExists(vocab_json) && FileExists(merges_txt)) {
    for (auto& [token, id] : io::ReadStringIntObject(vocab_json)) Assign(v, id, token, vocab_json);
    std::ifstream in(merges_txt);
    std::string line;
    size_t line_no = 0;
    while (std::getline(in, line)) {
      ++line_no;
      if (line_no == 1 && line.rfind("#version", 0) == 0) continue;
      if (line.empty()) continue;
      if (line.find(' ') == std::string::npos) {
        throw Error(ErrorCode::kBadConfig,
                    merges_txt + ":" + std::to_string(line_no) + ": a merge needs two parts");
      }
      v.merges.push_back(line);
    }
  } else {
    return std::nullopt;
  }
  // tokenizer_config.json's added_tokens_decoder overrides (EXAONE 4.0 reuses ids 351-360).
  if (cfg.Has("added_tokens_decoder")) {
    io::JsonView dec = cfg.At("added_tokens_decoder");
    for (auto it = dec.json().begin(); it != dec.json().end(); ++it) {
      size_t pos = 0;
      int64_t id = -1;
      try {
        id = std::stoll(it.key(), &pos);
      } catch (const std::exception&) {
        pos = 0;
      }
      if (pos != it.key().size()) dec.At(it.key()).Fail("key is not a token id");
      std::erase_if(v.added, [&](const AddedToken& a) { return a.id == id; });
      ReadAdded(v, dec.At(it.key()), id);
    }
  }
  if (vocab_size > static_cast<int64_t>(v.tokens.size())) {
    v.tokens.resize(vocab_size);
    v.assigned.resize(vocab_size, false);
  }
  v.bos = IdOf(v, SpecialText(cfg, "bos_token"));
  v.eos = IdOf(v, SpecialText(cfg, "eos_token"));
  v.pad = IdOf(v, SpecialText(cfg, "pad_token"));
  v.unk = IdOf(v, SpecialText(cfg, "unk_token"));
  v.add_bos = cfg.BoolOr("add_bos_token", false);
  v.add_eos = cfg.BoolOr("add_eos_token", false);
  const std::string template_file = dir + "/chat_template.jinja";
  if (FileExists(template_file)) {
    v.chat_template = ReadTextFile(template_file);
  } else if (cfg.Has("chat_template") && cfg.At("chat_template").json().is_string()) {
    v.chat_template = cfg.String("chat_template");
  }
  return v;
}

}  // namespace exaone::tokenizer
