// Scalar dequantization of GGUF's block types: the reference the SIMD kernels and the quantizers
// are checked against. Every value is computed with the same float32 operations, in the same
// order, as the `gguf` package's numpy code: a sub-block factor such as d * scale is rounded to
// float32 first and then multiplied by the quant, and a minimum is subtracted (or added) as a
// separate rounding step. That makes the results equal bit for bit, including negative zeros,
// fp16 subnormal scales and inf/NaN scales, provided the compiler does not contract a * b + c
// into a fused multiply-add (this file is built without FMA instructions).
#include <cstdint>
#include <cstring>

#include "base/error.h"
#include "base/half.h"
#include "kernels/quant/blocks.h"
#include "kernels/quant/format.h"

namespace exaone::kernels::quant {
namespace {

template <typename Block>
const Block* Blocks(const void* src) {
  return static_cast<const Block*>(src);
}

// Q4_K / Q5_K: 6-bit scale and min of sub-block j (0..7) from the 12 packed bytes.
void ScaleMinK4(const uint8_t* s, int j, int* scale, int* min) {
  if (j < 4) {
    *scale = s[j] & 0x3f;
    *min = s[j + 4] & 0x3f;
  } else {
    *scale = (s[j + 4] & 0x0f) | ((s[j - 4] >> 6) << 4);
    *min = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
  }
}

// Q3_K: signed 6-bit scale of sub-block j (0..15).
int ScaleQ3K(const uint8_t* s, int j) {
  int low = j < 8 ? (s[j] & 0x0f) : (s[j - 8] >> 4);
  int high = (s[8 + j % 4] >> (2 * (j / 4))) & 3;
  return (low | high << 4) - 32;
}

void DequantQ4_0(const BlockQ4_0* b, size_t nb, float* y) {
  for (size_t i = 0; i < nb; ++i, y += kQK) {
    const float d = F16ToF32(b[i].d);
    for (int l = 0; l < kQK / 2; ++l) {
      y[l] = d * static_cast<float>((b[i].qs[l] & 0x0f) - 8);
      y[l + kQK / 2] = d * static_cast<float>((b[i].qs[l] >> 4) - 8);
    }
  }
}

void DequantQ4_1(const BlockQ4_1* b, size_t nb, float* y) {
  for (size_t i = 0; i < nb; ++i, y += kQK) {
    const float d = F16ToF32(b[i].d);
    const float m = F16ToF32(b[i].m);
    for (int l = 0; l < kQK / 2; ++l) {
      const float lo = d * static_cast<float>(b[i].qs[l] & 0x0f);
      const float hi = d * static_cast<float>(b[i].qs[l] >> 4);
      y[l] = lo + m;
      y[l + kQK / 2] = hi + m;
    }
  }
}

uint32_t Load32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

void DequantQ5_0(const BlockQ5_0* b, size_t nb, float* y) {
  for (size_t i = 0; i < nb; ++i, y += kQK) {
    const float d = F16ToF32(b[i].d);
    const uint32_t qh = Load32(b[i].qh);
    for (int l = 0; l < kQK / 2; ++l) {
      const int q0 = (b[i].qs[l] & 0x0f) | static_cast<int>((qh >> l) & 1) << 4;
      const int q1 = (b[i].qs[l] >> 4) | static_cast<int>((qh >> (l + 16)) & 1) << 4;
      y[l] = d * static_cast<float>(q0 - 16);
      y[l + kQK / 2] = d * static_cast<float>(q1 - 16);
    }
  }
}

void DequantQ5_1(const BlockQ5_1* b, size_t nb, float* y) {
  for (size_t i = 0; i < nb; ++i, y += kQK) {
    const float d = F16ToF32(b[i].d);
    const float m = F16ToF32(b[i].m);
    const uint32_t qh = Load32(b[i].qh);
    for (int l = 0; l < kQK / 2; ++l) {
      const int q0 = (b[i].qs[l] & 0x0f) | static_cast<int>((qh >> l) & 1) << 4;
      const int q1 = (b[i].qs[l] >> 4) | static_cast<int>((qh >> (l + 16)) & 1) << 4;
      const float lo = d * static_cast<float>(q0);
      const float hi = d * static_cast<float>(q1);
      y[l] = lo + m;
      y[l + kQK / 2] = hi + m;
    }
  }
}

void DequantQ8_0(const BlockQ8_0* b, size_t nb, float* y) {
  for (size_t i = 0; i < nb; ++i, y += kQK) {
    const float d = F16ToF32(b[i].d);
    for (int l = 0; l < kQK; ++l) y[l] = static_cast<float>(b[i].qs[l]) * d;
  }
}

void DequantQ2_K(const BlockQ2_K* b, size_t nb, float* y) {
  for (size_t i = 0; i < nb; ++i, y += kQKK) {
    const float d = F16ToF32(b[i].d);
    const float dmin = F16ToF32(b[i].dmin);
    for (int v = 0; v < kQKK; ++v) {
      // Value v: 32-byte half c, 2-bit field s of byte l.
      const int c = v / 128, s = (v / 32) % 4, l = v % 32;
      const int q = (b[i].qs[c * 32 + l] >> (2 * s)) & 3;
      const uint8_t sc = b[i].scales[v / 16];
      const float dl = d * static_cast<float>(sc & 0x0f);
      const float ml = dmin * static_cast<float>(sc >> 4);
      const float p = dl * static_cast<float>(q);
      y[v] = p - ml;
    }
  }
}

void DequantQ3_K(const BlockQ3_K* b, size_t nb, float* y) {
  for (size_t i = 0; i < nb; ++i, y += kQKK) {
    const float d = F16ToF32(b[i].d);
    float dl[kQKK / 16];
    for (int j = 0; j < kQKK / 16; ++j) dl[j] = d * static_cast<float>(ScaleQ3K(b[i].scales, j));
    for (int v = 0; v < kQKK; ++v) {
      const int c = v / 128, s = (v / 32) % 4, l = v % 32;
      const int low = (b[i].qs[c * 32 + l] >> (2 * s)) & 3;
      const int high = (b[i].hmask[l] >> (v / 32)) & 1;  // set: no -4 offset
      const int q = low - (high ? 0 : 4);
      y[v] = dl[v / 16] * static_cast<float>(q);
    }
  }
}

void DequantQ4_K(const BlockQ4_K* b, size_t nb, float* y) {
  for (size_t i = 0; i < nb; ++i, y += kQKK) {
    const float d = F16ToF32(b[i].d);
    const float dmin = F16ToF32(b[i].dmin);
    for (int j = 0; j < kQKK / 32; ++j) {
      int sc, m;
      ScaleMinK4(b[i].scales, j, &sc, &m);
      const float dl = d * static_cast<float>(sc);
      const float ml = dmin * static_cast<float>(m);
      const uint8_t* qs = b[i].qs + (j / 2) * 32;
      const int shift = 4 * (j % 2);
      for (int l = 0; l < 32; ++l) {
        const float p = dl * static_cast<float>((qs[l] >> shift) & 0x0f);
        y[j * 32 + l] = p - ml;
      }
    }
  }
}

void DequantQ5_K(const BlockQ5_K* b, size_t nb, float* y) {
  for (size_t i = 0; i < nb; ++i, y += kQKK) {
    const float d = F16ToF32(b[i].d);
    const float dmin = F16ToF32(b[i].dmin);
    for (int j = 0; j < kQKK / 32; ++j) {
      int sc, m;
      ScaleMinK4(b[i].scales, j, &sc, &m);
      const float dl = d * static_cast<float>(sc);
      const float ml = dmin * static_cast<float>(m);
      const uint8_t* qs = b[i].qs + (j / 2) * 32;
      const int shift = 4 * (j % 2);
      for (int l = 0; l < 32; ++l) {
        const int q = ((qs[l] >> shift) & 0x0f) | ((b[i].qh[l] >> j) & 1) << 4;
        const float p = dl * static_cast<float>(q);
        y[j * 32 + l] = p - ml;
      }
    }
  }
}

void DequantQ6_K(const BlockQ6_K* b, size_t nb, float* y) {
  for (size_t i = 0; i < nb; ++i, y += kQKK) {
    const float d = F16ToF32(b[i].d);
    for (int v = 0; v < kQKK; ++v) {
      // ql: 64-byte half c holds values c*128 + [0, 64) in the low nibbles and + [64, 128) in
      // the high nibbles; qh: 32-byte half c holds 2 bits for each of four runs of 32.
      const int c = v / 128, r = v % 128;
      const int low = (b[i].ql[c * 64 + r % 64] >> (4 * (r / 64))) & 0x0f;
      const int high = (b[i].qh[c * 32 + r % 32] >> (2 * (r / 32))) & 3;
      const float dl = d * static_cast<float>(b[i].scales[v / 16]);
      y[v] = dl * static_cast<float>((low | high << 4) - 32);
    }
  }
}

void DequantIQ4_NL(const BlockQ4_0* b, size_t nb, float* y) {
  for (size_t i = 0; i < nb; ++i, y += kQK) {
    const float d = F16ToF32(b[i].d);
    for (int l = 0; l < kQK / 2; ++l) {
      y[l] = d * static_cast<float>(kIq4NlValues[b[i].qs[l] & 0x0f]);
      y[l + kQK / 2] = d * static_cast<float>(kIq4NlValues[b[i].qs[l] >> 4]);
    }
  }
}

void DequantIQ4_XS(const BlockIQ4_XS* b, size_t nb, float* y) {
  for (size_t i = 0; i < nb; ++i, y += kQKK) {
    const float d = F16ToF32(b[i].d);
    for (int j = 0; j < kQKK / 32; ++j) {
      const int low = (b[i].scales_l[j / 2] >> (4 * (j % 2))) & 0x0f;
      const int high = (b[i].scales_h >> (2 * j)) & 3;
      const float dl = d * static_cast<float>((low | high << 4) - 32);
      const uint8_t* qs = b[i].qs + j * 16;
      for (int l = 0; l < 16; ++l) {
        y[j * 32 + l] = dl * static_cast<float>(kIq4NlValues[qs[l] & 0x0f]);
        y[j * 32 + l + 16] = dl * static_cast<float>(kIq4NlValues[qs[l] >> 4]);
      }
    }
  }
}

}  // namespace

bool CanDequantize(DType t) {
  switch (t) {
    case DType::kF32:
    case DType::kF16:
    case DType::kBF16:
    case DType::kQ4_0:
    case DType::kQ4_1:
    case DType::kQ5_0:
    case DType::kQ5_1:
    case DType::kQ8_0:
    case DType::kQ2_K:
    case DType::kQ3_K:
    case DType::kQ4_K:
    case DType::kQ5_K:
    case DType::kQ6_K:
    case DType::kIQ4_NL:
    case DType::kIQ4_XS:
      return true;
    default:
      return false;
  }
}

void DequantizeRow(DType t, const void* src, size_t n, float* out) {
  EXA_CHECK_MSG(CanDequantize(t), "DequantizeRow: unsupported type");
  const size_t block = GetDTypeInfo(t).block;
  EXA_CHECK_MSG(n % block == 0, "DequantizeRow: n is not a whole number of blocks");
  const size_t nb = n / block;
  switch (t) {
    case DType::kF32:
      if (n != 0) std::memcpy(out, src, n * sizeof(float));
      return;
    case DType::kF16: {
      const auto* h = static_cast<const uint8_t*>(src);
      for (size_t i = 0; i < n; ++i) {
        uint16_t v;
        std::memcpy(&v, h + 2 * i, 2);
        out[i] = F16ToF32(v);
      }
      return;
    }
    case DType::kBF16: {
      const auto* h = static_cast<const uint8_t*>(src);
      for (size_t i = 0; i < n; ++i) {
        uint16_t v;
        std::memcpy(&v, h + 2 * i, 2);
        out[i] = Bf16ToF32(v);
      }
      return;
    }
    case DType::kQ4_0:
      return DequantQ4_0(Blocks<BlockQ4_0>(src), nb, out);
    case DType::kQ4_1:
      return DequantQ4_1(Blocks<BlockQ4_1>(src), nb, out);
    case DType::kQ5_0:
      return DequantQ5_0(Blocks<BlockQ5_0>(src), nb, out);
    case DType::kQ5_1:
      return DequantQ5_1(Blocks<BlockQ5_1>(src), nb, out);
    case DType::kQ8_0:
      return DequantQ8_0(Blocks<BlockQ8_0>(src), nb, out);
    case DType::kQ2_K:
      return DequantQ2_K(Blocks<BlockQ2_K>(src), nb, out);
    case DType::kQ3_K:
      return DequantQ3_K(Blocks<BlockQ3_K>(src), nb, out);
    case DType::kQ4_K:
      return DequantQ4_K(Blocks<BlockQ4_K>(src), nb, out);
    case DType::kQ5_K:
      return DequantQ5_K(Blocks<BlockQ5_K>(src), nb, out);
    case DType::kQ6_K:
      return DequantQ6_K(Blocks<BlockQ6_K>(src), nb, out);
    case DType::kIQ4_NL:  // same layout as Q4_0: fp16 d, then 16 bytes of nibbles
      return DequantIQ4_NL(Blocks<BlockQ4_0>(src), nb, out);
    case DType::kIQ4_XS:
      return DequantIQ4_XS(Blocks<BlockIQ4_XS>(src), nb, out);
    default:
      EXA_CHECK_MSG(false, "DequantizeRow: unsupported type");
  }
}

}  // namespace exaone::kernels::quant
