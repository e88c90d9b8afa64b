// GCC 12 reports the placeholders of its own _mm512_undefined_* (used by the broadcasts) as
// uninitialized where they are inlined (GCC bug 105593).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include "kernels/quant/simd_avx512.h"
// (after the SIMD header)
//
// AVX-512 (BW + VNNI) kernels for the K types (Q2_K..Q6_K) and IQ4_XS against ActQ8x256
// activations. The same scheme as the AVX2 file on 64 values per register: unsigned quants times
// int8 activations with _mm512_maddubs_epi16, then times the 16-bit sub-block scales and summed
// into int32 lanes in one _mm512_dpwssd_epi32. Offsets and minimums come from the activation run
// sums (bsums); float accumulation per super-block, one horizontal sum per output.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <utility>
#include <vector>

#include "kernels/quant/blocks.h"
#include "kernels/quant/kernels.h"

namespace exaone::kernels::quant::EXAONE_AVX512_NS {
namespace {

#define EXA_INLINE inline __attribute__((always_inline))

template <int N, class F>
EXA_INLINE void Unroll(F&& f) {
  [&]<int... I>(std::integer_sequence<int, I...>) {
    (f(std::integral_constant<int, I>{}), ...);
  }
  (std::make_integer_sequence<int, N>{});
}

struct alignas(64) Bytes64 {
  int8_t v[64];
};
template <class F>
constexpr Bytes64 MakeBytes(F f) {
  Bytes64 b{};
  for (int i = 0; i < 64; ++i) b.v[i] = static_cast<int8_t>(f(i));
  return b;
}
EXA_INLINE __m512i Load(const Bytes64& b) {
  return _mm512_loadu_si512(b.v);
}

EXA_INLINE __m256i LoadU256(const void* p) {
  return _mm256_loadu_si256(static_cast<const __m256i*>(p));
}
EXA_INLINE __m128i LoadU128(const void* p) {
  return _mm_loadu_si128(static_cast<const __m128i*>(p));
}
// The 32 bytes at p in both halves.
EXA_INLINE __m512i Broadcast256(const void* p) {
  return _mm512_broadcast_i64x4(LoadU256(p));
}
EXA_INLINE float Half(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(h)));
}
EXA_INLINE __m512i Mask8(int v) {
  return _mm512_set1_epi8(static_cast<char>(v));
}

EXA_INLINE float Hsum(__m512 v) {
  const __m256 lo = _mm512_castps512_ps256(v);
  const __m256 hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
  const __m256 s8 = _mm256_add_ps(lo, hi);
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// ---- activations (256-bit code: the bytes must equal the other targets') ----

void PrepareQ8x256(const float* x, size_t k, void* out) {
  auto* blocks = static_cast<ActQ8x256*>(out);
  const __m256 sign = _mm256_set1_ps(-0.0f);
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  const __m256i ones8 = _mm256_set1_epi8(1);
  const __m256i ones16 = _mm256_set1_epi16(1);
  for (size_t b = 0; b < k / kQKK; ++b, x += kQKK) {
    __m256 mx = _mm256_setzero_ps();
    for (int i = 0; i < kQKK; i += 8) {
      mx = _mm256_max_ps(mx, _mm256_andnot_ps(sign, _mm256_loadu_ps(x + i)));
    }
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(mx), _mm256_extractf128_ps(mx, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    float d = _mm_cvtss_f32(m) / 127.0f;
    if (d < std::numeric_limits<float>::min()) d = 0.0f;  // 1 / d would overflow
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    const __m256 vid = _mm256_set1_ps(id);
    ActQ8x256& a = blocks[b];
    a.d = d;
    __m256i part[8];
    for (int i = 0; i < 8; ++i) {
      const float* xi = x + 32 * i;
      const __m256i q0 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(xi), vid));
      const __m256i q1 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(xi + 8), vid));
      const __m256i q2 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(xi + 16), vid));
      const __m256i q3 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(xi + 24), vid));
      const __m256i p = _mm256_packs_epi16(_mm256_packs_epi32(q0, q1), _mm256_packs_epi32(q2, q3));
      const __m256i q = _mm256_permutevar8x32_epi32(p, order);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(a.q + 32 * i), q);
      part[i] = _mm256_madd_epi16(_mm256_maddubs_epi16(ones8, q), ones16);
    }
    const __m256i s0 =
        _mm256_hadd_epi32(_mm256_hadd_epi32(part[0], part[1]), _mm256_hadd_epi32(part[2], part[3]));
    const __m256i s1 =
        _mm256_hadd_epi32(_mm256_hadd_epi32(part[4], part[5]), _mm256_hadd_epi32(part[6], part[7]));
    const __m256i s = _mm256_packs_epi32(s0, s1);  // [even runs | odd runs]
    const __m128i even = _mm256_castsi256_si128(s), odd = _mm256_extracti128_si256(s, 1);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(a.bsums), _mm_unpacklo_epi16(even, odd));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(a.bsums + 8), _mm_unpackhi_epi16(even, odd));
  }
}

