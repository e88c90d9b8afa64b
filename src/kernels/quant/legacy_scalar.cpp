// Portable kernels for the 32-value block types (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, IQ4_NL) against
// ActQ8x32 activations: the reference the SIMD tables are checked against.
//
// Per block, with the weights written as d * (q - offset) (+ m for the types with a minimum) and
// the activations as da * a:  dot = (d * da) * (sum q * a - offset * sum a) + m * (da * sum a),
// where both sums are exact integers. The blocks' terms are summed in float.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>

#include "base/half.h"
#include "kernels/quant/blocks.h"
#include "kernels/quant/interleave.h"
#include "kernels/quant/kernels.h"

namespace exaone::kernels::quant::scalar {
namespace {

// Weight block decoded to integers: value j = d * (q[j] - offset) + m.
struct Unpacked {
  int q[kQK];
  float d;
  float m;
};

uint32_t Load32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

void Nibbles(const uint8_t* qs, int* q) {
  for (int j = 0; j < kQK / 2; ++j) {
    q[j] = qs[j] & 0x0F;
    q[j + kQK / 2] = qs[j] >> 4;
  }
}

void HighBits(const uint8_t* qh, int* q) {
  const uint32_t h = Load32(qh);
  for (int j = 0; j < kQK; ++j) q[j] |= static_cast<int>((h >> j) & 1u) << 4;
}

struct Q4_0 {
  using Block = BlockQ4_0;
  static constexpr int kOffset = 8;
  static constexpr bool kMin = false;
  static void Unpack(const Block& b, Unpacked& u) {
    Nibbles(b.qs, u.q);
    u.d = F16ToF32(b.d);
  }
};
struct Q4_1 {
  using Block = BlockQ4_1;
  static constexpr int kOffset = 0;
  static constexpr bool kMin = true;
  static void Unpack(const Block& b, Unpacked& u) {
    Nibbles(b.qs, u.q);
    u.d = F16ToF32(b.d);
    u.m = F16ToF32(b.m);
  }
};
struct Q5_0 {
  using Block = BlockQ5_0;
  static constexpr int kOffset = 16;
  static constexpr bool kMin = false;
  static void Unpack(const Block& b, Unpacked& u) {
    Nibbles(b.qs, u.q);
    HighBits(b.qh, u.q);
    u.d = F16ToF32(b.d);
  }
};
struct Q5_1 {
  using Block = BlockQ5_1;
  static constexpr int kOffset = 0;
  static constexpr bool kMin = true;
  static void Unpack(const Block& b, Unpacked& u) {
    Nibbles(b.qs, u.q);
    HighBits(b.qh, u.q);
    u.d = F16ToF32(b.d);
    u.m = F16ToF32(b.m);
  }
};
struct Q8_0 {
  using Block = BlockQ8_0;
  static constexpr int kOffset = 0;
  static constexpr bool kMin = false;
  static void Unpack(const Block& b, Unpacked& u) {
    for (int j = 0; j < kQK; ++j) u.q[j] = b.qs[j];
    u.d = F16ToF32(b.d);
  }
};
// IQ4_NL blocks have Q4_0's layout; the nibbles index the non-linear table.
struct IQ4_NL {
  using Block = BlockQ4_0;
  static constexpr int kOffset = 0;
  static constexpr bool kMin = false;
  static void Unpack(const Block& b, Unpacked& u) {
    Nibbles(b.qs, u.q);
    for (int j = 0; j < kQK; ++j) u.q[j] = kIq4NlValues[u.q[j]];
    u.d = F16ToF32(b.d);
  }
};

constexpr size_t kTokGroup = 16;  // tokens sharing one decoded weight block

template <class W>
void Tile(size_t k, const void* w, size_t w_row_bytes, size_t rows, const void* act,
          size_t act_row_bytes, size_t toks, float* y, size_t y_stride) {
  const size_t nb = k / kQK;
  Unpacked u{};
  for (size_t r = 0; r < rows; ++r) {
    const auto* wr = reinterpret_cast<const typename W::Block*>(static_cast<const uint8_t*>(w) +
                                                                r * w_row_bytes);
    for (size_t t0 = 0; t0 < toks; t0 += kTokGroup) {
      const size_t nt = std::min(kTokGroup, toks - t0);
      float acc[kTokGroup] = {};
      for (size_t b = 0; b < nb; ++b) {
        W::Unpack(wr[b], u);
        for (size_t t = 0; t < nt; ++t) {
          const auto& a = reinterpret_cast<const ActQ8x32*>(static_cast<const uint8_t*>(act) +
                                                            (t0 + t) * act_row_bytes)[b];
          int32_t dot = 0;
          for (int j = 0; j < kQK; ++j) dot += u.q[j] * a.q[j];
          dot -= W::kOffset * a.sum;
          acc[t] += (u.d * a.d) * static_cast<float>(dot);
          if constexpr (W::kMin) acc[t] += u.m * (a.d * static_cast<float>(a.sum));
        }
      }
      for (size_t t = 0; t < nt; ++t) y[(t0 + t) * y_stride + r] = acc[t];
    }
  }
}

// x -> ActQ8x32 blocks; every target produces the same bytes. A block whose scale would be below
// FLT_MIN (where 1 / d could overflow) is stored as all-zero.
void PrepareQ8x32(const float* x, size_t k, void* out) {
  auto* blocks = static_cast<ActQ8x32*>(out);
  for (size_t b = 0; b < k / kQK; ++b) {
    const float* xb = x + b * kQK;
    float amax = 0;
    for (int j = 0; j < kQK; ++j) amax = std::max(amax, std::fabs(xb[j]));
    float d = amax / 127.0f;
    if (!(d >= FLT_MIN)) d = 0;
    const float id = d != 0 ? 1.0f / d : 0.0f;
    int32_t sum = 0;
    ActQ8x32& a = blocks[b];
    for (int j = 0; j < kQK; ++j) {
      const int q = static_cast<int>(std::nearbyint(xb[j] * id));
      a.q[j] = static_cast<int8_t>(q);
      sum += q;
    }
    a.d = d;
    a.sum = sum;
  }
}

constexpr WeightKernels kQ4_0{ActFormat::kQ8x32, PrepareQ8x32, Tile<Q4_0>,
                              TileRowsX8<Tile<Q4_0>, DType::kQ4_0>};
constexpr WeightKernels kQ4_1{ActFormat::kQ8x32, PrepareQ8x32, Tile<Q4_1>};
constexpr WeightKernels kQ5_0{ActFormat::kQ8x32, PrepareQ8x32, Tile<Q5_0>};
constexpr WeightKernels kQ5_1{ActFormat::kQ8x32, PrepareQ8x32, Tile<Q5_1>};
constexpr WeightKernels kQ8_0{ActFormat::kQ8x32, PrepareQ8x32, Tile<Q8_0>,
                              TileRowsX8<Tile<Q8_0>, DType::kQ8_0>};
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

}  // namespace exaone::kernels::quant::scalar
