// The curation stages of a recipe (docs/foundry.md lists their settings).
#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>

#include "base/error.h"
#include "foundry/gen_stages.h"
#include "foundry/jsonl_io.h"
#include "foundry/langid.h"
#include "foundry/minhash.h"
#include "foundry/ngram_index.h"
#include "foundry/pii.h"
#include "foundry/quality.h"
#include "foundry/stage.h"
#include "foundry/text.h"

namespace exaone::foundry {
namespace {

// The language a record was given by a language stage ("" when none ran).
std::string LanguageOf(const Record& r) {
  auto it = r.data.find("language");
  if (it != r.data.end() && it->is_object() && it->contains("lang") && (*it)["lang"].is_string()) {
    return (*it)["lang"].get<std::string>();
  }
  return "";
}

void SetText(Record& r, const std::string& field, std::string text) {
  r.data[field] = std::move(text);
}

// Every stage reads the text from `field` (the recipe's text field unless the stage names one).
class TextStage : public Stage {
 public:
  TextStage(const StageSpec& spec, const Recipe& recipe, Settings& s)
      : Stage(spec), field_(s.String("field", recipe.text_field)) {}

 protected:
  std::string field_;
};

class NormalizeStage : public TextStage {
 public:
  NormalizeStage(const StageSpec& spec, const Recipe& recipe, Settings& s)
      : TextStage(spec, recipe, s) {
    o_.nfc = s.Bool("nfc", true);
    o_.controls = s.Bool("controls", true);
    o_.whitespace = s.Bool("whitespace", true);
  }
  Verdict Process(Record& r) override {
    if (!r.data.contains(field_) || !r.data[field_].is_string()) return Verdict::Drop("no_text");
    std::string out = NormalizeText(TextOf(r, field_), o_);
    if (out.empty()) return Verdict::Drop("empty");
    SetText(r, field_, std::move(out));
    return Verdict::Keep();
  }

 private:
  NormalizeOptions o_;
};

class LanguageStage : public TextStage {
 public:
  LanguageStage(const StageSpec& spec, const Recipe& recipe, Settings& s)
      : TextStage(spec, recipe, s) {
    keep_ = s.Strings("keep");
    static const std::vector<std::string> kKnown = {"ko", "en", "es", "ja", "zh", "fr", "de"};
    for (size_t i = 0; i < keep_.size(); ++i) {
      if (std::find(kKnown.begin(), kKnown.end(), keep_[i]) == kKnown.end()) {
        RecipeError(s.At("keep") + "[" + std::to_string(i) + "]",
                    "'" + keep_[i] +
                        "' is not a language identified here (ko, en, es, ja, zh, "
                        "fr, de)");
      }
    }
    min_score_ = s.Number("min_score", 0.65, 0, 1);
  }
  Verdict Process(Record& r) override {
    const LangGuess g = IdentifyLanguage(TextOf(r, field_));
    r.data["language"] = {{"lang", g.lang},
                          {"score", static_cast<double>(static_cast<int>(g.score * 1e4)) / 1e4}};
    if (!keep_.empty() && std::find(keep_.begin(), keep_.end(), g.lang) == keep_.end()) {
      return Verdict::Drop("language_" + g.lang);
    }
    if (g.score < min_score_) {
      return Verdict::Drop("language_score", {{"value", g.score}, {"limit", min_score_}});
    }
    return Verdict::Keep();
  }

 private:
  std::vector<std::string> keep_;
  double min_score_;
};

class LengthStage : public TextStage {
 public:
  LengthStage(const StageSpec& spec, const Recipe& recipe, Settings& s)
      : TextStage(spec, recipe, s) {
    min_chars_ = s.Int("min_chars", 0, 0, INT64_MAX);
    max_chars_ = s.Int("max_chars", INT64_MAX, 0, INT64_MAX);
  }
  Verdict Process(Record& r) override {
    const std::string_view t = TextOf(r, field_);
    int64_t n = 0;
    for (unsigned char c : t) n += (c & 0xC0) != 0x80;
    if (n < min_chars_) return Verdict::Drop("too_short", {{"value", n}, {"limit", min_chars_}});
    if (n > max_chars_) return Verdict::Drop("too_long", {{"value", n}, {"limit", max_chars_}});
    return Verdict::Keep();
  }

