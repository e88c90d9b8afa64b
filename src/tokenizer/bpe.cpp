#include "tokenizer/bpe.h"

#include <queue>

#include "base/error.h"

namespace exaone::tokenizer {
namespace {

constexpr size_t kCacheLimit = 1 << 18;  // words
constexpr size_t kCacheWordBytes = 256;  // longer words are not cached

uint64_t Key(int32_t a, int32_t b) {
  return static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32 | static_cast<uint32_t>(b);
}

size_t CharLen(uint8_t c) {
  return c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
}

}  // namespace

Bpe::Bpe(std::vector<std::string> vocab,
         const std::vector<std::pair<std::string, std::string>>& merges, bool ignore_merges)
    : vocab_(std::move(vocab)), ignore_merges_(ignore_merges) {
  ids_.reserve(vocab_.size());
  for (size_t i = 0; i < vocab_.size(); ++i) {
    if (!vocab_[i].empty()) ids_.emplace(vocab_[i], static_cast<int32_t>(i));
  }
  merges_.reserve(merges.size());
  for (size_t r = 0; r < merges.size(); ++r) {
    const auto& [a, b] = merges[r];
    const int32_t ia = TokenId(a), ib = TokenId(b), im = TokenId(a + b);
    if (ia < 0 || ib < 0 || im < 0) {
      throw Error(ErrorCode::kBadConfig, "merge " + std::to_string(r) + " (\"" + a + " " + b +
                                             "\"): " +
                                             (ia < 0   ? a
                                              : ib < 0 ? b
                                                       : a + b) +
                                             " is not in the vocabulary");
    }
    merges_.emplace(Key(ia, ib), Merge{static_cast<int32_t>(r), im});  // first rank wins
  }
}

int32_t Bpe::TokenId(std::string_view token) const {
  auto it = ids_.find(token);
  return it == ids_.end() ? -1 : it->second;
}

void Bpe::Encode(std::string_view word, std::vector<int32_t>& ids) const {
  if (word.size() <= kCacheWordBytes) {
    std::lock_guard<std::mutex> lock(cache_mu_);
    auto it = cache_.find(std::string(word));
    if (it != cache_.end()) {
      ids.insert(ids.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  const size_t before = ids.size();
  EncodeUncached(word, ids);
  if (word.size() <= kCacheWordBytes) {
    std::lock_guard<std::mutex> lock(cache_mu_);
    if (cache_.size() >= kCacheLimit) cache_.clear();
    cache_.emplace(std::string(word), std::vector<int32_t>(ids.begin() + before, ids.end()));
  }
}

// ref: tokenizers models/bpe/word.rs merge_all: a priority queue of (rank, position), lowest
// rank first and leftmost on ties; stale entries are skipped.
void Bpe::EncodeUncached(std::string_view word, std::vector<int32_t>& ids) const {
  if (ignore_merges_) {
    const int32_t whole = TokenId(word);
    if (whole >= 0) {
      ids.push_back(whole);
      return;
    }
  }
  struct Symbol {
    int32_t id;
    int prev, next;
    bool alive;
  };
  std::vector<Symbol> syms;
  for (size_t i = 0; i < word.size();) {
    const size_t len = std::min(CharLen(static_cast<uint8_t>(word[i])), word.size() - i);
    const int32_t id = TokenId(word.substr(i, len));
    i += len;
    if (id < 0) continue;  // no unk token: tokenizers drops the symbol
    const int index = static_cast<int>(syms.size());
    syms.push_back({id, index - 1, index + 1, true});
  }
  if (syms.empty()) return;
  syms.back().next = -1;
  struct Candidate {
    int32_t rank;
    int pos;
    int32_t left, right;  // ids when queued, to detect stale entries
    bool operator>(const Candidate& o) const {
      return rank != o.rank ? rank > o.rank : pos > o.pos;
    }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> queue;
  auto push = [&](int pos) {
    const int nxt = syms[pos].next;
    if (nxt < 0) return;
    auto it = merges_.find(Key(syms[pos].id, syms[nxt].id));
    if (it != merges_.end()) queue.push({it->second.rank, pos, syms[pos].id, syms[nxt].id});
  };
  for (int i = 0; i + 1 < static_cast<int>(syms.size()); ++i) push(i);
  while (!queue.empty()) {
    const Candidate c = queue.top();
    queue.pop();
    Symbol& left = syms[c.pos];
    if (!left.alive || left.id != c.left || left.next < 0) continue;
    Symbol& right = syms[left.next];
    if (right.id != c.right) continue;
    left.id = merges_.at(Key(c.left, c.right)).id;
    right.alive = false;
    left.next = right.next;
    if (right.next >= 0) syms[right.next].prev = c.pos;
    if (left.prev >= 0) push(left.prev);
    push(c.pos);
  }
  for (int i = 0; i >= 0; i = syms[i].next) ids.push_back(syms[i].id);
}

}  // namespace exaone::tokenizer
