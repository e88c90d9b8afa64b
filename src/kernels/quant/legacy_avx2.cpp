// AVX2 kernels for the 32-value block types against ActQ8x32 activations.
//
// One weight block becomes 32 bytes: unsigned for Q4_0/Q4_1/Q5_0/Q5_1, signed for Q8_0 and
// IQ4_NL (|w| times a with w's sign). maddubs + madd give eight exact int32 partial dots per
// block, converted to float and scaled by the block's d * da; the offset (8 or 16) and the
// minimum m come in through the activation block's sum. Decode reads one row at a time; prefill
// takes one row times up to eight tokens, four blocks folded into one float vector (see
// PrefillRow). Horizontal sums happen once per output.
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cfloat>
#include <cstring>
#include <utility>
#include <vector>

#include "base/half.h"
#include "kernels/quant/blocks.h"
#include "kernels/quant/interleave.h"
#include "kernels/quant/kernels.h"

namespace exaone::kernels::quant::avx2 {
namespace {

#define EXA_INLINE inline __attribute__((always_inline))

inline __m256 Half8(const float* table, uint16_t h) {
  return _mm256_broadcast_ss(table + h);
}

// The 32 values of a 16-byte nibble array in order: low nibbles, then high nibbles.
inline __m256i Nibbles(const uint8_t* qs) {
  const __m256i v =
      _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(qs)));
  const __m256i shifted = _mm256_srlv_epi32(v, _mm256_setr_epi32(0, 0, 0, 0, 4, 4, 4, 4));
  return _mm256_and_si256(shifted, _mm256_set1_epi8(0x0F));
}

// 0x10 in byte j where bit j of the little-endian 32-bit qh is set.
inline __m256i HighBits(const uint8_t* qh) {
  int32_t h;
  __builtin_memcpy(&h, qh, sizeof h);
  const __m256i spread = _mm256_setr_epi64x(0x0000000000000000, 0x0101010101010101,
                                            0x0202020202020202, 0x0303030303030303);
  const __m256i bytes = _mm256_shuffle_epi8(_mm256_set1_epi32(h), spread);
  const __m256i bit = _mm256_set1_epi64x(static_cast<int64_t>(0x8040201008040201));
  const __m256i set = _mm256_cmpeq_epi8(_mm256_and_si256(bytes, bit), bit);
  return _mm256_and_si256(set, _mm256_set1_epi8(0x10));
}

// Each type: Block, kOffset (subtracted from the unsigned values), kMin (has m), kSigned
// (values are int8), Load (the 32 values in order), D and M (the scales as 8 equal lanes).
struct Q4_0 {
  using Block = BlockQ4_0;
  static constexpr int kOffset = 8;
  static constexpr bool kMin = false, kSigned = false;
  static __m256i Load(const Block* b) { return Nibbles(b->qs); }
  static __m256 D(const float* h, const Block* b) { return Half8(h, b->d); }
  static __m256 M(const float*, const Block*) { return _mm256_setzero_ps(); }
};
struct Q4_1 {
  using Block = BlockQ4_1;
  static constexpr int kOffset = 0;
  static constexpr bool kMin = true, kSigned = false;
  static __m256i Load(const Block* b) { return Nibbles(b->qs); }
  static __m256 D(const float* h, const Block* b) { return Half8(h, b->d); }
  static __m256 M(const float* h, const Block* b) { return Half8(h, b->m); }
};
struct Q5_0 {
  using Block = BlockQ5_0;
  static constexpr int kOffset = 16;
  static constexpr bool kMin = false, kSigned = false;
  static __m256i Load(const Block* b) { return _mm256_or_si256(Nibbles(b->qs), HighBits(b->qh)); }
  static __m256 D(const float* h, const Block* b) { return Half8(h, b->d); }
  static __m256 M(const float*, const Block*) { return _mm256_setzero_ps(); }
};
struct Q5_1 {
  using Block = BlockQ5_1;
  static constexpr int kOffset = 0;
  static constexpr bool kMin = true, kSigned = false;
  static __m256i Load(const Block* b) { return _mm256_or_si256(Nibbles(b->qs), HighBits(b->qh)); }
  static __m256 D(const float* h, const Block* b) { return Half8(h, b->d); }
  static __m256 M(const float* h, const Block* b) { return Half8(h, b->m); }
};
struct Q8_0 {
  using Block = BlockQ8_0;
  static constexpr int kOffset = 0;
  static constexpr bool kMin = false, kSigned = true;
  static __m256i Load(const Block* b) {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b->qs));
  }
  static __m256 D(const float* h, const Block* b) { return Half8(h, b->d); }
  static __m256 M(const float*, const Block*) { return _mm256_setzero_ps(); }
};
struct IQ4_NL {
  using Block = BlockQ4_0;
  static constexpr int kOffset = 0;
  static constexpr bool kMin = false, kSigned = true;
  static __m256i Load(const Block* b) {
    const __m256i table = _mm256_broadcastsi128_si256(
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(kIq4NlValues)));
    return _mm256_shuffle_epi8(table, Nibbles(b->qs));
  }
  static __m256 D(const float* h, const Block* b) { return Half8(h, b->d); }
  static __m256 M(const float*, const Block*) { return _mm256_setzero_ps(); }
};

