// AVX-512 VNNI kernels for the 32-value block types against ActQ8x32 activations.
//
// Two consecutive blocks share one 64-byte vector. Every type is brought to unsigned bytes
// u = q + offset (Q8_0 and IQ4_NL by a bias of 128), and one vpdpbusd per row and token gives
// sixteen exact int32 partial dots; it accumulates onto -offset * (partial sums of a), computed
// once per activation block pair, so the offset costs nothing per row. The partial dots are
// converted to float and accumulated with each block's d * da (plus m * da * sum a for the types
// with a minimum). An odd last block is done as a pair with an empty second half.
//
// Lane orders: the byte types keep each block's 32 bytes together (int32 lanes 0-7 block 0,
// 8-15 block 1); the nibble types put each 16-byte half of a block next to the other block's
// (lanes 0-3 and 8-11 block 0, 4-7 and 12-15 block 1), which is how the nibbles unpack.
#include "kernels/quant/simd_avx512.h"
// (after the SIMD header)
#include <algorithm>
#include <cfloat>

#include "kernels/quant/blocks.h"
#include "kernels/quant/kernels.h"

namespace exaone::kernels::quant::EXAONE_AVX512_NS {
namespace {

inline uint32_t Load32(const void* p) {
  uint32_t v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}

inline __m512i Join(__m256i lo, __m256i hi) {
  return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}

// Lane index vectors for _mm512_permutexvar_ps: kPick01 spreads elements 0 and 1 of a vector
// over block 0's and block 1's lanes; kFirst01 puts them in the first lane of each block and
// element 2 (a zero) everywhere else.
template <bool kSplit>
inline __m512i Pick01() {
  return kSplit ? _mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1)
                : _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
}
template <bool kSplit>
inline __m512i First01() {
  return kSplit ? _mm512_setr_epi32(0, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2)
                : _mm512_setr_epi32(0, 2, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 2);
}

// The 32 nibbles of block 0 and (kPair) of block 1 in the split order, as bytes 0..15.
template <bool kPair>
inline __m512i Nibbles(const uint8_t* qs0, const uint8_t* qs1) {
  const __m128i l0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs0));
  const __m128i l1 =
      kPair ? _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs1)) : _mm_setzero_si128();
  const __m256i x = _mm256_inserti128_si256(_mm256_castsi128_si256(l0), l1, 1);
  return _mm512_and_si512(Join(x, _mm256_srli_epi16(x, 4)), _mm512_set1_epi8(0x0F));
}

// Adds 16 to the bytes (split order) whose bit is set in the blocks' 32-bit qh fields.
inline __m512i AddHighBits(__m512i v, uint32_t qh0, uint32_t qh1) {
  const uint64_t lo = (qh0 & 0xFFFFu) | (qh1 & 0xFFFFu) << 16;
  const uint64_t hi = (qh0 >> 16) | (qh1 & 0xFFFF0000u);
  const __mmask64 m = static_cast<__mmask64>(lo | hi << 32);
  return _mm512_mask_add_epi8(v, m, v, _mm512_set1_epi8(16));
}

// d (and m) of block 0 and block 1 (0 when !kPair) spread over each block's lanes.
template <bool kSplit>
inline __m512 HalfPair(uint16_t h0, uint16_t h1) {
  const uint32_t both = h0 | static_cast<uint32_t>(h1) << 16;
  const __m128 f = _mm_cvtph_ps(_mm_cvtsi32_si128(static_cast<int>(both)));
  return _mm512_permutexvar_ps(Pick01<kSplit>(), _mm512_castps128_ps512(f));
}

