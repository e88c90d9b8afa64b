// Rotary position embedding. Frequencies are theta^(-2j/dim) divided by a per-frequency factor
// (llama3 scaling, linear scaling, or GGUF's rope_freqs tensor), computed identically whether the
// model came from config.json or from GGUF, so both give the same logits.
#pragma once

#include <string>
#include <vector>

#include "io/json.h"

namespace exaone::model {

struct RopeConfig {
  double theta = 10000.0;
  int dim = 0;                      // rotated dimensions (= head_dim for our architectures)
  std::vector<float> freq_factors;  // dim/2 divisors; empty means all 1
  std::string scaling = "none";     // description for inspect
  // True for llama GGUF files, whose q/k rows the converter permuted so that rotated pairs are
  // adjacent (2j, 2j + 1). Apply() then first gathers each head back into the HF order (pairs
  // j, j + dim/2), so q and k, the cache and every sum after them are exactly as from the HF
  // folder.
  bool interleaved = false;
};

// Reads rope_parameters (transformers >= 5) or rope_theta + rope_scaling (earlier) from a
// config.json root. `default_theta` is used when no theta is given.
RopeConfig RopeFromHfConfig(const io::JsonView& root, int dim, double default_theta);

// llama3 per-frequency divisors, ref: transformers modeling_rope_utils._compute_llama3_parameters.
std::vector<float> Llama3FreqFactors(double theta, int dim, double factor, double low_freq_factor,
                                     double high_freq_factor, double original_max_positions);

class Rope {
 public:
  explicit Rope(const RopeConfig& config);
  // Rotates n_heads vectors of head_dim floats (contiguous) for one position, in place; the
  // result is always in HF (rotate_half) order.
  void Apply(float* x, int n_heads, int head_dim, int pos) const;
  const RopeConfig& config() const { return config_; }

 private:
  RopeConfig config_;
  std::vector<float> inv_freq_;
};

}  // namespace exaone::model
