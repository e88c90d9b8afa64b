// Attention: every SIMD target against the scalar twin, and the scalar kernel against a
// double-precision evaluation of the definition (softmax(q k^T * scale) v over the visible
// positions), for grouped heads, sliding windows, wrapped rings, F16 caches and paged caches
// (blocks stored out of order, the ones no query sees absent).
#include "kernels/attention.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "base/half.h"

namespace exaone::kernels {
namespace {

struct Case {
  int heads, kv_heads, d, n_tokens, past, window, capacity;
  bool f16;
  int block_len = 0;  // > 0: the cache in blocks of this many positions (capacity a multiple)
};

struct Data {
  std::vector<float> q, k_new, v_new;
  std::vector<float> k_cache32, v_cache32;     // the cache as F32
  std::vector<uint16_t> k_cache16, v_cache16;  // the same values as F16 (when f16)
  std::vector<uint8_t> k_paged, v_paged;       // paged: the blocks, last block first
  std::vector<const void*> k_blocks, v_blocks;
};

Data MakeData(const Case& c, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  Data x;
  const size_t kv = static_cast<size_t>(c.kv_heads) * c.d;
  auto fill = [&](std::vector<float>& v, size_t n, float scale) {
    v.resize(n);
    for (float& f : v) f = dist(rng) * scale;
  };
  fill(x.q, static_cast<size_t>(c.n_tokens) * c.heads * c.d, 1.0f);
  fill(x.k_new, c.n_tokens * kv, 1.0f);
  fill(x.v_new, c.n_tokens * kv, 1.0f);
  fill(x.k_cache32, c.capacity * kv, 1.0f);
  fill(x.v_cache32, c.capacity * kv, 1.0f);
  if (c.f16) {
    for (auto* pair : {&x.k_cache32, &x.v_cache32}) {
      auto& dst = pair == &x.k_cache32 ? x.k_cache16 : x.v_cache16;
      dst.resize(pair->size());
      for (size_t i = 0; i < pair->size(); ++i) {
        dst[i] = F32ToF16((*pair)[i]);
        (*pair)[i] = F16ToF32(dst[i]);  // the reference sees exactly what the cache holds
      }
    }
  }
  const size_t elem = c.f16 ? 2 : 4;
  const uint8_t* k_src = c.f16 ? reinterpret_cast<const uint8_t*>(x.k_cache16.data())
                               : reinterpret_cast<const uint8_t*>(x.k_cache32.data());
  const uint8_t* v_src = c.f16 ? reinterpret_cast<const uint8_t*>(x.v_cache16.data())
                               : reinterpret_cast<const uint8_t*>(x.v_cache32.data());
  if (c.block_len == 0) {
    x.k_blocks = {k_src};
    x.v_blocks = {v_src};
    return x;
  }
  const int bl = c.block_len;
  const int nb = c.capacity / bl;
  const size_t block_bytes = static_cast<size_t>(c.kv_heads) * bl * c.d * elem;
  x.k_paged.assign(nb * block_bytes, 0xff);
  x.v_paged.assign(nb * block_bytes, 0xff);
  // The first position any query reads: blocks wholly before it are left out.
  const int first = c.window > 0 ? std::max(0, c.past - c.window + 1) : 0;
  for (int b = 0; b < nb; ++b) {
    const size_t at = static_cast<size_t>(nb - 1 - b) * block_bytes;
    for (int g = 0; g < c.kv_heads; ++g) {
      for (int r = 0; r < bl; ++r) {
        const size_t src = (static_cast<size_t>(g) * c.capacity + b * bl + r) * c.d * elem;
        const size_t dst = at + (static_cast<size_t>(g) * bl + r) * c.d * elem;
        std::memcpy(&x.k_paged[dst], k_src + src, c.d * elem);
        std::memcpy(&x.v_paged[dst], v_src + src, c.d * elem);
      }
    }
    const bool absent = (b + 1) * bl <= first;
    x.k_blocks.push_back(absent ? nullptr : &x.k_paged[at]);
    x.v_blocks.push_back(absent ? nullptr : &x.v_paged[at]);
  }
  return x;
}

AttentionArgs Args(const Case& c, const Data& x, std::vector<float>& out) {
  AttentionArgs a;
  a.n_tokens = c.n_tokens;
  a.past = c.past;
  a.n_heads = c.heads;
  a.n_kv_heads = c.kv_heads;
  a.head_dim = c.d;
  a.scale = 1.0f / std::sqrt(static_cast<float>(c.d));
  a.window = c.window;
  a.q = x.q.data();
  a.k_new = x.k_new.data();
  a.v_new = x.v_new.data();
  a.cache_type = c.f16 ? DType::kF16 : DType::kF32;
  a.cache_k = x.k_blocks.data();
  a.cache_v = x.v_blocks.data();
  a.cache_blocks = static_cast<int>(x.k_blocks.size());
  a.cache_block_len = c.block_len > 0 ? c.block_len : c.capacity;
  out.assign(static_cast<size_t>(c.n_tokens) * c.heads * c.d, -1.0f);
  a.out = out.data();
  return a;
}

// softmax(q k^T * scale) v in double precision, straight from the definition.
std::vector<double> Reference(const Case& c, const Data& x) {
  const size_t kv = static_cast<size_t>(c.kv_heads) * c.d;
  const int group = c.heads / c.kv_heads;
  std::vector<double> out(static_cast<size_t>(c.n_tokens) * c.heads * c.d, 0.0);
  for (int t = 0; t < c.n_tokens; ++t) {
    const int pos = c.past + t;
    const int lo = c.window > 0 ? std::max(0, pos - c.window + 1) : 0;
    for (int h = 0; h < c.heads; ++h) {
      const int g = h / group;
      auto key = [&](int p) {
        return p >= c.past ? &x.k_new[(p - c.past) * kv + g * c.d]
                           : &x.k_cache32[(g * c.capacity + p % c.capacity) * c.d];
      };
      auto value = [&](int p) {
        return p >= c.past ? &x.v_new[(p - c.past) * kv + g * c.d]
                           : &x.v_cache32[(g * c.capacity + p % c.capacity) * c.d];
      };
      std::vector<double> s;
      double max = -INFINITY;
      for (int p = lo; p <= pos; ++p) {
        double dot = 0;
        for (int j = 0; j < c.d; ++j) {
          dot += static_cast<double>(x.q[(static_cast<size_t>(t) * c.heads + h) * c.d + j]) *
                 key(p)[j];
        }
        s.push_back(dot / std::sqrt(static_cast<double>(c.d)));
        max = std::max(max, s.back());
      }
      double sum = 0;
      for (double& v : s) sum += (v = std::exp(v - max));
      for (int p = lo; p <= pos; ++p) {
        for (int j = 0; j < c.d; ++j) {
          out[(static_cast<size_t>(t) * c.heads + h) * c.d + j] += s[p - lo] / sum * value(p)[j];
        }
      }
    }
  }
  return out;
}

const Case kCases[] = {
    // heads, kv, d, tokens, past, window, capacity, f16
    {32, 8, 64, 1, 300, 0, 400, false},      // EXAONE 4.0 1.2B decode
    {32, 8, 64, 1, 300, 0, 400, true},       // same with an F16 cache
    {9, 3, 64, 5, 37, 0, 64, false},         // SmolLM2 (3 heads per KV head), chunked prefill
    {8, 2, 128, 3, 50, 16, 16, true},        // sliding window, wrapped ring
    {8, 2, 128, 20, 0, 16, 16, false},       // window inside a prefill
    {8, 8, 16, 7, 9, 0, 16, false},          // one head per KV head
    {6, 2, 12, 4, 10, 5, 5, true},           // head size that no SIMD target takes
    {40, 8, 128, 2, 300, 4096, 4096, true},  // 32B shape: 5 heads per KV head
    // paged caches
    {32, 8, 64, 1, 300, 0, 320, true, 32},  // 1.2B decode, 10 blocks
    {9, 3, 64, 5, 37, 0, 48, false, 16},    // prefill chunk crossing a block boundary
    {8, 2, 128, 3, 50, 16, 64, true, 16},   // sliding window: the first two blocks absent
    {6, 2, 12, 4, 10, 5, 12, false, 3},     // odd head size, window, 3-position blocks
};

class AttentionTest : public ::testing::TestWithParam<Case> {};

TEST_P(AttentionTest, ScalarMatchesDefinition) {
  const Case c = GetParam();
  const Data x = MakeData(c, 1);
  std::vector<float> out;
  ThreadPool pool(2);
  AttentionOn(SimdTarget::kScalar, Args(c, x, out), pool);
  const std::vector<double> ref = Reference(c, x);
  double worst = 0;
  for (size_t i = 0; i < ref.size(); ++i) worst = std::max(worst, std::abs(ref[i] - out[i]));
  EXPECT_LT(worst, 2e-5) << "max |scalar - definition|";
}

TEST_P(AttentionTest, EveryTargetMatchesScalar) {
  const Case c = GetParam();
  const Data x = MakeData(c, 2);
  std::vector<float> want;
  ThreadPool pool(2);
  AttentionOn(SimdTarget::kScalar, Args(c, x, want), pool);
  int checked = 0;
  for (SimdTarget t : {SimdTarget::kAvx2, SimdTarget::kAvx512}) {
    if (!CpuSupports(t)) continue;
    std::vector<float> got;
    AttentionOn(t, Args(c, x, got), pool);
    float worst = 0;
    for (size_t i = 0; i < want.size(); ++i) worst = std::max(worst, std::abs(want[i] - got[i]));
    EXPECT_LT(worst, 1e-5f) << SimdTargetName(t);
    ++checked;
  }
  if (checked == 0) GTEST_SKIP() << "this CPU has no SIMD target to compare";
}

INSTANTIATE_TEST_SUITE_P(Shapes, AttentionTest, ::testing::ValuesIn(kCases));

TEST(AttentionOpsTest, ExpSumMatchesScalarOverTheWholeRange) {
  if (!CpuSupports(SimdTarget::kAvx2)) GTEST_SKIP() << "this CPU has no AVX2";
  std::vector<float> x;
  for (float v = -100.0f; v <= 0.0f; v += 0.0137f) x.push_back(v);
  x.push_back(-0.0f);
  x.push_back(-87.0f);
  x.push_back(-88.0f);
  std::vector<float> a = x, b = x;
  const float sa = attn::ScalarOps()->exp_sum(a.data(), static_cast<int>(a.size()), 0.0f);
  const float sb = attn::Avx2Ops()->exp_sum(b.data(), static_cast<int>(b.size()), 0.0f);
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_NEAR(b[i], a[i], 3e-7f * a[i] + 1e-37f) << "exp(" << x[i] << ")";
  }
  EXPECT_NEAR(sb, sa, 1e-6f * sa);
}

}  // namespace
}  // namespace exaone::kernels
