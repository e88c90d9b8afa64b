// The three ways a tokenizer arrives: tokenizer.json, vocab.json + merges.txt (+
// tokenizer_config.json), and GGUF tokenizer.ggml.* metadata.
#include <fstream>

#include "base/error.h"
#include "base/mapped_file.h"
#include "tokenizer/hf_vocab.h"
#include "tokenizer/text.h"
#include "tokenizer/tokenizer.h"

namespace exaone::tokenizer {
namespace {

std::pair<std::string, std::string> SplitMerge(const std::string& m, const std::string& where) {
  const size_t sp = m.find(' ');
  if (sp == std::string::npos || sp == 0 || sp + 1 >= m.size() ||
      m.find(' ', sp + 1) != std::string::npos) {
    throw Error(ErrorCode::kBadConfig, where + ": merge \"" + m + "\" is not two parts");
  }
  return {m.substr(0, sp), m.substr(sp + 1)};
}

SplitBehavior ParseBehavior(const io::JsonView& v) {
  const std::string b = v.String();
  if (b == "Removed") return SplitBehavior::kRemoved;
  if (b == "Isolated") return SplitBehavior::kIsolated;
  if (b == "MergedWithPrevious") return SplitBehavior::kMergedWithPrevious;
  if (b == "MergedWithNext") return SplitBehavior::kMergedWithNext;
  if (b == "Contiguous") return SplitBehavior::kContiguous;
  v.Fail("unknown split behavior \"" + b + "\"");
}

void AddByteLevel(PreTokenizer& pre, bool prefix_space, bool use_regex) {
  PreTokenizer::Step s{nullptr, prefix_space};
  if (use_regex) {
    s.split = std::make_unique<SplitStep>(kGpt2Pattern, true, SplitBehavior::kIsolated, false);
  }
  pre.steps.push_back(std::move(s));
  pre.byte_level = true;
}

void ParsePreTokenizer(const io::JsonView& v, PreTokenizer& pre) {
  if (v.IsNull()) return;
  const std::string type = v.String("type");
  if (type == "Sequence") {
    io::JsonView list = v.At("pretokenizers");
    for (size_t i = 0; i < list.Size(); ++i) ParsePreTokenizer(list.At(i), pre);
  } else if (type == "ByteLevel") {
    AddByteLevel(pre, v.BoolOr("add_prefix_space", true), v.BoolOr("use_regex", true));
  } else if (type == "Split" || type == "Digits") {
    if (pre.byte_level) v.Fail(type + " after ByteLevel is not supported");
    PreTokenizer::Step s{nullptr, false};
    if (type == "Digits") {
      // ref: tokenizers pre_tokenizers/digits.rs splits on char::is_numeric (any \p{N}), each
      // digit alone or runs of them.
      const bool individual = v.BoolOr("individual_digits", false);
      s.split = std::make_unique<SplitStep>(individual ? R"(\p{N})" : R"(\p{N}+)", true,
                                            SplitBehavior::kIsolated, false);
    } else {
      io::JsonView pattern = v.At("pattern");
      const bool is_regex = pattern.Has("Regex");
      const std::string p = is_regex ? pattern.String("Regex") : pattern.String("String");
      s.split = std::make_unique<SplitStep>(p, is_regex, ParseBehavior(v.At("behavior")),
                                            v.BoolOr("invert", false));
    }
    pre.steps.push_back(std::move(s));
  } else {
    v.At("type").Fail("pre-tokenizer \"" + type + "\" is not supported");
  }
}

bool ParseNormalizer(const io::JsonView& v) {
  if (v.IsNull()) return false;
  const std::string type = v.String("type");
  if (type == "NFC") return true;
  if (type == "Sequence") {
    io::JsonView list = v.At("normalizers");
    bool nfc = false;
    for (size_t i = 0; i < list.Size(); ++i) nfc |= ParseNormalizer(list.At(i));
    return nfc;
  }
  v.At("type").Fail("normalizer \"" + type + "\" is not supported (NFC is)");
}

AddedTokenSpec ParseAdded(const io::JsonView& v, int64_t id) {
  AddedTokenSpec a;
  a.id = static_cast<int32_t>(id);
  a.content = v.String("content");
  if (a.content.empty()) v.At("content").Fail("empty added token");
  a.special = v.BoolOr("special", false);
  a.lstrip = v.BoolOr("lstrip", false);
  a.rstrip = v.BoolOr("rstrip", false);
  a.single_word = v.BoolOr("single_word", false);
  a.normalized = v.BoolOr("normalized", !a.special);
  return a;
}

void MergeAdded(std::vector<AddedTokenSpec>& list, AddedTokenSpec a) {
  std::erase_if(list, [&](const AddedTokenSpec& x) { return x.id == a.id; });
  list.push_back(std::move(a));
}

int64_t CheckedId(const io::JsonView& v, int64_t id) {
  if (id < 0 || id >= (1 << 22)) v.Fail("token id " + std::to_string(id) + " out of range");
  return id;
}

}  // namespace

// Settings of tokenizer_config.json that apply whichever file holds the vocabulary.
struct ConfigOverlay {
  static void Apply(Tokenizer& t, const std::string& config_path,
                    std::vector<AddedTokenSpec>& added) {
    if (config_path.empty() || !FileExists(config_path)) return;
    io::Json j = io::ReadJsonFile(config_path);
    io::JsonView cfg(j, config_path);
    if (cfg.Has("added_tokens_decoder")) {
      io::JsonView dec = cfg.At("added_tokens_decoder");
      if (!dec.json().is_object()) dec.Fail("expected an object");
      for (auto it = dec.json().begin(); it != dec.json().end(); ++it) {
        size_t pos = 0;
        int64_t id = -1;
        try {
          id = std::stoll(it.key(), &pos);
        } catch (const std::exception&) {
          pos = 0;
        }
        if (pos != it.key().size()) dec.At(it.key()).Fail("key is not a token id");
        MergeAdded(added, ParseAdded(dec.At(it.key()), CheckedId(dec.At(it.key()), id)));
      }
    }
    auto text = [&](const char* key) -> std::string {
      if (!cfg.Has(key)) return "";
      io::JsonView v = cfg.At(key);
      if (v.json().is_string()) return v.String();
      if (v.json().is_object()) return v.String("content");
      v.Fail("expected a string or an object with \"content\"");
    };
    t.bos_token = text("bos_token");
    t.eos_token = text("eos_token");
    t.pad_token = text("pad_token");
    t.unk_token = text("unk_token");
    if (cfg.Has("chat_template")) {
      io::JsonView ct = cfg.At("chat_template");
      if (ct.json().is_string()) {
        t.chat_template = ct.String();
      } else {
        for (size_t i = 0; i < ct.Size(); ++i) {
          if (ct.At(i).String("name") == "default") t.chat_template = ct.At(i).String("template");
        }
      }
    }
  }
};

std::unique_ptr<Tokenizer> Tokenizer::FromTokenizerJson(const std::string& path,
                                                        const std::string& config_path) {
  io::Json j = io::ReadJsonFile(path);
  io::JsonView root(j, path);
  io::JsonView model = root.At("model");
  if (model.StringOr("type").value_or("BPE") != "BPE") {
    model.At("type").Fail("only BPE models are supported");
  }
  if (model.BoolOr("byte_fallback", false)) model.At("byte_fallback").Fail("not supported");
  for (const char* k : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    if (model.Has(k) && !model.String(k).empty()) model.At(k).Fail("not supported");
  }
  std::vector<std::string> vocab;
  io::JsonView v = model.At("vocab");
  if (!v.json().is_object()) v.Fail("expected an object of token -> id");
  for (auto it = v.json().begin(); it != v.json().end(); ++it) {
    const int64_t id = CheckedId(v.At(it.key()), v.At(it.key()).Int());
    if (static_cast<size_t>(id) >= vocab.size()) vocab.resize(id + 1);
    vocab[id] = it.key();
  }
  std::vector<std::pair<std::string, std::string>> merges;
  if (model.Has("merges")) {
    io::JsonView m = model.At("merges");
    merges.reserve(m.Size());
    for (size_t i = 0; i < m.Size(); ++i) {
      io::JsonView e = m.At(i);
      if (e.json().is_string()) {
        merges.push_back(SplitMerge(e.String(), e.path()));
      } else {
        if (e.Size() != 2) e.Fail("a merge pair needs two entries");
        merges.emplace_back(e.At(size_t{0}).String(), e.At(size_t{1}).String());
      }
    }
  }
  auto t = std::unique_ptr<Tokenizer>(new Tokenizer());
  std::vector<AddedTokenSpec> added;
  if (root.Has("added_tokens")) {
    io::JsonView list = root.At("added_tokens");
    for (size_t i = 0; i < list.Size(); ++i) {
      MergeAdded(added, ParseAdded(list.At(i), CheckedId(list.At(i), list.At(i).Int("id"))));
    }
  }
  for (const auto& a : added) {
    if (static_cast<size_t>(a.id) >= vocab.size()) vocab.resize(a.id + 1);
  }
  try {
    t->bpe_ = std::make_unique<Bpe>(std::move(vocab), merges, model.BoolOr("ignore_merges", false));
  } catch (const Error& e) {
    throw Error(e.code(), path + ": " + e.what());
  }
  t->nfc_ = root.Has("normalizer") && ParseNormalizer(root.At("normalizer"));
  if (root.Has("pre_tokenizer")) ParsePreTokenizer(root.At("pre_tokenizer"), t->pre_);
  if (root.Has("decoder")) {
    io::JsonView d = root.At("decoder");
    std::string type = d.String("type");
    if (type != "ByteLevel") d.At("type").Fail("decoder \"" + type + "\" is not supported");
    t->pre_.byte_level = true;
  }
  if (root.Has("post_processor")) {
    // Post-processors add the special tokens of a single sequence around it.
    std::vector<io::JsonView> list = {root.At("post_processor")};
    for (size_t k = 0; k < list.size(); ++k) {
      io::JsonView p = list[k];
      const std::string type = p.String("type");
      if (type == "Sequence") {
        io::JsonView procs = p.At("processors");
        for (size_t i = 0; i < procs.Size(); ++i) list.push_back(procs.At(i));
      } else if (type == "TemplateProcessing") {
        io::JsonView single = p.At("single");
        io::JsonView specials = p.At("special_tokens");
        bool seen_sequence = false;
        for (size_t i = 0; i < single.Size(); ++i) {
          io::JsonView piece = single.At(i);
          if (piece.Has("Sequence")) {
            seen_sequence = true;
            continue;
          }
          const std::string name = piece.At("SpecialToken").String("id");
          io::JsonView ids = specials.At(name).At("ids");
          for (size_t n = 0; n < ids.Size(); ++n) {
            (seen_sequence ? t->suffix_ids_ : t->prefix_ids_)
                .push_back(static_cast<int32_t>(CheckedId(ids.At(n), ids.At(n).Int())));
          }
        }
      } else if (type == "RobertaProcessing" || type == "BertProcessing") {
        t->prefix_ids_.push_back(static_cast<int32_t>(p.At("cls").At(size_t{1}).Int()));
        t->suffix_ids_.push_back(static_cast<int32_t>(p.At("sep").At(size_t{1}).Int()));
      } else if (type != "ByteLevel") {
        p.At("type").Fail("post-processor \"" + type + "\" is not supported");
      }
    }
  }
  ConfigOverlay::Apply(*t, config_path, added);
  t->SetAddedTokens(std::move(added));
  t->bos_id = t->bos_token.empty() ? std::nullopt : t->TokenId(t->bos_token);
  t->eos_id = t->eos_token.empty() ? std::nullopt : t->TokenId(t->eos_token);
  t->pad_id = t->pad_token.empty() ? std::nullopt : t->TokenId(t->pad_token);
  t->unk_id = t->unk_token.empty() ? std::nullopt : t->TokenId(t->unk_token);
  return t;
}

std::unique_ptr<Tokenizer> Tokenizer::FromVocabMerges(const std::string& dir) {
  // As transformers converts a slow GPT2Tokenizer: ByteLevel pre-tokenizer and decoder, BOS
  // added only when add_bos_token is set.
  auto hf = ReadHfVocab(dir, 0);
  if (!hf) throw Error(ErrorCode::kNotFound, dir + ": no tokenizer files");
  std::vector<std::pair<std::string, std::string>> merges;
  merges.reserve(hf->merges.size());
  for (size_t i = 0; i < hf->merges.size(); ++i) {
    merges.push_back(SplitMerge(hf->merges[i], dir + "/merges.txt line " + std::to_string(i + 2)));
  }
  // Vocabulary entries as vocab.json has them (added tokens are matched separately).
  std::vector<std::string> vocab;
  for (auto& [token, id] : io::ReadStringIntObject(dir + "/vocab.json")) {
    if (id < 0 || id >= (1 << 22)) {
      throw Error(ErrorCode::kBadConfig,
                  dir + "/vocab.json: token id " + std::to_string(id) + " out of range");
    }
    if (static_cast<size_t>(id) >= vocab.size()) vocab.resize(id + 1);
    vocab[id] = std::move(token);
  }
  auto t = std::unique_ptr<Tokenizer>(new Tokenizer());
  try {
    t->bpe_ = std::make_unique<Bpe>(std::move(vocab), merges, false);
  } catch (const Error& e) {
    throw Error(e.code(), dir + "/merges.txt: " + e.what());
  }
  const std::string config_path = dir + "/tokenizer_config.json";
  bool prefix_space = false;
  if (FileExists(config_path)) {
    io::Json j = io::ReadJsonFile(config_path);
    prefix_space = io::JsonView(j, config_path).BoolOr("add_prefix_space", false);
  }
  AddByteLevel(t->pre_, prefix_space, true);
  std::vector<AddedTokenSpec> added;
  ConfigOverlay::Apply(*t, config_path, added);
  t->SetAddedTokens(std::move(added));
  t->bos_id = t->bos_token.empty() ? std::nullopt : t->TokenId(t->bos_token);
  t->eos_id = t->eos_token.empty() ? std::nullopt : t->TokenId(t->eos_token);
  t->pad_id = t->pad_token.empty() ? std::nullopt : t->TokenId(t->pad_token);
  t->unk_id = t->unk_token.empty() ? std::nullopt : t->TokenId(t->unk_token);
  if (hf->add_bos && t->bos_id) t->prefix_ids_.push_back(*t->bos_id);
  if (hf->add_eos && t->eos_id) t->suffix_ids_.push_back(*t->eos_id);
  if (FileExists(dir + "/chat_template.jinja")) {
    t->chat_template = ReadTextFile(dir + "/chat_template.jinja");
  }
  return t;
}

std::unique_ptr<Tokenizer> Tokenizer::FromGguf(const io::GgufContents& g, const std::string& what) {
  auto fail = [&](const std::string& key, const std::string& msg) -> Error {
    return Error(ErrorCode::kBadConfig, what + ": metadata '" + key + "': " + msg);
  };
  auto strings = [&](const char* key, bool required) {
    std::vector<std::string> out;
    const io::GgufValue* v = g.Find(key);
    if (!v) {
      if (required) throw fail(key, "missing");
      return out;
    }
    if (v->type != io::GgufType::kArray || v->elem_type != io::GgufType::kString) {
      throw fail(key, "expected an array of strings");
    }
    out = v->strings;
    return out;
  };
  const io::GgufValue* model = g.Find("tokenizer.ggml.model");
  if (!model || model->type != io::GgufType::kString) {
    throw fail("tokenizer.ggml.model", "missing (the file has no tokenizer)");
  }
  if (model->str != "gpt2") {
    throw fail("tokenizer.ggml.model", "\"" + model->str + "\" is not supported (gpt2 is)");
  }
  std::vector<std::string> tokens = strings("tokenizer.ggml.tokens", true);
  std::vector<std::string> merge_lines = strings("tokenizer.ggml.merges", false);
  std::vector<int32_t> types(tokens.size(), 1);
  if (const io::GgufValue* tt = g.Find("tokenizer.ggml.token_type")) {
    if (tt->type != io::GgufType::kArray || tt->ArraySize() != tokens.size()) {
      throw fail("tokenizer.ggml.token_type", "must be an array as long as the token list");
    }
    for (size_t i = 0; i < types.size(); ++i) {
      auto v = tt->Item(i).AsInt();
      if (!v) throw fail("tokenizer.ggml.token_type", "entries must be integers");
      types[i] = static_cast<int32_t>(*v);
    }
  }
  if (tokens.size() > (1u << 22)) throw fail("tokenizer.ggml.tokens", "too many tokens");
  std::vector<std::pair<std::string, std::string>> merges;
  merges.reserve(merge_lines.size());
  for (const auto& m : merge_lines)
    merges.push_back(SplitMerge(m, what + ": tokenizer.ggml.merges"));
  auto t = std::unique_ptr<Tokenizer>(new Tokenizer());
  std::vector<AddedTokenSpec> added;
  std::vector<std::string> vocab = tokens;
  for (size_t i = 0; i < tokens.size(); ++i) {
    // ref: llama.cpp: CONTROL (3) and USER_DEFINED (4) tokens are matched as whole text first.
    if (types[i] == 3 || types[i] == 4) {
      AddedTokenSpec a;
      a.id = static_cast<int32_t>(i);
      a.content = tokens[i];
      a.special = types[i] == 3;
      if (!a.content.empty()) added.push_back(a);
    }
    if (types[i] == 5) vocab[i].clear();  // UNUSED
  }
  try {
    t->bpe_ = std::make_unique<Bpe>(std::move(vocab), merges, false);
  } catch (const Error& e) {
    throw Error(e.code(), what + ": tokenizer.ggml.merges: " + e.what());
  }
  std::string pre = "default";
  if (const io::GgufValue* p = g.Find("tokenizer.ggml.pre");
      p && p->type == io::GgufType::kString) {
    pre = p->str;
  }
  if (pre == "exaone" || pre == "smollm") {
    PreTokenizer::Step s{nullptr, false};
    s.split = std::make_unique<SplitStep>(R"(\p{N})", true, SplitBehavior::kIsolated, false);
    t->pre_.steps.push_back(std::move(s));
    AddByteLevel(t->pre_, false, true);
  } else if (pre == "llama-bpe" || pre == "llama3") {
    PreTokenizer::Step s{nullptr, false};
    s.split = std::make_unique<SplitStep>(kLlama3Pattern, true, SplitBehavior::kIsolated, false);
    t->pre_.steps.push_back(std::move(s));
    AddByteLevel(t->pre_, false, false);
    t->bpe_ = std::make_unique<Bpe>(tokens, merges, true);
  } else if (pre == "default" || pre == "gpt2" || pre == "gpt-2" || pre == "exaone4") {
    AddByteLevel(t->pre_, false, true);
  } else {
    throw fail("tokenizer.ggml.pre", "pre-tokenizer \"" + pre + "\" is not supported");
  }
  t->SetAddedTokens(std::move(added));
  auto id = [&](const char* key) -> std::optional<int32_t> {
    const io::GgufValue* v = g.Find(key);
    if (!v) return std::nullopt;
    auto i = v->AsInt();
    if (!i || *i < 0 || static_cast<size_t>(*i) >= tokens.size()) {
      throw fail(key, "not a token id of this vocabulary");
    }
    return static_cast<int32_t>(*i);
  };
  t->bos_id = id("tokenizer.ggml.bos_token_id");
  t->eos_id = id("tokenizer.ggml.eos_token_id");
  t->pad_id = id("tokenizer.ggml.padding_token_id");
  t->unk_id = id("tokenizer.ggml.unknown_token_id");
  if (t->bos_id) t->bos_token = tokens[*t->bos_id];
  if (t->eos_id) t->eos_token = tokens[*t->eos_id];
  if (t->pad_id) t->pad_token = tokens[*t->pad_id];
  if (t->unk_id) t->unk_token = tokens[*t->unk_id];
  auto flag = [&](const char* key) {
    const io::GgufValue* v = g.Find(key);
    return v && v->type == io::GgufType::kBool && v->u != 0;
  };
  if (flag("tokenizer.ggml.add_bos_token") && t->bos_id) t->prefix_ids_.push_back(*t->bos_id);
  if (flag("tokenizer.ggml.add_eos_token") && t->eos_id) t->suffix_ids_.push_back(*t->eos_id);
  if (const io::GgufValue* ct = g.Find("tokenizer.chat_template");
      ct && ct->type == io::GgufType::kString) {
    t->chat_template = ct->str;
  }
  return t;
}

std::unique_ptr<Tokenizer> Tokenizer::Load(const std::string& model_path) {
  if (IsDirectory(model_path)) {
    const std::string config = model_path + "/tokenizer_config.json";
    std::unique_ptr<Tokenizer> t;
    if (FileExists(model_path + "/tokenizer.json")) {
      t = FromTokenizerJson(model_path + "/tokenizer.json", config);
      if (FileExists(model_path + "/chat_template.jinja")) {
        t->chat_template = ReadTextFile(model_path + "/chat_template.jinja");
      }
      return t;
    }
    if (FileExists(model_path + "/vocab.json") && FileExists(model_path + "/merges.txt")) {
      return FromVocabMerges(model_path);
    }
    throw Error(ErrorCode::kNotFound,
                model_path + ": no tokenizer.json, and no vocab.json + merges.txt");
  }
  io::GgufFile f(model_path);
  return FromGguf(f.contents(), model_path);
}

}  // namespace exaone::tokenizer
