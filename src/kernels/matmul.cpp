#include "kernels/matmul.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <vector>

#include "base/error.h"
#include "base/half.h"
#include "kernels/cpu.h"
#include "kernels/quant/blocks.h"
#include "kernels/quant/format.h"
#include "kernels/quant/interleave.h"
#include "kernels/quant/kernels.h"

namespace exaone::kernels {
namespace {

using quant::ActFormat;
using quant::WeightKernels;

// The kernels for `t` in the given layout on the active target, falling back to narrower
// targets (the scalar table covers every type MatMul accepts, and both layouts).
const WeightKernels* KernelsFor(DType t, bool interleaved) {
  SimdTarget target = ActiveTarget();
  for (int i = static_cast<int>(target); i >= 0; --i) {
    const WeightKernels* k = quant::GetWeightKernels(t, static_cast<SimdTarget>(i));
    if (k != nullptr && (interleaved ? k->tile_x8 : k->tile) != nullptr) return k;
  }
  return nullptr;
}

struct Job {
  const WeightView* w;
  const WeightKernels* k;
  quant::TileFn tile;
  float* y;
  size_t row_bytes;
  const uint8_t* act;
  size_t act_row_bytes;
};

// Tokens per tile call, and how many bytes of weight rows a tile walks before moving on to the
// next tokens (so the rows stay in the L2 cache while every token block passes over them).
constexpr size_t kTokenBlock = 16;
constexpr size_t kRowBlockBytes = 128 * 1024;
constexpr size_t kDecodeBlockBytes = 256 * 1024;

// Rows per block for prefill: about kRowBlockBytes of weights, a multiple of 12 (the row counts
// of the micro-kernels divide it, so no block ends in a narrow remainder).
size_t RowBlock(const Job& j) {
  const size_t rows = kRowBlockBytes / std::max<size_t>(j.row_bytes, 1);
  if (j.w->interleaved) return std::max<size_t>(rows / 8 * 8, 8);
  return rows >= 24 ? rows / 12 * 12 : std::max<size_t>(rows, 4);
}

// Rows per block for decode: about kDecodeBlockBytes, at least 16 (whole groups of 8 rows for
// the interleaved layout).
size_t DecodeBlock(const Job& j) {
  return std::max<size_t>(16, kDecodeBlockBytes / j.row_bytes) / 8 * 8;
}

void RunRows(const Job& j, size_t n_tokens, size_t begin, size_t end) {
  const auto* w = static_cast<const uint8_t*>(j.w->data);
  const size_t k = j.w->cols;
  if (n_tokens == 1) {
    j.tile(k, w + begin * j.row_bytes, j.row_bytes, end - begin, j.act, j.act_row_bytes, 1,
           j.y + begin, j.w->rows);
    return;
  }
  const size_t row_block = RowBlock(j);
  for (size_t r = begin; r < end; r += row_block) {
    const size_t rows = std::min(row_block, end - r);
    for (size_t t = 0; t < n_tokens; t += kTokenBlock) {
      const size_t toks = std::min(kTokenBlock, n_tokens - t);
      j.tile(k, w + r * j.row_bytes, j.row_bytes, rows, j.act + t * j.act_row_bytes,
             j.act_row_bytes, toks, j.y + t * j.w->rows + r, j.w->rows);
    }
  }
}

// Per-thread scratch for prepared activations, one buffer per format.
std::vector<uint8_t>& ActBuffer(ActFormat f) {
  thread_local std::vector<uint8_t> buffers[3];
  return buffers[static_cast<int>(f)];
}

}  // namespace

bool MatMulSupports(DType t) {
  return KernelsFor(t, false) != nullptr;
}

bool PrefersInterleaved(const WeightView& w) {
  if (!quant::HasInterleave8(w.dtype) || w.rows == 0 || w.rows % quant::kInterleaveRows != 0 ||
      w.cols % GetDTypeInfo(w.dtype).block != 0 || ActiveTarget() == SimdTarget::kScalar) {
    return false;
  }
  const WeightKernels* k = quant::GetWeightKernels(w.dtype, ActiveTarget());
  return k != nullptr && k->tile_x8 != nullptr;
}

size_t RowBytes(const WeightView& w) {
  auto bytes = DTypeBytes(w.dtype, w.cols, 1);
  EXA_CHECK(bytes.has_value());
  return static_cast<size_t>(*bytes);
}

void ToFloat(DType t, const void* src, size_t n, float* out) {
  switch (t) {
    case DType::kF32:
      std::memcpy(out, src, n * sizeof(float));
      return;
    case DType::kF16: {
      const auto* s = static_cast<const uint16_t*>(src);
      for (size_t i = 0; i < n; ++i) out[i] = F16ToF32(s[i]);
      return;
    }
    case DType::kBF16: {
      const auto* s = static_cast<const uint16_t*>(src);
      for (size_t i = 0; i < n; ++i) out[i] = Bf16ToF32(s[i]);
      return;
    }
    default:
      EXA_CHECK_MSG(quant::CanDequantize(t), "ToFloat: unsupported type");
      quant::DequantizeRow(t, src, n, out);
  }
}

void GetRow(const WeightView& w, size_t row, float* out) {
  EXA_CHECK(row < w.rows);
  if (w.interleaved) {
    std::vector<uint8_t> plain(RowBytes(w));
    quant::ExtractRow8(w.dtype, static_cast<const uint8_t*>(w.data), row, w.cols, plain.data());
    ToFloat(w.dtype, plain.data(), w.cols, out);
    return;
  }
  ToFloat(w.dtype, static_cast<const uint8_t*>(w.data) + row * RowBytes(w), w.cols, out);
}

void MatMulMany(const float* x, size_t n_tokens, std::initializer_list<MatMulOut> outs,
                ThreadPool& pool) {
  if (n_tokens == 0 || outs.size() == 0) return;
  std::vector<Job> jobs;
  jobs.reserve(outs.size());
  const size_t k = outs.begin()->w->cols;
  bool prepared[3] = {false, false, false};
  for (const MatMulOut& o : outs) {
    EXA_CHECK(o.w->cols == k);
    EXA_CHECK(!o.w->interleaved || o.w->rows % quant::kInterleaveRows == 0);
    Job j{o.w, KernelsFor(o.w->dtype, o.w->interleaved), nullptr, o.y, RowBytes(*o.w), nullptr, 0};
    EXA_CHECK_MSG(j.k != nullptr, "MatMul: unsupported weight type");
    j.tile = o.w->interleaved ? j.k->tile_x8 : j.k->tile;
    const int f = static_cast<int>(j.k->act);
    j.act_row_bytes = quant::ActRowBytes(j.k->act, k);
    if (j.k->act == ActFormat::kF32) {
      j.act = reinterpret_cast<const uint8_t*>(x);
    } else {
      std::vector<uint8_t>& buf = ActBuffer(j.k->act);
      if (!prepared[f]) {
        buf.resize(j.act_row_bytes * n_tokens);
        const quant::PrepareActFn prepare = j.k->prepare;
        const size_t arb = j.act_row_bytes;
        uint8_t* dst = buf.data();
        auto run = [&](size_t b, size_t e) {
          for (size_t t = b; t < e; ++t) prepare(x + t * k, k, dst + t * arb);
        };
        if (n_tokens >= 4) {
          pool.ParallelFor(n_tokens, run);
        } else {
          run(0, n_tokens);
        }
        prepared[f] = true;
      }
      j.act = buf.data();
    }
    jobs.push_back(j);
  }
  // Row blocks claimed one at a time, so a thread slowed by anything else on the machine does
  // not hold the others up at the end (on a shared 2-core host the static split left one thread
  // waiting 10% of decode time). Decode blocks are about 256 KiB of weights: long sequential
  // streams for the prefetchers, and enough of them to share out.
  struct Block {
    const Job* job;
    size_t begin, end;
  };
  std::vector<Block> blocks;
  for (const Job& j : jobs) {
    const size_t step = n_tokens == 1 ? DecodeBlock(j) : RowBlock(j);
    for (size_t r = 0; r < j.w->rows; r += step) {
      blocks.push_back({&j, r, std::min(j.w->rows, r + step)});
    }
  }
  std::atomic<size_t> next{0};
  pool.RunOnAll([&](int, int) {
    for (size_t i = next++; i < blocks.size(); i = next++) {
      RunRows(*blocks[i].job, n_tokens, blocks[i].begin, blocks[i].end);
    }
  });
}

void MatMul(const float* x, size_t n_tokens, const WeightView& w, float* y, ThreadPool& pool) {
  MatMulMany(x, n_tokens, {MatMulOut{&w, y}}, pool);
}

}  // namespace exaone::kernels
