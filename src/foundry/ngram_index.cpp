#include "foundry/ngram_index.h"

#include <utility>

#include "base/error.h"

namespace exaone::foundry {
namespace {

constexpr size_t kInitialSlots = 1024;  // a power of two
constexpr size_t kChunk = 1024;         // hashes per ShingleCursor call
constexpr size_t kPrefetchAhead = 16;

// Hasher64 output is uniform in all bits, so the low bits pick the slot directly.
inline uint64_t Stored(uint64_t h) {
  return h == 0 ? 1 : h;
}

}  // namespace

NgramIndex::NgramIndex(int n, uint64_t seed) : n_(n), hasher_(seed) {
  if (n < 1 || n > 1024) {
    throw Error(ErrorCode::kInvalidArgument,
                "n-gram index n must be in [1, 1024], got " + std::to_string(n));
  }
  slots_.assign(kInitialSlots, 0);
}

bool NgramIndex::Contains(uint64_t h) const {
  h = Stored(h);
  const size_t mask = slots_.size() - 1;
  for (size_t i = static_cast<size_t>(h) & mask;; i = (i + 1) & mask) {
    const uint64_t s = slots_[i];
    if (s == h) return true;
    if (s == 0) return false;  // the load factor stays <= 1/2, so an empty slot always exists
  }
}

void NgramIndex::Insert(uint64_t h) {
  h = Stored(h);
  if ((count_ + 1) * 2 > slots_.size()) Grow();
  const size_t mask = slots_.size() - 1;
  for (size_t i = static_cast<size_t>(h) & mask;; i = (i + 1) & mask) {
    if (slots_[i] == h) return;
    if (slots_[i] == 0) {
      slots_[i] = h;
      ++count_;
      return;
    }
  }
}

void NgramIndex::Grow() {
  std::vector<uint64_t> old(slots_.size() * 2, 0);
  old.swap(slots_);
  const size_t mask = slots_.size() - 1;
  for (const uint64_t h : old) {
    if (h == 0) continue;
    size_t i = static_cast<size_t>(h) & mask;
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = h;
  }
}

template <typename Fn>
void NgramIndex::ForEachWindow(std::string_view canonical, Fn&& fn) const {
  uint64_t chunk[kChunk];
  ShingleCursor cursor(canonical, n_, /*char_ngrams=*/false);
  size_t index = 0;
  for (size_t got; (got = cursor.Next(hasher_, chunk, kChunk)) > 0;) {
    // The table is far larger than the caches for real benchmark sets: fetch the slots a few
    // windows ahead so the probes overlap instead of waiting on memory one by one.
    const size_t mask = slots_.size() - 1;
    for (size_t i = 0; i < got; ++i, ++index) {
      if (i + kPrefetchAhead < got) {
        __builtin_prefetch(&slots_[Stored(chunk[i + kPrefetchAhead]) & mask]);
      }
      if (!fn(index, chunk[i])) return;
    }
  }
}

void NgramIndex::Add(std::string_view eval_text) {
  const std::string canonical = CanonicalizeForDedup(eval_text);
  ForEachWindow(canonical, [&](size_t, uint64_t h) {
    Insert(h);
    return true;
  });
}

bool NgramIndex::Contaminated(std::string_view text, size_t* first_match_word) const {
  if (count_ == 0) return false;
  const std::string canonical = CanonicalizeForDedup(text);
  bool found = false;
  ForEachWindow(canonical, [&](size_t index, uint64_t h) {
    if (!Contains(h)) return true;
    found = true;
    if (first_match_word != nullptr) *first_match_word = index;
    return false;
  });
  return found;
}

size_t NgramIndex::CountMatches(std::string_view text) const {
  if (count_ == 0) return 0;
  const std::string canonical = CanonicalizeForDedup(text);
  size_t matches = 0;
  ForEachWindow(canonical, [&](size_t, uint64_t h) {
    matches += Contains(h);
    return true;
  });
  return matches;
}

}  // namespace exaone::foundry