// ---- weight types ----
//
// Each type provides, for one super-block at `b` and group G of 64 values (64G .. 64G + 63):
//   Prep Prepare(b)                 scales unpacked once per row and super-block
//   W Weights<G>(b)                 the 64 quants of group G
//   __m512i Scale<G>(prep)          16-bit scale per 16-bit product lane
//   __m512i Dot(W, a)               16-bit pair products of quants and activations
//   Tail MakeTail(b, prep)          what Finish needs per row
//   Finish(tail, act, mins, isum, acc)
//                                   acc += this super-block's float contribution
//   kMinRuns                        0, or the runs of 16 activations (8 or 16) one minimum
//                                   covers: the minimums are then taken from `mins` (see
//                                   MinSums) instead of the bsums

EXA_INLINE __m512i DotU8(__m512i w, __m512i a) {
  return _mm512_maddubs_epi16(w, a);
}

// Scale control on bytes broadcast to all four 128-bit lanes: each 16-bit lane of 128-bit lane
// L takes byte sub(L) zero-extended.
template <class F>
constexpr Bytes64 ByteScaleCtrl(F sub) {
  return MakeBytes([sub](int i) { return i % 2 == 0 ? sub(i / 16) : 0x80; });
}
// Scale control on eight 16-bit scales broadcast to all four lanes: lane L takes word(L).
template <class F>
constexpr Bytes64 WordScaleCtrl(F word) {
  return MakeBytes([word](int i) { return 2 * word(i / 16) + i % 2; });
}

// 64 bytes with v0 in the low 32 and v1 in the high 32.
constexpr Bytes64 Halves(int v0, int v1) {
  return MakeBytes([v0, v1](int i) { return i < 32 ? v0 : v1; });
}
// 32 16-bit lanes with v0 in the low 16 and v1 in the high 16.
EXA_INLINE __m512i HalvesEpi16(int v0, int v1) {
  return _mm512_inserti64x4(_mm512_set1_epi16(static_cast<int16_t>(v0)),
                            _mm256_set1_epi16(static_cast<int16_t>(v1)), 1);
}

// The minimums (Q2_K, Q4_K, Q5_K) have their own fp16 factor, so they cannot join the integer
// sums. Their part, dmin * sum_j m[j] * da * bsum[j], is a float dot product of a per-row vector
// (dmin * m) and a per-token one (da * bsum, grouped per minimum): the tile computes the token
// vectors once per call (MinSums) and the kernel adds one FMA per super-block and token.
constexpr int kMinStride = 16;  // floats per token and super-block in the MinSums output

