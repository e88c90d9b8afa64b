// Per-sequence key/value cache, in one of two forms.
//
// Contiguous (a sequence of its own: `exaone run`, chat, logits): global layers keep every
// position in one buffer; sliding-window layers keep a ring of the last `window` positions, so
// their memory is bounded by the window, not the context.
//
// Paged (the server's sequences): positions live in blocks of `block_len` taken from a
// KvBlockPool that many sequences share. A sequence can take over another's blocks for a common
// prefix (ShareFrom) instead of computing it again; a block written while shared is copied
// first, so no sequence ever sees another's later tokens. Sliding-window layers give back
// blocks that fell kSlidingSlack positions behind the next query's window.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "base/dtype.h"

namespace exaone::model {

struct LayerAttention {
  bool sliding = false;  // sliding-window layer
  bool rope = true;      // RoPE applied (false: NoPE)
};

// Fixed-size blocks of keys and values for `block_len` positions of one layer, with reference
// counts. Memory is reserved up front and committed as blocks are first written. Not
// thread-safe: one thread (the one running the forward passes) uses a pool and its caches.
class KvBlockPool {
 public:
  KvBlockPool(int n_kv_heads, int head_dim, int block_len, size_t n_blocks, DType type);

  int block_len() const { return block_len_; }
  DType type() const { return type_; }
  size_t total() const { return refs_.size(); }
  size_t used() const { return used_.load(std::memory_order_relaxed); }
  // Bytes of one block's keys (its values take as many).
  size_t block_bytes() const { return block_bytes_; }

  // A free block with one reference, or -1 when every block is taken.
  int32_t Alloc();
  void Ref(int32_t id);
  void Unref(int32_t id);
  int refs(int32_t id) const { return refs_[static_cast<size_t>(id)]; }
  uint8_t* keys(int32_t id);
  uint8_t* values(int32_t id);

 private:
  struct FreeDeleter {
    void operator()(void* p) const;
  };
  int block_len_;
  DType type_;
  size_t block_bytes_;
  std::unique_ptr<uint8_t, FreeDeleter> storage_;  // block i: keys, then values
  std::vector<int32_t> refs_;
  std::vector<int32_t> free_;  // most recently freed last (its memory is likely still cached)
  std::atomic<size_t> used_{0};
};

class KvCache {
 public:
  // A paged sliding layer keeps this many positions beyond its window, so a sequence can still
  // go back a little (a conversation whose next prompt rewrites the last tokens) and reuse the
  // rest.
  static constexpr int kSlidingSlack = 128;

  // Contiguous. `window` is used for sliding layers only. `type` is the element type keys and
  // values are kept in: F32 (exact) or F16 (half the memory and bandwidth). Memory is reserved
  // up front but only touched as positions are stored.
  KvCache(const std::vector<LayerAttention>& layers, int n_kv_heads, int head_dim, int n_ctx,
          int window, DType type = DType::kF32);
  // Paged, with blocks from `pool` (shared with other sequences).
  KvCache(const std::vector<LayerAttention>& layers, int n_kv_heads, int head_dim, int n_ctx,
          int window, std::shared_ptr<KvBlockPool> pool);
  ~KvCache();
  KvCache(const KvCache&) = delete;
  KvCache& operator=(const KvCache&) = delete;

  int n_ctx() const { return n_ctx_; }
  int n_past() const { return n_past_; }
  DType type() const { return type_; }
  bool paged() const { return pool_ != nullptr; }
  // Positions one layer can hold: the window for a contiguous sliding layer, else the context.
  int capacity(int layer) const;

  // Where a layer's positions are, as attention reads them: position p is row p % block_len()
  // of block key_blocks(layer)[(p / block_len(layer)) % blocks(layer)], each block
  // [n_kv_heads, block_len, head_dim] of type(). A contiguous layer is one block as long as its
  // capacity; absent paged blocks are null.
  const void* const* key_blocks(int layer) const { return layers_[layer].k.data(); }
  const void* const* value_blocks(int layer) const { return layers_[layer].v.data(); }
  int blocks(int layer) const { return static_cast<int>(layers_[layer].k.size()); }
  int block_len(int layer) const { return layers_[layer].block_len; }

  // Stores n new positions (starting at n_past) for one layer; k, v are [n, n_kv_heads *
  // head_dim]. A contiguous sliding layer keeps only the last `capacity` of them. Throws when a
  // paged cache's pool has no free block.
  void Store(int layer, const float* k, const float* v, int n);
  // Marks n positions as appended (after every layer has stored them); a paged cache then gives
  // back the sliding layers' blocks that no later query can see.
  void Advance(int n);
  void Clear();
  // Whether the cache can go back to holding the first n positions (to reuse a shared prefix):
  // always for global layers; for a sliding layer only while it still holds every position the
  // next query will look at.
  bool CanTruncate(int n) const;
  void Truncate(int n);

  // Paged caches on the same pool: whether `other`'s first n positions can be taken over (its
  // sliding layers still hold what the next query at position n looks at), and taking them
  // over: this cache drops what it held and refers to other's blocks for positions 0 .. n - 1
  // (n_past becomes n). Nothing is copied until one of the two writes into a shared block.
  bool CanShareFrom(const KvCache& other, int n) const;
  void ShareFrom(const KvCache& other, int n);

  // Bytes reserved for this cache (contiguous) or held in blocks (paged, shared ones counted in
  // full).
  uint64_t bytes() const;

 private:
  struct FreeDeleter {
    void operator()(void* p) const;
  };
  struct Layer {
    bool sliding = false;
    bool ring = false;  // contiguous sliding layer whose capacity is the window
    int capacity = 0;
    int block_len = 0;
    std::vector<const void*> k, v;  // per block: its keys / values (null: absent)
    std::vector<int32_t> ids;       // paged: pool block ids (-1: absent)
    std::unique_ptr<uint8_t, FreeDeleter> own_k, own_v;  // contiguous storage
  };
  void Init(const std::vector<LayerAttention>& layers);
  void StoreRow(uint8_t* dst, const float* src) const;  // head_dim values
  // Paged: the writable block for position p of a layer (allocated, or copied when shared).
  uint8_t* WritableBlock(Layer& l, int p, bool keys);
  void SetBlock(Layer& l, size_t index, int32_t id);
  void ReleaseFrom(Layer& l, size_t first_block);
  // Paged: the first position the next query at `pos` reads in a sliding layer.
  int WindowStart(int pos) const;

  std::vector<Layer> layers_;
  std::shared_ptr<KvBlockPool> pool_;
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
