// Pre-tokenization: splitting normalised text into the pieces BPE runs on, as Hugging Face
// tokenizers does (Split with a regex or string, ByteLevel's GPT-2 regex, Digits).
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace exaone::tokenizer {

// ref: tokenizers SplitDelimiterBehavior.
enum class SplitBehavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

// The GPT-2 pattern ByteLevel uses (ref: tokenizers pre_tokenizers/byte_level.rs).
extern const char* const kGpt2Pattern;
// Llama 3's pattern (ref: llama.cpp llama-vocab.cpp LLAMA_VOCAB_PRE_TYPE_LLAMA3).
extern const char* const kLlama3Pattern;

class Regex;  // PCRE2, compiled with UTF and Unicode properties, JIT when available

class SplitStep {
 public:
  // A regex pattern (`is_regex`) or a literal string delimiter.
  SplitStep(const std::string& pattern, bool is_regex, SplitBehavior behavior, bool invert);
  ~SplitStep();
  SplitStep(SplitStep&&) noexcept;
  // Splits `text` and appends the pieces to `out`.
  void Apply(std::string_view text, std::vector<std::string_view>& out) const;

 private:
  std::unique_ptr<Regex> regex_;
  std::string literal_;
  SplitBehavior behavior_;
  bool invert_;
};

// A sequence of steps applied piece by piece, in order. Digits is a Split on \p{N}.
struct PreTokenizer {
  struct Step {
    std::unique_ptr<SplitStep> split;  // null: no split (ByteLevel without its regex)
    bool prefix_space = false;         // ByteLevel add_prefix_space: " " before each piece
  };
  std::vector<Step> steps;
  bool byte_level = false;  // pieces are mapped to byte-level characters before BPE

  // Splits `text` into pieces (views into `text` or into `storage`).
  void Apply(std::string_view text, std::vector<std::string_view>& pieces,
             std::deque<std::string>& storage) const;
};

}  // namespace exaone::tokenizer
