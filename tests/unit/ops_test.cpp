// The element-wise operations: each SIMD table against the scalar twin, and the scalar ones
// against their definitions in double precision.
#include "kernels/ops.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace exaone::kernels {
namespace {

std::vector<float> Random(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (float& f : v) f = dist(rng);
  return v;
}

const size_t kSizes[] = {1, 7, 8, 9, 31, 64, 100, 2048, 4099};

std::vector<const OpsTable*> SimdTables() {
  std::vector<const OpsTable*> t;
  if (CpuSupports(SimdTarget::kAvx2)) t.push_back(Avx2OpsTable());
  return t;
}

TEST(OpsTest, ScalarMatchesDefinitions) {
  const OpsTable& s = *ScalarOpsTable();
  for (size_t n : kSizes) {
    std::vector<float> x = Random(n, 1, 3.0f), w = Random(n, 2), out(n);
    s.rms_norm(x.data(), w.data(), n, 1e-5f, out.data());
    double ms = 0;
    for (float v : x) ms += static_cast<double>(v) * v;
    const double inv = 1.0 / std::sqrt(ms / n + 1e-5);
    for (size_t i = 0; i < n; ++i) EXPECT_NEAR(out[i], w[i] * x[i] * inv, 1e-5) << n;

    std::vector<float> g = Random(n, 3, 4.0f), up = Random(n, 4), got = g;
    s.silu_mul(got.data(), up.data(), n);
    for (size_t i = 0; i < n; ++i) {
      const double want = g[i] / (1.0 + std::exp(-static_cast<double>(g[i]))) * up[i];
      EXPECT_NEAR(got[i], want, 1e-6 * (1 + std::abs(want)));
    }
  }
}

TEST(OpsTest, SimdMatchesScalar) {
  auto tables = SimdTables();
  if (tables.empty()) GTEST_SKIP() << "this CPU has no SIMD target to compare";
  const OpsTable& s = *ScalarOpsTable();
  for (const OpsTable* t : tables) {
    for (size_t n : kSizes) {
      std::vector<float> x = Random(n, 5, 3.0f), w = Random(n, 6), a(n), b(n);
      s.rms_norm(x.data(), w.data(), n, 1e-6f, a.data());
      t->rms_norm(x.data(), w.data(), n, 1e-6f, b.data());
      for (size_t i = 0; i < n; ++i) EXPECT_NEAR(b[i], a[i], 2e-6f * (1 + std::abs(a[i]))) << n;

      // SiLU over the whole useful range, including values where exp over- or underflows.
      std::vector<float> g = Random(n, 7, 30.0f), up = Random(n, 8);
      std::vector<float> ga = g, gb = g;
      s.silu_mul(ga.data(), up.data(), n);
      t->silu_mul(gb.data(), up.data(), n);
      for (size_t i = 0; i < n; ++i)
        EXPECT_NEAR(gb[i], ga[i], 2e-6f * (1 + std::abs(ga[i]))) << g[i];

      std::vector<float> xa = x, xb = x;
      s.add(xa.data(), w.data(), n);
      t->add(xb.data(), w.data(), n);
      EXPECT_EQ(xa, xb);
    }
    for (int half : {4, 16, 32, 33, 64}) {
      const int heads = 5, dim = 2 * half + 2;  // rows a little longer than the rotated part
      std::vector<float> x = Random(static_cast<size_t>(heads) * dim, 9);
      std::vector<float> c = Random(half, 10), sn = Random(half, 11);
      std::vector<float> xa = x, xb = x;
      s.rope_rotate(xa.data(), heads, dim, half, c.data(), sn.data());
      t->rope_rotate(xb.data(), heads, dim, half, c.data(), sn.data());
      for (size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(xb[i], xa[i], 1e-6f) << half;
    }
  }
}

}  // namespace
}  // namespace exaone::kernels