// Each type: Block, kOffset (the bias of its unsigned bytes), kMin, kSplit (lane order), Load
// (both blocks' bytes), Scales (d and, with kMin, m per lane).
struct Q4_0 {
  using Block = BlockQ4_0;
  static constexpr int kOffset = 8;
  static constexpr bool kMin = false, kSplit = true;
  template <bool kPair>
  static __m512i Load(const Block* b) {
    return Nibbles<kPair>(b[0].qs, b[kPair ? 1 : 0].qs);
  }
  template <bool kPair>
  static void Scales(const Block* b, __m512& d, __m512&) {
    d = HalfPair<kSplit>(b[0].d, kPair ? b[1].d : 0);
  }
};
struct IQ4_NL {
  using Block = BlockQ4_0;
  static constexpr int kOffset = 128;
  static constexpr bool kMin = false, kSplit = true;
  template <bool kPair>
  static __m512i Load(const Block* b) {
    // kIq4NlValues + 128, as unsigned bytes.
    const __m512i table = _mm512_broadcast_i32x4(_mm_setr_epi8(
        1, 24, 45, 63, 79, 93, 106, 118, static_cast<char>(129), static_cast<char>(141),
        static_cast<char>(153), static_cast<char>(166), static_cast<char>(181),
        static_cast<char>(197), static_cast<char>(217), static_cast<char>(241)));
    return _mm512_shuffle_epi8(table, Nibbles<kPair>(b[0].qs, b[kPair ? 1 : 0].qs));
  }
  template <bool kPair>
  static void Scales(const Block* b, __m512& d, __m512&) {
    d = HalfPair<kSplit>(b[0].d, kPair ? b[1].d : 0);
  }
};
struct Q5_0 {
  using Block = BlockQ5_0;
  static constexpr int kOffset = 16;
  static constexpr bool kMin = false, kSplit = true;
  template <bool kPair>
  static __m512i Load(const Block* b) {
    return AddHighBits(Nibbles<kPair>(b[0].qs, b[kPair ? 1 : 0].qs), Load32(b[0].qh),
                       kPair ? Load32(b[1].qh) : 0u);
  }
  template <bool kPair>
  static void Scales(const Block* b, __m512& d, __m512&) {
    d = HalfPair<kSplit>(b[0].d, kPair ? b[1].d : 0);
  }
};
// d and m (the first four bytes) of both blocks in one conversion, [d0, m0, d1, m1], spread
// in the split order.
template <class Block, bool kPair>
inline void MinScales(const Block* b, __m512& d, __m512& m) {
  const __m128i h = _mm_setr_epi32(static_cast<int>(Load32(&b[0])),
                                   kPair ? static_cast<int>(Load32(&b[1])) : 0, 0, 0);
  const __m512 f = _mm512_castps128_ps512(_mm_cvtph_ps(h));
  d = _mm512_permutexvar_ps(_mm512_setr_epi32(0, 0, 0, 0, 2, 2, 2, 2, 0, 0, 0, 0, 2, 2, 2, 2), f);
  m = _mm512_permutexvar_ps(_mm512_setr_epi32(1, 1, 1, 1, 3, 3, 3, 3, 1, 1, 1, 1, 3, 3, 3, 3), f);
}
struct Q4_1 {
  using Block = BlockQ4_1;
  static constexpr int kOffset = 0;
  static constexpr bool kMin = true, kSplit = true;
  template <bool kPair>
  static __m512i Load(const Block* b) {
    return Nibbles<kPair>(b[0].qs, b[kPair ? 1 : 0].qs);
  }
  template <bool kPair>
  static void Scales(const Block* b, __m512& d, __m512& m) {
    MinScales<Block, kPair>(b, d, m);
  }
};
struct Q5_1 {
  using Block = BlockQ5_1;
  static constexpr int kOffset = 0;
  static constexpr bool kMin = true, kSplit = true;
  template <bool kPair>
  static __m512i Load(const Block* b) {
    return AddHighBits(Nibbles<kPair>(b[0].qs, b[kPair ? 1 : 0].qs), Load32(b[0].qh),
                       kPair ? Load32(b[1].qh) : 0u);
  }
  template <bool kPair>
  static void Scales(const Block* b, __m512& d, __m512& m) {
    MinScales<Block, kPair>(b, d, m);
  }
};
struct Q8_0 {
  using Block = BlockQ8_0;
  static constexpr int kOffset = 128;
  static constexpr bool kMin = false, kSplit = false;
  template <bool kPair>
  static __m512i Load(const Block* b) {
    const __m256i q0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b[0].qs));
    const __m256i q1 = kPair ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b[1].qs)) : q0;
    return _mm512_xor_si512(Join(q0, q1), _mm512_set1_epi8(static_cast<char>(0x80)));
  }
  template <bool kPair>
  static void Scales(const Block* b, __m512& d, __m512&) {
    d = HalfPair<kSplit>(b[0].d, kPair ? b[1].d : 0);
  }
};

// The upper 256 bits. (GCC 12's extract and reduce intrinsics trip -Wuninitialized inside its
// own headers; a lane shuffle does not.)
inline __m256i Upper(__m512i v) {
  return _mm512_castsi512_si256(_mm512_shuffle_i32x4(v, v, 0xEE));
}

