// The sampler chain: penalties and logit bias, then greedy or temperature -> top-k -> top-p ->
// min-p -> a draw from a seeded generator. Semantics follow transformers' logits processors
// (ref: generation/logits_process.py) and OpenAI's presence / frequency penalties.
#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <vector>

namespace exaone::runtime {

struct SamplingParams {
  float temperature = 0.0f;         // 0: greedy (argmax, lowest id on ties)
  int top_k = 0;                    // 0: off
  float top_p = 1.0f;               // 1: off
  float min_p = 0.0f;               // 0: off
  float repetition_penalty = 1.0f;  // HF: over prompt and output; >1 discourages repeats
  float presence_penalty = 0.0f;    // OpenAI: over output tokens, once per distinct token
  float frequency_penalty = 0.0f;   // OpenAI: over output tokens, per occurrence
  std::map<int32_t, float> logit_bias;
  uint64_t seed = 0;
};

// Applies penalties and bias in place. `context` is prompt + output, `output` the output alone.
void ApplyPenalties(const SamplingParams& p, const std::vector<int32_t>& context,
                    const std::vector<int32_t>& output, std::vector<float>& logits);

// After temperature, top-k, top-p and min-p: the candidate ids (ascending) and their
// probabilities (renormalised). Greedy returns the argmax alone. Exposed for tests.
struct Candidates {
  std::vector<int32_t> ids;
  std::vector<double> probs;
};
Candidates Filter(const SamplingParams& p, const std::vector<float>& logits);

class Sampler {
 public:
  explicit Sampler(const SamplingParams& p) : params_(p), rng_(p.seed) {}
  // Picks the next token. `logits` is modified (penalties, bias).
  int32_t Sample(std::vector<float>& logits, const std::vector<int32_t>& context,
                 const std::vector<int32_t>& output);
  const SamplingParams& params() const { return params_; }

 private:
  double Uniform();  // [0, 1) with 53 random bits, the same on every platform
  SamplingParams params_;
  std::mt19937_64 rng_;
};

}  // namespace exaone::runtime
