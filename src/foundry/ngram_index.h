// N-gram overlap index for benchmark decontamination.
//
// Evaluation texts (benchmark questions, answers, passages) are added once; training texts are
// then checked for any word n-gram they share with them, the usual test for test-set leakage
// (GPT-3 and its successors used 13-grams). Both sides are compared in the canonical form of
// CanonicalizeForDedup (case folded, punctuation and symbols as word breaks, single spaces), so
// formatting differences do not hide an overlap.
//
// The index stores 64-bit hashes of the n-grams (Hasher64 over the n-gram's canonical bytes) in
// an open-addressing hash set: 8 bytes per slot at a load factor of at most 1/2, one probe
// sequence per window of the checked text. A chance collision of two different n-grams has
// probability about 2^-64 per pair compared.
//
// Texts shorter than n words: an evaluation text of 1..n-1 words is stored as one "n-gram" of all
// its words, and a training text of 1..n-1 words is checked likewise, so short items match only
// a training text that is the same in canonical form (not every training text that contains a
// short phrase such as a one-word answer).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "foundry/minhash.h"

namespace exaone::foundry {

class NgramIndex {
 public:
  // Throws kInvalidArgument for n outside [1, 1024].
  explicit NgramIndex(int n = 13, uint64_t seed = 1);

  int n() const { return n_; }
  size_t size() const { return count_; }  // distinct n-grams stored
  size_t memory_bytes() const { return slots_.size() * sizeof(uint64_t); }

  // Adds the n-grams of an evaluation text (any bytes; canonicalized here).
  void Add(std::string_view eval_text);

  // Whether `text` shares an n-gram with the evaluation texts. When it does and first_match_word
  // is given, it receives the index of the first word of the first shared n-gram, counted in the
  // canonical form's words (punctuation splits words there, so it can exceed the count of
  // space-separated words in the original). Thread-safe against other const calls.
  bool Contaminated(std::string_view text, size_t* first_match_word = nullptr) const;
  // The number of n-gram windows of `text` (in canonical form) found in the index.
  size_t CountMatches(std::string_view text) const;

 private:
  bool Contains(uint64_t h) const;
  void Insert(uint64_t h);
  void Grow();
  // Calls fn(window_index, hash) for each window of the canonical text until fn returns false.
  template <typename Fn>
  void ForEachWindow(std::string_view canonical, Fn&& fn) const;

  int n_;
  Hasher64 hasher_;
  std::vector<uint64_t> slots_;  // 0 = empty; a hash of 0 is stored as 1
  size_t count_ = 0;
};

}  // namespace exaone::foundry
