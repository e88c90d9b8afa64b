// Attention row operations for AVX2 + FMA + F16C (this file is compiled with those flags).
#include <immintrin.h>

#include <algorithm>

#include "kernels/attention.h"
#include "kernels/avx2_math.h"

namespace exaone::kernels::attn {
namespace {

template <bool F16>
inline __m256 Load8(const void* base, size_t index) {
  if constexpr (F16) {
    return _mm256_cvtph_ps(_mm_loadu_si128(
        reinterpret_cast<const __m128i*>(static_cast<const uint16_t*>(base) + index)));
  } else {
    return _mm256_loadu_ps(static_cast<const float*>(base) + index);
  }
}

// Lane j of the result is the sum of the lanes of v[j].
inline __m256 Transpose8Sum(const __m256 v[8]) {
  const __m256 t0 = _mm256_hadd_ps(v[0], v[1]);
  const __m256 t1 = _mm256_hadd_ps(v[2], v[3]);
  const __m256 t2 = _mm256_hadd_ps(v[4], v[5]);
  const __m256 t3 = _mm256_hadd_ps(v[6], v[7]);
  const __m256 u0 = _mm256_hadd_ps(t0, t1);
  const __m256 u1 = _mm256_hadd_ps(t2, t3);
  return _mm256_add_ps(_mm256_permute2f128_ps(u0, u1, 0x20), _mm256_permute2f128_ps(u0, u1, 0x31));
}

template <int H, bool F16>
void ScoresH(const float* q, int d, const Rows& rows, float scale, float* out, size_t out_stride) {
  const __m256 vscale = _mm256_set1_ps(scale);
  for (int i0 = 0; i0 < rows.n; i0 += 8) {
    const int nb = std::min(8, rows.n - i0);
    __m256 part[H][8];
    for (int r = 0; r < 8; ++r) {
      __m256 acc[H];
      for (int h = 0; h < H; ++h) acc[h] = _mm256_setzero_ps();
      if (r < nb) {
        const size_t base = static_cast<size_t>(i0 + r) * rows.stride;
        for (int c = 0; c < d; c += 8) {
          const __m256 k = Load8<F16>(rows.data, base + c);
          for (int h = 0; h < H; ++h)
            acc[h] = _mm256_fmadd_ps(k, _mm256_loadu_ps(q + h * d + c), acc[h]);
        }
      }
      for (int h = 0; h < H; ++h) part[h][r] = acc[h];
    }
    for (int h = 0; h < H; ++h) {
      const __m256 s = _mm256_mul_ps(Transpose8Sum(part[h]), vscale);
      float* dst = out + h * out_stride + i0;
      if (nb == 8) {
        _mm256_storeu_ps(dst, s);
      } else {
        alignas(32) float tmp[8];
        _mm256_store_ps(tmp, s);
        std::copy(tmp, tmp + nb, dst);
      }
    }
  }
}

template <bool F16>
void ScoresT(const float* q, int heads, int d, const Rows& rows, float scale, float* out,
             size_t out_stride) {
  int h = 0;
  for (; h + 4 <= heads; h += 4)
    ScoresH<4, F16>(q + h * d, d, rows, scale, out + h * out_stride, out_stride);
  switch (heads - h) {
    case 3:
      ScoresH<3, F16>(q + h * d, d, rows, scale, out + h * out_stride, out_stride);
      break;
    case 2:
      ScoresH<2, F16>(q + h * d, d, rows, scale, out + h * out_stride, out_stride);
      break;
    case 1:
      ScoresH<1, F16>(q + h * d, d, rows, scale, out + h * out_stride, out_stride);
      break;
    default:
      break;
  }
}

void Scores(const float* q, int heads, int d, const Rows& rows, float scale, float* out,
            size_t out_stride) {
  if (rows.f16) {
    ScoresT<true>(q, heads, d, rows, scale, out, out_stride);
  } else {
    ScoresT<false>(q, heads, d, rows, scale, out, out_stride);
  }
}

// Rows per pass over the output columns, so the block of value rows stays in the L1 cache.
constexpr int kValueBlock = 64;

template <int H, bool F16>
void AccumulateH(const float* w, size_t w_stride, int d, const Rows& rows, float* out) {
  for (int i0 = 0; i0 < rows.n; i0 += kValueBlock) {
    const int i1 = std::min(rows.n, i0 + kValueBlock);
    for (int c = 0; c < d; c += 8) {
      __m256 acc[H];
      for (int h = 0; h < H; ++h) acc[h] = _mm256_loadu_ps(out + h * d + c);
      for (int i = i0; i < i1; ++i) {
        const __m256 v = Load8<F16>(rows.data, static_cast<size_t>(i) * rows.stride + c);
        for (int h = 0; h < H; ++h) {
          acc[h] = _mm256_fmadd_ps(_mm256_broadcast_ss(w + h * w_stride + i), v, acc[h]);
        }
      }
      for (int h = 0; h < H; ++h) _mm256_storeu_ps(out + h * d + c, acc[h]);
    }
  }
}

template <bool F16>
void AccumulateT(const float* w, size_t w_stride, int heads, int d, const Rows& rows, float* out) {
  int h = 0;
  for (; h + 4 <= heads; h += 4)
    AccumulateH<4, F16>(w + h * w_stride, w_stride, d, rows, out + h * d);
  switch (heads - h) {
    case 3:
      AccumulateH<3, F16>(w + h * w_stride, w_stride, d, rows, out + h * d);
      break;
    case 2:
      AccumulateH<2, F16>(w + h * w_stride, w_stride, d, rows, out + h * d);
      break;
    case 1:
      AccumulateH<1, F16>(w + h * w_stride, w_stride, d, rows, out + h * d);
      break;
    default:
      break;
  }
}

void Accumulate(const float* w, size_t w_stride, int heads, int d, const Rows& rows, float* out) {
  if (rows.f16) {
    AccumulateT<true>(w, w_stride, heads, d, rows, out);
  } else {
    AccumulateT<false>(w, w_stride, heads, d, rows, out);
  }
}

float ExpSum(float* x, int n, float max) {
  const __m256 vmax = _mm256_set1_ps(max);
  __m256 sum = _mm256_setzero_ps();
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 y = avx2::Exp(_mm256_sub_ps(_mm256_loadu_ps(x + i), vmax));
    _mm256_storeu_ps(x + i, y);
    sum = _mm256_add_ps(sum, y);
  }
  if (i < n) {
    alignas(32) float tmp[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    std::copy(x + i, x + n, tmp);
    const __m256 mask = _mm256_cmp_ps(_mm256_setr_ps(0, 1, 2, 3, 4, 5, 6, 7),
                                      _mm256_set1_ps(static_cast<float>(n - i)), _CMP_LT_OQ);
    const __m256 y = _mm256_and_ps(mask, avx2::Exp(_mm256_sub_ps(_mm256_load_ps(tmp), vmax)));
    _mm256_store_ps(tmp, y);
    std::copy(tmp, tmp + (n - i), x + i);
    sum = _mm256_add_ps(sum, y);
  }
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(sum), _mm256_extractf128_ps(sum, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

}  // namespace

const Ops* Avx2Ops() {
  static const Ops ops{Scores, Accumulate, ExpSum};
  return &ops;
}

const Ops* Avx512Ops() {
  return nullptr;  // the AVX2 operations are used on AVX-512 machines
}

}  // namespace exaone::kernels::attn
