// AVX-512 tiles for F32/F16/BF16 weights with float32 activations: the AVX2 scheme (R rows x T
// tokens of vector accumulators, one horizontal sum per output) with 16-float vectors and the
// larger register file used for more tokens per weight load.
#include "kernels/quant/simd_avx512.h"
// (after the SIMD header)
#include <algorithm>

#include "base/half.h"
#include "kernels/quant/kernels.h"

namespace exaone::kernels::quant::EXAONE_AVX512_NS {
namespace {

struct F32 {
  static constexpr size_t kBytes = 4;
  static __m512 Load16(const uint8_t* p) { return _mm512_loadu_ps(p); }
  static float At(const uint8_t* p, size_t i) {
    float v;
    __builtin_memcpy(&v, p + 4 * i, 4);
    return v;
  }
};
struct F16 {
  static constexpr size_t kBytes = 2;
  static __m512 Load16(const uint8_t* p) {
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
  static float At(const uint8_t* p, size_t i) {
    uint16_t h;
    __builtin_memcpy(&h, p + 2 * i, 2);
    return F16ToF32(h);
  }
};
struct BF16 {
  static constexpr size_t kBytes = 2;
  static __m512 Load16(const uint8_t* p) {
    const __m512i v =
        _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
    return _mm512_castsi512_ps(_mm512_slli_epi32(v, 16));
  }
  static float At(const uint8_t* p, size_t i) {
    uint16_t h;
    __builtin_memcpy(&h, p + 2 * i, 2);
    return Bf16ToF32(h);
  }
};

// Sum of the 16 lanes. (The upper half comes down by a shuffle: GCC 12's extract intrinsics
// trip -Wuninitialized inside its own headers.)
inline float Hsum(__m512 v) {
  const __m512i vi = _mm512_castps_si512(v);
  const __m256 hi = _mm512_castps512_ps256(_mm512_castsi512_ps(_mm512_shuffle_i32x4(vi, vi, 0xEE)));
  const __m256 s8 = _mm256_add_ps(_mm512_castps512_ps256(v), hi);
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// y[t * ys + r] for r < R, t < T; the values past the last multiple of 16 are done in scalar.
template <class W, int R, int T>
void Micro(size_t k, const uint8_t* w, size_t wrb, const uint8_t* act, size_t arb, float* y,
           size_t ys) {
  const size_t k16 = k & ~size_t{15};
  __m512 acc[R][T];
  for (int r = 0; r < R; ++r) {
    for (int t = 0; t < T; ++t) acc[r][t] = _mm512_setzero_ps();
  }
  for (size_t i = 0; i < k16; i += 16) {
    __m512 wv[R];
    for (int r = 0; r < R; ++r) wv[r] = W::Load16(w + r * wrb + i * W::kBytes);
    for (int t = 0; t < T; ++t) {
      const __m512 x = _mm512_loadu_ps(reinterpret_cast<const float*>(act + t * arb) + i);
      for (int r = 0; r < R; ++r) acc[r][t] = _mm512_fmadd_ps(wv[r], x, acc[r][t]);
    }
  }
  for (int r = 0; r < R; ++r) {
    for (int t = 0; t < T; ++t) {
      float s = Hsum(acc[r][t]);
      const auto* x = reinterpret_cast<const float*>(act + t * arb);
      for (size_t i = k16; i < k; ++i) s += W::At(w + r * wrb, i) * x[i];
      y[t * ys + r] = s;
    }
  }
}

// One token, R rows, 32 values per step in two accumulators per row.
template <class W, int R>
void MicroDecode(size_t k, const uint8_t* w, size_t wrb, const uint8_t* act, size_t, float* y,
                 size_t) {
  const size_t k32 = k & ~size_t{31};
  const auto* x = reinterpret_cast<const float*>(act);
  __m512 acc0[R], acc1[R];
  for (int r = 0; r < R; ++r) acc0[r] = acc1[r] = _mm512_setzero_ps();
  for (size_t i = 0; i < k32; i += 32) {
    const __m512 x0 = _mm512_loadu_ps(x + i);
    const __m512 x1 = _mm512_loadu_ps(x + i + 16);
    for (int r = 0; r < R; ++r) {
      const uint8_t* p = w + r * wrb + i * W::kBytes;
      acc0[r] = _mm512_fmadd_ps(W::Load16(p), x0, acc0[r]);
      acc1[r] = _mm512_fmadd_ps(W::Load16(p + 16 * W::kBytes), x1, acc1[r]);
    }
  }
  for (int r = 0; r < R; ++r) {
    float s = Hsum(_mm512_add_ps(acc0[r], acc1[r]));
    for (size_t i = k32; i < k; ++i) s += W::At(w + r * wrb, i) * x[i];
    y[r] = s;
  }
}

constexpr int kRows = 4;  // rows per micro-kernel
constexpr int kToks = 4;  // tokens per micro-kernel (prefill)

using MicroFn = void (*)(size_t, const uint8_t*, size_t, const uint8_t*, size_t, float*, size_t);

template <class W, int R>
struct RowFns {
  static constexpr MicroFn fns[kToks] = {MicroDecode<W, R>, Micro<W, R, 2>, Micro<W, R, 3>,
                                         Micro<W, R, 4>};
};

template <class W>
void Tile(size_t k, const void* w, size_t w_row_bytes, size_t rows, const void* act,
          size_t act_row_bytes, size_t toks, float* y, size_t y_stride) {
  // fns[r - 1][t - 1] handles r rows and t tokens.
  static constexpr const MicroFn* fns[kRows] = {RowFns<W, 1>::fns, RowFns<W, 2>::fns,
                                                RowFns<W, 3>::fns, RowFns<W, 4>::fns};
  const auto* wb = static_cast<const uint8_t*>(w);
  const auto* ab = static_cast<const uint8_t*>(act);
  if (toks == 1) {  // decode: one row at a time, each a single sequential stream
    for (size_t r = 0; r < rows; ++r) {
      MicroDecode<W, 1>(k, wb + r * w_row_bytes, w_row_bytes, ab, act_row_bytes, y + r, y_stride);
    }
    return;
  }
  for (size_t r0 = 0; r0 < rows; r0 += kRows) {
    const size_t nr = std::min<size_t>(kRows, rows - r0);
    for (size_t t0 = 0; t0 < toks; t0 += kToks) {
      const size_t nt = std::min<size_t>(kToks, toks - t0);
      fns[nr - 1][nt - 1](k, wb + r0 * w_row_bytes, w_row_bytes, ab + t0 * act_row_bytes,
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

}  // namespace exaone::kernels::quant::EXAONE_AVX512_NS
