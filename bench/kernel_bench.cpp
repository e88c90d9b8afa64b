// Throughput of the matrix-product tiles, per weight type and SIMD target.
//
//   exaone_kernel_bench [--threads N] [--types Q4_0,BF16,...] [--targets scalar,avx2,avx512]
//                       [--seconds S] [--toks 1,8,...] [--no-stream]
//
// For each type and each target the CPU supports, times tile() over a ROWS x K matrix at
// toks = 1 (decode) and toks = 8 (prefill) or the --toks counts (the matrix products pass tiles
// at most 16 tokens), rows split evenly over the threads, and prints the
// weight bytes read per second (GB/s) and multiply-adds per second (GMAC/s). "hot" reuses one
// matrix, which then sits in the caches; target "avx2/x8" is the 8-row interleaved layout; "stream"
// cycles through copies filling 256 MiB, as decoding a model much larger than the last-level cache
// does. The prepare row times the activation conversion (float32 -> the type's activation format)
// per value. Times are the best of repeated samples, in CPU time when there is one thread (see
// SecondsPerCall).
//
// Types are entries of kTypes below: the dtype and where its fp16 scales sit in a block (they
// get sane values; the other bytes are random).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "base/dtype.h"
#include "base/half.h"
#include "base/thread_pool.h"
#include "kernels/cpu.h"
#include "kernels/quant/interleave.h"
#include "kernels/quant/kernels.h"

