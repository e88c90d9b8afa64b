#include "kernels/attention.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "base/error.h"
#include "base/half.h"

namespace exaone::kernels {
namespace attn {
namespace {

inline float Load(const Rows& r, int i, int j) {
  if (r.f16) return F16ToF32(static_cast<const uint16_t*>(r.data)[i * r.stride + j]);
  return static_cast<const float*>(r.data)[i * r.stride + j];
}

void ScalarScores(const float* q, int heads, int d, const Rows& rows, float scale, float* out,
                  size_t out_stride) {
  for (int i = 0; i < rows.n; ++i) {
    for (int h = 0; h < heads; ++h) {
      float s = 0;
      for (int j = 0; j < d; ++j) s += q[h * d + j] * Load(rows, i, j);
      out[h * out_stride + i] = s * scale;
    }
  }
}

void ScalarAccumulate(const float* w, size_t w_stride, int heads, int d, const Rows& rows,
                      float* out) {
  for (int i = 0; i < rows.n; ++i) {
    for (int h = 0; h < heads; ++h) {
      const float wi = w[h * w_stride + i];
      for (int j = 0; j < d; ++j) out[h * d + j] += wi * Load(rows, i, j);
    }
  }
}

float ScalarExpSum(float* x, int n, float max) {
  float sum = 0;
  for (int i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - max);
    sum += x[i];
  }
  return sum;
}

}  // namespace

const Ops* ScalarOps() {
  static const Ops ops{ScalarScores, ScalarAccumulate, ScalarExpSum};
  return &ops;
}

}  // namespace attn

namespace {

const attn::Ops* OpsFor(SimdTarget target, int d) {
  if (target == SimdTarget::kAvx512 && d % 16 == 0 && attn::Avx512Ops() != nullptr) {
    return attn::Avx512Ops();
  }
  if (target >= SimdTarget::kAvx2 && d % 8 == 0 && attn::Avx2Ops() != nullptr) {
    return attn::Avx2Ops();
  }
  return attn::ScalarOps();
}

}  // namespace

void AttentionOn(SimdTarget target, const AttentionArgs& a, ThreadPool& pool) {
  EXA_CHECK(a.n_kv_heads > 0 && a.n_heads % a.n_kv_heads == 0 && a.head_dim > 0);
  EXA_CHECK(a.cache_type == DType::kF32 || a.cache_type == DType::kF16);
  EXA_CHECK(a.past == 0 || (a.cache_k && a.cache_v && a.cache_blocks > 0 && a.cache_block_len > 0));
  const attn::Ops& ops = *OpsFor(target, a.head_dim);
  const int d = a.head_dim;
  const int group = a.n_heads / a.n_kv_heads;
  const size_t q_stride = static_cast<size_t>(a.n_heads) * d;
  const size_t kv_stride = static_cast<size_t>(a.n_kv_heads) * d;
  const bool cache_f16 = a.cache_type == DType::kF16;
  const size_t cache_elem = cache_f16 ? 2 : 4;
  const size_t jobs = static_cast<size_t>(a.n_tokens) * a.n_kv_heads;
  // Jobs are dealt round-robin: with a causal mask later tokens cost more, so contiguous ranges
  // would leave one thread with most of the work.
  pool.RunOnAll([&](int thread, int threads) {
    // The visible positions in runs of consecutive rows.
    struct Run {
      attn::Rows k, v;
      int offset;  // index of the run's first position in the scores
    };
    std::vector<float> scores;
    std::vector<float> sums(group);
    std::vector<Run> runs;
    for (size_t job = thread; job < jobs; job += threads) {
      const int t = static_cast<int>(job / a.n_kv_heads);
      const int kvh = static_cast<int>(job % a.n_kv_heads);
      const int pos = a.past + t;
      const int lo = a.window > 0 ? std::max(0, pos - a.window + 1) : 0;
      EXA_CHECK(lo >= a.past ||
                a.past - lo <= static_cast<int64_t>(a.cache_blocks) * a.cache_block_len);
      const int n = pos - lo + 1;
      const float* q = a.q + t * q_stride + static_cast<size_t>(kvh) * group * d;
      float* out = a.out + t * q_stride + static_cast<size_t>(kvh) * group * d;
      scores.resize(static_cast<size_t>(group) * n);

      // The visible positions as runs of rows: cached ones block by block, then the new ones.
      runs.clear();
      const int cached_end = std::min(pos + 1, a.past);
      for (int p = lo; p < cached_end;) {
        const int bl = a.cache_block_len;
        const int row = p % bl;
        const int block = (p / bl) % a.cache_blocks;
        const int len = std::min(cached_end - p, bl - row);
        const auto* kb = static_cast<const uint8_t*>(a.cache_k[block]);
        const auto* vb = static_cast<const uint8_t*>(a.cache_v[block]);
        EXA_CHECK_MSG(kb != nullptr && vb != nullptr,
                      "attention: a visible position left the cache");
        const size_t off =
            (static_cast<size_t>(kvh) * bl + row) * static_cast<size_t>(d) * cache_elem;
        const size_t stride = static_cast<size_t>(d);
        runs.push_back(
            {{kb + off, stride, cache_f16, len}, {vb + off, stride, cache_f16, len}, p - lo});
        p += len;
      }
      if (pos >= a.past) {
        const int first = std::max(lo, a.past);
        const size_t off = static_cast<size_t>(first - a.past) * kv_stride + kvh * d;
        runs.push_back({{a.k_new + off, kv_stride, false, pos - first + 1},
                        {a.v_new + off, kv_stride, false, pos - first + 1},
                        first - lo});
      }
      const int n_runs = static_cast<int>(runs.size());

      for (int r = 0; r < n_runs; ++r) {
        ops.scores(q, group, d, runs[r].k, a.scale, scores.data() + runs[r].offset, n);
      }
      for (int h = 0; h < group; ++h) {
        float* s = scores.data() + static_cast<size_t>(h) * n;
        const float max = *std::max_element(s, s + n);
        sums[h] = ops.exp_sum(s, n, max);
      }
      std::fill(out, out + static_cast<size_t>(group) * d, 0.0f);
      for (int r = 0; r < n_runs; ++r) {
        ops.accumulate(scores.data() + runs[r].offset, n, group, d, runs[r].v, out);
      }
      for (int h = 0; h < group; ++h) {
        const float inv = 1.0f / sums[h];
        for (int j = 0; j < d; ++j) out[h * d + j] *= inv;
      }
    }
  });
}

void Attention(const AttentionArgs& a, ThreadPool& pool) {
  AttentionOn(ActiveTarget(), a, pool);
}

}  // namespace exaone::kernels
