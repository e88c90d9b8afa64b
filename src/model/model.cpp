#include "model/model.h"

#include "base/error.h"

namespace exaone::model {

std::string LayerPattern(const std::vector<LayerAttention>& layers) {
  std::string s;
  for (const auto& l : layers) s += l.sliding ? 'L' : 'G';
  return s;
}

std::unique_ptr<KvCache> Model::NewSequence(int n_ctx, std::optional<DType> cache_type) const {
  const ModelSummary& s = summary();
  if (n_ctx <= 0) throw Error(ErrorCode::kInvalidArgument, "context size must be positive");
  return std::make_unique<KvCache>(
      s.layers, static_cast<int>(s.n_kv_heads), static_cast<int>(s.head_dim), n_ctx,
      static_cast<int>(s.sliding_window), cache_type.value_or(s.cache_type));
}

std::shared_ptr<KvBlockPool> Model::NewBlockPool(int64_t positions, int block_len,
                                                 std::optional<DType> cache_type) const {
  const ModelSummary& s = summary();
  if (positions <= 0 || block_len <= 0) {
    throw Error(ErrorCode::kInvalidArgument, "KV pool size must be positive");
  }
  const int64_t blocks =
      (positions + block_len - 1) / block_len * static_cast<int64_t>(s.layers.size());
  return std::make_shared<KvBlockPool>(static_cast<int>(s.n_kv_heads), static_cast<int>(s.head_dim),
                                       block_len, static_cast<size_t>(blocks),
                                       cache_type.value_or(s.cache_type));
}

std::unique_ptr<KvCache> Model::NewSequence(int n_ctx, std::shared_ptr<KvBlockPool> pool) const {
  const ModelSummary& s = summary();
  if (n_ctx <= 0) throw Error(ErrorCode::kInvalidArgument, "context size must be positive");
  return std::make_unique<KvCache>(s.layers, static_cast<int>(s.n_kv_heads),
                                   static_cast<int>(s.head_dim), n_ctx,
                                   static_cast<int>(s.sliding_window), std::move(pool));
}

void Model::Forward(KvCache& cache, const int32_t* ids, int n, float* logits, ThreadPool& pool,
                    bool last_only) const {
  CheckInputs(cache, ids, n);
  Run({SeqStep{&cache, ids, n}}, logits, pool, !last_only);
}

void Model::ForwardBatch(const std::vector<SeqStep>& seqs, float* logits, ThreadPool& pool) const {
  if (seqs.empty()) return;
  for (size_t i = 0; i < seqs.size(); ++i) {
    CheckInputs(*seqs[i].cache, seqs[i].ids, seqs[i].n);
    for (size_t j = 0; j < i; ++j) {
      if (seqs[j].cache == seqs[i].cache) {
        throw Error(ErrorCode::kInvalidArgument, "ForwardBatch: a cache appears twice");
      }
    }
  }
  Run(seqs, logits, pool, false);
}

void Model::CheckInputs(const KvCache& cache, const int32_t* ids, int n) const {
  if (n <= 0) throw Error(ErrorCode::kInvalidArgument, "no tokens to process");
  if (cache.n_past() + n > cache.n_ctx()) {
    throw Error(ErrorCode::kInvalidArgument,
                "context full: " + std::to_string(cache.n_past()) + " + " + std::to_string(n) +
                    " tokens exceed the context of " + std::to_string(cache.n_ctx()));
  }
  for (int i = 0; i < n; ++i) {
    if (ids[i] < 0 || ids[i] >= summary().vocab_size) {
      throw Error(ErrorCode::kInvalidArgument, "token id " + std::to_string(ids[i]) + " at index " +
                                                   std::to_string(i) +
                                                   " is outside the vocabulary [0, " +
                                                   std::to_string(summary().vocab_size) + ")");
    }
  }
}

}  // namespace exaone::model