 private:
  int64_t min_chars_, max_chars_;
};

std::vector<std::string> LanguageList(Settings& s, const std::string& key,
                                      std::vector<std::string> fallback) {
  return s.Has(key) ? s.Strings(key) : (s.Raw(key), std::move(fallback));
}

class GopherStage : public TextStage {
 public:
  GopherStage(const StageSpec& spec, const Recipe& recipe, Settings& s)
      : TextStage(spec, recipe, s) {
    q_.min_words = static_cast<int>(s.Int("min_words", q_.min_words, 0, INT32_MAX));
    q_.max_words = static_cast<int>(s.Int("max_words", q_.max_words, 0, INT32_MAX));
    q_.min_avg_word_length = s.Number("min_avg_word_length", q_.min_avg_word_length, 0, 1e6);
    q_.max_avg_word_length = s.Number("max_avg_word_length", q_.max_avg_word_length, 0, 1e6);
    q_.word_length_languages = LanguageList(s, "word_length_languages", q_.word_length_languages);
    q_.max_hash_word_ratio = s.Number("max_hash_word_ratio", q_.max_hash_word_ratio, 0, 1e6);
    q_.max_ellipsis_word_ratio =
        s.Number("max_ellipsis_word_ratio", q_.max_ellipsis_word_ratio, 0, 1e6);
    q_.max_bullet_lines = s.Number("max_bullet_lines", q_.max_bullet_lines, 0, 1);
    q_.max_ellipsis_lines = s.Number("max_ellipsis_lines", q_.max_ellipsis_lines, 0, 1);
    q_.min_alpha_words = s.Number("min_alpha_words", q_.min_alpha_words, 0, 1);
    q_.min_stop_words = static_cast<int>(s.Int("min_stop_words", q_.min_stop_words, 0, 1000));
    if (s.Has("stop_words")) q_.stop_words = s.Strings("stop_words");
    q_.stop_word_languages = LanguageList(s, "stop_word_languages", q_.stop_word_languages);
    repetition_ = s.Bool("repetition", true);
  }
  Verdict Process(Record& r) override {
    const std::string_view t = TextOf(r, field_);
    const TextStats st = ComputeTextStats(t);
    Verdict v = CheckGopherQuality(t, st, q_, LanguageOf(r));
    if (!v.keep || !repetition_) return v;
    return CheckGopherRepetition(st, rep_);
  }

 private:
  GopherQuality q_;
  GopherRepetition rep_;
  bool repetition_;
};

class FineWebStage : public TextStage {
 public:
  FineWebStage(const StageSpec& spec, const Recipe& recipe, Settings& s)
      : TextStage(spec, recipe, s) {
    q_.min_punct_lines = s.Number("min_punct_lines", q_.min_punct_lines, 0, 1);
    q_.max_short_lines = s.Number("max_short_lines", q_.max_short_lines, 0, 1);
    q_.short_line_chars =
        static_cast<int>(s.Int("short_line_chars", q_.short_line_chars, 0, 1 << 20));
    q_.max_dup_line_chars = s.Number("max_dup_line_chars", q_.max_dup_line_chars, 0, 1);
    q_.max_newline_word_ratio =
        s.Number("max_newline_word_ratio", q_.max_newline_word_ratio, 0, 1e6);
  }
  Verdict Process(Record& r) override {
    const std::string_view t = TextOf(r, field_);
    return CheckFineWebQuality(t, ComputeTextStats(t), q_);
  }

