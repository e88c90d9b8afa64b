// Building blocks shared by the architectures: attention (with optional QK-norm, RoPE or NoPE,
// sliding window) and the gated SiLU MLP.
#pragma once

#include <cstdint>
#include <vector>

#include "base/thread_pool.h"
#include "kernels/matmul.h"
#include "model/kv_cache.h"
#include "model/model.h"
#include "model/rope.h"
#include "model/tensor_source.h"

namespace exaone::model {

struct AttentionBlock {
  kernels::WeightView q, k, v, o;     // [Hq*d, hidden], [Hkv*d, hidden] x2, [hidden, Hq*d]
  std::vector<float> q_norm, k_norm;  // [d] each; empty when the model has no QK-norm
  int n_heads = 0, n_kv_heads = 0, head_dim = 0;
  float norm_eps = 0;

  // Binds blk.N.attn_{q,k,v,output}.weight (and attn_{q,k}_norm when qk_norm).
  void Bind(const TensorTable& t, int layer, int64_t hidden, bool qk_norm);

  // Rows [offset, offset + n) of the batch belong to one sequence and its cache.
  struct Segment {
    KvCache* cache;
    int offset;
    int n;
  };
  // x [n, hidden] -> out [n, hidden] for the batch's n rows; reads and extends layer `layer` of
  // each segment's cache.
  void Forward(const float* x, int n, const std::vector<Segment>& segments, int layer,
               const LayerAttention& kind, int window, const Rope& rope, float* out,
               ThreadPool& pool) const;
};

struct MlpBlock {
  kernels::WeightView gate, up, down;  // [ffn, hidden] x2, [hidden, ffn]

  void Bind(const TensorTable& t, int layer, int64_t hidden, int64_t ffn);
  // out = down(silu(gate(x)) * up(x)); x, out [n, hidden].
  void Forward(const float* x, int n, float* out, ThreadPool& pool) const;
};

// The end of a forward pass over the batch's rows x [n, h]: advances every sequence's cache,
// applies the final norm and the output matrix to every row (all_positions, one sequence) or
// to each sequence's last row, writing logits [rows, vocab].
void FinishForward(const std::vector<Model::SeqStep>& seqs,
                   const std::vector<AttentionBlock::Segment>& segments, std::vector<float>& x,
                   size_t h, bool all_positions, const std::vector<float>& final_norm, float eps,
                   const kernels::WeightView& lm_head, float* logits, ThreadPool& pool);

// x[i] = embedding[ids[i]] for i < n.
void Embed(const kernels::WeightView& embedding, const int32_t* ids, int n, float* x);

std::string LayerName(int layer, const char* suffix);  // "blk.<layer>.<suffix>"

}  // namespace exaone::model
