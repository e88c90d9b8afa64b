// The 8-row interleaved layout of Q4_0 and Q8_0 (kernels/quant/interleave.h): the rewrite
// follows the layout's definition and round-trips; the scalar tile_x8 equals the scalar tile on
// the original rows exactly; every SIMD tile_x8 equals it within the kernels' tolerance; MatMul
// and GetRow give the same results for either layout on every target the CPU has.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "base/dtype.h"
#include "base/half.h"
#include "base/thread_pool.h"
#include "kernels/cpu.h"
#include "kernels/matmul.h"
#include "kernels/quant/blocks.h"
#include "kernels/quant/interleave.h"
#include "kernels/quant/kernels.h"
#include "test_util.h"

namespace exaone::kernels::quant {
namespace {

constexpr DType kTypes[] = {DType::kQ4_0, DType::kQ8_0, DType::kQ4_K};

size_t BlockBytes(DType t) {
  return GetDTypeInfo(t).block_bytes;
}
size_t BlockValues(DType t) {
  return GetDTypeInfo(t).block;
}
// Row lengths to test: one block, a few, and a long row with an odd block count.
std::vector<size_t> Lengths(DType t) {
  const size_t b = BlockValues(t);
  return {b, 4 * b, (2048 / b + 1) * b};
}
ActFormat ActOf(DType t) {
  return GetWeightKernels(t, SimdTarget::kScalar)->act;
}

// rows x k random blocks with fp16 scales (d, and Q4_K's dmin); rows 0, 1 and 2 have every
// other byte 0xff, 0x00 and 0x80 (the extreme codes and scales, and -128 for Q8_0).
std::vector<uint8_t> RandomMatrix(DType t, size_t rows, size_t k, std::mt19937& rng) {
  const std::vector<size_t> halves =
      t == DType::kQ4_K ? std::vector<size_t>{0, 2} : std::vector<size_t>{0};
  return exaone::testing::RandomBlockRows(rows, k / BlockValues(t), BlockBytes(t), halves, 3, rng);
}

std::vector<float> RandomActivations(size_t toks, size_t k, std::mt19937& rng) {
  std::vector<float> x(toks * k);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (size_t i = 0; i < x.size(); ++i) {
    const size_t t = i / k;
    const float scale = std::ldexp(1.0f, static_cast<int>(t % 5) * 3 - 6);
    // Every third token is +-1 times its scale: all its quantized values are +-127.
    x[i] = t % 3 == 2 ? (rng() & 1 ? scale : -scale) : normal(rng) * scale;
  }
  return x;
}

std::vector<uint8_t> Prepare(DType t, const std::vector<float>& x, size_t toks, size_t k) {
  const WeightKernels* kern = GetWeightKernels(t, SimdTarget::kScalar);
  const size_t arb = ActRowBytes(kern->act, k);
  std::vector<uint8_t> act(toks * arb);
  for (size_t i = 0; i < toks; ++i) kern->prepare(x.data() + i * k, k, &act[i * arb]);
  return act;
}

float Half(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return F16ToF32(h);
}

// Q4_K's 6-bit scale and minimum of sub-block j from the 12 packed bytes (GGUF's
// get_scale_min_k4).
void ScaleMin(const uint8_t* q, int j, int& sc, int& m) {
  if (j < 4) {
    sc = q[j] & 63;
    m = q[j + 4] & 63;
  } else {
    sc = (q[j + 4] & 0x0f) | ((q[j - 4] >> 6) << 4);
    m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
  }
}

// Sum over the row of the magnitudes of the terms the kernels add (values as the formats
// define them; for Q4_K |d sc q a| and |dmin m a| apart): the scale of the rounding differences
// between summation orders.
double Magnitude(DType t, const uint8_t* wrow, const uint8_t* arow, size_t k) {
  if (t == DType::kQ4_K) {
    const auto* a = reinterpret_cast<const ActQ8x256*>(arow);
    double mag = 0;
    for (size_t b = 0; b < k / kQKK; ++b) {
      const uint8_t* p = wrow + b * sizeof(BlockQ4_K);
      const double d = std::fabs(Half(p)), dmin = std::fabs(Half(p + 2));
      for (int i = 0; i < kQKK; ++i) {
        int sc = 0, m = 0;
        ScaleMin(p + 4, i / 32, sc, m);
        const int g = i / 64, byte = p[16 + 32 * g + i % 32];
        const int q = (i / 32) % 2 == 0 ? byte & 15 : byte >> 4;
        mag += (d * sc * q + dmin * m) * std::fabs(a[b].d * a[b].q[i]);
      }
    }
    return mag;
  }
  const auto* a = reinterpret_cast<const ActQ8x32*>(arow);
  double mag = 0;
  for (size_t b = 0; b < k / kQK; ++b) {
    const uint8_t* p = wrow + b * BlockBytes(t);
    uint16_t h;
    std::memcpy(&h, p, 2);
    const double d = std::fabs(F16ToF32(h)) * a[b].d;
    for (int j = 0; j < kQK; ++j) {
      const int q = t == DType::kQ8_0 ? static_cast<int8_t>(p[2 + j])
                                      : (j < 16 ? p[2 + j] & 15 : p[2 + j - 16] >> 4) - 8;
      mag += d * std::abs(q * a[b].q[j]);
    }
  }
  return mag;
}

std::vector<SimdTarget> SimdTargets() {
  std::vector<SimdTarget> out;
  for (SimdTarget s : {SimdTarget::kAvx2, SimdTarget::kAvx512}) {
    if (CpuSupports(s)) out.push_back(s);
  }
  return out;
}

TEST(Interleave8, FollowsTheLayoutAndRoundTrips) {
  std::mt19937 rng(1);
  for (DType t : kTypes) {
    for (size_t k : Lengths(t)) {
      SCOPED_TRACE(std::string(DTypeName(t)) + " k=" + std::to_string(k));
      const size_t rows = 24, bb = BlockBytes(t), nb = k / BlockValues(t), rb = nb * bb;
      // Gathered header bytes per row (d; Q4_K: d, dmin, 12 scale bytes), then the runs.
      const size_t head = t == DType::kQ4_K ? 16 : 2;
      const std::vector<uint8_t> plain = RandomMatrix(t, rows, k, rng);
      std::vector<uint8_t> x8 = plain;
      Interleave8(t, x8.data(), rows, k);
      // The definition: record b of group g holds the 8 scales, then 4-byte runs of the rows'
      // quant bytes, run-major (run c of rows 0..7, then run c + 1...).
      for (size_t g = 0; g < rows / 8; ++g) {
        for (size_t b = 0; b < nb; ++b) {
          const uint8_t* rec = x8.data() + g * 8 * rb + b * 8 * bb;
          for (size_t r = 0; r < 8; ++r) {
            const uint8_t* blk = plain.data() + (g * 8 + r) * rb + b * bb;
            ASSERT_EQ(std::memcmp(rec + 2 * r, blk, 2), 0) << "d g=" << g << " b=" << b;
            if (t == DType::kQ4_K) {
              ASSERT_EQ(std::memcmp(rec + 16 + 2 * r, blk + 2, 2), 0) << "dmin";
              ASSERT_EQ(std::memcmp(rec + 32 + 12 * r, blk + 4, 12), 0) << "scales";
            }
            for (size_t c = 0; c < (bb - head) / 4; ++c) {
              ASSERT_EQ(std::memcmp(rec + 8 * head + (c * 8 + r) * 4, blk + head + 4 * c, 4), 0)
                  << "g=" << g << " b=" << b << " r=" << r << " run " << c;
            }
          }
        }
      }
      std::vector<uint8_t> row(rb);
      for (size_t r = 0; r < rows; ++r) {
        ExtractRow8(t, x8.data(), r, k, row.data());
        ASSERT_EQ(std::memcmp(row.data(), plain.data() + r * rb, rb), 0) << "row " << r;
      }
    }
  }
  EXPECT_TRUE(HasInterleave8(DType::kQ4_0));
  EXPECT_TRUE(HasInterleave8(DType::kQ8_0));
  EXPECT_TRUE(HasInterleave8(DType::kQ4_K));
  EXPECT_FALSE(HasInterleave8(DType::kQ4_1));
  EXPECT_FALSE(HasInterleave8(DType::kQ6_K));
  EXPECT_FALSE(HasInterleave8(DType::kBF16));
}

// The scalar tile_x8 on the interleaved matrix gives the scalar tile's results on the original
// rows bit for bit; every SIMD tile_x8 agrees within the tolerance the plain SIMD tiles meet
// (1e-5 of the sum of term magnitudes), and writes nothing outside its outputs.
TEST(Interleave8, TilesMatchTheScalarTileOnTheFileLayout) {
  std::mt19937 rng(2);
  const size_t max_rows = 24, max_toks = 19;
  for (DType t : kTypes) {
    for (size_t k : Lengths(t)) {
      SCOPED_TRACE(std::string(DTypeName(t)) + " k=" + std::to_string(k));
      const size_t rb = k / BlockValues(t) * BlockBytes(t), arb = ActRowBytes(ActOf(t), k);
      const std::vector<uint8_t> plain = RandomMatrix(t, max_rows, k, rng);
      std::vector<uint8_t> x8 = plain;
      Interleave8(t, x8.data(), max_rows, k);
      const std::vector<float> x = RandomActivations(max_toks, k, rng);
      const std::vector<uint8_t> act = Prepare(t, x, max_toks, k);
      const WeightKernels* ref = GetWeightKernels(t, SimdTarget::kScalar);
      std::vector<float> want(max_toks * max_rows);
      ref->tile(k, plain.data(), rb, max_rows, act.data(), arb, max_toks, want.data(), max_rows);
      std::vector<float> got(want.size());
      ASSERT_NE(ref->tile_x8, nullptr);
      ref->tile_x8(k, x8.data(), rb, max_rows, act.data(), arb, max_toks, got.data(), max_rows);
      ASSERT_EQ(std::memcmp(got.data(), want.data(), want.size() * sizeof(float)), 0);

      for (SimdTarget s : SimdTargets()) {
        const WeightKernels* kern = GetWeightKernels(t, s);
        if (kern == nullptr || kern->tile_x8 == nullptr) continue;
        SCOPED_TRACE(SimdTargetName(s));
        for (size_t rows : {size_t{8}, size_t{16}, size_t{24}}) {
          for (size_t toks : {1, 2, 3, 4, 5, 7, 8, 9, 12, 16, 19}) {
            const size_t r0 = max_rows - rows, t0 = max_toks - toks;
            const size_t ys = rows + 3;
            const float sentinel = -12345.0f;
            std::vector<float> y(toks * ys, sentinel);
            kern->tile_x8(k, x8.data() + r0 * rb, rb, rows, act.data() + t0 * arb, arb, toks,
                          y.data(), ys);
            for (size_t tk = 0; tk < toks; ++tk) {
              for (size_t r = 0; r < ys; ++r) {
                if (r >= rows) {
                  ASSERT_EQ(y[tk * ys + r], sentinel) << "wrote outside: t=" << tk << " r=" << r;
                  continue;
                }
                const size_t i = (t0 + tk) * max_rows + r0 + r;
                const double mag =
                    Magnitude(t, plain.data() + (r0 + r) * rb, act.data() + (t0 + tk) * arb, k);
                ASSERT_LE(std::fabs(double{y[tk * ys + r]} - want[i]), 1e-5 * mag + 1e-30)
                    << "rows=" << rows << " toks=" << toks << " r=" << r << " t=" << tk;
              }
            }
          }
        }
      }
    }
  }
}

// Through MatMul (row blocks shared out over threads, decode and prefill) and GetRow, on every
// target the CPU has: the interleaved view gives the plain view's results within tolerance.
TEST(Interleave8, MatMulAndGetRowAgreeWithTheFileLayout) {
  const SimdTarget saved = ActiveTarget();
  std::mt19937 rng(3);
  ThreadPool pool(3);
  std::vector<SimdTarget> targets = {SimdTarget::kScalar};
  for (SimdTarget s : SimdTargets()) targets.push_back(s);
  for (DType t : kTypes) {
    const size_t rows = 8 * 41, k = 512;
    const size_t rb = k / BlockValues(t) * BlockBytes(t);
    const std::vector<uint8_t> plain = RandomMatrix(t, rows, k, rng);
    std::vector<uint8_t> x8 = plain;
    Interleave8(t, x8.data(), rows, k);
    const WeightView pv{t, plain.data(), rows, k, false};
    const WeightView iv{t, x8.data(), rows, k, true};
    for (SimdTarget s : targets) {
      SetActiveTarget(s);
      SCOPED_TRACE(std::string(DTypeName(t)) + " " + SimdTargetName(s));
      EXPECT_EQ(PrefersInterleaved(pv), s == SimdTarget::kAvx2);
      for (size_t toks : {size_t{1}, size_t{3}, size_t{37}}) {
        const std::vector<float> x = RandomActivations(toks, k, rng);
        std::vector<float> a(toks * rows), b(toks * rows);
        MatMul(x.data(), toks, pv, a.data(), pool);
        MatMul(x.data(), toks, iv, b.data(), pool);
        const std::vector<uint8_t> act = Prepare(t, x, toks, k);
        for (size_t i = 0; i < a.size(); ++i) {
          const size_t r = i % rows, tk = i / rows;
          const double mag =
              Magnitude(t, plain.data() + r * rb, act.data() + tk * ActRowBytes(ActOf(t), k), k);
          ASSERT_LE(std::fabs(double{a[i]} - b[i]), 2e-5 * mag + 1e-30)
              << "toks=" << toks << " r=" << r << " t=" << tk;
        }
      }
    }
    std::vector<float> want(k), got(k);
    for (size_t r : {size_t{0}, size_t{7}, size_t{8}, size_t{rows - 1}}) {
      GetRow(pv, r, want.data());
      GetRow(iv, r, got.data());
      ASSERT_EQ(std::memcmp(want.data(), got.data(), k * sizeof(float)), 0) << "row " << r;
    }
  }
  SetActiveTarget(saved);
  // Shapes the layout cannot take.
  EXPECT_FALSE(PrefersInterleaved(WeightView{DType::kQ4_0, nullptr, 12, 64}));
  EXPECT_FALSE(PrefersInterleaved(WeightView{DType::kQ4_1, nullptr, 16, 64}));
}

}  // namespace
}  // namespace exaone::kernels::quant
