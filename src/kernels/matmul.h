// Matrix products against model weights of any supported GGUF type (F32, F16, BF16 and the
// block-quantized types) with float32 activations and outputs. Quantized weights are multiplied
// with activations quantized to int8 per block (see kernels/quant/kernels.h); the SIMD kernels
// are chosen at run time from what the CPU has.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>

#include "base/dtype.h"
#include "base/thread_pool.h"

namespace exaone::kernels {

// A weight matrix [rows, cols] in row-major order, used in place (usually inside a mapping).
struct WeightView {
  DType dtype = DType::kF32;
  const void* data = nullptr;
  size_t rows = 0;
  size_t cols = 0;
  // Rows stored 8 at a time in the interleaved layout of kernels/quant/interleave.h (see
  // PrefersInterleaved) rather than one after another as in the file.
  bool interleaved = false;
};

// Whether `w` (in the file's layout) multiplies faster after kernels::quant::Interleave8 on
// this CPU: its type has the layout, its shape allows it, and the active SIMD target has a
// kernel for it.
bool PrefersInterleaved(const WeightView& w);

// True for the weight types MatMul handles.
bool MatMulSupports(DType t);

// Bytes of one row of `w`.
size_t RowBytes(const WeightView& w);

// y[t, n] = sum_k x[t, k] * w[n, k] for t < n_tokens; x is [n_tokens, w.cols], y is
// [n_tokens, w.rows]. Work is split over output rows.
void MatMul(const float* x, size_t n_tokens, const WeightView& w, float* y, ThreadPool& pool);

// Several products of the same input (e.g. the q, k and v projections) in one parallel loop,
// preparing the activations once per format.
struct MatMulOut {
  const WeightView* w;
  float* y;  // [n_tokens, w->rows]
};
void MatMulMany(const float* x, size_t n_tokens, std::initializer_list<MatMulOut> outs,
                ThreadPool& pool);

// Converts row `row` of `w` to float32 (embedding lookup); either layout.
void GetRow(const WeightView& w, size_t row, float* out);

// Converts `n` values of type `t` to float32.
void ToFloat(DType t, const void* src, size_t n, float* out);

}  // namespace exaone::kernels
