// QuantizeRow / DequantizeRow properties that need no reference implementation: round trips,
// error bounds, edge blocks, importance weights, and identical output on every SIMD target.
// (Bit-exactness against the gguf package and the error against gguf's and llama-quantize's
// quantizers are checked in tests/integration/test_quant_formats.py.)
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "base/dtype.h"
#include "base/error.h"
#include "base/half.h"
#include "kernels/cpu.h"
#include "kernels/quant/blocks.h"
#include "kernels/quant/format.h"

namespace exaone::kernels::quant {
namespace {

const DType kBlockTypes[] = {DType::kQ4_0, DType::kQ4_1, DType::kQ5_0,   DType::kQ5_1,
                             DType::kQ8_0, DType::kQ2_K, DType::kQ3_K,   DType::kQ4_K,
                             DType::kQ5_K, DType::kQ6_K, DType::kIQ4_NL, DType::kIQ4_XS};

std::vector<uint8_t> Quantize(DType t, const std::vector<float>& x, const float* imp = nullptr) {
  const DTypeInfo info = GetDTypeInfo(t);
  std::vector<uint8_t> q(x.size() / info.block * info.block_bytes);
  QuantizeRow(t, x.data(), x.size(), q.data(), imp);
  return q;
}

std::vector<float> Dequantize(DType t, const std::vector<uint8_t>& q, size_t n) {
  std::vector<float> y(n);
  DequantizeRow(t, q.data(), n, y.data());
  return y;
}

std::vector<float> RoundTrip(DType t, const std::vector<float>& x, const float* imp = nullptr) {
  return Dequantize(t, Quantize(t, x, imp), x.size());
}

double Rms(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
  return std::sqrt(s / static_cast<double>(a.size()));
}

std::vector<float> Gaussian(size_t n, float sigma, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(0.0f, sigma);
  std::vector<float> x(n);
  for (float& v : x) v = g(rng);
  return x;
}

// Byte offsets of the fp16 scale fields in one block of t.
std::vector<size_t> ScaleOffsets(DType t) {
  switch (t) {
    case DType::kQ4_1:
    case DType::kQ5_1:
    case DType::kQ4_K:
    case DType::kQ5_K:
      return {0, 2};
    case DType::kQ2_K:
      return {80, 82};
    case DType::kQ3_K:
      return {108};
    case DType::kQ6_K:
      return {208};
    default:
      return {0};
  }
}

TEST(QuantFormat, HalfTypesRoundTripEveryValue) {
  for (DType t : {DType::kF16, DType::kBF16}) {
    std::vector<uint8_t> raw(65536 * 2);
    for (uint32_t h = 0; h < 65536; ++h) {
      raw[2 * h] = static_cast<uint8_t>(h);
      raw[2 * h + 1] = static_cast<uint8_t>(h >> 8);
    }
    const std::vector<float> f = Dequantize(t, raw, 65536);
    const std::vector<uint8_t> back = Quantize(t, f);
    for (uint32_t h = 0; h < 65536; ++h) {
      uint16_t b;
      std::memcpy(&b, back.data() + 2 * h, 2);
      if (std::isnan(f[h])) {
        EXPECT_TRUE(std::isnan(t == DType::kF16 ? F16ToF32(b) : Bf16ToF32(b))) << h;
      } else {
        EXPECT_EQ(b, h) << DTypeName(t) << " " << h;
      }
    }
  }
}

TEST(QuantFormat, F32IsACopy) {
  const std::vector<float> x = Gaussian(64, 1.0f, 1);
  EXPECT_EQ(RoundTrip(DType::kF32, x), x);
}

// Q8_0 rounds x / d to the nearest integer with d = max|x| / 127; the stored scale is d rounded
// to fp16, so each value is off by at most d / 2 plus 127 times the scale's rounding error.
TEST(QuantFormat, Q8_0ErrorIsHalfAStep) {
  const std::vector<float> x = Gaussian(32 * 512, 0.05f, 2);
  const std::vector<uint8_t> q = Quantize(DType::kQ8_0, x);
  const std::vector<float> y = Dequantize(DType::kQ8_0, q, x.size());
  for (size_t b = 0; b < x.size() / 32; ++b) {
    float amax = 0;
    for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(x[b * 32 + i]));
    const float d = amax / 127;
    uint16_t h;
    std::memcpy(&h, q.data() + b * sizeof(BlockQ8_0), 2);
    const float bound = d / 2 + 127 * std::fabs(F16ToF32(h) - d) + 1e-7f;
    for (int i = 0; i < 32; ++i) {
      ASSERT_LE(std::fabs(x[b * 32 + i] - y[b * 32 + i]), bound) << "block " << b << " value " << i;
    }
  }
}

// Error on gaussian data relative to its sigma, by type: a little above what the search
// reaches (and well below what a broken bit layout or scale gives).
TEST(QuantFormat, GaussianErrorWithinBounds) {
  const struct {
    DType t;
    double max_rel;
  } cases[] = {{DType::kQ8_0, 0.0060},   {DType::kQ6_K, 0.0190}, {DType::kQ5_K, 0.0370},
               {DType::kQ5_1, 0.0360},   {DType::kQ5_0, 0.0430}, {DType::kQ4_K, 0.0740},
               {DType::kQ4_1, 0.0740},   {DType::kQ4_0, 0.0860}, {DType::kIQ4_NL, 0.0800},
               {DType::kIQ4_XS, 0.0800}, {DType::kQ3_K, 0.1600}, {DType::kQ2_K, 0.2950}};
  const float sigma = 0.02f;
  const std::vector<float> x = Gaussian(256 * 256, sigma, 3);
  for (const auto& c : cases) {
    const double rel = Rms(x, RoundTrip(c.t, x)) / sigma;
    EXPECT_LE(rel, c.max_rel) << DTypeName(c.t);
    EXPECT_GT(rel, c.max_rel / 4) << DTypeName(c.t) << ": suspiciously exact";
  }
}

// Requantizing dequantized values finds (nearly) the same representation: the values are
// exactly representable, so the search should land on them or very close.
TEST(QuantFormat, RequantizingDequantizedValuesIsNearlyExact) {
  const std::vector<float> x = Gaussian(256 * 64, 0.02f, 4);
  for (DType t : kBlockTypes) {
    const std::vector<float> y = RoundTrip(t, x);
    const double first = Rms(x, y), second = Rms(y, RoundTrip(t, y));
    EXPECT_LE(second, 0.05 * first) << DTypeName(t) << ": first " << first << ", second " << second;
  }
}

TEST(QuantFormat, ZeroBlocksStayZero) {
  const std::vector<float> x(512, 0.0f);
  for (DType t : kBlockTypes) {
    const std::vector<uint8_t> q = Quantize(t, x);
    const DTypeInfo info = GetDTypeInfo(t);
    for (float v : Dequantize(t, q, x.size())) ASSERT_EQ(v, 0.0f) << DTypeName(t);
    for (size_t b = 0; b < q.size() / info.block_bytes; ++b) {
      for (size_t off : ScaleOffsets(t)) {
        uint16_t h;
        std::memcpy(&h, q.data() + b * info.block_bytes + off, 2);
        EXPECT_EQ(h & 0x7fff, 0) << DTypeName(t) << " block " << b;
      }
    }
  }
}

TEST(QuantFormat, ConstantBlocksAreNearlyExact) {
  for (float c : {0.7f, -0.7f, 0.0123f, -3e-4f, 1000.0f}) {
    const std::vector<float> x(512, c);
    for (DType t : kBlockTypes) {
      // For -3e-4 the fp16 scale of these two is a subnormal with two significant digits:
      // Q8_0 keeps the reference rounding (max / 127, stored as it rounds), and IQ4_XS has no
      // larger super-block scale on offer with its sub-block scales of at most 32.
      if ((t == DType::kQ8_0 || t == DType::kIQ4_XS) && std::fabs(c) < 1e-3f) continue;
      double worst = 0;
      for (float v : RoundTrip(t, x)) worst = std::max(worst, std::fabs(double(v) - c));
      EXPECT_LE(worst, 2e-3 * std::fabs(c)) << DTypeName(t) << " constant " << c;
    }
  }
}

// Finite input never stores an inf or NaN scale: magnitudes beyond what the fp16 scales reach
// saturate, tiny ones flush to zero, and a block mixing both keeps its large values.
TEST(QuantFormat, ExtremeMagnitudesGiveFiniteScales) {
  std::vector<float> huge = Gaussian(512, 1e30f, 5), tiny = Gaussian(512, 1e-30f, 6);
  std::vector<float> mixed = Gaussian(512, 1.0f, 7), max_abs(512, 3.4e38f), sub(512, 1e-42f);
  for (size_t i = 0; i < 512; i += 2) mixed[i] *= 1e-30f;
  for (size_t i = 0; i < 512; i += 3) max_abs[i] = -max_abs[i];
  for (DType t : kBlockTypes) {
    for (const auto* x : {&huge, &tiny, &mixed, &max_abs, &sub}) {
      const std::vector<uint8_t> q = Quantize(t, *x);
      const DTypeInfo info = GetDTypeInfo(t);
      for (size_t b = 0; b < q.size() / info.block_bytes; ++b) {
        for (size_t off : ScaleOffsets(t)) {
          uint16_t h;
          std::memcpy(&h, q.data() + b * info.block_bytes + off, 2);
          ASSERT_LT(h & 0x7fff, 0x7c00) << DTypeName(t) << " block " << b;
        }
      }
      const std::vector<float> y = Dequantize(t, q, x->size());
      for (float v : y) ASSERT_TRUE(std::isfinite(v)) << DTypeName(t);
      if (x == &tiny || x == &sub) continue;
      if (x == &mixed) {  // the large values come out as well as in a block of their own
        std::vector<float> big(mixed), yb;
        for (size_t i = 0; i < 512; i += 2) big[i] = 0;
        yb = RoundTrip(t, big);
        for (size_t i = 1; i < 512; i += 2) {
          ASSERT_NEAR(y[i], x->at(i), std::fabs(yb[i] - big[i]) * 1.5 + 0.3) << DTypeName(t);
        }
        continue;
      }
      // Saturated: every value keeps its sign and reaches the largest magnitude on offer.
      size_t same_sign = 0;
      for (size_t i = 0; i < y.size(); ++i) same_sign += (y[i] > 0) == (x->at(i) > 0);
      EXPECT_GT(same_sign, y.size() * 9 / 10) << DTypeName(t);
    }
  }
}

TEST(QuantFormat, NonFiniteInputIsAnError) {
  for (float bad : {NAN, INFINITY, -INFINITY}) {
    std::vector<float> x = Gaussian(256, 1.0f, 8);
    x[77] = bad;
    for (DType t : kBlockTypes) {
      EXPECT_THROW(Quantize(t, x), Error) << DTypeName(t);
    }
  }
}

TEST(QuantFormat, BadImportanceIsAnError) {
  const std::vector<float> x = Gaussian(256, 1.0f, 9);
  for (float bad : {-1.0f, NAN, INFINITY}) {
    std::vector<float> imp(256, 1.0f);
    imp[5] = bad;
    for (DType t : kBlockTypes) {
      if (t == DType::kQ8_0) continue;  // Q8_0 rounds to nearest and takes no weights
      EXPECT_THROW(Quantize(t, x, imp.data()), Error) << DTypeName(t);
    }
  }
}

// With importance weights the search minimises the weighted error, so that error comes out
// lower than without them.
TEST(QuantFormat, ImportanceLowersTheWeightedError) {
  const size_t cols = 1024, rows = 32;
  const std::vector<float> x = Gaussian(cols * rows, 0.02f, 10);
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> u(-3.0f, 3.0f);
  std::vector<float> imp(cols);
  for (float& v : imp) v = std::exp(2.0f * u(rng));  // weights over ~5 orders of magnitude
  for (DType t : kBlockTypes) {
    if (t == DType::kQ8_0) continue;
    double with = 0, without = 0;
    for (size_t r = 0; r < rows; ++r) {
      const std::vector<float> row(x.begin() + r * cols, x.begin() + (r + 1) * cols);
      const std::vector<float> a = RoundTrip(t, row, imp.data()), b = RoundTrip(t, row);
      for (size_t i = 0; i < cols; ++i) {
        with += imp[i] * (double(a[i]) - row[i]) * (double(a[i]) - row[i]);
        without += imp[i] * (double(b[i]) - row[i]) * (double(b[i]) - row[i]);
      }
    }
    EXPECT_LT(with, 0.9 * without) << DTypeName(t);
  }
}

// The search runs as AVX2 code where the CPU has it; the results must not depend on that.
TEST(QuantFormat, SameBytesOnEverySimdTarget) {
  if (!CpuSupports(SimdTarget::kAvx2)) GTEST_SKIP() << "this CPU has no AVX2: one code path only";
  const SimdTarget saved = ActiveTarget();
  std::vector<float> x = Gaussian(256 * 16, 0.02f, 12);
  for (size_t i = 0; i < x.size(); i += 97) x[i] *= 30;  // some outliers
  std::vector<float> imp(x.size() / 4);
  for (size_t i = 0; i < imp.size(); ++i) imp[i] = 0.1f + static_cast<float>(i % 7);
  for (DType t : kBlockTypes) {
    for (bool weighted : {false, true}) {
      std::vector<std::vector<uint8_t>> out;
      for (SimdTarget target : {SimdTarget::kScalar, SimdTarget::kAvx2}) {
        SetActiveTarget(target);
        std::vector<uint8_t> all;
        for (size_t r = 0; r < 4; ++r) {
          const std::vector<float> row(x.begin() + r * imp.size(),
                                       x.begin() + (r + 1) * imp.size());
          const std::vector<uint8_t> q = Quantize(t, row, weighted ? imp.data() : nullptr);
          all.insert(all.end(), q.begin(), q.end());
        }
        out.push_back(all);
      }
      EXPECT_EQ(out[0], out[1]) << DTypeName(t) << (weighted ? " with importance" : "");
    }
  }
  SetActiveTarget(saved);
}

}  // namespace
}  // namespace exaone::kernels::quant
