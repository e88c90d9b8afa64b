// Constrained decoding in generation: before each token is sampled, every token that would take
// the output out of a grammar (JSON, a JSON Schema) gets probability zero; the stop ids are
// allowed only once the output is a whole sentence of the grammar.
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "constrain/grammar.h"
#include "constrain/matcher.h"
#include "tokenizer/tokenizer.h"

namespace exaone::runtime {

// A tokenizer's vocabulary as the constraint engine reads it: each token's bytes, special
// tokens none (a grammar never produces them). Built once per tokenizer (about 0.2 s for
// 102,400 tokens) and shared by every constraint.
struct ConstraintVocab {
  explicit ConstraintVocab(const tokenizer::Tokenizer& tok);
  std::vector<std::string> bytes;
  constrain::VocabTrie trie;
};

class TokenConstraint {
 public:
  TokenConstraint(std::shared_ptr<const constrain::Grammar> grammar,
                  std::shared_ptr<const ConstraintVocab> vocab, std::vector<int32_t> stop_ids);

  // Sets the logits of the tokens that cannot come next to -infinity.
  void Mask(std::vector<float>& logits);
  // Moves past a sampled token (one Mask allowed). Throws Error for one it did not allow.
  void Accept(int32_t id);
  // The output so far is a whole sentence of the grammar.
  bool Complete() const;

 private:
  const std::vector<uint64_t>& Allowed();

  constrain::GrammarMatcher m_;
  constrain::GrammarMatcher::StateId state_;
  std::shared_ptr<const ConstraintVocab> vocab_;
  std::vector<int32_t> stops_;
  // Masks of states seen before (inside a string the state repeats at every character).
  std::unordered_map<constrain::GrammarMatcher::StateId, std::vector<uint64_t>> cache_;
};

}  // namespace exaone::runtime
