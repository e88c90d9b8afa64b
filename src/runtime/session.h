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
#include "runtime/constraint.h"
#include "runtime/sampler.h"
#include "runtime/stop.h"
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
  // >= 0: record each generated token's log-probability under the model (log-softmax of the
  // logits, before penalties and temperature) and this many most likely alternatives.
  int logprobs = -1;
  // Constrained decoding: every generated token keeps the output inside `grammar` (the stop
  // ids come only once it is complete). Both or neither.
  std::shared_ptr<const constrain::Grammar> grammar;
  std::shared_ptr<const ConstraintVocab> constraint_vocab;
};

struct TokenLogprob {
  int32_t id = -1;
  float logprob = 0;
  std::vector<std::pair<int32_t, float>> top;  // most likely first
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
  double first_token_seconds = 0;      // from the call to the first generated token
  double generate_seconds = 0;         // after the first token
  double constraint_seconds = 0;       // of all, in the constraint's masks and steps
  std::vector<TokenLogprob> logprobs;  // with options.logprobs >= 0: one per token, stop ids out
};

// Receives each piece of text as it becomes safe to show and the id that produced it; returns
// false to stop generation.
using TextCallback = std::function<bool(const std::string& text, int32_t token)>;

// One sequence's generation after its prompt: sampling, stop ids, stop strings and streamed
// text, fed one row of logits at a time (so that a batch of sequences can share forward passes).
class Generation {
 public:
  // `tok` may be null (no text; stop strings then need a tokenizer and are refused).
  Generation(const GenerationOptions& options, const tokenizer::Tokenizer* tok);

  struct Step {
    int32_t id = -1;
    std::string text;      // text now safe to show (stop strings and partial characters held back)
    bool done = false;     // generation ended with this token (finish() says why)
    bool stop_id = false;  // the token is one of the stop ids (not part of the text)
    TokenLogprob logprob;  // with options.logprobs >= 0
  };
  // Samples the next token from `logits` (penalties and bias are applied in place); `context`
  // is every id the model has seen (prompt and output so far).
  Step Next(std::vector<float>& logits, const std::vector<int32_t>& context);
  // Ends generation early (length, context full or cancelled); returns the held-back text.
  std::string Stop();

  bool done() const { return done_; }
  FinishReason finish() const { return finish_; }
  const std::vector<int32_t>& tokens() const { return tokens_; }
  const std::string& text() const { return text_; }
  const std::vector<TokenLogprob>& logprobs() const { return logprobs_; }
  // Time spent masking and advancing the constraint (zero without one).
  double constraint_seconds() const { return constraint_seconds_; }

 private:
  GenerationOptions options_;
  Sampler sampler_;
  StopMatcher stops_;
  std::unique_ptr<tokenizer::StreamDecoder> decoder_;
  std::unique_ptr<TokenConstraint> constraint_;
  std::vector<int32_t> tokens_;
  std::vector<TokenLogprob> logprobs_;
  std::string text_;
  bool done_ = false;
  FinishReason finish_ = FinishReason::kLength;
  double constraint_seconds_ = 0;
};

// Tokens per forward pass when a prompt is run on its own (bounds activation memory).
constexpr int kPrefillChunk = 256;

// Cuts `cache` (holding `history`) back to the longest prefix it shares with `prompt` that it
// can go back to, leaving at least the prompt's last token to run; clears it when it cannot.
// Returns how many prompt tokens it still holds (history is cut to match).
int ReusePrefix(model::KvCache& cache, std::vector<int32_t>& history,
                const std::vector<int32_t>& prompt);

// Brings `cache` (holding `history`) to hold `prompt`, reusing their longest common prefix
// where the cache can go back to it, and writes the logits after the prompt's last token
// (always run again). Returns how many prompt tokens were reused.
int PrefillSequence(const model::Model& model, model::KvCache& cache, std::vector<int32_t>& history,
                    const std::vector<int32_t>& prompt, std::vector<float>& logits,
                    ThreadPool& pool);

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
  const model::Model& model_;
  const tokenizer::Tokenizer* tok_;
  ThreadPool& pool_;
  std::unique_ptr<model::KvCache> cache_;
  std::vector<int32_t> history_;  // ids whose keys and values are in the cache
};

}  // namespace exaone::runtime