inline float Hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// Bytes ahead in a weight row that the kernels prefetch. The hardware prefetcher alone keeps too
// few lines in flight for these compute-dense loops: decoding Q4_0 or Q8_0 from DRAM ran 30-50%
// slower without it.
constexpr int kPrefetch = 4096;

// Eight int32 partial dots of one weight block (wq, and |wq| for the signed types) with one
// activation block (a, and aoff = maddubs(offset, a) for the types with an offset), as floats.
template <class W>
inline __m256 BlockDot(__m256i wq, __m256i wabs, __m256i a, __m256i aoff) {
  __m256i p16;
  if constexpr (W::kSigned) {
    p16 = _mm256_maddubs_epi16(wabs, _mm256_sign_epi8(a, wq));
  } else {
    p16 = _mm256_maddubs_epi16(wq, a);
    if constexpr (W::kOffset != 0) p16 = _mm256_sub_epi16(p16, aoff);
  }
  return _mm256_cvtepi32_ps(_mm256_madd_epi16(p16, _mm256_set1_epi16(1)));
}

// Decode of Q8_0 and IQ4_NL: one weight row times one token. Rows go one at a time, each a
// single sequential stream, which the memory system serves faster than several rows side by side
// (Q8_0 from DRAM: 13 GB/s against 9-10 GB/s with 2 or 3 rows); even and odd blocks use separate
// accumulators so the FMA latency does not limit the rate.
template <class W>
float DecodeRow(const float* half, size_t nb, const uint8_t* w, const uint8_t* act) {
  using Block = typename W::Block;
  const Block* blk = reinterpret_cast<const Block*>(w);
  const ActQ8x32* ab = reinterpret_cast<const ActQ8x32*>(act);
  auto step = [&](size_t b, __m256 acc) {
    _mm_prefetch(reinterpret_cast<const char*>(blk + b) + kPrefetch, _MM_HINT_T0);
    const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ab[b].q));
    const __m256i wq = W::Load(blk + b);
    __m256i wabs = wq, aoff = a;
    if constexpr (W::kSigned) wabs = _mm256_sign_epi8(wq, wq);
    if constexpr (W::kOffset != 0) aoff = _mm256_maddubs_epi16(_mm256_set1_epi8(W::kOffset), a);
    const __m256 scale = _mm256_mul_ps(W::D(half, blk + b), _mm256_set1_ps(ab[b].d));
    acc = _mm256_fmadd_ps(BlockDot<W>(wq, wabs, a, aoff), scale, acc);
    if constexpr (W::kMin) {
      const float s = ab[b].d * static_cast<float>(ab[b].sum);
      acc = _mm256_fmadd_ps(W::M(half, blk + b), _mm256_zextps128_ps256(_mm_set_ss(s)), acc);
    }
    return acc;
  };
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  size_t b = 0;
  for (; b + 2 <= nb; b += 2) {
    acc0 = step(b, acc0);
    acc1 = step(b + 1, acc1);
  }
  if (b < nb) acc0 = step(b, acc0);
  return Hsum(_mm256_add_ps(acc0, acc1));
}

// Prefill: one weight row times up to kToks tokens. The row's blocks are unpacked once for all
// the tokens. Four blocks go together: their eight int32 partial dots each are folded by two
// hadds into one vector [b0 b1 b2 b3 | b0 b1 b2 b3] (each lane half a block), converted once and
// scaled once by dw * da of the four blocks. The offset (Q4_0, Q5_0) and the minimum (Q4_1,
// Q5_1) join as one more FMA per four blocks: the row's per-block factor (-offset * dw, or m)
// times the token's da * sum(a).
//
// The activations of kToks tokens are first packed group by group (PackTokens): the kernel then
// walks one pointer at constant offsets instead of one pointer per token.
constexpr int kToks = 8;
constexpr int kGroup = 4;  // blocks per group

