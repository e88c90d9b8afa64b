// AVX2 + FMA + F16C tiles for F32/F16/BF16 weights with float32 activations.
//
// A micro-kernel multiplies R weight rows with T activation rows, keeping R x T vector
// accumulators; each converted weight vector is reused by the T tokens, each activation vector
// by the R rows. Horizontal sums happen once per output, after the k loop. Decode (one token)
// uses two accumulators per row so the FMA latency never limits the streaming rate.
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

// One token, R rows, 16 values per step in two accumulators per row.
template <class W, int R>
void MicroDecode(size_t k, const uint8_t* w, size_t wrb, const uint8_t* act, float* y, size_t) {
  const size_t k16 = k & ~size_t{15};
  const auto* x = reinterpret_cast<const float*>(act);
  __m256 acc0[R], acc1[R];
  for (int r = 0; r < R; ++r) acc0[r] = acc1[r] = _mm256_setzero_ps();
  for (size_t i = 0; i < k16; i += 16) {
    const __m256 x0 = _mm256_loadu_ps(x + i);
    const __m256 x1 = _mm256_loadu_ps(x + i + 8);
    for (int r = 0; r < R; ++r) {
      const uint8_t* p = w + r * wrb + i * W::kBytes;
      acc0[r] = _mm256_fmadd_ps(W::Load8(p), x0, acc0[r]);
      acc1[r] = _mm256_fmadd_ps(W::Load8(p + 8 * W::kBytes), x1, acc1[r]);
    }
  }
  for (int r = 0; r < R; ++r) {
    float s = Hsum(_mm256_add_ps(acc0[r], acc1[r]));
    for (size_t i = k16; i < k; ++i) s += W::At(w + r * wrb, i) * x[i];
    y[r] = s;
  }
}

// Rows and tokens per micro-kernel: 12 accumulators, 3 converted weight vectors and one
// activation vector fill the 16 registers (4 x 3 spilled an accumulator; 4 x 2, 3 x 3 and
// 2 x 4 measured slower).
constexpr int kRows = 3;
constexpr int kToks = 4;

using MicroFn = void (*)(size_t, const uint8_t*, size_t, const uint8_t*, size_t, float*, size_t);

template <class W, int R, int T>
void Kernel(size_t k, const uint8_t* w, size_t wrb, const uint8_t* act, size_t arb, float* y,
            size_t ys) {
  if constexpr (T == 1) {
    MicroDecode<W, R>(k, w, wrb, act, y, ys);
  } else {
    Micro<W, R, T>(k, w, wrb, act, arb, y, ys);
  }
}

// fns[r - 1][t - 1] handles r rows and t tokens.
template <class W, int R, int... Ts>
constexpr std::array<MicroFn, kToks> RowFns(std::integer_sequence<int, Ts...>) {
  return {Kernel<W, R, Ts + 1>...};
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