 private:
  FineWebQuality q_;
};

class C4Stage : public TextStage {
 public:
  C4Stage(const StageSpec& spec, const Recipe& recipe, Settings& s) : TextStage(spec, recipe, s) {
    q_.min_sentences = static_cast<int>(s.Int("min_sentences", q_.min_sentences, 0, 1 << 20));
    q_.min_words_per_line =
        static_cast<int>(s.Int("min_words_per_line", q_.min_words_per_line, 0, 1 << 20));
    q_.max_word_length = static_cast<int>(s.Int("max_word_length", q_.max_word_length, 1, 1 << 30));
    q_.lorem_ipsum = s.Bool("lorem_ipsum", true);
    q_.javascript = s.Bool("javascript", true);
    q_.curly_bracket = s.Bool("curly_bracket", true);
    q_.policy = s.Bool("policy", true);
    q_.remove_citations = s.Bool("remove_citations", true);
  }
  Verdict Process(Record& r) override {
    std::string t(TextOf(r, field_));
    Verdict v = ApplyC4Quality(t, q_);
    if (v.keep) SetText(r, field_, std::move(t));
    return v;
  }

 private:
  C4Quality q_;
};

class PiiStage : public TextStage {
 public:
  PiiStage(const StageSpec& spec, const Recipe& recipe, Settings& s) : TextStage(spec, recipe, s) {
    o_.email = s.Bool("email", true);
    o_.phone = s.Bool("phone", true);
    o_.rrn = s.Bool("resident_number", true);
    o_.card = s.Bool("card", true);
    o_.ip = s.Bool("ip", true);
    o_.url_credentials = s.Bool("url_credentials", true);
    o_.business_number = s.Bool("business_number", true);
    annotate_ = s.Bool("annotate", true);
  }
  Verdict Process(Record& r) override {
    std::vector<PiiMatch> found;
    std::string out = RedactPii(TextOf(r, field_), o_, &found);
    if (!found.empty()) {
      if (annotate_) {
        std::map<std::string, int> counts;
        for (const PiiMatch& m : found) ++counts[std::string(m.kind)];
        Json c = Json::object();
        for (const auto& [k, v] : counts) c[k] = v;
        r.data["pii"] = c;
      }
      SetText(r, field_, std::move(out));
    }
    return Verdict::Keep();
  }

 private:
  PiiOptions o_;
  bool annotate_;
};

// Evaluation sets' n-grams, built once per process and shared by every unit that runs the stage.
std::shared_ptr<const NgramIndex> EvalIndex(const std::vector<std::string>& files,
                                            const std::string& field, int n) {
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const NgramIndex>> cache;
  std::string key = field + "\n" + std::to_string(n);
  for (const std::string& f : files) key += "\n" + f;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  auto index = std::make_shared<NgramIndex>(n);
  for (const std::string& f : files) {
    LineReader reader(f);
    for (std::string_view line; reader.Next(line);) {
      if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
      Json j;
      try {
        j = Json::parse(line);
      } catch (const Json::exception&) {
        throw Error(ErrorCode::kBadFile,
                    f + ":" + std::to_string(reader.line_number()) + ": not valid JSON");
      }
      if (j.is_string()) {
        index->Add(j.get<std::string>());
      } else if (j.is_object() && j.contains(field) && j[field].is_string()) {
        index->Add(j[field].get<std::string>());
      } else {
        throw Error(ErrorCode::kBadFile, f + ":" + std::to_string(reader.line_number()) +
                                             ": no string field '" + field + "'");
      }
    }
  }
  cache.emplace(key, index);
  return index;
}

class DecontaminateStage : public TextStage {
 public:
  DecontaminateStage(const StageSpec& spec, const Recipe& recipe, Settings& s)
      : TextStage(spec, recipe, s) {
    const std::vector<std::string> patterns = s.Strings("eval");
    if (patterns.empty()) RecipeError(s.At("eval"), "needs the evaluation files (JSONL)");
    for (const std::string& p : patterns) {
      for (std::string& f : ExpandGlob(recipe.Resolve(p))) files_.push_back(std::move(f));
    }
    eval_field_ = s.String("eval_field", "text");
    n_ = static_cast<int>(s.Int("ngram", 13, 1, 1000));
  }
  Verdict Process(Record& r) override {
    if (!index_) index_ = EvalIndex(files_, eval_field_, n_);
    size_t at = 0;
    if (index_->Contaminated(TextOf(r, field_), &at)) {
      return Verdict::Drop("contaminated", {{"first_match_word", at}});
    }
    return Verdict::Keep();
  }