template <class W>
constexpr bool kCorrect = W::kMin || W::kOffset != 0;

// One token's share of a group in the packed activations.
struct alignas(32) PackedGroup {
  int8_t q[kGroup][kQK];
  float d[8];  // da of the four blocks, twice
  float s[8];  // da * sum(a) of the four blocks, then zeros
};

// packed[g * T + t] for g < ng = nb / 4 and t < T; tokens past `toks` are zeros.
template <int T>
void PackTokens(const uint8_t* act, size_t arb, size_t toks, size_t ng, PackedGroup* packed) {
  for (size_t g = 0; g < ng; ++g) {
    for (int t = 0; t < T; ++t) {
      PackedGroup& p = packed[g * T + t];
      if (static_cast<size_t>(t) >= toks) {
        std::memset(&p, 0, sizeof p);
        continue;
      }
      const ActQ8x32* a = reinterpret_cast<const ActQ8x32*>(act + t * arb) + g * kGroup;
      for (int j = 0; j < kGroup; ++j) std::memcpy(p.q[j], a[j].q, kQK);
      const __m128 d = _mm_setr_ps(a[0].d, a[1].d, a[2].d, a[3].d);
      const __m128 sum = _mm_cvtepi32_ps(_mm_setr_epi32(a[0].sum, a[1].sum, a[2].sum, a[3].sum));
      _mm256_store_ps(p.d, _mm256_set_m128(d, d));
      _mm256_store_ps(p.s, _mm256_set_m128(_mm_setzero_ps(), _mm_mul_ps(d, sum)));
    }
  }
}

// The 8 int32 partial dots of one block and one activation block (offset not yet removed).
template <class W>
EXA_INLINE __m256i BlockInts(__m256i wq, __m256i wabs, const int8_t* a) {
  const __m256i av = _mm256_load_si256(reinterpret_cast<const __m256i*>(a));
  __m256i p16;
  if constexpr (W::kSigned) {
    p16 = _mm256_maddubs_epi16(wabs, _mm256_sign_epi8(av, wq));
  } else {
    p16 = _mm256_maddubs_epi16(wq, av);
  }
  return _mm256_madd_epi16(p16, _mm256_set1_epi16(1));
}

// The row factor of the correction for block b: -offset * d, or m.
template <class W>
EXA_INLINE float CorrectionFactor(const float* half, const typename W::Block* b) {
  if constexpr (W::kMin) {
    return half[b->m];
  } else {
    return -static_cast<float>(W::kOffset) * half[b->d];
  }
}

