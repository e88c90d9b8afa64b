// Causal scaled-dot-product attention with grouped KV heads and an optional sliding window,
// over keys that come partly from a KV cache (F32 or F16) and partly from the tokens being
// processed (F32).
#pragma once

#include <cstddef>

#include "base/dtype.h"
#include "base/thread_pool.h"
#include "kernels/cpu.h"

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
  // Cached positions, in blocks of `cache_block_len` rows: position p is row p % cache_block_len
  // of block cache_k[(p / cache_block_len) % cache_blocks] (values likewise in cache_v). Each
  // block is [n_kv_heads, cache_block_len, head_dim] of cache_type (F32 or F16), so the rows one
  // KV head reads within a block are one contiguous run. A cache kept in one buffer is a single
  // block as long as its capacity (a ring wraps through the modulo); a paged cache lists its
  // blocks in position order. Every visible position < past must lie in a present block.
  const void* const* cache_k = nullptr;
  const void* const* cache_v = nullptr;
  int cache_blocks = 0;
  int cache_block_len = 0;
  DType cache_type = DType::kF32;
  float* out = nullptr;  // [n_tokens, n_heads * head_dim]
};

void Attention(const AttentionArgs& a, ThreadPool& pool);

// The same on an explicit SIMD target (tests compare each target with kScalar).
void AttentionOn(SimdTarget target, const AttentionArgs& a, ThreadPool& pool);

// The row operations attention is built from, one set per SIMD target.
namespace attn {

// A run of `n` key or value rows, `stride` elements apart, F32 or F16.
struct Rows {
  const void* data = nullptr;
  size_t stride = 0;
  bool f16 = false;
  int n = 0;
};

struct Ops {
  // out[h * out_stride + i] = scale * dot(q[h * d ..], row i) for h < heads, i < rows.n.
  void (*scores)(const float* q, int heads, int d, const Rows& rows, float scale, float* out,
                 size_t out_stride);
  // out[h * d + j] += sum_i w[h * w_stride + i] * row_i[j] for h < heads, j < d.
  void (*accumulate)(const float* w, size_t w_stride, int heads, int d, const Rows& rows,
                     float* out);
  // x[i] = exp(x[i] - max) for i < n; returns the sum of the new x.
  float (*exp_sum)(float* x, int n, float max);
};

const Ops* ScalarOps();
const Ops* Avx2Ops();    // needs d % 8 == 0
const Ops* Avx512Ops();  // needs d % 16 == 0

}  // namespace attn
}  // namespace exaone::kernels
