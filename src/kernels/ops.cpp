#include "kernels/ops.h"

#include <cmath>

namespace exaone::kernels {

void RmsNorm(const float* x, const float* w, size_t n, float eps, float* out) {
  double sum = 0;
  for (size_t i = 0; i < n; ++i) sum += static_cast<double>(x[i]) * x[i];
  const float inv = static_cast<float>(1.0 / std::sqrt(sum / static_cast<double>(n) + eps));
  for (size_t i = 0; i < n; ++i) out[i] = w[i] * (x[i] * inv);
}

void RmsNormRows(float* x, const float* w, size_t rows, size_t n, float eps) {
  for (size_t r = 0; r < rows; ++r) RmsNorm(x + r * n, w, n, eps, x + r * n);
}

void SiluMul(float* gate, const float* up, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    float g = gate[i];
    gate[i] = g / (1.0f + std::exp(-g)) * up[i];
  }
}

void Add(float* x, const float* y, size_t n) {
  for (size_t i = 0; i < n; ++i) x[i] += y[i];
}

}  // namespace exaone::kernels
