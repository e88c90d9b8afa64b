// The transformer block's element-wise operations for AVX2 + FMA (compiled with those flags).
#include <immintrin.h>

#include <cmath>

#include "kernels/avx2_math.h"
#include "kernels/ops.h"

namespace exaone::kernels {
namespace {

void RmsNormAvx2(const float* x, const float* w, size_t n, float eps, float* out) {
  __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(),
                   _mm256_setzero_ps()};
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    for (int u = 0; u < 4; ++u) {
      const __m256 v = _mm256_loadu_ps(x + i + 8 * u);
      acc[u] = _mm256_fmadd_ps(v, v, acc[u]);
    }
  }
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    acc[0] = _mm256_fmadd_ps(v, v, acc[0]);
  }
  double sum = avx2::HorizontalSum(
      _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3])));
  for (; i < n; ++i) sum += static_cast<double>(x[i]) * x[i];
  const float inv = static_cast<float>(1.0 / std::sqrt(sum / static_cast<double>(n) + eps));
  const __m256 vinv = _mm256_set1_ps(inv);
  i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_mul_ps(_mm256_loadu_ps(x + i), vinv);
    _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_loadu_ps(w + i), v));
  }
  for (; i < n; ++i) out[i] = w[i] * (x[i] * inv);
}

void SiluMulAvx2(float* gate, const float* up, size_t n) {
  const __m256 one = _mm256_set1_ps(1.0f);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 g = _mm256_loadu_ps(gate + i);
    const __m256 e = avx2::Exp(_mm256_sub_ps(_mm256_setzero_ps(), g));
    const __m256 silu = _mm256_div_ps(g, _mm256_add_ps(one, e));
    _mm256_storeu_ps(gate + i, _mm256_mul_ps(silu, _mm256_loadu_ps(up + i)));
  }
  for (; i < n; ++i) {
    const float g = gate[i];
    gate[i] = g / (1.0f + std::exp(-g)) * up[i];
  }
}

void AddAvx2(float* x, const float* y, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(x + i, _mm256_add_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
  }
  for (; i < n; ++i) x[i] += y[i];
}

void RopeRotateAvx2(float* x, int n_heads, int head_dim, int half, const float* cos,
                    const float* sin) {
  for (int h = 0; h < n_heads; ++h) {
    float* a = x + static_cast<size_t>(h) * head_dim;
    float* b = a + half;
    int j = 0;
    for (; j + 8 <= half; j += 8) {
      const __m256 x0 = _mm256_loadu_ps(a + j), x1 = _mm256_loadu_ps(b + j);
      const __m256 c = _mm256_loadu_ps(cos + j), s = _mm256_loadu_ps(sin + j);
      _mm256_storeu_ps(a + j, _mm256_fmsub_ps(x0, c, _mm256_mul_ps(x1, s)));
      _mm256_storeu_ps(b + j, _mm256_fmadd_ps(x1, c, _mm256_mul_ps(x0, s)));
    }
    for (; j < half; ++j) {
      const float x0 = a[j], x1 = b[j];
      a[j] = x0 * cos[j] - x1 * sin[j];
      b[j] = x1 * cos[j] + x0 * sin[j];
    }
  }
}

}  // namespace

const OpsTable* Avx2OpsTable() {
  static const OpsTable t{RmsNormAvx2, SiluMulAvx2, AddAvx2, RopeRotateAvx2};
  return &t;
}

}  // namespace exaone::kernels
