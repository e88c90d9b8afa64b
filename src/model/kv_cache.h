// Per-sequence key/value cache. Global layers keep every position; sliding-window layers keep a
// ring of the last `window` positions, so their memory is bounded by the window, not the context.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "base/dtype.h"

namespace exaone::model {

struct LayerAttention {
  bool sliding = false;  // sliding-window layer
  bool rope = true;      // RoPE applied (false: NoPE)
};

class KvCache {
 public:
  // `window` is used for sliding layers only. `type` is the element type keys and values are
  // kept in: F32 (exact) or F16 (half the memory and bandwidth). Memory is reserved up front but
  // only touched as positions are stored.
  KvCache(const std::vector<LayerAttention>& layers, int n_kv_heads, int head_dim, int n_ctx,
          int window, DType type = DType::kF32);

  int n_ctx() const { return n_ctx_; }
  int n_past() const { return n_past_; }
  int capacity(int layer) const { return layers_[layer].capacity; }
  DType type() const { return type_; }
  // [n_kv_heads, capacity, head_dim] of type(); position p at slot p % capacity. Head-major, so
  // attention reads each head's keys and values as one sequential stream (position-major,
  // decoding at a depth of 4096 ran at a third of the speed: every 4 KiB page held 4 positions
  // of a head, so each page cost a TLB miss and a prefetcher restart).
  const void* keys(int layer) const { return layers_[layer].k.get(); }
  const void* values(int layer) const { return layers_[layer].v.get(); }

  // Stores n new positions (starting at n_past) for one layer; k, v are [n, n_kv_heads *
  // head_dim]. Only the
  // last `capacity` of them are kept.
  void Store(int layer, const float* k, const float* v, int n);
  // Marks n positions as appended (after every layer has stored them).
  void Advance(int n) { n_past_ += n; }
  void Clear() { n_past_ = 0; }
  // Whether the cache can go back to holding the first n positions (to reuse a shared prefix):
  // always for global layers; for a sliding layer only while the ring still holds every
  // position the next query will look at.
  bool CanTruncate(int n) const;
  void Truncate(int n);

  uint64_t bytes() const;

 private:
  struct FreeDeleter {
    void operator()(void* p) const;
  };
  using Buffer = std::unique_ptr<uint8_t, FreeDeleter>;
  struct Layer {
    bool ring = false;  // sliding layer whose capacity is the window
    int capacity = 0;
    Buffer k, v;  // [n_kv_heads, capacity, head_dim] of type_
  };
  void StoreRow(uint8_t* dst, const float* src) const;  // head_dim values
  std::vector<Layer> layers_;
  int n_kv_heads_;
  int head_dim_;
  int kv_dim_;
  int n_ctx_;
  int window_;
  int n_past_ = 0;
  DType type_;
  size_t elem_bytes_;
};

// Bytes a cache would take (K and V of `type`) for the given context: for `exaone inspect`.
uint64_t KvCacheBytes(const std::vector<LayerAttention>& layers, int kv_dim, int64_t n_ctx,
                      int window, DType type = DType::kF32);

// The cache type generation uses by default for a model whose matrices have type `weights`
// (the widest of them): F32 for F32 models, F16 otherwise.
DType DefaultCacheType(DType weights);

}  // namespace exaone::model