// out[(t * nb + b) * kMinStride + j] = d * (sum of the bsums of minimum j) of super-block b of
// token t, for j < kRuns (8: pairs of runs, 16: single runs); zeros up to kMinStride.
template <int kRuns>
void MinSums(const uint8_t* act, size_t act_row_bytes, size_t toks, size_t nb, float* out) {
  for (size_t t = 0; t < toks; ++t) {
    const auto* a = reinterpret_cast<const ActQ8x256*>(act + t * act_row_bytes);
    for (size_t b = 0; b < nb; ++b, out += kMinStride) {
      const __m256 d = _mm256_broadcast_ss(&a[b].d);
      const __m256i bs = LoadU256(a[b].bsums);
      if constexpr (kRuns == 8) {
        const __m256i pairs = _mm256_madd_epi16(bs, _mm256_set1_epi16(1));
        _mm256_storeu_ps(out, _mm256_mul_ps(d, _mm256_cvtepi32_ps(pairs)));
        _mm256_storeu_ps(out + 8, _mm256_setzero_ps());
      } else {
        const __m256i lo = _mm256_cvtepi16_epi32(_mm256_castsi256_si128(bs));
        const __m256i hi = _mm256_cvtepi16_epi32(_mm256_extracti128_si256(bs, 1));
        _mm256_storeu_ps(out, _mm256_mul_ps(d, _mm256_cvtepi32_ps(lo)));
        _mm256_storeu_ps(out + 8, _mm256_mul_ps(d, _mm256_cvtepi32_ps(hi)));
      }
    }
  }
}

struct MinTail {
  __m512 d;   // fp16 d in every lane
  __m512 dm;  // dmin * minimum (zeros past the type's minimums)
};
EXA_INLINE void FinishMin(const MinTail& tl, const ActQ8x256* a, const float* mins, __m512i isum,
                          __m512& acc) {
  acc = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(isum), tl.d), _mm512_set1_ps(a->d), acc);
  acc = _mm512_fnmadd_ps(tl.dm, _mm512_loadu_ps(mins), acc);
}
// dmin * the 16 bytes of m as floats.
EXA_INLINE __m512 ScaledMins(__m128i m, float dmin) {
  const __m512i m32 = _mm512_cvtepu16_epi32(_mm256_cvtepu8_epi16(m));
  return _mm512_mul_ps(_mm512_set1_ps(dmin), _mm512_cvtepi32_ps(m32));
}

// The tail for types with a fixed quant offset (Q3_K: 4, Q6_K: 32) and signed scales: the
// offset joins the integer sums.
struct OffsetTail {
  __m256i neg16;  // -offset * scale per activation run of 16
  __m512 d;
};
EXA_INLINE void FinishOffset(const OffsetTail& tl, const ActQ8x256* a, __m512i isum, __m512& acc) {
  isum = _mm512_dpwssd_epi32(isum, _mm512_zextsi256_si512(LoadU256(a->bsums)),
                             _mm512_zextsi256_si512(tl.neg16));
  acc = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(isum), tl.d), _mm512_set1_ps(a->d), acc);
}

// Q4_K / Q5_K: bytes [sc0 .. sc7, m0 .. m7] from the 12 packed bytes at s (reads 16).
EXA_INLINE __m128i UnpackScaleMin4(const uint8_t* s) {
  const __m128i v = LoadU128(s);
  __m128i a = _mm_shuffle_epi32(v, _MM_SHUFFLE(2, 1, 2, 0));  // u0 u2 u1 u2
  __m128i b = _mm_shuffle_epi32(v, _MM_SHUFFLE(1, 1, 0, 0));  // u0 u0 u1 u1
  a = _mm_srlv_epi32(a, _mm_setr_epi32(0, 0, 0, 4));
  a = _mm_and_si128(a, _mm_setr_epi32(0x3f3f3f3f, 0x0f0f0f0f, 0x3f3f3f3f, 0x0f0f0f0f));
  b = _mm_and_si128(_mm_srli_epi32(b, 2), _mm_setr_epi32(0, 0x30303030, 0, 0x30303030));
  return _mm_or_si128(a, b);
}

