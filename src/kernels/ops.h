// Element-wise and per-row operations of the transformer block. Each has a scalar version and
// an AVX2 one chosen at run time (these operations touch a few kilobytes per token, so AVX-512
// machines use the AVX2 versions too).
#pragma once

#include <cstddef>

#include "kernels/cpu.h"

namespace exaone::kernels {

// out[i] = w[i] * x[i] / sqrt(mean(x^2) + eps) over one row of n values (out may alias x).
void RmsNorm(const float* x, const float* w, size_t n, float eps, float* out);

// Applies RmsNorm to `rows` consecutive rows of n values, in place.
void RmsNormRows(float* x, const float* w, size_t rows, size_t n, float eps);

// gate[i] = silu(gate[i]) * up[i]
void SiluMul(float* gate, const float* up, size_t n);

// x[i] += y[i]
void Add(float* x, const float* y, size_t n);

// Rotates n_heads vectors (head_dim apart) in rotate-half order: for j < half,
// (a, b) = (x[j], x[j + half]) -> (a cos[j] - b sin[j], b cos[j] + a sin[j]).
void RopeRotate(float* x, int n_heads, int head_dim, int half, const float* cos, const float* sin);

// The operations of one SIMD target (tests compare each with the scalar ones).
struct OpsTable {
  void (*rms_norm)(const float* x, const float* w, size_t n, float eps, float* out);
  void (*silu_mul)(float* gate, const float* up, size_t n);
  void (*add)(float* x, const float* y, size_t n);
  void (*rope_rotate)(float* x, int n_heads, int head_dim, int half, const float* cos,
                      const float* sin);
};
const OpsTable* ScalarOpsTable();
const OpsTable* Avx2OpsTable();
const OpsTable* OpsTableFor(SimdTarget t);  // the widest table `t` can run

}  // namespace exaone::kernels
