// The pre-norm Llama-style decoder that EXAONE 3.0/3.5/Deep and Llama share:
//   x = x + attn(norm1(x)); x = x + mlp(norm2(x)); logits = lm_head(norm(x)).
// exaone.cpp and llama.cpp parse their own configs and tensor names into this.
#pragma once

#include <memory>

#include "model/arch.h"
#include "model/rope.h"

namespace exaone::model {

struct PreNormConfig {
  std::string arch;
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t n_layers = 0;
  int64_t n_heads = 0;
  int64_t n_kv_heads = 0;
  int64_t head_dim = 0;
  int64_t ffn_size = 0;
  int64_t context_length = 0;
  double norm_eps = 1e-5;
  RopeConfig rope;
  bool tied = false;

  void Validate(const std::string& what) const;
};

std::unique_ptr<Model> MakePreNormDecoder(const PreNormConfig& cfg, const TensorTable& t);
ModelSummary SummarizePreNorm(const PreNormConfig& cfg);

// GGUF metadata common to both (the {arch}.* keys) and the config read back from it.
void PreNormExportMetadata(const PreNormConfig& cfg, const ModelFiles& f, ExportPlan& plan);
PreNormConfig PreNormFromGguf(const ModelFiles& f, const TensorTable& t);

}  // namespace exaone::model
