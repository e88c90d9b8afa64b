#include "runtime/constraint.h"

#include <algorithm>
#include <limits>

#include "base/error.h"

namespace exaone::runtime {
namespace {

std::vector<std::string> TokenBytes(const tokenizer::Tokenizer& tok) {
  std::vector<std::string> out(tok.vocab_size());
  for (size_t i = 0; i < out.size(); ++i) {
    const auto id = static_cast<int32_t>(i);
    if (!tok.IsSpecial(id)) out[i] = tok.TokenBytes(id);
  }
  return out;
}

constexpr size_t kMaxCachedMasks = 256;

}  // namespace

ConstraintVocab::ConstraintVocab(const tokenizer::Tokenizer& tok)
    : bytes(TokenBytes(tok)), trie(bytes) {}

TokenConstraint::TokenConstraint(std::shared_ptr<const constrain::Grammar> grammar,
                                 std::shared_ptr<const ConstraintVocab> vocab,
                                 std::vector<int32_t> stop_ids)
    : m_(std::move(grammar)), vocab_(std::move(vocab)), stops_(std::move(stop_ids)) {
  EXA_CHECK(vocab_ != nullptr);
  if (stops_.empty()) {
    throw Error(ErrorCode::kInvalidArgument,
                "constrained output needs the model's end-of-sequence token to finish");
  }
  state_ = m_.InternState(m_.Initial());
}

const std::vector<uint64_t>& TokenConstraint::Allowed() {
  auto it = cache_.find(state_);
  if (it != cache_.end()) return it->second;
  if (cache_.size() >= kMaxCachedMasks) cache_.clear();
  std::vector<uint64_t> mask;
  constrain::AllowedTokens(m_, state_, vocab_->trie, mask);
  return cache_.emplace(state_, std::move(mask)).first->second;
}

bool TokenConstraint::Complete() const {
  return state_ != constrain::GrammarMatcher::kDead &&
         constrain::GrammarMatcher::Accepting(m_.state(state_));
}

void TokenConstraint::Mask(std::vector<float>& logits) {
  // The stop ids keep the model's logits once the output is complete.
  std::vector<float> stop_logits;
  for (int32_t s : stops_) {
    stop_logits.push_back(s >= 0 && static_cast<size_t>(s) < logits.size() ? logits[s] : 0.0f);
  }
  const std::vector<uint64_t>& allowed = Allowed();
  const size_t n = std::min(logits.size(), vocab_->bytes.size());
  const float off = -std::numeric_limits<float>::infinity();
  for (size_t t = 0; t < n; ++t) {
    if (!((allowed[t >> 6] >> (t & 63)) & 1)) logits[t] = off;
  }
  for (size_t t = n; t < logits.size(); ++t) logits[t] = off;
  if (Complete()) {
    for (size_t i = 0; i < stops_.size(); ++i) {
      const int32_t s = stops_[i];
      if (s >= 0 && static_cast<size_t>(s) < logits.size()) logits[s] = stop_logits[i];
    }
  }
}

void TokenConstraint::Accept(int32_t id) {
  if (std::find(stops_.begin(), stops_.end(), id) != stops_.end()) {
    if (!Complete()) throw Error(ErrorCode::kInvalidArgument, "constraint: stop before the end");
    return;
  }
  if (id < 0 || static_cast<size_t>(id) >= vocab_->bytes.size() || vocab_->bytes[id].empty()) {
    throw Error(ErrorCode::kInvalidArgument,
                "constraint: token " + std::to_string(id) + " cannot be part of the output");
  }
  constrain::GrammarMatcher::StateId s = state_;
  for (char c : vocab_->bytes[id]) s = m_.Next(s, static_cast<uint8_t>(c));
  if (s == constrain::GrammarMatcher::kDead) {
    throw Error(ErrorCode::kInvalidArgument,
                "constraint: token " + std::to_string(id) + " does not fit the grammar here");
  }
  state_ = s;
}

}  // namespace exaone::runtime