 private:
  std::vector<std::string> files_;
  std::string eval_field_;
  int n_;
  std::shared_ptr<const NgramIndex> index_;
};

class ExactDedupStage : public TextStage {
 public:
  ExactDedupStage(const StageSpec& spec, const Recipe& recipe, Settings& s)
      : TextStage(spec, recipe, s) {}
  bool global() const override { return true; }
  Verdict Process(Record&) override { return Verdict::Keep(); }
  size_t key_size() const override { return 16; }
  void Key(const Record& r, uint8_t* out) override {
    const Key128 k = ExactKey(TextOf(r, field_));
    std::memcpy(out, &k.hi, 8);
    std::memcpy(out + 8, &k.lo, 8);
  }
  std::vector<std::string> Resolve(const std::vector<const uint8_t*>& keys,
                                   std::vector<int64_t>& duplicate_of) override {
    std::vector<uint32_t> order(keys.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<uint32_t>(i);
    auto cmp = [&](uint32_t a, uint32_t b) {
      const int c = std::memcmp(keys[a], keys[b], 16);
      return c < 0 || (c == 0 && a < b);
    };
    std::sort(order.begin(), order.end(), cmp);
    std::vector<std::string> verdict(keys.size());
    duplicate_of.assign(keys.size(), -1);
    size_t first = 0;  // the group of equal keys starts here in `order`
    for (size_t i = 1; i < order.size(); ++i) {
      if (std::memcmp(keys[order[i - 1]], keys[order[i]], 16) != 0) {
        first = i;
        continue;
      }
      verdict[order[i]] = "exact_duplicate";
      duplicate_of[order[i]] = order[first];
    }
    return verdict;
  }
};

class MinHashStage : public TextStage {
 public:
  MinHashStage(const StageSpec& spec, const Recipe& recipe, Settings& s)
      : TextStage(spec, recipe, s), hasher_(Config(s)) {
    cluster_.verify_threshold = s.Number("verify_threshold", cluster_.verify_threshold, 0, 1);
  }
  bool global() const override { return true; }
  Verdict Process(Record&) override { return Verdict::Keep(); }
  size_t key_size() const override { return hasher_.num_hashes() * 8; }
  void Key(const Record& r, uint8_t* out) override {
    CanonicalizeForDedup(TextOf(r, field_), &canonical_);
    sig_.resize(hasher_.num_hashes());
    hasher_.Signature(canonical_, sig_.data());
    std::memcpy(out, sig_.data(), key_size());
  }
  std::vector<std::string> Resolve(const std::vector<const uint8_t*>& keys,
                                   std::vector<int64_t>& duplicate_of) override {
    const size_t h = hasher_.num_hashes();
    std::vector<uint64_t> sigs(keys.size() * h);
    for (size_t i = 0; i < keys.size(); ++i) std::memcpy(&sigs[i * h], keys[i], h * 8);
    const std::vector<uint32_t> rep =
        NearDuplicateClusters(sigs.data(), keys.size(), hasher_, cluster_);
    std::vector<std::string> verdict(keys.size());
    duplicate_of.assign(keys.size(), -1);
    for (size_t i = 0; i < rep.size(); ++i) {
      if (rep[i] != i) {
        verdict[i] = "near_duplicate";
        duplicate_of[i] = rep[i];
      }
    }
    return verdict;
  }

