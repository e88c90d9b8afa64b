#include "runtime/session.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "base/error.h"
#include "runtime/stop.h"

namespace exaone::runtime {
namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

const char* FinishReasonName(FinishReason r) {
  return r == FinishReason::kStop ? "stop" : "length";
}

Session::Session(const model::Model& model, const tokenizer::Tokenizer* tok, int n_ctx,
                 ThreadPool& pool, std::optional<DType> cache_type)
    : model_(model), tok_(tok), pool_(pool), cache_(model.NewSequence(n_ctx, cache_type)) {}

void Session::Reset() {
  cache_->Clear();
  history_.clear();
}

int ReusePrefix(model::KvCache& cache, std::vector<int32_t>& history,
                const std::vector<int32_t>& prompt) {
  EXA_CHECK(!prompt.empty());
  size_t common = 0;
  while (common < prompt.size() && common < history.size() && prompt[common] == history[common]) {
    ++common;
  }
  // At least the last prompt token is run again: its logits are what we sample from.
  if (common == prompt.size()) --common;
  if (common < history.size()) {
    if (cache.CanTruncate(static_cast<int>(common))) {
      cache.Truncate(static_cast<int>(common));
    } else {
      cache.Clear();
      common = 0;
    }
    history.resize(common);
  }
  return static_cast<int>(common);
}

int PrefillSequence(const model::Model& model, model::KvCache& cache, std::vector<int32_t>& history,
                    const std::vector<int32_t>& prompt, std::vector<float>& logits,
                    ThreadPool& pool) {
  const size_t common = static_cast<size_t>(ReusePrefix(cache, history, prompt));
  for (size_t i = common; i < prompt.size(); i += kPrefillChunk) {
    const int n = static_cast<int>(std::min<size_t>(kPrefillChunk, prompt.size() - i));
    model.Forward(cache, prompt.data() + i, n, logits.data(), pool, /*last_only=*/true);
    history.insert(history.end(), prompt.begin() + i, prompt.begin() + i + n);
  }
  return static_cast<int>(common);
}

Generation::Generation(const GenerationOptions& options, const tokenizer::Tokenizer* tok)
    : options_(options), sampler_(options.sampling), stops_(options.stop) {
  if (!options.stop.empty() && !tok) {
    throw Error(ErrorCode::kInvalidArgument, "stop strings need the model's tokenizer");
  }
  if (tok) decoder_ = std::make_unique<tokenizer::StreamDecoder>(*tok, /*skip_special=*/false);
  if ((options.grammar == nullptr) != (options.constraint_vocab == nullptr)) {
    throw Error(ErrorCode::kInvalidArgument, "a constraint needs both a grammar and a vocabulary");
  }
  if (options.grammar) {
    constraint_ = std::make_unique<TokenConstraint>(options.grammar, options.constraint_vocab,
                                                    options.stop_ids);
  }
  if (options_.max_tokens <= 0) done_ = true;
}

Generation::Step Generation::Next(std::vector<float>& logits, const std::vector<int32_t>& context) {
  EXA_CHECK(!done_);
  Step step;
  // The model's distribution, before the sampler changes the logits.
  double lse = 0;
  std::vector<float> raw;
  if (options_.logprobs >= 0) {
    raw = logits;
    const float mx = *std::max_element(raw.begin(), raw.end());
    double sum = 0;
    for (float v : raw) sum += std::exp(static_cast<double>(v - mx));
    lse = static_cast<double>(mx) + std::log(sum);
  }
  if (constraint_) {
    const auto t0 = std::chrono::steady_clock::now();
    constraint_->Mask(logits);
    constraint_seconds_ += Seconds(t0);
  }
  step.id = sampler_.Sample(logits, context, tokens_);
  if (constraint_) {
    const auto t0 = std::chrono::steady_clock::now();
    constraint_->Accept(step.id);
    constraint_seconds_ += Seconds(t0);
  }
  tokens_.push_back(step.id);
  const auto& ids = options_.stop_ids;
  const bool is_stop = std::find(ids.begin(), ids.end(), step.id) != ids.end();
  if (options_.logprobs >= 0) {
    TokenLogprob& lp = step.logprob;
    lp.id = step.id;
    lp.logprob = static_cast<float>(static_cast<double>(raw[step.id]) - lse);
    const size_t k = std::min<size_t>(static_cast<size_t>(options_.logprobs), raw.size());
    std::vector<int32_t> order(raw.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int32_t>(i);
    std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int32_t a, int32_t b) {
      return raw[a] > raw[b] || (raw[a] == raw[b] && a < b);
    });
    for (size_t i = 0; i < k; ++i) {
      lp.top.emplace_back(order[i], static_cast<float>(static_cast<double>(raw[order[i]]) - lse));
    }
    if (!is_stop) logprobs_.push_back(lp);
  }
  if (is_stop) {
    finish_ = FinishReason::kStop;
    done_ = true;
    step.done = true;
    step.stop_id = true;
    return step;
  }
  if (decoder_) {
    step.text = stops_.Push(decoder_->Push(step.id));
    text_ += step.text;
    if (stops_.stopped()) {
      finish_ = FinishReason::kStop;
      done_ = true;
      step.done = true;
      return step;
    }
  }
  if (static_cast<int>(tokens_.size()) >= options_.max_tokens) {
    step.text += Stop();
    step.done = true;
  }
  return step;
}

