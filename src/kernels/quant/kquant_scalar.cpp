// Portable kernels for the K types (Q2_K..Q6_K) and IQ4_XS against ActQ8x256 activations: the
// reference the SIMD tables are tested against.
//
// Every super-block is first unpacked into one integer form shared by all the types:
//   w[i] = d * sc[i / 16] * q[i] - dmin * m[i / 16]
// so that its dot product with activations a[i] = da * qa[i] is
//   da * (d * sum_j sc[j] * sum_{i in j} q[i] * qa[i] - dmin * sum_j m[j] * bsum[j]),
// with both sums exact in 32-bit integers.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "base/half.h"
#include "kernels/quant/blocks.h"
#include "kernels/quant/interleave.h"
#include "kernels/quant/kernels.h"

namespace exaone::kernels::quant::scalar {
namespace {

constexpr int kSub = kQKK / 16;  // runs of 16 per super-block

// Per block of 256: d = max|x| / 127 (0 when that is below the smallest normal float, whose
// inverse would overflow), q = x * (1 / d) rounded half to even, bsums over runs of 16. Every
// target computes these bytes with the same float operations, so they are identical. Inputs
// must be finite.
void PrepareQ8x256(const float* x, size_t k, void* out) {
  auto* blocks = static_cast<ActQ8x256*>(out);
  for (size_t b = 0; b < k / kQKK; ++b, x += kQKK) {
    float amax = 0.0f;
    for (int i = 0; i < kQKK; ++i) amax = std::max(amax, std::fabs(x[i]));
    float d = amax / 127.0f;
    if (d < std::numeric_limits<float>::min()) d = 0.0f;  // 1 / d would overflow
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    ActQ8x256& a = blocks[b];
    a.d = d;
    for (int i = 0; i < kQKK; ++i) a.q[i] = static_cast<int8_t>(std::nearbyint(x[i] * id));
    for (int j = 0; j < kSub; ++j) {
      int sum = 0;
      for (int i = 0; i < 16; ++i) sum += a.q[16 * j + i];
      a.bsums[j] = static_cast<int16_t>(sum);
    }
  }
}

struct Unpacked {
  int8_t q[kQKK];
  int16_t sc[kSub];
  int16_t m[kSub];  // all zero for the types without a minimum
  float d;
  float dmin;
};

void UnpackQ2_K(const uint8_t* p, Unpacked* u) {
  BlockQ2_K b;
  std::memcpy(&b, p, sizeof b);
  // value 128 h + 32 f + l: 2-bit field f of byte 32 h + l
  for (int h = 0; h < 2; ++h) {
    for (int f = 0; f < 4; ++f) {
      for (int l = 0; l < 32; ++l) {
        u->q[128 * h + 32 * f + l] = static_cast<int8_t>((b.qs[32 * h + l] >> (2 * f)) & 3);
      }
    }
  }
  for (int j = 0; j < kSub; ++j) {
    u->sc[j] = static_cast<int16_t>(b.scales[j] & 0x0f);
    u->m[j] = static_cast<int16_t>(b.scales[j] >> 4);
  }
  u->d = F16ToF32(b.d);
  u->dmin = F16ToF32(b.dmin);
}

void UnpackQ3_K(const uint8_t* p, Unpacked* u) {
  BlockQ3_K b;
  std::memcpy(&b, p, sizeof b);
  // value 128 h + 32 f + l: 2-bit field f of byte 32 h + l, minus 4 unless bit 4 h + f of
  // hmask[l] is set
  for (int h = 0; h < 2; ++h) {
    for (int f = 0; f < 4; ++f) {
      for (int l = 0; l < 32; ++l) {
        const int low = (b.qs[32 * h + l] >> (2 * f)) & 3;
        const int high = (b.hmask[l] >> (4 * h + f)) & 1;
        u->q[128 * h + 32 * f + l] = static_cast<int8_t>(low - 4 + 4 * high);
      }
    }
  }
  for (int j = 0; j < kSub; ++j) {
    const int low = j < 8 ? (b.scales[j] & 0x0f) : (b.scales[j - 8] >> 4);
    const int high = (b.scales[8 + j % 4] >> (2 * (j / 4))) & 3;
    u->sc[j] = static_cast<int16_t>((low | high << 4) - 32);
    u->m[j] = 0;
  }
  u->d = F16ToF32(b.d);
  u->dmin = 0.0f;
}

// The 6-bit scale and minimum of sub-block j (of 32 values) of Q4_K and Q5_K.
void ScaleMin4(const uint8_t* s, int j, int16_t* sc, int16_t* m) {
  if (j < 4) {
    *sc = static_cast<int16_t>(s[j] & 0x3f);
    *m = static_cast<int16_t>(s[j + 4] & 0x3f);
  } else {
    *sc = static_cast<int16_t>((s[j + 4] & 0x0f) | (s[j - 4] >> 6) << 4);
    *m = static_cast<int16_t>((s[j + 4] >> 4) | (s[j] >> 6) << 4);
  }
}

void UnpackQ4_K(const uint8_t* p, Unpacked* u) {
  BlockQ4_K b;
  std::memcpy(&b, p, sizeof b);
  // value 64 c + 32 n + l: nibble n of byte 32 c + l
  for (int c = 0; c < 4; ++c) {
    for (int l = 0; l < 32; ++l) {
      u->q[64 * c + l] = static_cast<int8_t>(b.qs[32 * c + l] & 0x0f);
      u->q[64 * c + 32 + l] = static_cast<int8_t>(b.qs[32 * c + l] >> 4);
    }
  }
  for (int j = 0; j < kQKK / 32; ++j) {
    ScaleMin4(b.scales, j, &u->sc[2 * j], &u->m[2 * j]);
    u->sc[2 * j + 1] = u->sc[2 * j];
    u->m[2 * j + 1] = u->m[2 * j];
  }
  u->d = F16ToF32(b.d);
  u->dmin = F16ToF32(b.dmin);
}

void UnpackQ5_K(const uint8_t* p, Unpacked* u) {
  BlockQ5_K b;
  std::memcpy(&b, p, sizeof b);
  // value 64 c + 32 n + l: nibble n of byte 32 c + l, plus 16 times bit 2 c + n of qh[l]
  for (int c = 0; c < 4; ++c) {
    for (int l = 0; l < 32; ++l) {
      const int hl = (b.qh[l] >> (2 * c)) & 1, hh = (b.qh[l] >> (2 * c + 1)) & 1;
      u->q[64 * c + l] = static_cast<int8_t>((b.qs[32 * c + l] & 0x0f) | hl << 4);
      u->q[64 * c + 32 + l] = static_cast<int8_t>((b.qs[32 * c + l] >> 4) | hh << 4);
    }
  }
  for (int j = 0; j < kQKK / 32; ++j) {
    ScaleMin4(b.scales, j, &u->sc[2 * j], &u->m[2 * j]);
    u->sc[2 * j + 1] = u->sc[2 * j];
    u->m[2 * j + 1] = u->m[2 * j];
  }
  u->d = F16ToF32(b.d);
  u->dmin = F16ToF32(b.dmin);
}

void UnpackQ6_K(const uint8_t* p, Unpacked* u) {
  BlockQ6_K b;
  std::memcpy(&b, p, sizeof b);
  // value 128 h + 32 f + l: nibble f / 2 of ql[64 h + 32 (f % 2) + l] and 2-bit field f of
  // qh[32 h + l], minus 32
  for (int h = 0; h < 2; ++h) {
    for (int f = 0; f < 4; ++f) {
      for (int l = 0; l < 32; ++l) {
        const int low = (b.ql[64 * h + 32 * (f % 2) + l] >> (4 * (f / 2))) & 0x0f;
        const int high = (b.qh[32 * h + l] >> (2 * f)) & 3;
        u->q[128 * h + 32 * f + l] = static_cast<int8_t>((low | high << 4) - 32);
      }
    }
  }
  for (int j = 0; j < kSub; ++j) {
    u->sc[j] = b.scales[j];
    u->m[j] = 0;
  }
  u->d = F16ToF32(b.d);
  u->dmin = 0.0f;
}

void UnpackIQ4_XS(const uint8_t* p, Unpacked* u) {
  BlockIQ4_XS b;
  std::memcpy(&b, p, sizeof b);
  for (int j = 0; j < kQKK / 32; ++j) {
    for (int l = 0; l < 16; ++l) {
      u->q[32 * j + l] = kIq4NlValues[b.qs[16 * j + l] & 0x0f];
      u->q[32 * j + 16 + l] = kIq4NlValues[b.qs[16 * j + l] >> 4];
    }
    const int low = (b.scales_l[j / 2] >> (4 * (j % 2))) & 0x0f;
    const int high = (b.scales_h >> (2 * j)) & 3;
    u->sc[2 * j] = u->sc[2 * j + 1] = static_cast<int16_t>((low | high << 4) - 32);
    u->m[2 * j] = u->m[2 * j + 1] = 0;
  }
  u->d = F16ToF32(b.d);
  u->dmin = 0.0f;
}

using UnpackFn = void (*)(const uint8_t*, Unpacked*);

// Tokens per pass over a row: the accumulators of one pass live on the stack.
constexpr size_t kTokChunk = 16;

template <UnpackFn Unpack, size_t kBlockBytes>
void Tile(size_t k, const void* w, size_t w_row_bytes, size_t rows, const void* act,
          size_t act_row_bytes, size_t toks, float* y, size_t y_stride) {
  const size_t nb = k / kQKK;
  Unpacked u;
  for (size_t r = 0; r < rows; ++r) {
    const uint8_t* wr = static_cast<const uint8_t*>(w) + r * w_row_bytes;
    for (size_t t0 = 0; t0 < toks; t0 += kTokChunk) {
      const size_t nt = std::min(kTokChunk, toks - t0);
      float acc[kTokChunk] = {};
      for (size_t b = 0; b < nb; ++b) {
        Unpack(wr + b * kBlockBytes, &u);
        for (size_t t = 0; t < nt; ++t) {
          const auto* a = reinterpret_cast<const ActQ8x256*>(static_cast<const uint8_t*>(act) +
                                                             (t0 + t) * act_row_bytes) +
                          b;
          int32_t isum = 0, msum = 0;
          for (int j = 0; j < kSub; ++j) {
            int32_t s = 0;
            for (int i = 0; i < 16; ++i) s += u.q[16 * j + i] * a->q[16 * j + i];
            isum += u.sc[j] * s;
            msum += u.m[j] * a->bsums[j];
          }
          acc[t] += a->d * (u.d * static_cast<float>(isum) - u.dmin * static_cast<float>(msum));
        }
      }
      for (size_t t = 0; t < nt; ++t) y[(t0 + t) * y_stride + r] = acc[t];
    }
  }
}

constexpr WeightKernels kQ2K{ActFormat::kQ8x256, PrepareQ8x256,
                             Tile<UnpackQ2_K, sizeof(BlockQ2_K)>};
constexpr WeightKernels kQ3K{ActFormat::kQ8x256, PrepareQ8x256,
                             Tile<UnpackQ3_K, sizeof(BlockQ3_K)>};
constexpr WeightKernels kQ4K{ActFormat::kQ8x256, PrepareQ8x256, Tile<UnpackQ4_K, sizeof(BlockQ4_K)>,
                             TileRowsX8<Tile<UnpackQ4_K, sizeof(BlockQ4_K)>, DType::kQ4_K>};
constexpr WeightKernels kQ5K{ActFormat::kQ8x256, PrepareQ8x256,
                             Tile<UnpackQ5_K, sizeof(BlockQ5_K)>};
constexpr WeightKernels kQ6K{ActFormat::kQ8x256, PrepareQ8x256,
                             Tile<UnpackQ6_K, sizeof(BlockQ6_K)>};
constexpr WeightKernels kIQ4XS{ActFormat::kQ8x256, PrepareQ8x256,
                               Tile<UnpackIQ4_XS, sizeof(BlockIQ4_XS)>};

}  // namespace

const WeightKernels* KQuantKernels(DType t) {
  switch (t) {
    case DType::kQ2_K:
      return &kQ2K;
    case DType::kQ3_K:
      return &kQ3K;
    case DType::kQ4_K:
      return &kQ4K;
    case DType::kQ5_K:
      return &kQ5K;
    case DType::kQ6_K:
      return &kQ6K;
    case DType::kIQ4_XS:
      return &kIQ4XS;
    default:
      return nullptr;
  }
}

}  // namespace exaone::kernels::quant::scalar
