// F32/F16/BF16 and 32-value block (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, IQ4_NL) matmul kernels: every
// SIMD table (and the AVX-512 code compiled against an emulation where the CPU lacks it) against
// the scalar table, the activation preparation byte for byte across tables, and the scalar
// tables against a double-precision dot product of the values the formats define.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstddef>
#include <cstdio>
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

#if defined(EXAONE_HAVE_AVX512_EMULATION)
namespace exaone::kernels::quant::avx512_emulated {
const WeightKernels* FloatKernels(DType t);
const WeightKernels* LegacyKernels(DType t);
}  // namespace exaone::kernels::quant::avx512_emulated
#endif

namespace exaone::kernels::quant {
namespace {

constexpr DType kFloatTypes[] = {DType::kF32, DType::kF16, DType::kBF16};
constexpr DType kBlockTypes[] = {DType::kQ4_0, DType::kQ4_1, DType::kQ5_0,
                                 DType::kQ5_1, DType::kQ8_0, DType::kIQ4_NL};
constexpr DType kAllTypes[] = {DType::kF32,  DType::kF16,  DType::kBF16,
                               DType::kQ4_0, DType::kQ4_1, DType::kQ5_0,
                               DType::kQ5_1, DType::kQ8_0, DType::kIQ4_NL};

struct Target {
  std::string name;
  const WeightKernels* (*floats)(DType);
  const WeightKernels* (*blocks)(DType);
};

// Every table this machine can run, scalar first.
std::vector<Target> Targets() {
  std::vector<Target> out = {{"scalar", scalar::FloatKernels, scalar::LegacyKernels}};
  if (CpuSupports(SimdTarget::kAvx2)) {
    out.push_back({"avx2", avx2::FloatKernels, avx2::LegacyKernels});
  }
  if (CpuSupports(SimdTarget::kAvx512)) {
    out.push_back({"avx512", avx512::FloatKernels, avx512::LegacyKernels});
  }
#if defined(EXAONE_HAVE_AVX512_EMULATION)
  out.push_back({"avx512_emulated", avx512_emulated::FloatKernels, avx512_emulated::LegacyKernels});
#endif
  return out;
}

const WeightKernels* KernelsFor(const Target& target, DType t) {
  const WeightKernels* k = target.floats(t);
  return k != nullptr ? k : target.blocks(t);
}

bool IsFloat(DType t) {
  return t == DType::kF32 || t == DType::kF16 || t == DType::kBF16;
}

bool HasMin(DType t) {
  return t == DType::kQ4_1 || t == DType::kQ5_1;
}

size_t RowBytes(DType t, size_t k) {
  const DTypeInfo info = GetDTypeInfo(t);
  return k / info.block * info.block_bytes;
}

// ---------------------------------------------------------------------------------------------
// The formats, decoded straight from their definitions in blocks.h (independent of the kernels).

float Half(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return F16ToF32(h);
}

// Weight row (k values of type t) -> doubles.
std::vector<double> DecodeWeights(DType t, const uint8_t* row, size_t k) {
  std::vector<double> out(k);
  if (IsFloat(t)) {
    for (size_t i = 0; i < k; ++i) {
      if (t == DType::kF32) {
        float f;
        std::memcpy(&f, row + 4 * i, 4);
        out[i] = f;
      } else {
        uint16_t h;
        std::memcpy(&h, row + 2 * i, 2);
        out[i] = t == DType::kF16 ? F16ToF32(h) : Bf16ToF32(h);
      }
    }
    return out;
  }
  const size_t bb = GetDTypeInfo(t).block_bytes;
  for (size_t b = 0; b < k / kQK; ++b) {
    const uint8_t* p = row + b * bb;
    double* v = out.data() + b * kQK;
    const double d = Half(p);
    // The nibble of value j (0..31): low nibbles hold 0..15, high nibbles 16..31.
    auto nibble = [](const uint8_t* qs, int j) { return j < 16 ? qs[j] & 15 : qs[j - 16] >> 4; };
    auto high = [](const uint8_t* qh, int j) { return (qh[j / 8] >> (j % 8)) & 1; };
    for (int j = 0; j < kQK; ++j) {
      switch (t) {
        case DType::kQ4_0:
          v[j] = (nibble(p + 2, j) - 8) * d;
          break;
        case DType::kQ4_1:
          v[j] = nibble(p + 4, j) * d + Half(p + 2);
          break;
        case DType::kQ5_0:
          v[j] = ((nibble(p + 6, j) | high(p + 2, j) << 4) - 16) * d;
          break;
        case DType::kQ5_1:
          v[j] = (nibble(p + 8, j) | high(p + 4, j) << 4) * d + Half(p + 2);
          break;
        case DType::kQ8_0:
          v[j] = static_cast<int8_t>(p[2 + j]) * d;
          break;
        case DType::kIQ4_NL:
          v[j] = kIq4NlValues[nibble(p + 2, j)] * d;
          break;
        default:
          ADD_FAILURE() << "no decoder for " << DTypeName(t);
      }
    }
  }
  return out;
}

// Prepared activation row -> the values it stands for (d * q), in double.
std::vector<double> DecodeActivations(ActFormat f, const uint8_t* row, size_t k) {
  std::vector<double> out(k);
  if (f == ActFormat::kF32) {
    for (size_t i = 0; i < k; ++i) {
      float v;
      std::memcpy(&v, row + 4 * i, 4);
      out[i] = v;
    }
    return out;
  }
  const auto* blocks = reinterpret_cast<const ActQ8x32*>(row);
  for (size_t i = 0; i < k; ++i) out[i] = double{blocks[i / kQK].d} * blocks[i / kQK].q[i % kQK];
  return out;
}

// ---------------------------------------------------------------------------------------------
// Random data.

// rows x k weights: floats in [-1, 1] (for F16, row 1 in +-1e-5, mostly fp16 subnormals), or
// random block bytes with fp16 scales (d, and m for the types with a minimum) of either sign in
// [1e-3, 2e-2]. Rows 0, 1 and 2 of the block types have every quant byte 0xff, 0x00 and 0x80
// (the extreme codes, and -128 for Q8_0).
std::vector<uint8_t> RandomWeights(DType t, size_t rows, size_t k, std::mt19937& rng) {
  const size_t rb = RowBytes(t, k);
  std::vector<uint8_t> w(rows * rb);
  std::uniform_real_distribution<float> uni(-1.0f, 1.0f);
  if (IsFloat(t)) {
    for (size_t i = 0; i < rows * k; ++i) {
      const float v = uni(rng) * (t == DType::kF16 && i / k == 1 ? 1e-5f : 1.0f);
      if (t == DType::kF32) {
        std::memcpy(&w[4 * i], &v, 4);
      } else {
        const uint16_t h = t == DType::kF16 ? F32ToF16(v) : F32ToBf16(v);
        std::memcpy(&w[2 * i], &h, 2);
      }
    }
    return w;
  }
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_real_distribution<float> mag(1e-3f, 2e-2f);
  const size_t bb = GetDTypeInfo(t).block_bytes;
  const bool has_min = HasMin(t);
  for (size_t r = 0; r < rows; ++r) {
    for (size_t b = 0; b < k / kQK; ++b) {
      uint8_t* p = w.data() + r * rb + b * bb;
      for (size_t i = 0; i < bb; ++i) {
        p[i] = static_cast<uint8_t>(r == 0 ? 0xff : r == 1 ? 0x00 : r == 2 ? 0x80 : byte(rng));
      }
      for (size_t off = 0; off < (has_min ? 4u : 2u); off += 2) {
        const float s = mag(rng) * (byte(rng) & 1 ? -1.0f : 1.0f);
        const uint16_t h = F32ToF16(s);
        std::memcpy(p + off, &h, 2);
      }
    }
  }
  return w;
}

// toks x k activations of varied magnitude per row, with a few all-zero 32-blocks; every fourth
// row is +-1 times its scale, so its quantized values are all +-127.
std::vector<float> RandomActivations(size_t toks, size_t k, std::mt19937& rng) {
  std::vector<float> x(toks * k);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (size_t t = 0; t < toks; ++t) {
    const float scale = std::ldexp(1.0f, static_cast<int>(t % 7) * 3 - 9);
    for (size_t i = 0; i < k; ++i) {
      x[t * k + i] = t % 4 == 2 ? (rng() & 1 ? scale : -scale) : normal(rng) * scale;
    }
    if (k >= 64 && t % 3 == 1) {
      for (size_t i = 32; i < 64; ++i) x[t * k + i] = 0.0f;
    }
  }
  return x;
}

std::vector<uint8_t> Prepare(const WeightKernels& kern, const float* x, size_t toks, size_t k) {
  const size_t arb = ActRowBytes(kern.act, k);
  std::vector<uint8_t> act(toks * arb);
  for (size_t t = 0; t < toks; ++t) {
    if (kern.prepare == nullptr) {
      std::memcpy(&act[t * arb], x + t * k, arb);
    } else {
      kern.prepare(x + t * k, k, &act[t * arb]);
    }
  }
  return act;
}

// Sum of the magnitudes of the terms the kernels add up: rounding differences between two
// summation orders are bounded by a small multiple of float epsilon times this. The terms are
// w * a, except for the types with a minimum m, whose kernels add (w - m) * a and m * a per
// block separately.
double Magnitude(DType t, const uint8_t* wrow, const uint8_t* arow, size_t k) {
  const std::vector<double> w = DecodeWeights(t, wrow, k);
  const std::vector<double> a =
      DecodeActivations(IsFloat(t) ? ActFormat::kF32 : ActFormat::kQ8x32, arow, k);
  double mag = 0;
  if (!HasMin(t)) {
    for (size_t i = 0; i < k; ++i) mag += std::fabs(w[i] * a[i]);
    return mag;
  }
  const size_t bb = GetDTypeInfo(t).block_bytes;
  for (size_t b = 0; b < k / kQK; ++b) {
    const double m = Half(wrow + b * bb + 2);
    double sum_a = 0;
    for (size_t i = b * kQK; i < (b + 1) * kQK; ++i) {
      mag += std::fabs((w[i] - m) * a[i]);
      sum_a += a[i];
    }
    mag += std::fabs(m * sum_a);
  }
  return mag;
}

constexpr double kRelTol = 1e-5;

// ---------------------------------------------------------------------------------------------

TEST(QuantKernelsLegacy, TablesCoverTheirTypes) {
  for (const Target& target : Targets()) {
    SCOPED_TRACE(target.name);
    for (DType t : kFloatTypes) {
      const WeightKernels* k = target.floats(t);
      ASSERT_NE(k, nullptr) << DTypeName(t);
      EXPECT_EQ(k->act, ActFormat::kF32);
      EXPECT_EQ(k->prepare, nullptr);
      EXPECT_NE(k->tile, nullptr);
      EXPECT_EQ(target.blocks(t), nullptr);
    }
    for (DType t : kBlockTypes) {
      const WeightKernels* k = target.blocks(t);
      ASSERT_NE(k, nullptr) << DTypeName(t);
      EXPECT_EQ(k->act, ActFormat::kQ8x32);
      EXPECT_NE(k->prepare, nullptr);
      EXPECT_NE(k->tile, nullptr);
      EXPECT_EQ(target.floats(t), nullptr);
    }
    EXPECT_EQ(target.blocks(DType::kQ4_K), nullptr);
    EXPECT_EQ(target.floats(DType::kQ8_0), nullptr);
  }
  for (DType t : kBlockTypes)
    EXPECT_EQ(GetWeightKernels(t, SimdTarget::kScalar), scalar::LegacyKernels(t));
}

// The scalar preparation follows the format's definition: d = max|x| / 127, q = x / d rounded
// half to even, sum = sum of q; zero (and sub-FLT_MIN-scale) blocks are all zero.
TEST(QuantKernelsLegacy, PrepareFollowsTheDefinition) {
  const WeightKernels* kern = scalar::LegacyKernels(DType::kQ4_0);
  std::vector<float> x(4 * kQK, 0.0f);
  // Block 0: max 127 so d = 1 and x / d = x exactly: ties at .5 go to the even neighbour.
  const float ties[] = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 3.5f, -3.5f, 126.5f, -127.0f};
  const int8_t tie_q[] = {0, 2, 2, 0, -2, -2, 4, -4, 126, -127};
  for (size_t i = 0; i < std::size(ties); ++i) x[i] = ties[i];
  // Block 1 stays zero. Block 2: one huge value. Block 3: tiny values (scale below FLT_MIN).
  x[2 * kQK + 5] = -3e38f;
  x[2 * kQK + 6] = 1e36f;
  x[3 * kQK] = 1e-37f;
  std::vector<uint8_t> out(ActRowBytes(ActFormat::kQ8x32, x.size()));
  kern->prepare(x.data(), x.size(), out.data());
  const auto* a = reinterpret_cast<const ActQ8x32*>(out.data());
  EXPECT_EQ(a[0].d, 1.0f);
  int sum = 0;
  for (size_t i = 0; i < std::size(ties); ++i) {
    EXPECT_EQ(a[0].q[i], tie_q[i]) << ties[i];
    sum += tie_q[i];
  }
  EXPECT_EQ(a[0].sum, sum);
  for (int b : {1, 3}) {
    EXPECT_EQ(a[b].d, 0.0f) << b;
    EXPECT_EQ(a[b].sum, 0) << b;
    for (int j = 0; j < kQK; ++j) EXPECT_EQ(a[b].q[j], 0) << b << " " << j;
  }
  EXPECT_EQ(a[2].d, 3e38f / 127.0f);
  EXPECT_EQ(a[2].q[5], -127);
  EXPECT_EQ(a[2].q[6], static_cast<int8_t>(std::nearbyint(1e36f * (1.0f / (3e38f / 127.0f)))));
  EXPECT_EQ(a[2].sum, a[2].q[5] + a[2].q[6]);
}

// Every target's prepare gives the scalar bytes, for random rows and for the edge cases.
TEST(QuantKernelsLegacy, PrepareIsIdenticalAcrossTargets) {
  std::mt19937 rng(7);
  const size_t k = 64 * kQK;
  std::vector<std::vector<float>> rows;
  rows.push_back(std::vector<float>(k, 0.0f));  // all zero
  rows.push_back(RandomActivations(5, k, rng));
  std::vector<float> edge(k, 0.0f);
  std::uniform_real_distribution<float> uni(-1.0f, 1.0f);
  for (size_t b = 0; b < k / kQK; ++b) {
    float* v = edge.data() + b * kQK;
    switch (b % 8) {
      case 0:  // ties: max 127 gives d = 1, so halves stay halves
        for (int j = 0; j < kQK; ++j) v[j] = static_cast<float>(j - 16) + 0.5f;
        v[31] = 127.0f;
        break;
      case 1:  // one huge value among ordinary ones
        for (int j = 0; j < kQK; ++j) v[j] = uni(rng);
        v[b % kQK] = b % 16 == 1 ? 3.0e38f : -1.0e30f;
        break;
      case 2:  // tiny: scales around FLT_MIN and subnormal inputs
        for (int j = 0; j < kQK; ++j) v[j] = uni(rng) * 127.0f * FLT_MIN * (b % 16 == 2 ? 2 : 1);
        v[3] = -std::numeric_limits<float>::denorm_min();
        break;
      case 3:  // negative zeros and a single nonzero
        for (int j = 0; j < kQK; ++j) v[j] = -0.0f;
        v[17] = -2.0f;
        break;
      case 4:  // all equal magnitude (every q = +-127)
        for (int j = 0; j < kQK; ++j) v[j] = (j % 3 == 0 ? -1.0f : 1.0f) * 0.3f;
        break;
      default:  // random, wide range
        for (int j = 0; j < kQK; ++j) v[j] = uni(rng) * std::ldexp(1.0f, static_cast<int>(b) - 20);
    }
  }
  rows.push_back(edge);
  const std::vector<Target> targets = Targets();
  for (DType t : kBlockTypes) {
    for (const std::vector<float>& x : rows) {
      for (size_t off = 0; off < x.size(); off += k) {
        std::vector<uint8_t> want(ActRowBytes(ActFormat::kQ8x32, k));
        scalar::LegacyKernels(t)->prepare(x.data() + off, k, want.data());
        for (const Target& target : targets) {
          std::vector<uint8_t> got(want.size(), 0xAB);
          target.blocks(t)->prepare(x.data() + off, k, got.data());
          ASSERT_EQ(std::memcmp(got.data(), want.data(), want.size()), 0)
              << target.name << " " << DTypeName(t);
        }
      }
    }
  }
}

// The scalar tiles against a double-precision dot product of the values the formats define:
// equal up to float rounding against the prepared activations, and within the activation
// rounding bound (half a step per value) against the float activations.
TEST(QuantKernelsLegacy, ScalarTileMatchesTheFormats) {
  std::mt19937 rng(11);
  const size_t rows = 5, toks = 3;
  for (DType t : kAllTypes) {
    for (size_t k : {size_t{32}, size_t{2048}, size_t{4096 + 32}}) {
      SCOPED_TRACE(std::string(DTypeName(t)) + " k=" + std::to_string(k));
      const WeightKernels* kern = KernelsFor(Targets()[0], t);
      const std::vector<uint8_t> w = RandomWeights(t, rows, k, rng);
      const std::vector<float> x = RandomActivations(toks, k, rng);
      const std::vector<uint8_t> act = Prepare(*kern, x.data(), toks, k);
      const size_t rb = RowBytes(t, k), arb = ActRowBytes(kern->act, k);
      std::vector<float> y(toks * rows);
      kern->tile(k, w.data(), rb, rows, act.data(), arb, toks, y.data(), rows);
      for (size_t r = 0; r < rows; ++r) {
        const std::vector<double> wd = DecodeWeights(t, w.data() + r * rb, k);
        if (!IsFloat(t) && CanDequantize(t)) {
          std::vector<float> deq(k);
          DequantizeRow(t, w.data() + r * rb, k, deq.data());
          for (size_t i = 0; i < k; ++i) {
            // The gguf reference rounds d * q to float; allow that one rounding.
            ASSERT_NEAR(deq[i], wd[i], std::fabs(wd[i]) * 1e-7) << "DequantizeRow value " << i;
          }
        }
        for (size_t tk = 0; tk < toks; ++tk) {
          const uint8_t* arow = act.data() + tk * arb;
          const std::vector<double> ad = DecodeActivations(kern->act, arow, k);
          const double mag = Magnitude(t, w.data() + r * rb, arow, k);
          double exact = 0, to_float = 0, bound = 0;
          for (size_t i = 0; i < k; ++i) {
            exact += wd[i] * ad[i];
            to_float += wd[i] * double{x[tk * k + i]};
            if (!IsFloat(t)) {
              const float d = reinterpret_cast<const ActQ8x32*>(arow)[i / kQK].d;
              bound += std::fabs(wd[i]) * 0.5 * d;
            }
          }
          const double got = y[tk * rows + r];
          EXPECT_NEAR(got, exact, kRelTol * mag + 1e-30) << "r=" << r << " t=" << tk;
          EXPECT_NEAR(got, to_float, bound * (1 + 1e-6) + kRelTol * mag + 1e-30)
              << "r=" << r << " t=" << tk;
        }
      }
    }
  }
}

// Every SIMD table's tile against the scalar tile, for row and token counts around the
// micro-kernel sizes, odd output strides and row lengths with tails.
TEST(QuantKernelsLegacy, SimdTilesMatchScalar) {
  const std::vector<Target> targets = Targets();
  if (targets.size() == 1) GTEST_SKIP() << "no SIMD table runs on this CPU and no emulation built";
  std::mt19937 rng(3);
  const size_t row_counts[] = {1, 2, 3, 4, 5, 7, 8, 13};
  const size_t tok_counts[] = {1, 2, 3, 4, 5, 8, 9, 16};
  const size_t max_rows = 13, max_toks = 16;
  double worst = 0;
  for (DType t : kAllTypes) {
    std::vector<size_t> ks = {32, 64, 2048, 4096 + 32};
    if (IsFloat(t)) ks.insert(ks.end(), {1, 7, 15, 17, 4096 + 37});
    for (size_t k : ks) {
      const WeightKernels* ref = KernelsFor(targets[0], t);
      const std::vector<uint8_t> w = RandomWeights(t, max_rows, k, rng);
      const std::vector<float> x = RandomActivations(max_toks, k, rng);
      const std::vector<uint8_t> act = Prepare(*ref, x.data(), max_toks, k);
      const size_t rb = RowBytes(t, k), arb = ActRowBytes(ref->act, k);
      std::vector<float> want(max_toks * max_rows);
      ref->tile(k, w.data(), rb, max_rows, act.data(), arb, max_toks, want.data(), max_rows);
      std::vector<double> mag(max_toks * max_rows);
      for (size_t tk = 0; tk < max_toks; ++tk) {
        for (size_t r = 0; r < max_rows; ++r) {
          mag[tk * max_rows + r] = Magnitude(t, w.data() + r * rb, act.data() + tk * arb, k);
        }
      }
      for (size_t ti = 1; ti < targets.size(); ++ti) {
        const WeightKernels* kern = KernelsFor(targets[ti], t);
        SCOPED_TRACE(targets[ti].name + " " + DTypeName(t) + " k=" + std::to_string(k));
        for (size_t rows : row_counts) {
          for (size_t toks : tok_counts) {
            // The last rows and tokens, so the pointers are not those of the first call.
            const size_t r0 = max_rows - rows, t0 = max_toks - toks;
            const size_t ys = rows + 2 + (rows % 2);  // odd, and wider than rows
            const float sentinel = -12345.0f;
            std::vector<float> y(toks * ys, sentinel);
            kern->tile(k, w.data() + r0 * rb, rb, rows, act.data() + t0 * arb, arb, toks, y.data(),
                       ys);
            for (size_t tk = 0; tk < toks; ++tk) {
              for (size_t r = 0; r < ys; ++r) {
                const float got = y[tk * ys + r];
                if (r >= rows) {
                  ASSERT_EQ(got, sentinel) << "wrote outside the tile: t=" << tk << " r=" << r;
                  continue;
                }
                const size_t i = (t0 + tk) * max_rows + r0 + r;
                const double err = std::fabs(double{got} - want[i]);
                ASSERT_LE(err, kRelTol * mag[i] + 1e-30)
                    << "rows=" << rows << " toks=" << toks << " r=" << r << " t=" << tk << " got "
                    << got << " want " << want[i];
                if (mag[i] > 0) worst = std::max(worst, err / mag[i]);
              }
            }
          }
        }
      }
    }
  }
  char worst_text[32];
  std::snprintf(worst_text, sizeof worst_text, "%.3g", worst);
  RecordProperty("worst_relative_error", worst_text);
}

}  // namespace
}  // namespace exaone::kernels::quant