inline float Hsum(__m512 v) {
  const __m256 hi = _mm256_castsi256_ps(Upper(_mm512_castps_si512(v)));
  const __m256 s8 = _mm256_add_ps(_mm512_castps512_ps256(v), hi);
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline float Hmax(__m512 v) {
  const __m256 hi = _mm256_castsi256_ps(Upper(_mm512_castps_si512(v)));
  const __m256 m8 = _mm256_max_ps(_mm512_castps512_ps256(v), hi);
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(m8), _mm256_extractf128_ps(m8, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_movehdup_ps(m));
  return _mm_cvtss_f32(m);
}

inline int32_t HsumInt(__m512i v) {
  const __m256i s8 = _mm256_add_epi32(_mm512_castsi512_si256(v), Upper(v));
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(s8), _mm256_extracti128_si256(s8, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm_cvtsi128_si32(s);
}

// Bytes ahead in a weight row that the kernels prefetch: the hardware prefetcher alone keeps too
// few lines in flight for these compute-dense loops (measured with the AVX2 kernels, whose
// decode from DRAM ran 30-50% slower without it).
constexpr int kPrefetch = 4096;

template <class W, int R, int T>
void Micro(size_t nb, const uint8_t* w, size_t wrb, const uint8_t* act, size_t arb, float* y,
           size_t ys) {
  using Block = typename W::Block;
  __m512 acc[R][T];
  for (int r = 0; r < R; ++r) {
    for (int t = 0; t < T; ++t) acc[r][t] = _mm512_setzero_ps();
  }
  // Blocks b and (kPair) b + 1. Without kPair the second half of every vector is zero (its
  // activations and scales), so it adds nothing.
  auto step = [&]<bool kPair>(size_t b) {
    __m512i a[T], base[T];
    __m512 da[T];
    [[maybe_unused]] __m512 s[T];
    for (int t = 0; t < T; ++t) {
      const ActQ8x32* ab = reinterpret_cast<const ActQ8x32*>(act + t * arb) + b;
      const __m256i a0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ab[0].q));
      const __m256i a1 = kPair ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ab[1].q))
                               : _mm256_setzero_si256();
      a[t] = Join(a0, a1);
      // Split order: the 16-byte halves as [a0 lo, a1 lo, a0 hi, a1 hi].
      if constexpr (W::kSplit) {
        a[t] = _mm512_permutexvar_epi64(_mm512_setr_epi64(0, 1, 4, 5, 2, 3, 6, 7), a[t]);
      }
      const float d1 = kPair ? ab[1].d : 0.0f;
      da[t] = _mm512_permutexvar_ps(Pick01<W::kSplit>(),
                                    _mm512_castps128_ps512(_mm_setr_ps(ab[0].d, d1, 0, 0)));
      if constexpr (W::kOffset != 0) {
        const __m512i zero = _mm512_setzero_si512();
        base[t] = _mm512_sub_epi32(
            zero, _mm512_dpbusd_epi32(zero, _mm512_set1_epi8(static_cast<char>(W::kOffset)), a[t]));
      } else {
        base[t] = _mm512_setzero_si512();
      }
      if constexpr (W::kMin) {
        const float s0 = ab[0].d * static_cast<float>(ab[0].sum);
        const float s1 = kPair ? ab[1].d * static_cast<float>(ab[1].sum) : 0.0f;
        s[t] = _mm512_permutexvar_ps(First01<W::kSplit>(),
                                     _mm512_castps128_ps512(_mm_setr_ps(s0, s1, 0, 0)));
      }
    }
    for (int r = 0; r < R; ++r) {
      const Block* blk = reinterpret_cast<const Block*>(w + r * wrb) + b;
      const char* ahead = reinterpret_cast<const char*>(blk) + kPrefetch;
      _mm_prefetch(ahead, _MM_HINT_T0);
      if constexpr (2 * sizeof(Block) > 64) _mm_prefetch(ahead + 64, _MM_HINT_T0);
      const __m512i wq = W::template Load<kPair>(blk);
      __m512 dw, m;
      W::template Scales<kPair>(blk, dw, m);
      for (int t = 0; t < T; ++t) {
        const __m512 p = _mm512_cvtepi32_ps(_mm512_dpbusd_epi32(base[t], wq, a[t]));
        acc[r][t] = _mm512_fmadd_ps(p, _mm512_mul_ps(dw, da[t]), acc[r][t]);
        if constexpr (W::kMin) acc[r][t] = _mm512_fmadd_ps(m, s[t], acc[r][t]);
      }
    }
  };
  size_t b = 0;
  for (; b + 2 <= nb; b += 2) step.template operator()<true>(b);
  if (b < nb) step.template operator()<false>(b);
  for (int r = 0; r < R; ++r) {
    for (int t = 0; t < T; ++t) y[t * ys + r] = Hsum(acc[r][t]);
  }
}

constexpr int kRows = 4;  // rows per micro-kernel
constexpr int kToks = 3;  // tokens per micro-kernel

