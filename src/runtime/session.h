// One conversation's state on a loaded model: the KV cache, the ids it holds, and generation
// with sampling, stop rules and streamed text. A new prompt that extends (or shares a prefix
// with) what the cache holds only runs the new part.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/thread_pool.h"
#include "model/model.h"
#include "runtime/sampler.h"
#include "tokenizer/tokenizer.h"

namespace exaone::runtime {

struct GenerationOptions {
  SamplingParams sampling;
  int max_tokens = 256;
  std::vector<std::string> stop;  // stop strings (need a tokenizer)
  std::vector<int32_t> stop_ids;  // end-of-sequence / end-of-turn ids
  // A prompt that does not fit the context is an error unless this is set; then its oldest
  // tokens are dropped so that the prompt and max_tokens fit.
  bool truncate_prompt = false;
};

enum class FinishReason { kStop, kLength };
const char* FinishReasonName(FinishReason r);

struct GenerationResult {
  std::vector<int32_t> tokens;  // generated ids (a stop id that ended generation included)
  std::string text;             // their text, stop string and stop id excluded
  FinishReason finish = FinishReason::kLength;
  int prompt_tokens = 0;
  int reused_tokens = 0;  // prompt tokens found in the cache
  double prefill_seconds = 0;
  double first_token_seconds = 0;  // from the call to the first generated token
  double generate_seconds = 0;     // after the first token
};

// Receives each piece of text as it becomes safe to show and the id that produced it; returns
// false to stop generation.
using TextCallback = std::function<bool(const std::string& text, int32_t token)>;

class Session {
 public:
  // `cache_type`: the KV cache's element type (the model's default when not given).
  Session(const model::Model& model, const tokenizer::Tokenizer* tok, int n_ctx, ThreadPool& pool,
          std::optional<DType> cache_type = std::nullopt);

  GenerationResult Generate(std::vector<int32_t> prompt, const GenerationOptions& options,
                            const TextCallback& on_text = nullptr);
  void Reset();
  const std::vector<int32_t>& history() const { return history_; }
  int n_ctx() const { return cache_->n_ctx(); }

 private:
  // Brings the cache to hold `prompt`, reusing the longest common prefix, and returns the
  // logits after its last token. Returns how many tokens were reused.
  int Prefill(const std::vector<int32_t>& prompt, std::vector<float>& logits);

  const model::Model& model_;
  const tokenizer::Tokenizer* tok_;
  ThreadPool& pool_;
  std::unique_ptr<model::KvCache> cache_;
  std::vector<int32_t> history_;  // ids whose keys and values are in the cache
};

}  // namespace exaone::runtime