struct Q4K {
  static constexpr size_t kBytes = sizeof(BlockQ4_K);
  static constexpr size_t kQs = offsetof(BlockQ4_K, qs);
  using W = __m512i;
  using Prep = __m512i;  // [sc0..7 m0..7] in every lane
  using Tail = MinTail;
  static constexpr int kMinRuns = 8;
  static EXA_INLINE Prep Prepare(const uint8_t* b) {
    return _mm512_broadcast_i32x4(UnpackScaleMin4(b + offsetof(BlockQ4_K, scales)));
  }
  // Group G: the low nibbles of bytes 32G .. 32G + 31, then their high nibbles.
  template <int G>
  static EXA_INLINE W Weights(const uint8_t* b) {
    const __m512i q = Broadcast256(b + kQs + 32 * G);
    return _mm512_and_si512(_mm512_mask_srli_epi16(q, 0xffff0000u, q, 4), Mask8(0x0f));
  }
  template <int G>
  static EXA_INLINE __m512i Scale(const Prep& p) {
    static constexpr Bytes64 kCtrl = ByteScaleCtrl([](int lane) { return 2 * G + lane / 2; });
    return _mm512_shuffle_epi8(p, Load(kCtrl));
  }
  static EXA_INLINE __m512i Dot(W w, __m512i a) { return DotU8(w, a); }
  static EXA_INLINE Tail MakeTail(const uint8_t* b, const Prep& p) {
    const __m128i m8 = _mm_srli_si128(_mm512_castsi512_si128(p), 8);  // m0..7, then zeros
    return {_mm512_set1_ps(Half(b)), ScaledMins(m8, Half(b + 2))};
  }
  static EXA_INLINE void Finish(const Tail& tl, const ActQ8x256* a, const float* mins, __m512i isum,
                                __m512& acc) {
    FinishMin(tl, a, mins, isum, acc);
  }
};

struct Q5K : Q4K {
  static constexpr size_t kBytes = sizeof(BlockQ5_K);
  static constexpr size_t kQs = offsetof(BlockQ5_K, qs);
  template <int G>
  static EXA_INLINE W Weights(const uint8_t* b) {
    const __m512i q = Broadcast256(b + kQs + 32 * G);
    const __m512i low = _mm512_and_si512(_mm512_mask_srli_epi16(q, 0xffff0000u, q, 4), Mask8(0x0f));
    // value 32C + l has bit C of qh[l]: C = 2G in the low half, 2G + 1 in the high half
    static constexpr Bytes64 kBit = Halves(1 << (2 * G), 1 << (2 * G + 1));
    const __mmask64 high =
        _mm512_test_epi8_mask(Broadcast256(b + offsetof(BlockQ5_K, qh)), Load(kBit));
    return _mm512_mask_add_epi8(low, high, low, Mask8(0x10));
  }
};

struct Q2K {
  static constexpr size_t kBytes = sizeof(BlockQ2_K);
  using W = __m512i;
  using Prep = __m512i;  // the 16 scale nibbles in every lane
  using Tail = MinTail;
  static constexpr int kMinRuns = 16;
  static EXA_INLINE Prep Prepare(const uint8_t* b) {
    const __m128i s = LoadU128(b + offsetof(BlockQ2_K, scales));
    return _mm512_broadcast_i32x4(_mm_and_si128(s, _mm_set1_epi8(0x0f)));
  }
  // Group G: 2-bit fields 2 (G % 2) and 2 (G % 2) + 1 of bytes 32 (G / 2) .. + 31.
  template <int G>
  static EXA_INLINE W Weights(const uint8_t* b) {
    const __m512i q = Broadcast256(b + offsetof(BlockQ2_K, qs) + 32 * (G / 2));
    const int s = 4 * (G % 2);
    return _mm512_and_si512(_mm512_srlv_epi16(q, HalvesEpi16(s, s + 2)), Mask8(3));
  }
  template <int G>
  static EXA_INLINE __m512i Scale(const Prep& p) {
    static constexpr Bytes64 kCtrl = ByteScaleCtrl([](int lane) { return 4 * G + lane; });
    return _mm512_shuffle_epi8(p, Load(kCtrl));
  }
  static EXA_INLINE __m512i Dot(W w, __m512i a) { return DotU8(w, a); }
  static EXA_INLINE Tail MakeTail(const uint8_t* b, const Prep&) {
    const __m128i s = LoadU128(b + offsetof(BlockQ2_K, scales));
    const __m128i m = _mm_and_si128(_mm_srli_epi16(s, 4), _mm_set1_epi8(0x0f));
    return {_mm512_set1_ps(Half(b + offsetof(BlockQ2_K, d))),
            ScaledMins(m, Half(b + offsetof(BlockQ2_K, dmin)))};
  }
  static EXA_INLINE void Finish(const Tail& tl, const ActQ8x256* a, const float* mins, __m512i isum,
                                __m512& acc) {
    FinishMin(tl, a, mins, isum, acc);
  }
};

