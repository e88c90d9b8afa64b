#include "kernels/matmul.h"

#include <cstring>
#include <vector>

#include "base/error.h"
#include "base/half.h"

namespace exaone::kernels {
namespace {

// Dot product with eight independent accumulators, so the compiler can vectorise it and the
// rounding does not depend on the length in a pathological way.
float Dot(const float* a, const float* b, size_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int j = 0; j < 8; ++j) acc[j] += a[i + j] * b[i + j];
  }
  float tail = 0;
  for (; i < n; ++i) tail += a[i] * b[i];
  return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail;
}

}  // namespace

bool MatMulSupports(DType t) {
  return t == DType::kF32 || t == DType::kF16 || t == DType::kBF16;
}

void ToFloat(DType t, const void* src, size_t n, float* out) {
  switch (t) {
    case DType::kF32:
      std::memcpy(out, src, n * sizeof(float));
      return;
    case DType::kF16: {
      const auto* s = static_cast<const uint16_t*>(src);
      for (size_t i = 0; i < n; ++i) out[i] = F16ToF32(s[i]);
      return;
    }
    case DType::kBF16: {
      const auto* s = static_cast<const uint16_t*>(src);
      for (size_t i = 0; i < n; ++i) out[i] = Bf16ToF32(s[i]);
      return;
    }
    default:
      EXA_CHECK_MSG(false, "ToFloat: unsupported type");
  }
}

void GetRow(const WeightView& w, size_t row, float* out) {
  EXA_CHECK(row < w.rows);
  size_t elem = GetDTypeInfo(w.dtype).block_bytes;
  ToFloat(w.dtype, static_cast<const uint8_t*>(w.data) + row * w.cols * elem, w.cols, out);
}

void MatMul(const float* x, size_t n_tokens, const WeightView& w, float* y, ThreadPool& pool) {
  EXA_CHECK(MatMulSupports(w.dtype));
  const size_t k = w.cols;
  pool.ParallelFor(w.rows, [&](size_t begin, size_t end) {
    std::vector<float> row(w.dtype == DType::kF32 ? 0 : k);
    for (size_t n = begin; n < end; ++n) {
      const float* wr;
      if (w.dtype == DType::kF32) {
        wr = static_cast<const float*>(w.data) + n * k;
      } else {
        GetRow(w, n, row.data());
        wr = row.data();
      }
      for (size_t t = 0; t < n_tokens; ++t) y[t * w.rows + n] = Dot(x + t * k, wr, k);
    }
  });
}

}  // namespace exaone::kernels