// y[t * ys] for t < toks (<= T): the whole groups from `packed`, the last nb % 4 blocks from
// the activation rows `act`.
template <class W, int T>
void PrefillRow(const float* half, size_t nb, const uint8_t* w, const PackedGroup* packed,
                const uint8_t* act, size_t arb, size_t toks, float* y, size_t ys) {
  using Block = typename W::Block;
  const Block* blk = reinterpret_cast<const Block*>(w);
  const size_t ng = nb / kGroup;
  __m256 acc[T];
  for (int t = 0; t < T; ++t) acc[t] = _mm256_setzero_ps();
  for (size_t g = 0; g < ng; ++g, packed += T) {
    const Block* bg = blk + g * kGroup;
    _mm_prefetch(reinterpret_cast<const char*>(bg) + kPrefetch, _MM_HINT_T0);
    __m256i wq[kGroup], wabs[kGroup];
    for (int j = 0; j < kGroup; ++j) {
      wq[j] = W::Load(bg + j);
      wabs[j] = W::kSigned ? _mm256_sign_epi8(wq[j], wq[j]) : wq[j];
    }
    const __m128 d4 = _mm_setr_ps(half[bg[0].d], half[bg[1].d], half[bg[2].d], half[bg[3].d]);
    const __m256 dw = _mm256_set_m128(d4, d4);
    __m256 cw = _mm256_setzero_ps();
    if constexpr (kCorrect<W>) {
      cw = _mm256_castps128_ps256(
          _mm_setr_ps(CorrectionFactor<W>(half, bg), CorrectionFactor<W>(half, bg + 1),
                      CorrectionFactor<W>(half, bg + 2), CorrectionFactor<W>(half, bg + 3)));
    }
    for (int t = 0; t < T; ++t) {
      const PackedGroup& a = packed[t];
      const __m256i p0 = BlockInts<W>(wq[0], wabs[0], a.q[0]);
      const __m256i p1 = BlockInts<W>(wq[1], wabs[1], a.q[1]);
      const __m256i p2 = BlockInts<W>(wq[2], wabs[2], a.q[2]);
      const __m256i p3 = BlockInts<W>(wq[3], wabs[3], a.q[3]);
      const __m256i h = _mm256_hadd_epi32(_mm256_hadd_epi32(p0, p1), _mm256_hadd_epi32(p2, p3));
      acc[t] =
          _mm256_fmadd_ps(_mm256_cvtepi32_ps(h), _mm256_mul_ps(dw, _mm256_load_ps(a.d)), acc[t]);
      if constexpr (kCorrect<W>) acc[t] = _mm256_fmadd_ps(cw, _mm256_load_ps(a.s), acc[t]);
    }
  }
  // The last nb % 4 blocks, one at a time.
  float tail[T] = {};
  for (size_t b = ng * kGroup; b < nb; ++b) {
    const __m256i wq = W::Load(blk + b);
    const __m256i wabs = W::kSigned ? _mm256_sign_epi8(wq, wq) : wq;
    const float dw = half[blk[b].d];
    for (size_t t = 0; t < toks; ++t) {
      const ActQ8x32& a = reinterpret_cast<const ActQ8x32*>(act + t * arb)[b];
      alignas(32) int8_t q[kQK];
      std::memcpy(q, a.q, kQK);
      const __m256 p = _mm256_cvtepi32_ps(BlockInts<W>(wq, wabs, q));
      acc[t] = _mm256_fmadd_ps(p, _mm256_set1_ps(dw * a.d), acc[t]);
      if constexpr (kCorrect<W>) {
        tail[t] += CorrectionFactor<W>(half, blk + b) * (a.d * static_cast<float>(a.sum));
      }
    }
  }
  for (size_t t = 0; t < toks; ++t) y[t * ys] = Hsum(acc[t]) + tail[t];
}

template <class W>
void Tile(size_t k, const void* w, size_t w_row_bytes, size_t rows, const void* act,
          size_t act_row_bytes, size_t toks, float* y, size_t y_stride) {
  const size_t nb = k / kQK;
  const float* half = F16Table();
  const auto* wb = static_cast<const uint8_t*>(w);
  const auto* ab = static_cast<const uint8_t*>(act);
  const size_t ng = nb / kGroup;
  thread_local std::vector<PackedGroup> packed;
  if (toks == 1 && !W::kSigned) {
    // Decode of the unsigned types: the grouped kernel for one token (measured 20-50% faster
    // than DecodeRow, which stays the faster one for Q8_0 and IQ4_NL).
    if (packed.size() < ng) packed.resize(ng);
    PackTokens<1>(ab, act_row_bytes, 1, ng, packed.data());
    for (size_t r = 0; r < rows; ++r) {
      PrefillRow<W, 1>(half, nb, wb + r * w_row_bytes, packed.data(), ab, act_row_bytes, 1, y + r,
                       y_stride);
    }
    return;
  }
  if (toks == 1) {
    for (size_t r = 0; r < rows; ++r) y[r] = DecodeRow<W>(half, nb, wb + r * w_row_bytes, ab);
    return;
  }
  if (packed.size() < ng * kToks) packed.resize(ng * kToks);
  for (size_t t0 = 0; t0 < toks; t0 += kToks) {
    const size_t nt = std::min<size_t>(kToks, toks - t0);
    const uint8_t* at = ab + t0 * act_row_bytes;
    PackTokens<kToks>(at, act_row_bytes, nt, ng, packed.data());
    for (size_t r = 0; r < rows; ++r) {
      PrefillRow<W, kToks>(half, nb, wb + r * w_row_bytes, packed.data(), at, act_row_bytes, nt,
                           y + t0 * y_stride + r, y_stride);
    }
  }
}