// 16 signed 16-bit scales: words 0..7 and 8..15 each broadcast to every lane.
struct SignedScales16 {
  __m512i lo, hi;
};
EXA_INLINE SignedScales16 SplitScales(__m256i sc16) {
  return {_mm512_broadcast_i32x4(_mm256_castsi256_si128(sc16)),
          _mm512_broadcast_i32x4(_mm256_extracti128_si256(sc16, 1))};
}
// Lane L of group G covers sub-block 4G + L.
template <int G>
EXA_INLINE __m512i SignedScale(const SignedScales16& p) {
  static constexpr Bytes64 kCtrl = WordScaleCtrl([](int lane) { return (4 * G + lane) % 8; });
  return _mm512_shuffle_epi8(G < 2 ? p.lo : p.hi, Load(kCtrl));
}

EXA_INLINE __m128i UnpackScalesQ3(const uint8_t* s) {
  const __m128i v = _mm_srli_si128(LoadU128(s - 4), 4);       // the block ends 2 bytes after s + 12
  __m128i a = _mm_shuffle_epi32(v, _MM_SHUFFLE(1, 0, 1, 0));  // u0 u1 u0 u1
  a = _mm_and_si128(_mm_srlv_epi32(a, _mm_setr_epi32(0, 0, 4, 4)), _mm_set1_epi8(0x0f));
  __m128i h = _mm_shuffle_epi32(v, _MM_SHUFFLE(2, 2, 2, 2));  // u2
  h = _mm_srlv_epi32(_mm_sllv_epi32(h, _mm_setr_epi32(4, 2, 0, 0)), _mm_setr_epi32(0, 0, 0, 2));
  h = _mm_and_si128(h, _mm_set1_epi8(0x30));
  return _mm_sub_epi8(_mm_or_si128(a, h), _mm_set1_epi8(32));
}

// -offset * scale in 16 bits.
template <int kOffset>
EXA_INLINE __m256i NegScaled(__m256i sc16) {
  return _mm256_mullo_epi16(sc16, _mm256_set1_epi16(-kOffset));
}

struct Q3K {
  static constexpr size_t kBytes = sizeof(BlockQ3_K);
  using W = __m512i;
  using Prep = SignedScales16;
  using Tail = OffsetTail;
  static constexpr int kMinRuns = 0;
  static EXA_INLINE __m256i Scales16(const uint8_t* b) {
    return _mm256_cvtepi8_epi16(UnpackScalesQ3(b + offsetof(BlockQ3_K, scales)));
  }
  static EXA_INLINE Prep Prepare(const uint8_t* b) { return SplitScales(Scales16(b)); }
  template <int G>
  static EXA_INLINE W Weights(const uint8_t* b) {
    const __m512i q = Broadcast256(b + offsetof(BlockQ3_K, qs) + 32 * (G / 2));
    const int s = 4 * (G % 2);
    const __m512i low = _mm512_and_si512(_mm512_srlv_epi16(q, HalvesEpi16(s, s + 2)), Mask8(3));
    // a set bit C of hmask[l] adds 4 (the quant is low - 4 + 4 * bit); C = 2G, 2G + 1
    static constexpr Bytes64 kBit = Halves(1 << (2 * G), 1 << (2 * G + 1));
    const __mmask64 high =
        _mm512_test_epi8_mask(Broadcast256(b + offsetof(BlockQ3_K, hmask)), Load(kBit));
    return _mm512_mask_add_epi8(low, high, low, Mask8(4));
  }
  template <int G>
  static EXA_INLINE __m512i Scale(const Prep& p) {
    return SignedScale<G>(p);
  }
  static EXA_INLINE __m512i Dot(W w, __m512i a) { return DotU8(w, a); }
  static EXA_INLINE Tail MakeTail(const uint8_t* b, const Prep&) {
    return {NegScaled<4>(Scales16(b)), _mm512_set1_ps(Half(b + offsetof(BlockQ3_K, d)))};
  }
  static EXA_INLINE void Finish(const Tail& tl, const ActQ8x256* a, const float*, __m512i isum,
                                __m512& acc) {
    FinishOffset(tl, a, isum, acc);
  }
};

