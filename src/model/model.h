// The model interface: shared, immutable weights, and a Forward() over a per-sequence state.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/thread_pool.h"
#include "model/kv_cache.h"

namespace exaone::model {

// What `exaone inspect` shows and what the KV cache is sized from.
struct ModelSummary {
  std::string arch;  // "exaone", "exaone4", "llama"
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t n_layers = 0;
  int64_t n_heads = 0;
  int64_t n_kv_heads = 0;
  int64_t head_dim = 0;
  int64_t ffn_size = 0;
  int64_t context_length = 0;  // trained maximum
  int64_t sliding_window = 0;  // 0: none
  double norm_eps = 0;
  double rope_theta = 0;
  std::string rope_scaling;  // human-readable, e.g. "llama3 (factor 16, ...)" or "none"
  bool tied_embeddings = false;
  std::vector<LayerAttention> layers;  // per layer: sliding or global, RoPE or NoPE
  DType cache_type = DType::kF32;      // the KV cache type generation uses by default
};

std::string LayerPattern(const std::vector<LayerAttention>& layers);  // e.g. "LLLG" x 2

class Model {
 public:
  virtual ~Model() = default;
  virtual const ModelSummary& summary() const = 0;

  // A fresh sequence able to hold `n_ctx` positions, keeping keys and values as `cache_type`
  // (F32 or F16; by default the summary's cache_type).
  std::unique_ptr<KvCache> NewSequence(int n_ctx,
                                       std::optional<DType> cache_type = std::nullopt) const;
  // A pool of KV blocks of `block_len` positions, enough for `positions` positions of every
  // layer, for paged sequences that share it; and a paged sequence on such a pool.
  std::shared_ptr<KvBlockPool> NewBlockPool(int64_t positions, int block_len,
                                            std::optional<DType> cache_type = std::nullopt) const;
  std::unique_ptr<KvCache> NewSequence(int n_ctx, std::shared_ptr<KvBlockPool> pool) const;

  // Runs ids[0..n) at positions cache.n_past() .. +n, appends them to the cache and writes the
  // logits of every position to logits [n, vocab] (with `last_only`, just the last position's
  // [vocab], which is all generation needs). Throws Error if the context would overflow or an
  // id is out of range.
  void Forward(KvCache& cache, const int32_t* ids, int n, float* logits, ThreadPool& pool,
               bool last_only = false) const;

  // New tokens of several sequences, each with its own cache.
  struct SeqStep {
    KvCache* cache;
    const int32_t* ids;
    int n;
  };
  // Runs every sequence's new tokens in one pass: the matrix products take all the tokens
  // together (the weights are read once for the whole batch), attention runs per sequence on
  // its own cache. Writes the logits of each sequence's last token: logits [seqs.size(), vocab].
  // Each sequence gets the logits a Forward of its tokens alone would give (up to the summation
  // order of the matrix kernels). Throws like Forward; the caches must be distinct.
  void ForwardBatch(const std::vector<SeqStep>& seqs, float* logits, ThreadPool& pool) const;

 protected:
  // The forward pass of the architecture over `seqs`: logits of every position of the one
  // sequence (all_positions), or of each sequence's last token.
  virtual void Run(const std::vector<SeqStep>& seqs, float* logits, ThreadPool& pool,
                   bool all_positions) const = 0;
  void CheckInputs(const KvCache& cache, const int32_t* ids, int n) const;
};

}  // namespace exaone::model