// The 8-row interleaved layout (interleave.h). A record holds block b of 8 rows; 32 of its bytes
// hold four consecutive values of each row, so one broadcast of four activation bytes and one
// maddubs + madd give the 8 rows' partial dots in the 8 lanes: no horizontal sums, and one
// scale multiply per record and token for all 8 rows. Q4_0 sums the eight 16-bit maddubs
// results of a block before widening (each at most 2 * 15 * 127, eight of them below 32767),
// which halves the multiplier work.
EXA_INLINE int32_t Load32(const int8_t* p) {
  int32_t v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}

EXA_INLINE __m256i Run4(const int8_t* q, int c) {
  return _mm256_set1_epi32(Load32(q + 4 * c));
}

struct X8Q4_0 {
  static constexpr size_t kRecord = kInterleaveRows * sizeof(BlockQ4_0);
  template <int T>
  static EXA_INLINE void Record(const uint8_t* rec, const ActQ8x32* const* a, size_t b,
                                __m256* acc) {
    const __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(rec)));
    const uint8_t* qs = rec + 2 * kInterleaveRows;
    const __m256i mask = _mm256_set1_epi8(0x0F);
    __m256i u[8];
    for (int p = 0; p < 4; ++p) {
      const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(qs + 32 * p));
      u[p] = _mm256_and_si256(v, mask);
      u[p + 4] = _mm256_and_si256(_mm256_srli_epi16(v, 4), mask);
    }
    for (int t = 0; t < T; ++t) {
      const ActQ8x32& at = a[t][b];
      __m256i s = _mm256_maddubs_epi16(u[0], Run4(at.q, 0));
      for (int c = 1; c < 8; ++c)
        s = _mm256_add_epi16(s, _mm256_maddubs_epi16(u[c], Run4(at.q, c)));
      const __m256i dot = _mm256_sub_epi32(_mm256_madd_epi16(s, _mm256_set1_epi16(1)),
                                           _mm256_set1_epi32(8 * at.sum));
      acc[t] =
          _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), _mm256_mul_ps(dw, _mm256_set1_ps(at.d)), acc[t]);
    }
  }
};

struct X8Q8_0 {
  static constexpr size_t kRecord = kInterleaveRows * sizeof(BlockQ8_0);
  template <int T>
  static EXA_INLINE void Record(const uint8_t* rec, const ActQ8x32* const* a, size_t b,
                                __m256* acc) {
    const auto* qs = reinterpret_cast<const __m256i*>(rec + 2 * kInterleaveRows);
    __m256i dot[T];
    for (int c = 0; c < 8; ++c) {
      const __m256i w = _mm256_loadu_si256(qs + c);
      const __m256i wabs = _mm256_abs_epi8(w);
      for (int t = 0; t < T; ++t) {
        const __m256i x =
            _mm256_madd_epi16(_mm256_maddubs_epi16(wabs, _mm256_sign_epi8(Run4(a[t][b].q, c), w)),
                              _mm256_set1_epi16(1));
        dot[t] = c == 0 ? x : _mm256_add_epi32(dot[t], x);
      }
    }
    const __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(rec)));
    for (int t = 0; t < T; ++t) {
      acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot[t]),
                               _mm256_mul_ps(dw, _mm256_set1_ps(a[t][b].d)), acc[t]);
    }
  }
};

// Rows 8g..8g+7 (the group at wg) times T tokens: y[t * ys + r] for r < 8.
template <class R, int T>
void GroupX8(const uint8_t* wg, size_t nb, const uint8_t* act, size_t arb, float* y, size_t ys) {
  const ActQ8x32* a[T];
  __m256 acc[T];
  for (int t = 0; t < T; ++t) {
    a[t] = reinterpret_cast<const ActQ8x32*>(act + t * arb);
    acc[t] = _mm256_setzero_ps();
  }
  for (size_t b = 0; b < nb; ++b) {
    const uint8_t* rec = wg + b * R::kRecord;
    // Every cache line of the record (2 or 3 for Q4_0, 5 for Q8_0), kPrefetch bytes ahead.
    for (size_t off = 0; off < R::kRecord; off += 64) {
      _mm_prefetch(reinterpret_cast<const char*>(rec) + kPrefetch + off, _MM_HINT_T0);
    }
    R::template Record<T>(rec, a, b, acc);
  }
  for (int t = 0; t < T; ++t) _mm256_storeu_ps(y + t * ys, acc[t]);
}

