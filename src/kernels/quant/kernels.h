// Matrix-product micro-kernels for every weight type, one table per SIMD target.
//
// A weight row of K values (any GGUF type) is multiplied with an activation row that the kernel
// table says how to prepare: float32 for F32/F16/BF16 weights, ActQ8x32 rows for Q4_0, Q4_1,
// Q5_0, Q5_1 and Q8_0, ActQ8x256 rows for the K types and IQ4_XS. The scalar table covers every
// type and is the reference the SIMD tables are tested against.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/dtype.h"
#include "kernels/cpu.h"

namespace exaone::kernels::quant {

enum class ActFormat {
  kF32,     // the float32 activations as they are
  kQ8x32,   // ActQ8x32 blocks
  kQ8x256,  // ActQ8x256 blocks
};

// Bytes of one prepared activation row of k values (k a multiple of the format's block).
size_t ActRowBytes(ActFormat f, size_t k);

// Prepares one activation row: x[k] -> out (ActRowBytes(f, k) bytes).
using PrepareActFn = void (*)(const float* x, size_t k, void* out);

// y[t * y_stride + r] = dot(weight row r, activation row t) for r < rows, t < toks, where
// weight row r starts at w + r * w_row_bytes and activation row t at act + t * act_row_bytes.
// k is the row length in values (a multiple of the type's block).
using TileFn = void (*)(size_t k, const void* w, size_t w_row_bytes, size_t rows, const void* act,
                        size_t act_row_bytes, size_t toks, float* y, size_t y_stride);

struct WeightKernels {
  ActFormat act = ActFormat::kF32;
  PrepareActFn prepare = nullptr;  // float32 -> act format; nullptr for kF32
  TileFn tile = nullptr;
  // The same product for weights in the 8-row interleaved layout (interleave.h): w is the start
  // of a group of 8 rows, rows is a multiple of 8 and w_row_bytes is one row's size in the file
  // layout. nullptr where the type has no such layout or the target no kernel for it.
  TileFn tile_x8 = nullptr;
};

// The kernels for weight type `t` on `target`; nullptr when `t` has no kernel there (every
// type MatMul accepts has a scalar kernel). The table does not check that the CPU supports
// the target.
const WeightKernels* GetWeightKernels(DType t, SimdTarget target);

// Per-file tables the registry combines (each returns nullptr for types it does not cover).
namespace scalar {
const WeightKernels* FloatKernels(DType t);
const WeightKernels* LegacyKernels(DType t);
const WeightKernels* KQuantKernels(DType t);
}  // namespace scalar
namespace avx2 {
const WeightKernels* FloatKernels(DType t);
const WeightKernels* LegacyKernels(DType t);
const WeightKernels* KQuantKernels(DType t);
}  // namespace avx2
namespace avx512 {
const WeightKernels* FloatKernels(DType t);
const WeightKernels* LegacyKernels(DType t);
const WeightKernels* KQuantKernels(DType t);
}  // namespace avx512

}  // namespace exaone::kernels::quant
