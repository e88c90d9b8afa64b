// Causal scaled-dot-product attention with grouped KV heads and an optional sliding window,
// over keys that come partly from a KV cache and partly from the tokens being processed.
#pragma once

#include <cstddef>

#include "base/thread_pool.h"

namespace exaone::kernels {

struct AttentionArgs {
  int n_tokens = 0;  // new tokens, at positions past .. past + n_tokens - 1
  int past = 0;      // tokens already in the cache
  int n_heads = 0;
  int n_kv_heads = 0;  // kv head j serves query heads j*g .. j*g+g-1, g = n_heads / n_kv_heads
  int head_dim = 0;
  float scale = 1.0f;
  // 0: every earlier position is visible. W > 0: a query at position p sees p-W+1 .. p.
  int window = 0;
  const float* q = nullptr;      // [n_tokens, n_heads * head_dim]
  const float* k_new = nullptr;  // [n_tokens, n_kv_heads * head_dim]
  const float* v_new = nullptr;
  // Cached positions: position p is at slot p % cache_capacity, [capacity, n_kv_heads * head_dim].
  // Every position a query can see that is < past must still be in the cache.
  const float* k_cache = nullptr;
  const float* v_cache = nullptr;
  int cache_capacity = 0;
  float* out = nullptr;  // [n_tokens, n_heads * head_dim]
};

void Attention(const AttentionArgs& a, ThreadPool& pool);

}  // namespace exaone::kernels
