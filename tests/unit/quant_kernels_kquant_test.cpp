// K-type (Q2_K..Q6_K) and IQ4_XS matmul kernels: every SIMD table (and the AVX-512 code
// compiled against an emulation where the CPU lacks it) against the scalar table, and the
// scalar table against dequantized weights and activations.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "base/dtype.h"
#include "base/half.h"
#include "kernels/cpu.h"
#include "kernels/quant/blocks.h"
#include "kernels/quant/format.h"
#include "kernels/quant/kernels.h"
#include "test_util.h"

#if defined(EXAONE_HAVE_AVX512_EMULATION)
namespace exaone::kernels::quant::avx512_emulated {
const WeightKernels* KQuantKernels(DType t);
}  // namespace exaone::kernels::quant::avx512_emulated
#endif

namespace exaone::kernels::quant {
namespace {

constexpr DType kTypes[] = {DType::kQ2_K, DType::kQ3_K, DType::kQ4_K,
                            DType::kQ5_K, DType::kQ6_K, DType::kIQ4_XS};

struct Target {
  std::string name;
  const WeightKernels* (*table)(DType);
};

// Every table this machine can run, scalar first.
std::vector<Target> Targets() {
  std::vector<Target> out = {{"scalar", scalar::KQuantKernels}};
  if (CpuSupports(SimdTarget::kAvx2)) out.push_back({"avx2", avx2::KQuantKernels});
  if (CpuSupports(SimdTarget::kAvx512)) out.push_back({"avx512", avx512::KQuantKernels});
#if defined(EXAONE_HAVE_AVX512_EMULATION)
  out.push_back({"avx512_emulated", avx512_emulated::KQuantKernels});
#endif
  return out;
}

size_t BlockBytes(DType t) {
  return GetDTypeInfo(t).block_bytes;
}

// Byte offsets of the fp16 factors of each block type.
std::vector<size_t> HalfOffsets(DType t) {
  switch (t) {
    case DType::kQ2_K:
      return {offsetof(BlockQ2_K, d), offsetof(BlockQ2_K, dmin)};
    case DType::kQ3_K:
      return {offsetof(BlockQ3_K, d)};
    case DType::kQ4_K:
      return {offsetof(BlockQ4_K, d), offsetof(BlockQ4_K, dmin)};
    case DType::kQ5_K:
      return {offsetof(BlockQ5_K, d), offsetof(BlockQ5_K, dmin)};
    case DType::kQ6_K:
      return {offsetof(BlockQ6_K, d)};
    default:
      return {offsetof(BlockIQ4_XS, d)};
  }
}

// rows x k weights of type t: random bytes with fp16 factors of either sign in [1e-3, 2e-2].
// Row 0 has every quant byte 0xff and row 1 every quant byte 0x00 (the largest products).
std::vector<uint8_t> RandomWeights(DType t, size_t rows, size_t k, std::mt19937& rng) {
  return exaone::testing::RandomBlockRows(rows, k / kQKK, BlockBytes(t), HalfOffsets(t), 2, rng);
}

// toks x k activations: normal values, except token 0 all +1, token 1 all -1, token 2 all 0.
std::vector<float> RandomActivations(size_t toks, size_t k, std::mt19937& rng) {
  std::vector<float> x(toks * k);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (size_t t = 0; t < toks; ++t) {
    for (size_t i = 0; i < k; ++i) {
      x[t * k + i] = t == 0 ? 1.0f : t == 1 ? -1.0f : t == 2 ? 0.0f : normal(rng);
    }
  }
  return x;
}

// Prepared activation rows (ActRowBytes apart) from `table`'s prepare.
std::vector<uint8_t> Prepare(const WeightKernels* kern, const std::vector<float>& x, size_t toks,
                             size_t k) {
  const size_t row = ActRowBytes(ActFormat::kQ8x256, k);
  std::vector<uint8_t> out(toks * row);
  for (size_t t = 0; t < toks; ++t) kern->prepare(x.data() + t * k, k, out.data() + t * row);
  return out;
}

// Dequantized activations of one prepared row.
std::vector<double> DequantAct(const uint8_t* row, size_t k) {
  std::vector<double> a(k);
  for (size_t b = 0; b < k / kQKK; ++b) {
    ActQ8x256 blk;
    std::memcpy(&blk, row + b * sizeof(ActQ8x256), sizeof blk);
    for (int i = 0; i < kQKK; ++i) a[b * kQKK + i] = static_cast<double>(blk.d) * blk.q[i];
  }
  return a;
}

TEST(KQuantKernels, EveryTypeHasATableOnEveryTarget) {
  for (DType t : kTypes) {
    for (const Target& target : Targets()) {
      const WeightKernels* kern = target.table(t);
      ASSERT_NE(kern, nullptr) << DTypeName(t) << " " << target.name;
      EXPECT_EQ(kern->act, ActFormat::kQ8x256);
      EXPECT_NE(kern->prepare, nullptr);
      EXPECT_NE(kern->tile, nullptr);
    }
    EXPECT_EQ(GetWeightKernels(t, SimdTarget::kScalar), scalar::KQuantKernels(t));
    EXPECT_EQ(GetWeightKernels(t, SimdTarget::kAvx2), avx2::KQuantKernels(t));
  }
  EXPECT_EQ(scalar::KQuantKernels(DType::kQ8_0), nullptr);
  EXPECT_EQ(avx2::KQuantKernels(DType::kF32), nullptr);
}

// The activation rows every test below quantizes.
std::vector<std::vector<float>> PrepareCases() {
  std::vector<std::vector<float>> cases;
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  std::vector<float> random(4096 + 256);
  for (float& v : random) v = normal(rng);
  cases.push_back(random);
  cases.push_back(std::vector<float>(512, 0.0f));  // d = 0
  std::vector<float> huge(256, 1e-3f);
  huge[77] = -3e37f;  // one value far above the rest: every other q rounds to 0
  cases.push_back(huge);
  // max |x| = 127 gives d = 1 exactly, so x * id lands on ties: round half to even.
  std::vector<float> ties(256);
  for (int i = 0; i < 256; ++i) ties[i] = static_cast<float>(i % 64 - 32) + 0.5f;
  ties[255] = 127.0f;
  cases.push_back(ties);
  std::vector<float> tiny(256);  // subnormal inputs: d would be subnormal, the block is zero
  for (int i = 0; i < 256; ++i) tiny[i] = std::ldexp(static_cast<float>(i - 128), -140);
  cases.push_back(tiny);
  return cases;
}

TEST(KQuantKernels, PrepareIsIdenticalOnEveryTarget) {
  const std::vector<Target> targets = Targets();
  for (const std::vector<float>& x : PrepareCases()) {
    const size_t k = x.size();
    const std::vector<uint8_t> ref = Prepare(targets[0].table(DType::kQ4_K), x, 1, k);
    for (DType t : kTypes) {
      for (const Target& target : targets) {
        EXPECT_EQ(Prepare(target.table(t), x, 1, k), ref)
            << target.name << " " << DTypeName(t) << " k=" << k;
      }
    }
  }
}

TEST(KQuantKernels, PrepareRoundsToNearestEven) {
  const std::vector<std::vector<float>> cases = PrepareCases();
  for (size_t c = 0; c < cases.size(); ++c) {
    const std::vector<float>& x = cases[c];
    const std::vector<uint8_t> bytes = Prepare(scalar::KQuantKernels(DType::kQ4_K), x, 1, x.size());
    for (size_t b = 0; b < x.size() / kQKK; ++b) {
      ActQ8x256 a;
      std::memcpy(&a, bytes.data() + b * sizeof a, sizeof a);
      float amax = 0.0f;
      for (int i = 0; i < kQKK; ++i) amax = std::max(amax, std::fabs(x[b * kQKK + i]));
      // d = max|x| / 127, or 0 where that is below the smallest normal float
      const float d = amax / 127.0f < std::numeric_limits<float>::min() ? 0.0f : amax / 127.0f;
      ASSERT_EQ(a.d, d) << "case " << c;
      for (int j = 0; j < 16; ++j) {
        int sum = 0;
        for (int i = 0; i < 16; ++i) {
          const double v = a.d == 0.0f ? 0.0 : x[b * kQKK + 16 * j + i] / static_cast<double>(a.d);
          // q is within half a step of x / d, and even on exact ties
          const int q = a.q[16 * j + i];
          ASSERT_LE(std::fabs(q - v), 0.5 + 1e-6) << "case " << c << " value " << 16 * j + i;
          if (std::fabs(std::fabs(q - v) - 0.5) < 1e-9) {
            EXPECT_EQ(q % 2, 0) << "case " << c;
          }
          sum += q;
        }
        EXPECT_EQ(a.bsums[j], sum) << "case " << c << " run " << j;
      }
    }
    if (c == 3) {  // the ties: -31.5 -> -32, -30.5 -> -30, 0.5 -> 0, 1.5 -> 2
      ActQ8x256 a;
      std::memcpy(&a, bytes.data(), sizeof a);
      EXPECT_EQ(a.d, 1.0f);
      EXPECT_EQ(a.q[0], -32);
      EXPECT_EQ(a.q[1], -30);
      EXPECT_EQ(a.q[32], 0);
      EXPECT_EQ(a.q[33], 2);
      EXPECT_EQ(a.q[255], 127);
    }
  }
}

// sum over i of |w_i * a_i| for every (row, token): the scale the rounding errors are
// relative to.
std::vector<double> AbsDots(DType t, const uint8_t* w, size_t w_row_bytes, size_t rows,
                            const uint8_t* act, size_t act_row_bytes, size_t toks, size_t k) {
  std::vector<double> out(rows * toks);
  std::vector<float> wf(k);
  for (size_t r = 0; r < rows; ++r) {
    DequantizeRow(t, w + r * w_row_bytes, k, wf.data());
    for (size_t tok = 0; tok < toks; ++tok) {
      const std::vector<double> a = DequantAct(act + tok * act_row_bytes, k);
      double s = 0.0;
      for (size_t i = 0; i < k; ++i) s += std::fabs(wf[i] * a[i]);
      out[r * toks + tok] = s;
    }
  }
  return out;
}

constexpr size_t kRowCounts[] = {1, 2, 3, 4, 5, 7, 8, 13};
constexpr size_t kTokCounts[] = {1, 2, 3, 4, 5, 8, 9, 16};
constexpr size_t kLengths[] = {256, 2048, 4096 + 256};
constexpr size_t kMaxRows = 13, kMaxToks = 16, kMaxK = 4096 + 256;
constexpr size_t kYStride = 17;  // odd, and wider than any tile
constexpr double kRelTol = 1e-5;

TEST(KQuantKernels, EveryTargetMatchesScalarTile) {
  const std::vector<Target> targets = Targets();
  std::mt19937 rng(1234);
  const std::vector<float> x = RandomActivations(kMaxToks, kMaxK, rng);
  const size_t act_row = ActRowBytes(ActFormat::kQ8x256, kMaxK);
  for (DType t : kTypes) {
    SCOPED_TRACE(DTypeName(t));
    const std::vector<uint8_t> w = RandomWeights(t, kMaxRows, kMaxK, rng);
    const size_t w_row = kMaxK / kQKK * BlockBytes(t);
    const WeightKernels* ref = scalar::KQuantKernels(t);
    const std::vector<uint8_t> act = Prepare(ref, x, kMaxToks, kMaxK);
    for (size_t k : kLengths) {
      std::vector<float> want(kMaxToks * kYStride);
      ref->tile(k, w.data(), w_row, kMaxRows, act.data(), act_row, kMaxToks, want.data(), kYStride);
      const std::vector<double> scale =
          AbsDots(t, w.data(), w_row, kMaxRows, act.data(), act_row, kMaxToks, k);
      for (const Target& target : targets) {
        const WeightKernels* kern = target.table(t);
        size_t bad = 0;  // outputs off (or written outside the tile); the first one described
        std::string first;
        for (size_t rows : kRowCounts) {
          for (size_t toks : kTokCounts) {
            std::vector<float> got(kMaxToks * kYStride, std::nanf(""));
            kern->tile(k, w.data(), w_row, rows, act.data(), act_row, toks, got.data(), kYStride);
            for (size_t tok = 0; tok < kMaxToks; ++tok) {
              for (size_t r = 0; r < kYStride; ++r) {
                const float g = got[tok * kYStride + r];
                const bool inside = tok < toks && r < rows;
                const double want_v = inside ? want[tok * kYStride + r] : 0.0;
                const double tol = inside ? kRelTol * scale[r * kMaxToks + tok] + 1e-30 : 0.0;
                const bool ok = inside ? std::fabs(g - want_v) <= tol : std::isnan(g);
                if (!ok && bad++ == 0) {
                  first = "rows=" + std::to_string(rows) + " toks=" + std::to_string(toks) +
                          " row " + std::to_string(r) + " token " + std::to_string(tok) +
                          (inside ? " got " + std::to_string(g) + " want " +
                                        std::to_string(want_v) + " tol " + std::to_string(tol)
                                  : " written outside the tile");
                }
              }
            }
          }
        }
        EXPECT_EQ(bad, 0u) << target.name << " k=" << k << ", first: " << first;
      }
    }
  }
}

// The scalar tile against an independent computation: the weights dequantized by
// DequantizeRow (equal to the gguf package's), dotted in double precision with the dequantized
// activations (up to float rounding) and with the float activations themselves (up to the
// activation rounding, at most d / 2 per value).
TEST(KQuantKernels, ScalarTileMatchesDequantizedProduct) {
  std::mt19937 rng(99);
  constexpr size_t rows = 6, toks = 5, k = 2048;
  const std::vector<float> x = RandomActivations(toks, k, rng);
  const size_t act_row = ActRowBytes(ActFormat::kQ8x256, k);
  for (DType t : kTypes) {
    SCOPED_TRACE(DTypeName(t));
    const std::vector<uint8_t> w = RandomWeights(t, rows, k, rng);
    const size_t w_row = k / kQKK * BlockBytes(t);
    const WeightKernels* kern = scalar::KQuantKernels(t);
    const std::vector<uint8_t> act = Prepare(kern, x, toks, k);
    std::vector<float> y(toks * rows);
    kern->tile(k, w.data(), w_row, rows, act.data(), act_row, toks, y.data(), rows);
    std::vector<float> wf(k);
    for (size_t r = 0; r < rows; ++r) {
      DequantizeRow(t, w.data() + r * w_row, k, wf.data());
      for (size_t tok = 0; tok < toks; ++tok) {
        const std::vector<double> a = DequantAct(act.data() + tok * act_row, k);
        double dot_a = 0.0, abs_a = 0.0, dot_x = 0.0, bound_x = 0.0;
        for (size_t i = 0; i < k; ++i) {
          dot_a += wf[i] * a[i];
          abs_a += std::fabs(wf[i] * a[i]);
          dot_x += wf[i] * static_cast<double>(x[tok * k + i]);
        }
        for (size_t b = 0; b < k / kQKK; ++b) {
          ActQ8x256 blk;
          std::memcpy(&blk, act.data() + tok * act_row + b * sizeof blk, sizeof blk);
          for (int i = 0; i < kQKK; ++i) bound_x += std::fabs(wf[b * kQKK + i]) * blk.d * 0.5;
        }
        const float got = y[tok * rows + r];
        EXPECT_NEAR(got, dot_a, kRelTol * abs_a + 1e-30) << "row " << r << " token " << tok;
        EXPECT_NEAR(got, dot_x, bound_x * 1.001 + kRelTol * abs_a + 1e-30)
            << "row " << r << " token " << tok;
        if (tok == 0 && r == 0) {
          EXPECT_GT(abs_a, 0.0);  // the check is not vacuous
        }
      }
    }
  }
}

}  // namespace
}  // namespace exaone::kernels::quant
