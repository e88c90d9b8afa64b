#include "kernels/attention.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "base/error.h"

namespace exaone::kernels {

void Attention(const AttentionArgs& a, ThreadPool& pool) {
  EXA_CHECK(a.n_kv_heads > 0 && a.n_heads % a.n_kv_heads == 0);
  const int d = a.head_dim;
  const int group = a.n_heads / a.n_kv_heads;
  const size_t q_stride = static_cast<size_t>(a.n_heads) * d;
  const size_t kv_stride = static_cast<size_t>(a.n_kv_heads) * d;
  const size_t jobs = static_cast<size_t>(a.n_tokens) * a.n_heads;
  pool.ParallelFor(jobs, [&](size_t begin, size_t end) {
    std::vector<float> scores;
    for (size_t job = begin; job < end; ++job) {
      const int t = static_cast<int>(job / a.n_heads);
      const int h = static_cast<int>(job % a.n_heads);
      const int kvh = h / group;
      const int pos = a.past + t;
      const int lo = a.window > 0 ? std::max(0, pos - a.window + 1) : 0;
      EXA_CHECK(lo >= a.past || a.past - lo <= a.cache_capacity);
      const float* q = a.q + t * q_stride + h * d;
      auto key = [&](int p) {
        return p >= a.past ? a.k_new + (p - a.past) * kv_stride + kvh * d
                           : a.k_cache + (p % a.cache_capacity) * kv_stride + kvh * d;
      };
      auto value = [&](int p) {
        return p >= a.past ? a.v_new + (p - a.past) * kv_stride + kvh * d
                           : a.v_cache + (p % a.cache_capacity) * kv_stride + kvh * d;
      };
      scores.resize(static_cast<size_t>(pos - lo + 1));
      float max_score = -INFINITY;
      for (int p = lo; p <= pos; ++p) {
        const float* k = key(p);
        float s = 0;
        for (int i = 0; i < d; ++i) s += q[i] * k[i];
        s *= a.scale;
        scores[p - lo] = s;
        max_score = std::max(max_score, s);
      }
      float sum = 0;
      for (float& s : scores) {
        s = std::exp(s - max_score);
        sum += s;
      }
      const float inv = 1.0f / sum;
      float* out = a.out + t * q_stride + h * d;
      std::fill(out, out + d, 0.0f);
      for (int p = lo; p <= pos; ++p) {
        const float w = scores[p - lo] * inv;
        const float* v = value(p);
        for (int i = 0; i < d; ++i) out[i] += w * v[i];
      }
    }
  });
}

}  // namespace exaone::kernels
