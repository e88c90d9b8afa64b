// Matrix products against model weights stored as F32, F16 or BF16, with float32 activations and
// float32 accumulation.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/dtype.h"
#include "base/thread_pool.h"

namespace exaone::kernels {

// A weight matrix [rows, cols] in row-major order, used in place (usually inside a mapping).
struct WeightView {
  DType dtype = DType::kF32;
  const void* data = nullptr;
  size_t rows = 0;
  size_t cols = 0;
};

// True for the weight types MatMul handles.
bool MatMulSupports(DType t);

// y[t, n] = sum_k x[t, k] * w[n, k] for t < n_tokens; x is [n_tokens, w.cols], y is
// [n_tokens, w.rows]. Work is split over output rows.
void MatMul(const float* x, size_t n_tokens, const WeightView& w, float* y, ThreadPool& pool);

// Converts row `row` of `w` to float32 (embedding lookup).
void GetRow(const WeightView& w, size_t row, float* out);

// Converts `n` values of type `t` to float32.
void ToFloat(DType t, const void* src, size_t n, float* out);

}  // namespace exaone::kernels
