// AVX2 + FMA + F16C tiles for F32/F16/BF16 weights with float32 activations.
//
// A micro-kernel multiplies R weight rows with T activation rows, keeping R x T vector
// accumulators; each converted weight vector is reused by the T tokens, each activation vector
// by the R rows. Horizontal sums happen once per output, after the k loop. Decode (one token)
// reads one row at a time with four accumulators.
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <utility>

#include "base/half.h"
#include "kernels/quant/kernels.h"

namespace exaone::kernels::quant::avx2 {
namespace {

struct F32 {
  static constexpr size_t kBytes = 4;
  static __m256 Load8(const uint8_t* p) {
    return _mm256_loadu_ps(reinterpret_cast<const float*>(p));
  }
  static float At(const uint8_t* p, size_t i) { return reinterpret_cast<const float*>(p)[i]; }
};
struct F16 {
  static constexpr size_t kBytes = 2;
  static __m256 Load8(const uint8_t* p) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  static float At(const uint8_t* p, size_t i) {
    return F16ToF32(reinterpret_cast<const uint16_t*>(p)[i]);
  }
};
struct BF16 {
  static constexpr size_t kBytes = 2;
  static __m256 Load8(const uint8_t* p) {
    const __m256i v = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    return _mm256_castsi256_ps(_mm256_slli_epi32(v, 16));
  }
  static float At(const uint8_t* p, size_t i) {
    return Bf16ToF32(reinterpret_cast<const uint16_t*>(p)[i]);
  }
};

inline float Hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// y[t * ys + r] for r < R, t < T; k8 = k rounded down to a multiple of 8, the rest scalar.
template <class W, int R, int T>
void Micro(size_t k, const uint8_t* w, size_t wrb, const uint8_t* act, size_t arb, float* y,
           size_t ys) {
  const size_t k8 = k & ~size_t{7};
  __m256 acc[R][T];
  for (int r = 0; r < R; ++r) {
    for (int t = 0; t < T; ++t) acc[r][t] = _mm256_setzero_ps();
  }
  for (size_t i = 0; i < k8; i += 8) {
    __m256 wv[R];
    for (int r = 0; r < R; ++r) wv[r] = W::Load8(w + r * wrb + i * W::kBytes);
    for (int t = 0; t < T; ++t) {
      const __m256 x = _mm256_loadu_ps(reinterpret_cast<const float*>(act + t * arb) + i);
      for (int r = 0; r < R; ++r) acc[r][t] = _mm256_fmadd_ps(wv[r], x, acc[r][t]);
    }
  }
  for (int r = 0; r < R; ++r) {
    for (int t = 0; t < T; ++t) {
      float s = Hsum(acc[r][t]);
      const auto* x = reinterpret_cast<const float*>(act + t * arb);
      for (size_t i = k8; i < k; ++i) s += W::At(w + r * wrb, i) * x[i];
      y[t * ys + r] = s;
    }
  }
}

// Decode: one row times one token, 32 values per step in four accumulators. Rows go one at a
// time, each a single sequential stream, which the memory system serves faster than several
// rows side by side (BF16 from DRAM: 16-19 GB/s against 9-13 GB/s with 2 or 3 rows).
template <class W>
float DecodeRow(size_t k, const uint8_t* w, const float* x) {
  const size_t k32 = k & ~size_t{31};
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  __m256 acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();
  for (size_t i = 0; i < k32; i += 32) {
    const uint8_t* p = w + i * W::kBytes;
    acc0 = _mm256_fmadd_ps(W::Load8(p), _mm256_loadu_ps(x + i), acc0);
    acc1 = _mm256_fmadd_ps(W::Load8(p + 8 * W::kBytes), _mm256_loadu_ps(x + i + 8), acc1);
    acc2 = _mm256_fmadd_ps(W::Load8(p + 16 * W::kBytes), _mm256_loadu_ps(x + i + 16), acc2);
    acc3 = _mm256_fmadd_ps(W::Load8(p + 24 * W::kBytes), _mm256_loadu_ps(x + i + 24), acc3);
  }
  size_t i = k32;
  for (; i + 8 <= k; i += 8) {
    acc0 = _mm256_fmadd_ps(W::Load8(w + i * W::kBytes), _mm256_loadu_ps(x + i), acc0);
  }
  float s = Hsum(_mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3)));
  for (; i < k; ++i) s += W::At(w, i) * x[i];
  return s;
}

// Rows and tokens per micro-kernel: 12 accumulators, 3 converted weight vectors and one
// activation vector fill the 16 registers (4 x 3 spilled an accumulator; 4 x 2, 3 x 3 and
// 2 x 4 measured slower).
constexpr int kRows = 3;
constexpr int kToks = 4;

using MicroFn = void (*)(size_t, const uint8_t*, size_t, const uint8_t*, size_t, float*, size_t);

// fns[r - 1][t - 1] handles r rows and t tokens.
template <class W, int R, int... Ts>
constexpr std::array<MicroFn, kToks> RowFns(std::integer_sequence<int, Ts...>) {
  return {Micro<W, R, Ts + 1>...};
}
template <class W, int... Rs>
constexpr std::array<std::array<MicroFn, kToks>, kRows> MakeFns(std::integer_sequence<int, Rs...>) {
  return {RowFns<W, Rs + 1>(std::make_integer_sequence<int, kToks>())...};
}
template <class W>
struct Table {
  static constexpr auto fns = MakeFns<W>(std::make_integer_sequence<int, kRows>());
};

template <class W>
void Tile(size_t k, const void* w, size_t w_row_bytes, size_t rows, const void* act,
          size_t act_row_bytes, size_t toks, float* y, size_t y_stride) {
  const auto* wb = static_cast<const uint8_t*>(w);
  const auto* ab = static_cast<const uint8_t*>(act);
  if (toks == 1) {
    const auto* x = reinterpret_cast<const float*>(ab);
    for (size_t r = 0; r < rows; ++r) y[r] = DecodeRow<W>(k, wb + r * w_row_bytes, x);
    return;
  }
  for (size_t r0 = 0; r0 < rows; r0 += kRows) {
    const size_t nr = std::min<size_t>(kRows, rows - r0);
    for (size_t t0 = 0; t0 < toks; t0 += kToks) {
      const size_t nt = std::min<size_t>(kToks, toks - t0);
      Table<W>::fns[nr - 1][nt - 1](k, wb + r0 * w_row_bytes, w_row_bytes, ab + t0 * act_row_bytes,
                                    act_row_bytes, y + t0 * y_stride + r0, y_stride);
    }
  }
}

constexpr WeightKernels kF32{ActFormat::kF32, nullptr, Tile<F32>};
constexpr WeightKernels kF16{ActFormat::kF32, nullptr, Tile<F16>};
constexpr WeightKernels kBF16{ActFormat::kF32, nullptr, Tile<BF16>};

}  // namespace

const WeightKernels* FloatKernels(DType t) {
  switch (t) {
    case DType::kF32:
      return &kF32;
    case DType::kF16:
      return &kF16;
    case DType::kBF16:
      return &kBF16;
    default:
      return nullptr;
  }
}

}  // namespace exaone::kernels::quant::avx2