struct Q6K {
  static constexpr size_t kBytes = sizeof(BlockQ6_K);
  using W = __m512i;
  using Prep = SignedScales16;
  using Tail = OffsetTail;
  static constexpr int kMinRuns = 0;
  static EXA_INLINE __m256i Scales16(const uint8_t* b) {
    return _mm256_cvtepi8_epi16(LoadU128(b + offsetof(BlockQ6_K, scales)));
  }
  static EXA_INLINE Prep Prepare(const uint8_t* b) { return SplitScales(Scales16(b)); }
  // Group G = 2h + n: nibble n of ql[64h .. 64h + 63]; 2-bit fields 2n (low half) and 2n + 1
  // (high half) of qh[32h .. 32h + 31].
  template <int G>
  static EXA_INLINE W Weights(const uint8_t* b) {
    constexpr int h = G / 2, n = G % 2;
    const __m512i ql = _mm512_loadu_si512(b + offsetof(BlockQ6_K, ql) + 64 * h);
    const __m512i low = _mm512_and_si512(n == 0 ? ql : _mm512_srli_epi16(ql, 4), Mask8(0x0f));
    const __m512i qh = Broadcast256(b + offsetof(BlockQ6_K, qh) + 32 * h);
    // fields 4n and 4n + 2 moved to bits 4..5
    const __m512i hs = n == 0 ? _mm512_sllv_epi16(qh, HalvesEpi16(4, 2))
                              : _mm512_srlv_epi16(qh, HalvesEpi16(0, 2));
    return _mm512_or_si512(low, _mm512_and_si512(hs, Mask8(0x30)));
  }
  template <int G>
  static EXA_INLINE __m512i Scale(const Prep& p) {
    return SignedScale<G>(p);
  }
  static EXA_INLINE __m512i Dot(W w, __m512i a) { return DotU8(w, a); }
  static EXA_INLINE Tail MakeTail(const uint8_t* b, const Prep&) {
    return {NegScaled<32>(Scales16(b)), _mm512_set1_ps(Half(b + offsetof(BlockQ6_K, d)))};
  }
  static EXA_INLINE void Finish(const Tail& tl, const ActQ8x256* a, const float*, __m512i isum,
                                __m512& acc) {
    FinishOffset(tl, a, isum, acc);
  }
};

constexpr Bytes64 kIq4Abs = MakeBytes([](int i) {
  const int v = kIq4NlValues[i % 16];
  return v < 0 ? -v : v;
});

