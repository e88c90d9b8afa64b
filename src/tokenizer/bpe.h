// The BPE model: vocabulary, merge ranks, and the merge loop, with a cache of encoded words.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace exaone::tokenizer {

class Bpe {
 public:
  // `vocab[id]` is the token text ("" for unassigned ids); merges are (left, right) pairs of
  // token texts in rank order. Throws Error naming a merge whose parts are not in the vocab.
  Bpe(std::vector<std::string> vocab,
      const std::vector<std::pair<std::string, std::string>>& merges, bool ignore_merges);

  // Appends the ids of one pre-token (already in the model's alphabet, e.g. byte-level text).
  // Symbols missing from the vocabulary are dropped, as tokenizers does without an unk token.
  void Encode(std::string_view word, std::vector<int32_t>& ids) const;

  int32_t TokenId(std::string_view token) const;  // -1 when absent
  const std::string& Token(int32_t id) const { return vocab_[id]; }
  size_t size() const { return vocab_.size(); }

 private:
  void EncodeUncached(std::string_view word, std::vector<int32_t>& ids) const;

  std::vector<std::string> vocab_;
  std::unordered_map<std::string_view, int32_t> ids_;
  struct Merge {
    int32_t rank;
    int32_t id;
  };
  std::unordered_map<uint64_t, Merge> merges_;  // key: left id << 32 | right id
  bool ignore_merges_;
  mutable std::mutex cache_mu_;
  mutable std::unordered_map<std::string, std::vector<int32_t>> cache_;
};

}  // namespace exaone::tokenizer
