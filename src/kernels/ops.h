// Element-wise and per-row operations of the transformer block.
#pragma once

#include <cstddef>

namespace exaone::kernels {

// out[i] = w[i] * x[i] / sqrt(mean(x^2) + eps) over one row of n values (out may alias x).
void RmsNorm(const float* x, const float* w, size_t n, float eps, float* out);

// Applies RmsNorm to `rows` consecutive rows of n values, in place.
void RmsNormRows(float* x, const float* w, size_t rows, size_t n, float eps);

// gate[i] = silu(gate[i]) * up[i]
void SiluMul(float* gate, const float* up, size_t n);

// x[i] += y[i]
void Add(float* x, const float* y, size_t n);

}  // namespace exaone::kernels