struct IQ4XS {
  static constexpr size_t kBytes = sizeof(BlockIQ4_XS);
  struct W {
    __m512i abs;
    __mmask64 neg;  // the table value is negative
  };
  using Prep = __m512i;  // 8 signed 16-bit scales in every lane
  struct Tail {
    __m512 d;
  };
  static constexpr int kMinRuns = 0;
  static EXA_INLINE Prep Prepare(const uint8_t* b) {
    uint16_t sh;
    uint32_t sl;
    std::memcpy(&sh, b + offsetof(BlockIQ4_XS, scales_h), 2);
    std::memcpy(&sl, b + offsetof(BlockIQ4_XS, scales_l), 4);
    // byte j of `low` = 4-bit field j of sl; byte j of `high` = 2-bit field j of sh
    uint64_t low = (sl & 0xffffull) | (static_cast<uint64_t>(sl & 0xffff0000u) << 16);
    low = (low & 0x000000ff000000ffull) | ((low & 0x0000ff000000ff00ull) << 8);
    low = (low & 0x000f000f000f000full) | ((low & 0x00f000f000f000f0ull) << 4);
    uint64_t high = (sh & 0xffull) | (static_cast<uint64_t>(sh & 0xff00u) << 24);
    high = (high & 0x0000000f0000000full) | ((high & 0x000000f0000000f0ull) << 12);
    high = (high & 0x0003000300030003ull) | ((high & 0x000c000c000c000cull) << 6);
    const __m128i s =
        _mm_sub_epi8(_mm_cvtsi64_si128(static_cast<int64_t>(low | high << 4)), _mm_set1_epi8(32));
    return _mm512_broadcast_i32x4(_mm_cvtepi8_epi16(s));
  }
  // Group G: sub-blocks 2G and 2G + 1, bytes 32G .. 32G + 31; the lanes take the low nibbles of
  // the first 16 bytes, their high nibbles, then the same for the next 16.
  template <int G>
  static EXA_INLINE W Weights(const uint8_t* b) {
    const __m512i q = _mm512_castsi256_si512(LoadU256(b + offsetof(BlockIQ4_XS, qs) + 32 * G));
    const __m512i q2 = _mm512_shuffle_i32x4(q, q, _MM_SHUFFLE(1, 1, 0, 0));
    const __m512i idx =
        _mm512_and_si512(_mm512_mask_srli_epi16(q2, 0xff00ff00u, q2, 4), Mask8(0x0f));
    return {_mm512_shuffle_epi8(Load(kIq4Abs), idx), _mm512_cmpgt_epi8_mask(Mask8(8), idx)};
  }
  template <int G>
  static EXA_INLINE __m512i Scale(const Prep& p) {
    static constexpr Bytes64 kCtrl = WordScaleCtrl([](int lane) { return 2 * G + lane / 2; });
    return _mm512_shuffle_epi8(p, Load(kCtrl));
  }
  static EXA_INLINE __m512i Dot(const W& w, __m512i a) {
    return _mm512_maddubs_epi16(w.abs, _mm512_mask_sub_epi8(a, w.neg, _mm512_setzero_si512(), a));
  }
  static EXA_INLINE Tail MakeTail(const uint8_t* b, const Prep&) {
    return {_mm512_set1_ps(Half(b + offsetof(BlockIQ4_XS, d)))};
  }
  static EXA_INLINE void Finish(const Tail& tl, const ActQ8x256* a, const float*, __m512i isum,
                                __m512& acc) {
    acc = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(isum), tl.d), _mm512_set1_ps(a->d), acc);
  }
};

// ---- the row x T tokens kernel ----

// Keeps v in a register, computed here: without it GCC sinks the accumulating instructions to the
// end of the super-block and spills every product until then. (The emulated build has no vector
// registers to pin.)
EXA_INLINE __m512i Pin(__m512i v) {
#if !defined(EXAONE_AVX512_EMULATED)
  asm("" : "+v"(v));
#endif
  return v;
}

// y[t * y_stride] = dot(row w, activation row t) for t < T. The quants and scales of a group are
// unpacked once for all T tokens. One row at a time keeps the weight reads one sequential stream,
// which the hardware prefetchers follow; several rows in step (short interleaved streams) read
// from DRAM several times slower on the machines measured.
// `mins`: the MinSums of the T tokens for the types with minimums (token t at t * nb *
// kMinStride), else unused.
template <class K, int T>
void Kernel(size_t nb, const uint8_t* w, const uint8_t* act, size_t act_row_bytes,
            const float* mins, float* y, size_t y_stride) {
  __m512 acc[T];
  Unroll<T>([&](auto t) { acc[t] = _mm512_setzero_ps(); });
  for (size_t b = 0; b < nb; ++b) {
    const uint8_t* blk = w + b * K::kBytes;
    const typename K::Prep prep = K::Prepare(blk);
    const ActQ8x256* a[T];
    Unroll<T>(
        [&](auto t) { a[t] = reinterpret_cast<const ActQ8x256*>(act + t * act_row_bytes) + b; });
    __m512i isum[T];
    Unroll<T>([&](auto t) { isum[t] = _mm512_setzero_si512(); });
    Unroll<4>([&](auto ig) {
      constexpr int g = decltype(ig)::value;
      const typename K::W wv = K::template Weights<g>(blk);
      const __m512i sv = K::template Scale<g>(prep);
      Unroll<T>([&](auto t) {
        const __m512i av = _mm512_loadu_si512(a[t]->q + 64 * g);
        isum[t] = Pin(_mm512_dpwssd_epi32(isum[t], K::Dot(wv, av), sv));
      });
    });
    const typename K::Tail tl = K::MakeTail(blk, prep);
    Unroll<T>([&](auto t) {
      const float* m = nullptr;
      if constexpr (K::kMinRuns > 0) m = mins + (t * nb + b) * kMinStride;
      K::Finish(tl, a[t], m, isum[t], acc[t]);
    });
  }
  Unroll<T>([&](auto t) { y[t * y_stride] = Hsum(acc[t]); });
}

