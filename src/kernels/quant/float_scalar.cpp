// Portable F32/F16/BF16 matrix-product tile: the reference the SIMD tables are checked against,
// and the kernel on CPUs without a SIMD target. Weights are converted to float in chunks, each
// chunk reused by every token of the tile.
#include <algorithm>

#include "base/half.h"
#include "kernels/quant/kernels.h"

namespace exaone::kernels::quant::scalar {
namespace {

constexpr size_t kChunk = 256;   // weight values converted at a time
constexpr size_t kTokGroup = 8;  // tokens sharing one converted chunk

// Each weight type returns n values at src as floats, converted into buf when needed.
struct F32 {
  static const float* Get(const void* src, size_t, float*) {
    return static_cast<const float*>(src);
  }
  static constexpr size_t kBytes = 4;
};

struct F16 {
  static const float* Get(const void* src, size_t n, float* buf) {
    const auto* s = static_cast<const uint16_t*>(src);
    const float* table = F16Table();
    for (size_t i = 0; i < n; ++i) buf[i] = table[s[i]];
    return buf;
  }
  static constexpr size_t kBytes = 2;
};
struct BF16 {
  static const float* Get(const void* src, size_t n, float* buf) {
    const auto* s = static_cast<const uint16_t*>(src);
    for (size_t i = 0; i < n; ++i) buf[i] = Bf16ToF32(s[i]);
    return buf;
  }
  static constexpr size_t kBytes = 2;
};

// acc[j] += sum over i = j (mod 8) of a[i] * b[i]; eight independent sums vectorise well.
inline void Dot8(float acc[8], const float* a, const float* b, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (size_t j = 0; j < 8; ++j) acc[j] += a[i + j] * b[i + j];
  }
  for (size_t j = 0; i < n; ++i, ++j) acc[j] += a[i] * b[i];
}

template <class W>
void Tile(size_t k, const void* w, size_t w_row_bytes, size_t rows, const void* act,
          size_t act_row_bytes, size_t toks, float* y, size_t y_stride) {
  float buf[kChunk];
  for (size_t r = 0; r < rows; ++r) {
    const auto* wr = static_cast<const uint8_t*>(w) + r * w_row_bytes;
    for (size_t t0 = 0; t0 < toks; t0 += kTokGroup) {
      const size_t nt = std::min(kTokGroup, toks - t0);
      float acc[kTokGroup][8] = {};
      for (size_t c = 0; c < k; c += kChunk) {
        const size_t n = std::min(kChunk, k - c);
        const float* wc = W::Get(wr + c * W::kBytes, n, buf);
        for (size_t t = 0; t < nt; ++t) {
          const auto* x = reinterpret_cast<const float*>(static_cast<const uint8_t*>(act) +
                                                         (t0 + t) * act_row_bytes);
          Dot8(acc[t], wc, x + c, n);
        }
      }
      for (size_t t = 0; t < nt; ++t) {
        const float* a = acc[t];
        y[(t0 + t) * y_stride + r] =
            ((a[0] + a[4]) + (a[1] + a[5])) + ((a[2] + a[6]) + (a[3] + a[7]));
      }
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

}  // namespace exaone::kernels::quant::scalar
