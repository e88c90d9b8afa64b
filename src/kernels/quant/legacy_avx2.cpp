// AVX2 kernels for the 32-value block types against ActQ8x32 activations.
//
// One weight block becomes 32 bytes: unsigned for Q4_0/Q4_1/Q5_0/Q5_1 (the offset 8 or 16 is
// taken off as offset * maddubs(1, a), computed once per activation block), signed for Q8_0 and
// IQ4_NL (|w| times a with w's sign). maddubs + madd give eight exact int32 partial dots, which
// are converted to float and accumulated with the block's scale d * da (and the minimum term
// m * da * sum a). For prefill a micro-kernel handles R rows x T tokens so a decoded weight
// block serves T tokens and an activation block R rows; decode reads one row at a time.
// Horizontal sums happen once per output.
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cfloat>
#include <memory>
#include <utility>

#include "kernels/quant/blocks.h"
#include "kernels/quant/kernels.h"

namespace exaone::kernels::quant::avx2 {
namespace {

// fp16 -> float32 for every bit pattern (256 KiB, filled on first use). A block's scale then
// costs one broadcast load instead of an insert, a conversion and a broadcast; the scales of a
// weight matrix span few exponents, so the entries in use stay cached.
const float* HalfTable() {
  static const std::unique_ptr<float[]> table = [] {
    auto t = std::make_unique<float[]>(65536);
    for (uint32_t i = 0; i < 65536; ++i) t[i] = _cvtsh_ss(static_cast<uint16_t>(i));
    return t;
  }();
  return table.get();
}

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

// Decode: one weight row times one token. Rows go one at a time, each a single sequential
// stream, which the memory system serves faster than several rows side by side (Q8_0 from DRAM:
// 13 GB/s against 9-10 GB/s with 2 or 3 rows); even and odd blocks use separate accumulators so
// the FMA latency does not limit the rate.
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

template <class W, int R, int T>
void Micro(const float* half, size_t nb, const uint8_t* w, size_t wrb, const uint8_t* act,
           size_t arb, float* y, size_t ys) {
  using Block = typename W::Block;
  __m256 acc[R][T];
  for (int r = 0; r < R; ++r) {
    for (int t = 0; t < T; ++t) acc[r][t] = _mm256_setzero_ps();
  }
  for (size_t b = 0; b < nb; ++b) {
    __m256i a[T], aoff[T];
    __m256 da[T], s[T];
    for (int t = 0; t < T; ++t) {
      const ActQ8x32* ab = reinterpret_cast<const ActQ8x32*>(act + t * arb) + b;
      a[t] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ab->q));
      da[t] = _mm256_set1_ps(ab->d);
      aoff[t] = a[t];
      if constexpr (W::kOffset != 0) {
        aoff[t] = _mm256_maddubs_epi16(_mm256_set1_epi8(W::kOffset), a[t]);
      }
      if constexpr (W::kMin) {
        s[t] = _mm256_zextps128_ps256(_mm_set_ss(ab->d * static_cast<float>(ab->sum)));
      }
    }
    for (int r = 0; r < R; ++r) {
      const Block* blk = reinterpret_cast<const Block*>(w + r * wrb) + b;
      _mm_prefetch(reinterpret_cast<const char*>(blk) + kPrefetch, _MM_HINT_T0);
      const __m256i wq = W::Load(blk);
      const __m256 dw = W::D(half, blk);
      __m256i wabs = wq;
      if constexpr (W::kSigned) wabs = _mm256_sign_epi8(wq, wq);
      for (int t = 0; t < T; ++t) {
        const __m256 p = BlockDot<W>(wq, wabs, a[t], aoff[t]);
        acc[r][t] = _mm256_fmadd_ps(p, _mm256_mul_ps(dw, da[t]), acc[r][t]);
        if constexpr (W::kMin) acc[r][t] = _mm256_fmadd_ps(W::M(half, blk), s[t], acc[r][t]);
      }
    }
  }
  for (int r = 0; r < R; ++r) {
    for (int t = 0; t < T; ++t) y[t * ys + r] = Hsum(acc[r][t]);
  }
}

// Rows and tokens per micro-kernel (prefill): 3 x 4 measured fastest (4 x 2, 4 x 3, 3 x 3 and
// 2 x 4 were up to 25% slower, depending on the type). The activations beyond the registers are
// read as memory operands.
constexpr int kRows = 3;
constexpr int kToks = 4;

using MicroFn = void (*)(const float*, size_t, const uint8_t*, size_t, const uint8_t*, size_t,
                         float*, size_t);

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
  const size_t nb = k / kQK;
  const float* half = HalfTable();
  const auto* wb = static_cast<const uint8_t*>(w);
  const auto* ab = static_cast<const uint8_t*>(act);
  if (toks == 1) {
    for (size_t r = 0; r < rows; ++r) y[r] = DecodeRow<W>(half, nb, wb + r * w_row_bytes, ab);
    return;
  }
  for (size_t r0 = 0; r0 < rows; r0 += kRows) {
    const size_t nr = std::min<size_t>(kRows, rows - r0);
    for (size_t t0 = 0; t0 < toks; t0 += kToks) {
      const size_t nt = std::min<size_t>(kToks, toks - t0);
      Table<W>::fns[nr - 1][nt - 1](half, nb, wb + r0 * w_row_bytes, w_row_bytes,
                                    ab + t0 * act_row_bytes, act_row_bytes, y + t0 * y_stride + r0,
                                    y_stride);
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

}  // namespace exaone::kernels::quant::avx2
