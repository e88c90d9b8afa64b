// AVX2 kernels for the K types (Q2_K..Q6_K) and IQ4_XS against ActQ8x256 activations.
//
// Every type is read as unsigned 8-bit quants u (the signed quant plus a fixed offset where the
// type has one; IQ4_XS keeps its signed table values and uses the sign trick) multiplied with
// the int8 activations by _mm256_maddubs_epi16, then by the 16-bit sub-block scales with
// _mm256_madd_epi16, summed in int32 lanes over a super-block. Offsets and minimums come from the
// activation run sums (bsums). Float accumulation per super-block, one horizontal sum per output.
//
// A kernel call covers one weight row x T tokens: the unpacked quants and scales of a row are
// used for all T tokens.
#include <immintrin.h>

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

namespace exaone::kernels::quant::avx2 {
namespace {

#define EXA_INLINE inline __attribute__((always_inline))

// Calls f(std::integral_constant<int, 0>) .. f(<N - 1>), unrolled.
template <int N, class F>
EXA_INLINE void Unroll(F&& f) {
  [&]<int... I>(std::integer_sequence<int, I...>) {
    (f(std::integral_constant<int, I>{}), ...);
  }
  (std::make_integer_sequence<int, N>{});
}

// A 32-byte constant built at compile time from f(byte index).
struct alignas(32) Bytes32 {
  int8_t v[32];
};
template <class F>
constexpr Bytes32 MakeBytes(F f) {
  Bytes32 b{};
  for (int i = 0; i < 32; ++i) b.v[i] = static_cast<int8_t>(f(i));
  return b;
}
EXA_INLINE __m256i Load(const Bytes32& b) {
  return _mm256_load_si256(reinterpret_cast<const __m256i*>(b.v));
}

EXA_INLINE __m256i LoadU(const void* p) {
  return _mm256_loadu_si256(static_cast<const __m256i*>(p));
}
EXA_INLINE __m128i LoadU128(const void* p) {
  return _mm_loadu_si128(static_cast<const __m128i*>(p));
}
EXA_INLINE float Half(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return _cvtsh_ss(h);
}
EXA_INLINE int32_t LoadI32(const int8_t* p) {
  int32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
EXA_INLINE __m256i Mask8(int v) {
  return _mm256_set1_epi8(static_cast<char>(v));
}

// Shifts every 16-bit lane left by S (right by -S when S < 0).
template <int S>
EXA_INLINE __m256i Shift16(__m256i v) {
  if constexpr (S > 0) return _mm256_slli_epi16(v, S);
  if constexpr (S < 0) return _mm256_srli_epi16(v, -S);
  return v;
}

EXA_INLINE float Hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// ---- activations ----

void PrepareQ8x256(const float* x, size_t k, void* out) {
  auto* blocks = static_cast<ActQ8x256*>(out);
  const __m256 sign = _mm256_set1_ps(-0.0f);
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  const __m256i ones8 = _mm256_set1_epi8(1);
  const __m256i ones16 = _mm256_set1_epi16(1);
  for (size_t b = 0; b < k / kQKK; ++b, x += kQKK) {
    __m256 mx = _mm256_setzero_ps();
    for (int i = 0; i < kQKK; i += 8)
      mx = _mm256_max_ps(mx, _mm256_andnot_ps(sign, _mm256_loadu_ps(x + i)));
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(mx), _mm256_extractf128_ps(mx, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    float d = _mm_cvtss_f32(m) / 127.0f;
    if (d < std::numeric_limits<float>::min()) d = 0.0f;  // 1 / d would overflow
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    const __m256 vid = _mm256_set1_ps(id);
    ActQ8x256& a = blocks[b];
    a.d = d;
    __m256i part[8];  // per 32 values: 4 lanes of partial run sums, runs 2i (low) and 2i+1
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
    // hadd twice: [r0 r2 r4 r6 | r1 r3 r5 r7] and [r8 .. r14 | r9 .. r15]
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
// Each type provides, for one super-block at `b`:
//   Prep Prepare(b)                     scales unpacked once per row and super-block
//   W Weights<C>(b)                     the 32 quants of chunk C (values 32C .. 32C + 31)
//   __m256i Scale<C>(prep)              16-bit scale per 16-bit product lane of chunk C
//   __m256i Dot(W, a)                   16-bit pair products of quants and activations
//   Tail MakeTail(b, prep)              what Finish needs per row
//   Finish(tail, act, mins, isum, acc)  acc += this super-block's float contribution
//   kMinRuns                            0, or the runs of 16 activations (8 or 16) one minimum
//                                       covers: the minimums are then taken from `mins` (see
//                                       MinSums) instead of the bsums

EXA_INLINE __m256i DotU8(__m256i w, __m256i a) {
  return _mm256_maddubs_epi16(w, a);
}

// Scale control: each 16-bit lane of 128-bit lane L takes byte f(C, L) zero-extended.
template <int C, int kPerChunk>
constexpr Bytes32 kByteScaleCtrl = MakeBytes([](int i) {
  const int lane = i / 16;
  const int sub = kPerChunk == 1 ? C : 2 * C + lane;
  return i % 2 == 0 ? sub : 0x80;
});
// Scale control on 16-bit scales broadcast to both lanes (word n of 8): sub-block 2C + lane.
template <int C>
constexpr Bytes32 kWordScaleCtrl16 = MakeBytes([](int i) {
  const int word = (2 * C + i / 16) % 8;
  return 2 * word + i % 2;
});

// The minimums (Q2_K, Q4_K, Q5_K) have their own fp16 factor, so they cannot join the integer
// sums. Their part, dmin * sum_j m[j] * da * bsum[j], is a float dot product of a per-row vector
// (dmin * m) and a per-token one (da * bsum, grouped per minimum): the tile computes the token
// vectors once per call (MinSums) and the kernel adds one FMA per vector of 8 minimums.
constexpr int kMinStride = 16;  // floats per token and super-block in the MinSums output

// out[(t * nb + b) * kMinStride + j] = d * (sum of the bsums of minimum j) of super-block b of
// token t, for j < kRuns (8: pairs of runs, 16: single runs); zeros up to kMinStride.
template <int kRuns>
void MinSums(const uint8_t* act, size_t act_row_bytes, size_t toks, size_t nb, float* out) {
  for (size_t t = 0; t < toks; ++t) {
    const auto* a = reinterpret_cast<const ActQ8x256*>(act + t * act_row_bytes);
    for (size_t b = 0; b < nb; ++b, out += kMinStride) {
      const __m256 d = _mm256_broadcast_ss(&a[b].d);
      const __m256i bs = LoadU(a[b].bsums);
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

template <int kVecs>
struct MinTail {
  __m256 d;          // fp16 d in every lane
  __m256 dm[kVecs];  // dmin * minimum, 8 minimums per vector
};
template <int kVecs>
EXA_INLINE void FinishMin(const MinTail<kVecs>& tl, const ActQ8x256* a, const float* mins,
                          __m256i isum, __m256& acc) {
  acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_mul_ps(tl.d, _mm256_broadcast_ss(&a->d)),
                        acc);
  for (int i = 0; i < kVecs; ++i)
    acc = _mm256_fnmadd_ps(tl.dm[i], _mm256_loadu_ps(mins + 8 * i), acc);
}
// dmin * 8 minimum bytes as floats.
EXA_INLINE __m256 ScaledMins(__m128i m8, float dmin) {
  return _mm256_mul_ps(_mm256_set1_ps(dmin), _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(m8)));
}

// The tail for types with a fixed quant offset (Q3_K: 4, Q6_K: 32) and signed scales: the
// offset joins the integer sums.
struct OffsetTail {
  __m256i neg16;  // -offset * scale per activation run of 16
  __m256 d;
};
template <int kOffset>
EXA_INLINE OffsetTail MakeOffsetTail(__m256i sc16, float d) {
  return {_mm256_mullo_epi16(sc16, _mm256_set1_epi16(-kOffset)), _mm256_set1_ps(d)};
}
EXA_INLINE void FinishOffset(const OffsetTail& tl, const ActQ8x256* a, __m256i isum, __m256& acc) {
  isum = _mm256_add_epi32(isum, _mm256_madd_epi16(LoadU(a->bsums), tl.neg16));
  acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_mul_ps(tl.d, _mm256_broadcast_ss(&a->d)),
                        acc);
}

// 8 sub-blocks of 32 with 6-bit scales and minimums packed in 12 bytes at s (Q4_K, Q5_K):
// returns bytes [sc0 .. sc7, m0 .. m7]. Reads 16 bytes.
EXA_INLINE __m128i UnpackScaleMin4(const uint8_t* s) {
  const __m128i v = LoadU128(s);  // dwords u0 u1 u2 (and 4 bytes past the scales)
  __m128i a = _mm_shuffle_epi32(v, _MM_SHUFFLE(2, 1, 2, 0));  // u0 u2 u1 u2
  __m128i b = _mm_shuffle_epi32(v, _MM_SHUFFLE(1, 1, 0, 0));  // u0 u0 u1 u1
  a = _mm_srlv_epi32(a, _mm_setr_epi32(0, 0, 0, 4));
  a = _mm_and_si128(a, _mm_setr_epi32(0x3f3f3f3f, 0x0f0f0f0f, 0x3f3f3f3f, 0x0f0f0f0f));
  b = _mm_and_si128(_mm_srli_epi32(b, 2), _mm_setr_epi32(0, 0x30303030, 0, 0x30303030));
  return _mm_or_si128(a, b);
}

struct Q4K {
  static constexpr size_t kBytes = sizeof(BlockQ4_K);
  static constexpr size_t kScales = offsetof(BlockQ4_K, scales);
  static constexpr size_t kQs = offsetof(BlockQ4_K, qs);
  using W = __m256i;
  using Prep = __m256i;  // [sc0..7 m0..7] in both lanes
  using Tail = MinTail<1>;
  static constexpr int kMinRuns = 8;
  static EXA_INLINE Prep Prepare(const uint8_t* b) {
    return _mm256_broadcastsi128_si256(UnpackScaleMin4(b + kScales));
  }
  template <int C>
  static EXA_INLINE W Weights(const uint8_t* b) {
    const __m256i q = LoadU(b + kQs + 32 * (C / 2));
    return _mm256_and_si256(C % 2 == 0 ? q : _mm256_srli_epi16(q, 4), Mask8(0x0f));
  }
  template <int C>
  static EXA_INLINE __m256i Scale(const Prep& p) {
    return _mm256_shuffle_epi8(p, Load(kByteScaleCtrl<C, 1>));
  }
  static EXA_INLINE __m256i Dot(W w, __m256i a) { return DotU8(w, a); }
  static EXA_INLINE Tail MakeTail(const uint8_t* b, const Prep& p) {
    const __m128i m8 = _mm_srli_si128(_mm256_castsi256_si128(p), 8);
    return {_mm256_set1_ps(Half(b)), {ScaledMins(m8, Half(b + 2))}};
  }
  static EXA_INLINE void Finish(const Tail& tl, const ActQ8x256* a, const float* mins, __m256i isum,
                                __m256& acc) {
    FinishMin(tl, a, mins, isum, acc);
  }
};

struct Q5K : Q4K {
  static constexpr size_t kBytes = sizeof(BlockQ5_K);
  static constexpr size_t kQh = offsetof(BlockQ5_K, qh);
  static constexpr size_t kQs = offsetof(BlockQ5_K, qs);
  template <int C>
  static EXA_INLINE W Weights(const uint8_t* b) {
    const __m256i q = LoadU(b + kQs + 32 * (C / 2));
    const __m256i low = _mm256_and_si256(C % 2 == 0 ? q : _mm256_srli_epi16(q, 4), Mask8(0x0f));
    const __m256i high = _mm256_and_si256(Shift16<4 - C>(LoadU(b + kQh)), Mask8(0x10));
    return _mm256_or_si256(low, high);
  }
};

struct Q2K {
  static constexpr size_t kBytes = sizeof(BlockQ2_K);
  using W = __m256i;
  using Prep = __m256i;  // the 16 scale nibbles in both lanes
  using Tail = MinTail<2>;
  static constexpr int kMinRuns = 16;
  static EXA_INLINE Prep Prepare(const uint8_t* b) {
    const __m128i s = LoadU128(b + offsetof(BlockQ2_K, scales));
    return _mm256_broadcastsi128_si256(_mm_and_si128(s, _mm_set1_epi8(0x0f)));
  }
  template <int C>
  static EXA_INLINE W Weights(const uint8_t* b) {
    const __m256i q = LoadU(b + offsetof(BlockQ2_K, qs) + 32 * (C / 4));
    return _mm256_and_si256(Shift16<-2 * (C % 4)>(q), Mask8(3));
  }
  template <int C>
  static EXA_INLINE __m256i Scale(const Prep& p) {
    return _mm256_shuffle_epi8(p, Load(kByteScaleCtrl<C, 2>));
  }
  static EXA_INLINE __m256i Dot(W w, __m256i a) { return DotU8(w, a); }
  static EXA_INLINE Tail MakeTail(const uint8_t* b, const Prep&) {
    const __m128i s = LoadU128(b + offsetof(BlockQ2_K, scales));
    const __m128i m = _mm_and_si128(_mm_srli_epi16(s, 4), _mm_set1_epi8(0x0f));
    const float dmin = Half(b + offsetof(BlockQ2_K, dmin));
    return {_mm256_set1_ps(Half(b + offsetof(BlockQ2_K, d))),
            {ScaledMins(m, dmin), ScaledMins(_mm_srli_si128(m, 8), dmin)}};
  }
  static EXA_INLINE void Finish(const Tail& tl, const ActQ8x256* a, const float* mins, __m256i isum,
                                __m256& acc) {
    FinishMin(tl, a, mins, isum, acc);
  }
};

// 16 signed 16-bit scales [s0..7 | s8..15] -> per-chunk sources with s0..7 and s8..15 in both
// lanes.
struct SignedScales16 {
  __m256i lo, hi;
};
EXA_INLINE SignedScales16 SplitScales(__m256i sc16) {
  return {_mm256_permute4x64_epi64(sc16, 0x44), _mm256_permute4x64_epi64(sc16, 0xee)};
}
template <int C>
EXA_INLINE __m256i SignedScale(const SignedScales16& p) {
  return _mm256_shuffle_epi8(C < 4 ? p.lo : p.hi, Load(kWordScaleCtrl16<C>));
}

// Q3_K's 16 6-bit scales from the 12 bytes at s, minus 32, as 16 int8 values.
EXA_INLINE __m128i UnpackScalesQ3(const uint8_t* s) {
  // 16 bytes ending at the end of the scales (the block ends 2 bytes later), shifted down.
  const __m128i v = _mm_srli_si128(LoadU128(s - 4), 4);
  __m128i a = _mm_shuffle_epi32(v, _MM_SHUFFLE(1, 0, 1, 0));  // u0 u1 u0 u1
  a = _mm_and_si128(_mm_srlv_epi32(a, _mm_setr_epi32(0, 0, 4, 4)), _mm_set1_epi8(0x0f));
  __m128i h = _mm_shuffle_epi32(v, _MM_SHUFFLE(2, 2, 2, 2));  // u2
  h = _mm_srlv_epi32(_mm_sllv_epi32(h, _mm_setr_epi32(4, 2, 0, 0)), _mm_setr_epi32(0, 0, 0, 2));
  h = _mm_and_si128(h, _mm_set1_epi8(0x30));
  return _mm_sub_epi8(_mm_or_si128(a, h), _mm_set1_epi8(32));
}

struct Q3K {
  static constexpr size_t kBytes = sizeof(BlockQ3_K);
  using W = __m256i;
  using Prep = SignedScales16;
  using Tail = OffsetTail;
  static constexpr int kMinRuns = 0;
  static EXA_INLINE __m256i Scales16(const uint8_t* b) {
    return _mm256_cvtepi8_epi16(UnpackScalesQ3(b + offsetof(BlockQ3_K, scales)));
  }
  static EXA_INLINE Prep Prepare(const uint8_t* b) { return SplitScales(Scales16(b)); }
  template <int C>
  static EXA_INLINE W Weights(const uint8_t* b) {
    const __m256i q = LoadU(b + offsetof(BlockQ3_K, qs) + 32 * (C / 4));
    const __m256i low = _mm256_and_si256(Shift16<-2 * (C % 4)>(q), Mask8(3));
    // a set bit C of hmask[l] adds 4 (the quant is low - 4 + 4 * bit)
    const __m256i high =
        _mm256_and_si256(Shift16<2 - C>(LoadU(b + offsetof(BlockQ3_K, hmask))), Mask8(4));
    return _mm256_or_si256(low, high);
  }
  template <int C>
  static EXA_INLINE __m256i Scale(const Prep& p) {
    return SignedScale<C>(p);
  }
  static EXA_INLINE __m256i Dot(W w, __m256i a) { return DotU8(w, a); }
  static EXA_INLINE Tail MakeTail(const uint8_t* b, const Prep&) {
    return MakeOffsetTail<4>(Scales16(b), Half(b + offsetof(BlockQ3_K, d)));
  }
  static EXA_INLINE void Finish(const Tail& tl, const ActQ8x256* a, const float*, __m256i isum,
                                __m256& acc) {
    FinishOffset(tl, a, isum, acc);
  }
};

struct Q6K {
  static constexpr size_t kBytes = sizeof(BlockQ6_K);
  using W = __m256i;
  using Prep = SignedScales16;
  using Tail = OffsetTail;
  static constexpr int kMinRuns = 0;
  static EXA_INLINE __m256i Scales16(const uint8_t* b) {
    return _mm256_cvtepi8_epi16(LoadU128(b + offsetof(BlockQ6_K, scales)));
  }
  static EXA_INLINE Prep Prepare(const uint8_t* b) { return SplitScales(Scales16(b)); }
  template <int C>
  static EXA_INLINE W Weights(const uint8_t* b) {
    // chunk C = 4 h + m: nibble m / 2 of ql[64 h + 32 (m % 2) + l], bits 2m of qh[32 h + l]
    constexpr int h = C / 4, m = C % 4;
    const __m256i ql = LoadU(b + offsetof(BlockQ6_K, ql) + 64 * h + 32 * (m % 2));
    const __m256i low = _mm256_and_si256(m / 2 == 0 ? ql : _mm256_srli_epi16(ql, 4), Mask8(0x0f));
    const __m256i qh = LoadU(b + offsetof(BlockQ6_K, qh) + 32 * h);
    const __m256i high = _mm256_and_si256(Shift16<4 - 2 * m>(qh), Mask8(0x30));
    return _mm256_or_si256(low, high);
  }
  template <int C>
  static EXA_INLINE __m256i Scale(const Prep& p) {
    return SignedScale<C>(p);
  }
  static EXA_INLINE __m256i Dot(W w, __m256i a) { return DotU8(w, a); }
  static EXA_INLINE Tail MakeTail(const uint8_t* b, const Prep&) {
    return MakeOffsetTail<32>(Scales16(b), Half(b + offsetof(BlockQ6_K, d)));
  }
  static EXA_INLINE void Finish(const Tail& tl, const ActQ8x256* a, const float*, __m256i isum,
                                __m256& acc) {
    FinishOffset(tl, a, isum, acc);
  }
};

constexpr Bytes32 kIq4Values = MakeBytes([](int i) { return kIq4NlValues[i % 16]; });
constexpr Bytes32 kIq4Abs = MakeBytes([](int i) {
  const int v = kIq4NlValues[i % 16];
  return v < 0 ? -v : v;
});

struct IQ4XS {
  static constexpr size_t kBytes = sizeof(BlockIQ4_XS);
  struct W {
    __m256i abs, val;
  };
  using Prep = __m256i;  // 8 signed 16-bit scales in both lanes
  struct Tail {
    __m256 d;
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
    return _mm256_broadcastsi128_si256(_mm_cvtepi8_epi16(s));
  }
  template <int C>
  static EXA_INLINE W Weights(const uint8_t* b) {
    const __m128i q = LoadU128(b + offsetof(BlockIQ4_XS, qs) + 16 * C);
    const __m256i idx = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(q, 4), q), Mask8(0x0f));
    return {_mm256_shuffle_epi8(Load(kIq4Abs), idx), _mm256_shuffle_epi8(Load(kIq4Values), idx)};
  }
  template <int C>
  static EXA_INLINE __m256i Scale(const Prep& p) {
    static constexpr Bytes32 ctrl = MakeBytes([](int i) { return 2 * C + i % 2; });
    return _mm256_shuffle_epi8(p, Load(ctrl));
  }
  static EXA_INLINE __m256i Dot(const W& w, __m256i a) {
    return _mm256_maddubs_epi16(w.abs, _mm256_sign_epi8(a, w.val));
  }
  static EXA_INLINE Tail MakeTail(const uint8_t* b, const Prep&) {
    return {_mm256_set1_ps(Half(b + offsetof(BlockIQ4_XS, d)))};
  }
  static EXA_INLINE void Finish(const Tail& tl, const ActQ8x256* a, const float*, __m256i isum,
                                __m256& acc) {
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_mul_ps(tl.d, _mm256_broadcast_ss(&a->d)),
                          acc);
  }
};

// ---- the row x T tokens kernel ----

// Keeps v in a register, computed here: without it GCC sinks the accumulating adds to the end of
// the super-block and spills every product until then.
EXA_INLINE __m256i Pin(__m256i v) {
  asm("" : "+x"(v));
  return v;
}

// y[t * y_stride] = dot(row w, activation row t) for t < T. The quants and scales of a chunk are
// unpacked once for all T tokens. One row at a time keeps the weight reads one sequential stream,
// which the hardware prefetchers follow; several rows in step (short interleaved streams) read
// from DRAM several times slower on the machines measured.
// `mins`: the MinSums of the T tokens for the types with minimums (token t at t * nb *
// kMinStride), else unused.
template <class K, int T>
void Kernel(size_t nb, const uint8_t* w, const uint8_t* act, size_t act_row_bytes,
            const float* mins, float* y, size_t y_stride) {
  __m256 acc[T];
  Unroll<T>([&](auto t) { acc[t] = _mm256_setzero_ps(); });
  for (size_t b = 0; b < nb; ++b) {
    const uint8_t* blk = w + b * K::kBytes;
    const typename K::Prep prep = K::Prepare(blk);
    const ActQ8x256* a[T];
    Unroll<T>(
        [&](auto t) { a[t] = reinterpret_cast<const ActQ8x256*>(act + t * act_row_bytes) + b; });
    __m256i isum[T];
    Unroll<8>([&](auto ic) {
      constexpr int c = decltype(ic)::value;
      const typename K::W wv = K::template Weights<c>(blk);
      const __m256i sv = K::template Scale<c>(prep);
      Unroll<T>([&](auto t) {
        const __m256i p = _mm256_madd_epi16(K::Dot(wv, LoadU(a[t]->q + 32 * c)), sv);
        if constexpr (c == 0) {
          isum[t] = Pin(p);
        } else {
          isum[t] = Pin(_mm256_add_epi32(isum[t], p));
        }
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

// Tokens per kernel call: 8 accumulators plus the unpacked quants, scales and one activation
// vector fill the 16 registers.
constexpr int kToks = 8;

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

// ---- the 8-row interleaved Q4_K layout (interleave.h) ----
//
// A record holds super-block b of 8 rows: d[8], dmin[8], the rows' packed scales, then the quant
// bytes in runs of 4 per row, so 32 bytes hold four values of each row. Sub-block j (32 values)
// is the low (j even) or high (j odd) nibbles of the 8 runs of group j / 2: one broadcast of four
// activation bytes and one maddubs serve the 8 rows, the eight 16-bit sums of a sub-block are
// added before widening (each at most 2 * 15 * 127, eight below 32767), and one madd applies
// the 8 rows' 6-bit scales. Minimums: per row, sum_j m_j * bsum32_j by 4 madds of (m_2k,
// m_2k+1) pairs against the token's (bsum32_2k, bsum32_2k+1).
constexpr size_t kX8Q4KRecord = 8 * sizeof(BlockQ4_K);

struct X8Q4KScales {
  __m256i sc[8];  // sub-block j: 16-bit lanes 2r and 2r + 1 hold row r's scale
  __m256i mn[4];  // pair k: 16-bit lanes 2r, 2r + 1 hold row r's m_2k, m_2k+1
};

EXA_INLINE X8Q4KScales UnpackX8Q4K(const uint8_t* rec) {
  __m128i u[8];  // row r: [sc0 .. sc7, m0 .. m7]
  for (int r = 0; r < 8; ++r) u[r] = UnpackScaleMin4(rec + 32 + 12 * r);
  // Transpose the 8 x 16 bytes: v[i] holds entries 2i and 2i + 1 of the 8 rows (8 bytes each).
  __m128i t[8];
  for (int r = 0; r < 8; r += 2) {
    t[r] = _mm_unpacklo_epi8(u[r], u[r + 1]);
    t[r + 1] = _mm_unpackhi_epi8(u[r], u[r + 1]);
  }
  __m128i q[8];  // q[0..3]: rows 0-3, entries 0-3 / 4-7 / 8-11 / 12-15; q[4..7]: rows 4-7
  for (int h = 0; h < 2; ++h) {
    const int base = 4 * h;
    q[base + 0] = _mm_unpacklo_epi16(t[base + 0], t[base + 2]);
    q[base + 1] = _mm_unpackhi_epi16(t[base + 0], t[base + 2]);
    q[base + 2] = _mm_unpacklo_epi16(t[base + 1], t[base + 3]);
    q[base + 3] = _mm_unpackhi_epi16(t[base + 1], t[base + 3]);
  }
  __m128i v[8];
  for (int i = 0; i < 4; ++i) {
    v[2 * i] = _mm_unpacklo_epi32(q[i], q[4 + i]);
    v[2 * i + 1] = _mm_unpackhi_epi32(q[i], q[4 + i]);
  }
  X8Q4KScales s;
  for (int j = 0; j < 8; ++j) {
    const __m128i bytes = j % 2 == 0 ? v[j / 2] : _mm_srli_si128(v[j / 2], 8);
    s.sc[j] = _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(bytes, bytes));
  }
  for (int k = 0; k < 4; ++k) {
    const __m128i m = v[4 + k];  // m_2k (low 8 bytes), m_2k+1 (high 8 bytes)
    s.mn[k] = _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(m, _mm_srli_si128(m, 8)));
  }
  return s;
}

template <int T>
EXA_INLINE void RecordX8Q4K(const uint8_t* rec, const ActQ8x256* const* a, __m256* acc) {
  const X8Q4KScales s = UnpackX8Q4K(rec);
  const uint8_t* qs = rec + 128;
  __m256i isum[T];
  Unroll<8>([&](auto ij) {
    constexpr int j = decltype(ij)::value;
    __m256i w[8];
    for (int c = 0; c < 8; ++c) {
      const __m256i v = LoadU(qs + 32 * (8 * (j / 2) + c));
      w[c] = _mm256_and_si256(j % 2 == 0 ? v : _mm256_srli_epi16(v, 4), Mask8(0x0f));
    }
    Unroll<T>([&](auto it) {
      constexpr int tk = decltype(it)::value;
      const int8_t* aq = a[tk]->q + 32 * j;
      __m256i s16 = _mm256_maddubs_epi16(w[0], _mm256_set1_epi32(LoadI32(aq)));
      for (int c = 1; c < 8; ++c) {
        s16 = _mm256_add_epi16(s16,
                               _mm256_maddubs_epi16(w[c], _mm256_set1_epi32(LoadI32(aq + 4 * c))));
      }
      const __m256i p = _mm256_madd_epi16(s16, s.sc[j]);
      if constexpr (j == 0) {
        isum[tk] = p;
      } else {
        isum[tk] = _mm256_add_epi32(isum[tk], p);
      }
    });
  });
  const __m256 dw = _mm256_cvtph_ps(LoadU128(rec));
  const __m256 dmw = _mm256_cvtph_ps(LoadU128(rec + 16));
  const __m128i ones = _mm_set1_epi16(1);
  Unroll<T>([&](auto it) {
    constexpr int tk = decltype(it)::value;
    const __m128i b32 = _mm_packs_epi32(_mm_madd_epi16(LoadU128(a[tk]->bsums), ones),
                                        _mm_madd_epi16(LoadU128(a[tk]->bsums + 8), ones));
    const __m256i bb = _mm256_broadcastsi128_si256(b32);
    __m256i imin = _mm256_madd_epi16(s.mn[0], _mm256_shuffle_epi32(bb, 0x00));
    imin = _mm256_add_epi32(imin, _mm256_madd_epi16(s.mn[1], _mm256_shuffle_epi32(bb, 0x55)));
    imin = _mm256_add_epi32(imin, _mm256_madd_epi16(s.mn[2], _mm256_shuffle_epi32(bb, 0xaa)));
    imin = _mm256_add_epi32(imin, _mm256_madd_epi16(s.mn[3], _mm256_shuffle_epi32(bb, 0xff)));
    const __m256 da = _mm256_broadcast_ss(&a[tk]->d);
    acc[tk] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[tk]), _mm256_mul_ps(dw, da), acc[tk]);
    acc[tk] = _mm256_fnmadd_ps(_mm256_cvtepi32_ps(imin), _mm256_mul_ps(dmw, da), acc[tk]);
  });
}

template <int T>
void GroupX8Q4K(const uint8_t* wg, size_t nb, const uint8_t* act, size_t arb, float* y, size_t ys) {
  __m256 acc[T];
  for (int t = 0; t < T; ++t) acc[t] = _mm256_setzero_ps();
  for (size_t b = 0; b < nb; ++b) {
    const uint8_t* rec = wg + b * kX8Q4KRecord;
    for (size_t off = 0; off < kX8Q4KRecord; off += 64) {
      _mm_prefetch(reinterpret_cast<const char*>(rec) + 4096 + off, _MM_HINT_T0);
    }
    const ActQ8x256* a[T];
    for (int t = 0; t < T; ++t) a[t] = reinterpret_cast<const ActQ8x256*>(act + t * arb) + b;
    RecordX8Q4K<T>(rec, a, acc);
  }
  for (int t = 0; t < T; ++t) _mm256_storeu_ps(y + t * ys, acc[t]);
}

void TileX8Q4K(size_t k, const void* w, size_t w_row_bytes, size_t rows, const void* act,
               size_t act_row_bytes, size_t toks, float* y, size_t y_stride) {
  const size_t nb = k / kQKK;
  const auto* ab = static_cast<const uint8_t*>(act);
  for (size_t g = 0; g < rows; g += 8) {
    const uint8_t* wg = static_cast<const uint8_t*>(w) + g * w_row_bytes;
    size_t t = 0;
    for (; t + 8 <= toks; t += 8) {
      GroupX8Q4K<8>(wg, nb, ab + t * act_row_bytes, act_row_bytes, y + t * y_stride + g, y_stride);
    }
    for (; t + 4 <= toks; t += 4) {
      GroupX8Q4K<4>(wg, nb, ab + t * act_row_bytes, act_row_bytes, y + t * y_stride + g, y_stride);
    }
    for (; t + 2 <= toks; t += 2) {
      GroupX8Q4K<2>(wg, nb, ab + t * act_row_bytes, act_row_bytes, y + t * y_stride + g, y_stride);
    }
    for (; t < toks; ++t) {
      GroupX8Q4K<1>(wg, nb, ab + t * act_row_bytes, act_row_bytes, y + t * y_stride + g, y_stride);
    }
  }
}

constexpr WeightKernels kQ2KKernels{ActFormat::kQ8x256, PrepareQ8x256, Tile<Q2K>};
constexpr WeightKernels kQ3KKernels{ActFormat::kQ8x256, PrepareQ8x256, Tile<Q3K>};
constexpr WeightKernels kQ4KKernels{ActFormat::kQ8x256, PrepareQ8x256, Tile<Q4K>, TileX8Q4K};
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

}  // namespace exaone::kernels::quant::avx2