 private:
  static MinHashConfig Config(Settings& s) {
    MinHashConfig c;
    c.ngram = static_cast<int>(s.Int("ngram", c.ngram, 1, 1000));
    c.bands = static_cast<int>(s.Int("bands", c.bands, 1, 1000));
    c.rows = static_cast<int>(s.Int("rows", c.rows, 1, 1000));
    c.seed = static_cast<uint64_t>(s.Int("seed", static_cast<int64_t>(c.seed), 0, INT64_MAX));
    c.char_ngrams = s.Bool("char_ngrams", false);
    return c;
  }
  MinHasher hasher_;
  ClusterOptions cluster_;
  std::string canonical_;
  std::vector<uint64_t> sig_;
};

using Factory = std::unique_ptr<Stage> (*)(const StageSpec&, const Recipe&, Settings&);
template <typename T>
std::unique_ptr<Stage> Make(const StageSpec& spec, const Recipe& recipe, Settings& s) {
  return std::make_unique<T>(spec, recipe, s);
}

struct TypeInfo {
  const char* name;
  Factory make;
  const char* about;
};
const TypeInfo kTypes[] = {
    {"normalize", Make<NormalizeStage>,
     "Unicode NFC, control characters removed, whitespace and line breaks tidied"},
    {"language", Make<LanguageStage>,
     "identifies the language (ko, en, es, ja, zh, fr, de) and keeps the listed ones"},
    {"length", Make<LengthStage>, "keeps texts of min_chars .. max_chars code points"},
    {"gopher", Make<GopherStage>, "Gopher quality and repetition filters"},
    {"c4", Make<C4Stage>, "C4's line and document rules"},
    {"fineweb", Make<FineWebStage>, "FineWeb's line punctuation, short line and list rules"},
    {"pii", Make<PiiStage>,
     "replaces emails, phone numbers, resident and business numbers, cards, IPs and "
     "credentials in URLs with EXAONE's PI:* tokens"},
    {"decontaminate", Make<DecontaminateStage>,
     "drops texts sharing an n-gram (13 words by default) with evaluation sets"},
    {"exact_dedup", Make<ExactDedupStage>, "drops later copies of an identical text"},
    {"minhash_dedup", Make<MinHashStage>,
     "MinHash-LSH near-duplicate removal: the first record of each cluster stays"},
    {"generate", MakeGenerateStage,
     "a prompt over the record's fields answered by a model (samples, reasoning, JSON Schema)"},
    {"self_instruct", MakeSelfInstructStage, "new tasks written from seed tasks, one record each"},
    {"judge", MakeJudgeStage, "LLM-as-judge scores with a verdict that follows a JSON Schema"},
    {"verify", MakeVerifyStage,
     "checks answers: exact, numeric or \\boxed{} match, JSON Schema validity, regex"},
    {"select_best", MakeSelectBestStage,
     "rejection sampling: the best passing sample of each record"},
    {"explode", MakeExplodeStage, "one record per element of a list field"},
};

}  // namespace

std::unique_ptr<Stage> MakeStage(const StageSpec& spec, const Recipe& recipe) {
  for (const TypeInfo& t : kTypes) {
    if (spec.type != t.name) continue;
    try {
      Settings s(spec.settings, spec.path);
      s.String("type");
      s.String("name");
      auto stage = t.make(spec, recipe, s);
      s.Finish();
      return stage;
    } catch (const Error& e) {
      throw Error(ErrorCode::kInvalidArgument, e.what());
    }
  }
  std::string known;
  for (const TypeInfo& t : kTypes) known += std::string(known.empty() ? "" : ", ") + t.name;
  RecipeError(spec.path + ".type",
              "unknown stage type '" + spec.type + "' (there are: " + known + ")");
}

std::vector<std::pair<std::string, std::string>> StageTypes() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const TypeInfo& t : kTypes) out.emplace_back(t.name, t.about);
  return out;
}

}  // namespace exaone::foundry