std::string Generation::Stop() {
  if (done_ && finish_ == FinishReason::kStop) return "";
  const bool was_done = done_;
  done_ = true;
  finish_ = FinishReason::kLength;
  if (was_done || !decoder_) return "";
  std::string tail = stops_.Push(decoder_->Finish()) + stops_.Flush();
  text_ += tail;
  return tail;
}

GenerationResult Session::Generate(std::vector<int32_t> prompt, const GenerationOptions& options,
                                   const TextCallback& on_text) {
  if (prompt.empty()) throw Error(ErrorCode::kInvalidArgument, "empty prompt");
  if (options.max_tokens < 0) throw Error(ErrorCode::kInvalidArgument, "max_tokens < 0");
  const int n_ctx = cache_->n_ctx();
  if (static_cast<int>(prompt.size()) >= n_ctx) {
    if (!options.truncate_prompt) {
      throw Error(ErrorCode::kInvalidArgument, "the prompt has " + std::to_string(prompt.size()) +
                                                   " tokens, which does not fit the context of " +
                                                   std::to_string(n_ctx) +
                                                   " (raise the context size or allow truncation)");
    }
    const int keep = std::max(1, n_ctx - std::max(1, std::min(options.max_tokens, n_ctx / 2)));
    prompt.erase(prompt.begin(), prompt.end() - keep);
  }
  Generation gen(options, tok_);
  GenerationResult r;
  r.prompt_tokens = static_cast<int>(prompt.size());
  const auto start = std::chrono::steady_clock::now();
  std::vector<float> logits(model_.summary().vocab_size);
  r.reused_tokens = PrefillSequence(model_, *cache_, history_, prompt, logits, pool_);
  r.prefill_seconds = Seconds(start);
  auto first_token_at = start;
  while (!gen.done()) {
    const Generation::Step step = gen.Next(logits, history_);
    if (gen.tokens().size() == 1) {
      r.first_token_seconds = Seconds(start);
      first_token_at = std::chrono::steady_clock::now();
    }
    bool keep_going = true;
    if (on_text && !step.stop_id && (!step.text.empty() || !tok_)) {
      keep_going = on_text(step.text, step.id);
    }
    if (step.done) break;
    if (!keep_going || cache_->n_past() >= n_ctx) {  // stopped, or the context is full
      const std::string tail = gen.Stop();
      if (on_text && !tail.empty()) on_text(tail, -1);
      break;
    }
    model_.Forward(*cache_, &step.id, 1, logits.data(), pool_, /*last_only=*/true);
    history_.push_back(step.id);
  }
  r.tokens = gen.tokens();
  r.text = gen.text();
  r.finish = gen.finish();
  r.logprobs = gen.logprobs();
  r.constraint_seconds = gen.constraint_seconds();
  if (!r.tokens.empty()) r.generate_seconds = Seconds(first_token_at);
  return r;
}

}  // namespace exaone::runtime
