#include "runtime/session.h"

#include <algorithm>
#include <chrono>

#include "base/error.h"
#include "runtime/stop.h"

namespace exaone::runtime {
namespace {

constexpr int kPrefillChunk = 256;  // bounds activation memory for long prompts

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

int Session::Prefill(const std::vector<int32_t>& prompt, std::vector<float>& logits) {
  size_t common = 0;
  while (common < prompt.size() && common < history_.size() && prompt[common] == history_[common]) {
    ++common;
  }
  // At least the last prompt token is run again: its logits are what we sample from.
  if (common == prompt.size()) --common;
  if (common < history_.size()) {
    if (cache_->CanTruncate(static_cast<int>(common))) {
      cache_->Truncate(static_cast<int>(common));
    } else {
      cache_->Clear();
      common = 0;
    }
    history_.resize(common);
  }
  for (size_t i = common; i < prompt.size(); i += kPrefillChunk) {
    const int n = static_cast<int>(std::min<size_t>(kPrefillChunk, prompt.size() - i));
    model_.Forward(*cache_, prompt.data() + i, n, logits.data(), pool_, /*last_only=*/true);
    history_.insert(history_.end(), prompt.begin() + i, prompt.begin() + i + n);
  }
  return static_cast<int>(common);
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
  if (!options.stop.empty() && !tok_) {
    throw Error(ErrorCode::kInvalidArgument, "stop strings need the model's tokenizer");
  }
  GenerationResult r;
  r.prompt_tokens = static_cast<int>(prompt.size());
  const auto start = std::chrono::steady_clock::now();
  std::vector<float> logits(model_.summary().vocab_size);
  r.reused_tokens = Prefill(prompt, logits);
  r.prefill_seconds = Seconds(start);

  Sampler sampler(options.sampling);
  StopMatcher stops(options.stop);
  std::unique_ptr<tokenizer::StreamDecoder> decoder;
  if (tok_) decoder = std::make_unique<tokenizer::StreamDecoder>(*tok_, /*skip_special=*/false);
  auto first_token_at = start;
  bool keep_going = true;
  while (keep_going) {
    if (static_cast<int>(r.tokens.size()) >= options.max_tokens) break;
    const int32_t id = sampler.Sample(logits, history_, r.tokens);
    r.tokens.push_back(id);
    if (r.tokens.size() == 1) {
      r.first_token_seconds = Seconds(start);
      first_token_at = std::chrono::steady_clock::now();
    }
    if (std::find(options.stop_ids.begin(), options.stop_ids.end(), id) != options.stop_ids.end()) {
      r.finish = FinishReason::kStop;
      break;
    }
    if (decoder) {
      const std::string shown = stops.Push(decoder->Push(id));
      r.text += shown;
      if (on_text && !shown.empty()) keep_going = on_text(shown, id);
      if (stops.stopped()) {
        r.finish = FinishReason::kStop;
        break;
      }
    } else if (on_text) {
      keep_going = on_text("", id);
    }
    if (static_cast<int>(r.tokens.size()) >= options.max_tokens) break;
    if (cache_->n_past() >= n_ctx) break;  // context full: finish with "length"
    model_.Forward(*cache_, &id, 1, logits.data(), pool_, /*last_only=*/true);
    history_.push_back(id);
  }
  if (decoder && r.finish != FinishReason::kStop) {
    const std::string tail = stops.Push(decoder->Finish()) + stops.Flush();
    r.text += tail;
    if (on_text && !tail.empty()) on_text(tail, -1);
  }
  if (!r.tokens.empty()) r.generate_seconds = Seconds(first_token_at);
  return r;
}

}  // namespace exaone::runtime