using KernelFn = void (*)(size_t, const uint8_t*, const uint8_t*, size_t, const float*, float*,
                          size_t);

// Tokens per kernel call. The emulated build (tests only) takes fewer: the same template code,
// compiled in a fraction of the time.
#if defined(EXAONE_AVX512_EMULATED)
constexpr int kToks = 3;
#else
constexpr int kToks = 8;
#endif

template <class K, int... I>
constexpr std::array<KernelFn, sizeof...(I)> MakeKernels(std::integer_sequence<int, I...>) {
  return {Kernel<K, I + 1>...};
}

template <class K>
void Tile(size_t k, const void* w, size_t w_row_bytes, size_t rows, const void* act,
          size_t act_row_bytes, size_t toks, float* y, size_t y_stride) {
  static constexpr auto kKernels = MakeKernels<K>(std::make_integer_sequence<int, kToks>{});
  const size_t nb = k / kQKK;
  const auto* wb = static_cast<const uint8_t*>(w);
  const auto* ab = static_cast<const uint8_t*>(act);
  const float* mins = nullptr;
  if constexpr (K::kMinRuns > 0) {
    thread_local std::vector<float> buffer;
    if (buffer.size() < toks * nb * kMinStride) buffer.resize(toks * nb * kMinStride);
    MinSums<K::kMinRuns>(ab, act_row_bytes, toks, nb, buffer.data());
    mins = buffer.data();
  }
  for (size_t r = 0; r < rows; ++r) {
    for (size_t t = 0; t < toks; t += kToks) {
      const size_t nt = std::min<size_t>(kToks, toks - t);
      kKernels[nt - 1](nb, wb + r * w_row_bytes, ab + t * act_row_bytes, act_row_bytes,
                       mins + (K::kMinRuns > 0 ? t * nb * kMinStride : 0), y + t * y_stride + r,
                       y_stride);
    }
  }
}

constexpr WeightKernels kQ2KKernels{ActFormat::kQ8x256, PrepareQ8x256, Tile<Q2K>};
constexpr WeightKernels kQ3KKernels{ActFormat::kQ8x256, PrepareQ8x256, Tile<Q3K>};
constexpr WeightKernels kQ4KKernels{ActFormat::kQ8x256, PrepareQ8x256, Tile<Q4K>};
constexpr WeightKernels kQ5KKernels{ActFormat::kQ8x256, PrepareQ8x256, Tile<Q5K>};
constexpr WeightKernels kQ6KKernels{ActFormat::kQ8x256, PrepareQ8x256, Tile<Q6K>};
constexpr WeightKernels kIQ4XSKernels{ActFormat::kQ8x256, PrepareQ8x256, Tile<IQ4XS>};

}  // namespace

const WeightKernels* KQuantKernels(DType t) {
  switch (t) {
    case DType::kQ2_K:
      return &kQ2KKernels;
    case DType::kQ3_K:
      return &kQ3KKernels;
    case DType::kQ4_K:
      return &kQ4KKernels;
    case DType::kQ5_K:
      return &kQ5KKernels;
    case DType::kQ6_K:
      return &kQ6KKernels;
    case DType::kIQ4_XS:
      return &kIQ4XSKernels;
    default:
      return nullptr;
  }
}

}  // namespace exaone::kernels::quant::EXAONE_AVX512_NS
