#include "kernels/ops.h"

#include <cmath>

namespace exaone::kernels {
namespace {

void ScalarRmsNorm(const float* x, const float* w, size_t n, float eps, float* out) {
  double sum = 0;
  for (size_t i = 0; i < n; ++i) sum += static_cast<double>(x[i]) * x[i];
  const float inv = static_cast<float>(1.0 / std::sqrt(sum / static_cast<double>(n) + eps));
  for (size_t i = 0; i < n; ++i) out[i] = w[i] * (x[i] * inv);
}

void ScalarSiluMul(float* gate, const float* up, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    float g = gate[i];
    gate[i] = g / (1.0f + std::exp(-g)) * up[i];
  }
}

void ScalarAdd(float* x, const float* y, size_t n) {
  for (size_t i = 0; i < n; ++i) x[i] += y[i];
}

void ScalarRopeRotate(float* x, int n_heads, int head_dim, int half, const float* cos,
                      const float* sin) {
  for (int h = 0; h < n_heads; ++h) {
    float* a = x + static_cast<size_t>(h) * head_dim;
    float* b = a + half;
    for (int j = 0; j < half; ++j) {
      const float x0 = a[j], x1 = b[j];
      a[j] = x0 * cos[j] - x1 * sin[j];
      b[j] = x1 * cos[j] + x0 * sin[j];
    }
  }
}

const OpsTable* Active() {
  return OpsTableFor(ActiveTarget());
}

}  // namespace

const OpsTable* ScalarOpsTable() {
  static const OpsTable t{ScalarRmsNorm, ScalarSiluMul, ScalarAdd, ScalarRopeRotate};
  return &t;
}

const OpsTable* OpsTableFor(SimdTarget t) {
  return t >= SimdTarget::kAvx2 ? Avx2OpsTable() : ScalarOpsTable();
}

void RmsNorm(const float* x, const float* w, size_t n, float eps, float* out) {
  Active()->rms_norm(x, w, n, eps, out);
}

void RmsNormRows(float* x, const float* w, size_t rows, size_t n, float eps) {
  for (size_t r = 0; r < rows; ++r) RmsNorm(x + r * n, w, n, eps, x + r * n);
}

void SiluMul(float* gate, const float* up, size_t n) {
  Active()->silu_mul(gate, up, n);
}

void Add(float* x, const float* y, size_t n) {
  Active()->add(x, y, n);
}

void RopeRotate(float* x, int n_heads, int head_dim, int half, const float* cos, const float* sin) {
  Active()->rope_rotate(x, n_heads, head_dim, half, cos, sin);
}

}  // namespace exaone::kernels