using MicroFn = void (*)(size_t, const uint8_t*, size_t, const uint8_t*, size_t, float*, size_t);

template <class W, int R>
struct RowFns {
  static constexpr MicroFn fns[kToks] = {Micro<W, R, 1>, Micro<W, R, 2>, Micro<W, R, 3>};
};

template <class W>
void Tile(size_t k, const void* w, size_t w_row_bytes, size_t rows, const void* act,
          size_t act_row_bytes, size_t toks, float* y, size_t y_stride) {
  // fns[r - 1][t - 1] handles r rows and t tokens.
  static constexpr const MicroFn* fns[kRows] = {RowFns<W, 1>::fns, RowFns<W, 2>::fns,
                                                RowFns<W, 3>::fns, RowFns<W, 4>::fns};
  const size_t nb = k / kQK;
  const auto* wb = static_cast<const uint8_t*>(w);
  const auto* ab = static_cast<const uint8_t*>(act);
  if (toks == 1) {  // decode: one row at a time, each a single sequential stream
    for (size_t r = 0; r < rows; ++r) {
      Micro<W, 1, 1>(nb, wb + r * w_row_bytes, w_row_bytes, ab, act_row_bytes, y + r, y_stride);
    }
    return;
  }
  for (size_t r0 = 0; r0 < rows; r0 += kRows) {
    const size_t nr = std::min<size_t>(kRows, rows - r0);
    for (size_t t0 = 0; t0 < toks; t0 += kToks) {
      const size_t nt = std::min<size_t>(kToks, toks - t0);
      fns[nr - 1][nt - 1](nb, wb + r0 * w_row_bytes, w_row_bytes, ab + t0 * act_row_bytes,
                          act_row_bytes, y + t0 * y_stride + r0, y_stride);
    }
  }
}

// Same bytes as the scalar PrepareQ8x32: d = max|x| / 127 (0 below FLT_MIN), q = x * (1 / d)
// rounded half to even by cvtps (the default MXCSR mode).
void PrepareQ8x32(const float* x, size_t k, void* out) {
  auto* blocks = static_cast<ActQ8x32*>(out);
  for (size_t b = 0; b < k / kQK; ++b) {
    const float* xb = x + b * kQK;
    const __m512 v0 = _mm512_loadu_ps(xb);
    const __m512 v1 = _mm512_loadu_ps(xb + 16);
    float d = Hmax(_mm512_max_ps(_mm512_abs_ps(v0), _mm512_abs_ps(v1))) / 127.0f;
    if (!(d >= FLT_MIN)) d = 0;
    const __m512 id = _mm512_set1_ps(d != 0 ? 1.0f / d : 0.0f);
    const __m512i i0 = _mm512_cvtps_epi32(_mm512_mul_ps(v0, id));
    const __m512i i1 = _mm512_cvtps_epi32(_mm512_mul_ps(v1, id));
    ActQ8x32& a = blocks[b];
    a.d = d;
    a.sum = HsumInt(_mm512_add_epi32(i0, i1));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(a.q), _mm512_cvtepi32_epi8(i0));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(a.q + 16), _mm512_cvtepi32_epi8(i1));
  }
}

constexpr WeightKernels kQ4_0{ActFormat::kQ8x32, PrepareQ8x32, Tile<Q4_0>};
constexpr WeightKernels kQ4_1{ActFormat::kQ8x32, PrepareQ8x32, Tile<Q4_1>};
constexpr WeightKernels kQ5_0{ActFormat::kQ8x32, PrepareQ8x32, Tile<Q5_0>};
constexpr WeightKernels kQ5_1{ActFormat::kQ8x32, PrepareQ8x32, Tile<Q5_1>};
constexpr WeightKernels kQ8_0{ActFormat::kQ8x32, PrepareQ8x32, Tile<Q8_0>};
constexpr WeightKernels kIQ4_NL{ActFormat::kQ8x32, PrepareQ8x32, Tile<IQ4_NL>};

}  // namespace

const WeightKernels* LegacyKernels(DType t) {
  switch (t) {
    case DType::kQ4_0:
      return &kQ4_0;
    case DType::kQ4_1:
      return &kQ4_1;
    case DType::kQ5_0:
      return &kQ5_0;
    case DType::kQ5_1:
      return &kQ5_1;
    case DType::kQ8_0:
      return &kQ8_0;
    case DType::kIQ4_NL:
      return &kIQ4_NL;
    default:
      return nullptr;
  }
}

}  // namespace exaone::kernels::quant::EXAONE_AVX512_NS