template <class R>
void TileX8(size_t k, const void* w, size_t w_row_bytes, size_t rows, const void* act,
            size_t act_row_bytes, size_t toks, float* y, size_t y_stride) {
  const size_t nb = k / kQK;
  const auto* ab = static_cast<const uint8_t*>(act);
  for (size_t g = 0; g < rows; g += kInterleaveRows) {
    const uint8_t* wg = static_cast<const uint8_t*>(w) + g * w_row_bytes;
    size_t t = 0;
    for (; t + 8 <= toks; t += 8) {
      GroupX8<R, 8>(wg, nb, ab + t * act_row_bytes, act_row_bytes, y + t * y_stride + g, y_stride);
    }
    for (; t + 4 <= toks; t += 4) {
      GroupX8<R, 4>(wg, nb, ab + t * act_row_bytes, act_row_bytes, y + t * y_stride + g, y_stride);
    }
    for (; t + 2 <= toks; t += 2) {
      GroupX8<R, 2>(wg, nb, ab + t * act_row_bytes, act_row_bytes, y + t * y_stride + g, y_stride);
    }
    for (; t < toks; ++t) {
      GroupX8<R, 1>(wg, nb, ab + t * act_row_bytes, act_row_bytes, y + t * y_stride + g, y_stride);
    }
  }
}

// Same bytes as the scalar PrepareQ8x32: d = max|x| / 127 (0 below FLT_MIN), q = x * (1 / d)
// rounded half to even by cvtps (the default MXCSR mode).
void PrepareQ8x32(const float* x, size_t k, void* out) {
  auto* blocks = static_cast<ActQ8x32*>(out);
  const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  for (size_t b = 0; b < k / kQK; ++b) {
    const float* xb = x + b * kQK;
    const __m256 v0 = _mm256_loadu_ps(xb);
    const __m256 v1 = _mm256_loadu_ps(xb + 8);
    const __m256 v2 = _mm256_loadu_ps(xb + 16);
    const __m256 v3 = _mm256_loadu_ps(xb + 24);
    const __m256 m =
        _mm256_max_ps(_mm256_max_ps(_mm256_and_ps(v0, abs_mask), _mm256_and_ps(v1, abs_mask)),
                      _mm256_max_ps(_mm256_and_ps(v2, abs_mask), _mm256_and_ps(v3, abs_mask)));
    __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
    h = _mm_max_ps(h, _mm_movehl_ps(h, h));
    h = _mm_max_ss(h, _mm_movehdup_ps(h));
    float d = _mm_cvtss_f32(h) / 127.0f;
    if (!(d >= FLT_MIN)) d = 0;
    const __m256 id = _mm256_set1_ps(d != 0 ? 1.0f / d : 0.0f);
    const __m256i i0 = _mm256_cvtps_epi32(_mm256_mul_ps(v0, id));
    const __m256i i1 = _mm256_cvtps_epi32(_mm256_mul_ps(v1, id));
    const __m256i i2 = _mm256_cvtps_epi32(_mm256_mul_ps(v2, id));
    const __m256i i3 = _mm256_cvtps_epi32(_mm256_mul_ps(v3, id));
    const __m256i s8 = _mm256_add_epi32(_mm256_add_epi32(i0, i1), _mm256_add_epi32(i2, i3));
    __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(s8), _mm256_extracti128_si256(s8, 1));
    s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, _MM_SHUFFLE(1, 0, 3, 2)));
    s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, _MM_SHUFFLE(2, 3, 0, 1)));
    const __m256i q = _mm256_permutevar8x32_epi32(
        _mm256_packs_epi16(_mm256_packs_epi32(i0, i1), _mm256_packs_epi32(i2, i3)), order);
    ActQ8x32& a = blocks[b];
    a.d = d;
    a.sum = _mm_cvtsi128_si32(s4);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(a.q), q);
  }
}

constexpr WeightKernels kQ4_0{ActFormat::kQ8x32, PrepareQ8x32, Tile<Q4_0>, TileX8<X8Q4_0>};
constexpr WeightKernels kQ4_1{ActFormat::kQ8x32, PrepareQ8x32, Tile<Q4_1>};
constexpr WeightKernels kQ5_0{ActFormat::kQ8x32, PrepareQ8x32, Tile<Q5_0>};
constexpr WeightKernels kQ5_1{ActFormat::kQ8x32, PrepareQ8x32, Tile<Q5_1>};
constexpr WeightKernels kQ8_0{ActFormat::kQ8x32, PrepareQ8x32, Tile<Q8_0>, TileX8<X8Q8_0>};
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

}  // namespace exaone::kernels::quant::avx2