namespace {

using exaone::DType;
using exaone::kernels::SimdTarget;
namespace quant = exaone::kernels::quant;

struct BenchType {
  DType type;
  // Byte offsets, within one block, of the fp16 scales (random fp16 bytes would include huge
  // values, infinities and NaNs). Plain F32/F16/BF16 get random values in [-1, 1] instead.
  std::vector<size_t> half_offsets;
};

const std::vector<BenchType> kTypes = {
    {DType::kF32, {}},      {DType::kF16, {}},        {DType::kBF16, {}},    {DType::kQ8_0, {0}},
    {DType::kQ4_0, {0}},    {DType::kQ4_1, {0, 2}},   {DType::kQ5_0, {0}},   {DType::kQ5_1, {0, 2}},
    {DType::kIQ4_NL, {0}},  {DType::kQ2_K, {80, 82}}, {DType::kQ3_K, {108}}, {DType::kQ4_K, {0, 2}},
    {DType::kQ5_K, {0, 2}}, {DType::kQ6_K, {208}},    {DType::kIQ4_XS, {0}},
};

struct Shape {
  size_t rows, k;
};
constexpr Shape kShapes[] = {{2048, 2048}, {4096, 2048}};
constexpr size_t kStreamBytes = size_t{256} << 20;

std::vector<uint8_t> RandomWeights(const BenchType& bt, size_t rows, size_t k, std::mt19937& rng) {
  const auto info = exaone::GetDTypeInfo(bt.type);
  const size_t bytes = rows * (k / info.block) * info.block_bytes;
  std::vector<uint8_t> w(bytes);
  std::uniform_real_distribution<float> uni(-1.0f, 1.0f);
  if (bt.type == DType::kF32) {
    for (size_t i = 0; i < bytes / 4; ++i) {
      const float v = uni(rng);
      std::memcpy(&w[i * 4], &v, 4);
    }
  } else if (bt.type == DType::kF16 || bt.type == DType::kBF16) {
    for (size_t i = 0; i < bytes / 2; ++i) {
      const float v = uni(rng);
      const uint16_t h = bt.type == DType::kF16 ? exaone::F32ToF16(v) : exaone::F32ToBf16(v);
      std::memcpy(&w[i * 2], &h, 2);
    }
  } else {
    for (auto& b : w) b = static_cast<uint8_t>(rng());
    std::uniform_real_distribution<float> scale(1e-3f, 1e-2f);
    for (size_t blk = 0; blk < bytes / info.block_bytes; ++blk) {
      for (size_t off : bt.half_offsets) {
        const uint16_t h = exaone::F32ToF16(scale(rng));
        std::memcpy(&w[blk * info.block_bytes + off], &h, 2);
      }
    }
  }
  return w;
}

// Seconds on the calling thread's CPU clock, or on the wall clock (when several threads work).
double Now(bool cpu_clock) {
  if (cpu_clock) {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Seconds per call: the fastest of repeated samples of at least 0.5 ms each, over min_seconds of
// wall time in all. With one thread the samples are CPU time, so time slices lost to other
// processes do not count; the minimum then is what the code achieves with the core to itself.
template <class Fn>
double SecondsPerCall(double min_seconds, bool cpu_clock, Fn&& fn) {
  fn();  // warm up
  size_t batch = 1;
  double best = 1e30;
  const double start = Now(false);
  while (true) {
    const double t0 = Now(cpu_clock);
    for (size_t i = 0; i < batch; ++i) fn();
    const double s = Now(cpu_clock) - t0;
    if (s < 5e-4) {
      batch *= 2;
      continue;
    }
    best = std::min(best, s / static_cast<double>(batch));
    if (Now(false) - start > min_seconds) break;
  }
  return best;
}

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    const size_t end = std::min(s.find(',', start), s.size());
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool Listed(const std::vector<std::string>& list, const std::string& name) {
  return list.empty() || std::find(list.begin(), list.end(), name) != list.end();
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 1;
  double seconds = 0.2;
  bool stream = true;
  std::vector<std::string> types, targets;
  std::vector<size_t> toks_list = {1, 8};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--threads" && i + 1 < argc) {
      threads = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--seconds" && i + 1 < argc) {
      seconds = std::atof(argv[++i]);
    } else if (a == "--types" && i + 1 < argc) {
      types = Split(argv[++i]);
    } else if (a == "--targets" && i + 1 < argc) {
      targets = Split(argv[++i]);
    } else if (a == "--toks" && i + 1 < argc) {
      toks_list.clear();
      for (const std::string& t : Split(argv[++i])) {
        const long n = std::atol(t.c_str());
        if (n < 1 || n > 512) {
          std::fprintf(stderr, "--toks: each count must be 1..512, got '%s'\n", t.c_str());
          return 2;
        }
        toks_list.push_back(static_cast<size_t>(n));
      }
      if (toks_list.empty()) {
        std::fprintf(stderr, "--toks: give at least one count\n");
        return 2;
      }
    } else if (a == "--no-stream") {
      stream = false;
    } else {
      std::fprintf(stderr,
                   "usage: exaone_kernel_bench [--threads N] [--types T,...] "
                   "[--targets scalar,avx2,avx512] [--seconds S] [--toks 1,8,...] "
                   "[--no-stream]\n");
      return 2;
    }
  }
  exaone::ThreadPool pool(threads);
  std::mt19937 rng(1234);
  std::printf("%-7s %-7s %-6s %-11s %4s %9s %8s %8s\n", "type", "target", "mem", "rows x k", "toks",
              "us/call", "GB/s", "GMAC/s");
  for (const BenchType& bt : kTypes) {
    const char* tname = exaone::DTypeName(bt.type);
    if (!Listed(types, tname)) continue;
    const auto info = exaone::GetDTypeInfo(bt.type);
    for (SimdTarget target : {SimdTarget::kScalar, SimdTarget::kAvx2, SimdTarget::kAvx512}) {
      const char* target_name = exaone::kernels::SimdTargetName(target);
      if (!Listed(targets, target_name) || !exaone::kernels::CpuSupports(target)) continue;
      const quant::WeightKernels* kern = quant::GetWeightKernels(bt.type, target);
      if (kern == nullptr) continue;
      size_t max_k = 0;
      for (const Shape& shape : kShapes) max_k = std::max(max_k, shape.k);
      const size_t max_toks = *std::max_element(toks_list.begin(), toks_list.end());
      std::vector<float> x(max_toks * max_k);
      std::uniform_real_distribution<float> uni(-1.0f, 1.0f);
      for (float& v : x) v = uni(rng);
      for (const Shape& shape : kShapes) {
        const size_t row_bytes = shape.k / info.block * info.block_bytes;
        const size_t act_row_bytes = quant::ActRowBytes(kern->act, shape.k);
        std::vector<uint8_t> act(max_toks * act_row_bytes);
        for (size_t t = 0; t < max_toks; ++t) {
          if (kern->prepare == nullptr) {
            std::memcpy(&act[t * act_row_bytes], &x[t * shape.k], act_row_bytes);
          } else {
            kern->prepare(&x[t * shape.k], shape.k, &act[t * act_row_bytes]);
          }
        }
        std::vector<uint8_t> w = RandomWeights(bt, shape.rows, shape.k, rng);
        const size_t matrix_bytes = w.size();
        for (bool x8 : {false, true}) {
          if (x8 && kern->tile_x8 == nullptr) continue;
          if (x8) quant::Interleave8(bt.type, w.data(), shape.rows, shape.k);
          const quant::TileFn tile = x8 ? kern->tile_x8 : kern->tile;
          std::string label = target_name;
          if (x8) label += "/x8";
          for (bool streaming : {false, true}) {
            if (streaming && !stream) continue;
            // Copies of the matrix back to back; calls cycle through them.
            const size_t copies =
                streaming ? std::max<size_t>(2, kStreamBytes / matrix_bytes) : size_t{1};
            std::vector<uint8_t> pool_w(copies * matrix_bytes);
            for (size_t c = 0; c < copies; ++c) {
              std::memcpy(&pool_w[c * matrix_bytes], w.data(), matrix_bytes);
            }
            for (size_t toks : toks_list) {
              std::vector<float> y(toks * shape.rows);
              size_t call = 0;
              const double s = SecondsPerCall(seconds, threads == 1, [&] {
                const uint8_t* wm = &pool_w[(call++ % copies) * matrix_bytes];
                pool.RunOnAll([&](int ti, int tn) {
                  // Thread shares of whole groups of 8 rows.
                  const size_t groups = shape.rows / 8;
                  const size_t r0 = groups * static_cast<size_t>(ti) / static_cast<size_t>(tn) * 8;
                  const size_t r1 =
                      groups * static_cast<size_t>(ti + 1) / static_cast<size_t>(tn) * 8;
                  if (r1 > r0) {
                    tile(shape.k, wm + r0 * row_bytes, row_bytes, r1 - r0, act.data(),
                         act_row_bytes, toks, y.data() + r0, shape.rows);
                  }
                });
              });
              const double macs = static_cast<double>(shape.rows * shape.k * toks);
              char dims[32];
              std::snprintf(dims, sizeof dims, "%zux%zu", shape.rows, shape.k);
              std::printf("%-7s %-7s %-6s %-11s %4zu %9.1f %8.2f %8.2f\n", tname, label.c_str(),
                          streaming ? "stream" : "hot", dims, toks, s * 1e6,
                          static_cast<double>(matrix_bytes) / s / 1e9, macs / s / 1e9);
              std::fflush(stdout);
            }
          }
        }
      }
      if (kern->prepare != nullptr) {
        std::vector<uint8_t> out(quant::ActRowBytes(kern->act, max_k));
        const double s =
            SecondsPerCall(seconds, true, [&] { kern->prepare(x.data(), max_k, out.data()); });
        std::printf("%-7s %-7s %-6s %-11s %4s %9.2f  %.2f ns/value\n", tname, target_name, "-",
                    "prepare", "-", s * 1e6, s * 1e9 / static_cast<double>(max_k));
      }
    }
  }
  return 0;
}
