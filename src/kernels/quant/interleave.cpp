#include "kernels/quant/interleave.h"

#include <cstring>
#include <vector>

#include "base/error.h"
#include "kernels/quant/blocks.h"

namespace exaone::kernels::quant {
namespace {

// Bytes that one run of an interleaved field holds per row.
constexpr size_t kRun = 4;

// A block's fields in file order: each is either gathered row after row (scales), or interleaved
// in runs of 4 bytes (quants).
struct Field {
  size_t offset, size;
  bool runs;
};
struct Layout {
  size_t block_values = 0, block_bytes = 0;
  std::vector<Field> fields;
};

const Layout* LayoutOf(DType t) {
  static const Layout kQ4_0{kQK, sizeof(BlockQ4_0), {{0, 2, false}, {2, 16, true}}};
  static const Layout kQ8_0{kQK, sizeof(BlockQ8_0), {{0, 2, false}, {2, 32, true}}};
  static const Layout kQ4_K{
      kQKK, sizeof(BlockQ4_K), {{0, 2, false}, {2, 2, false}, {4, 12, false}, {16, 128, true}}};
  switch (t) {
    case DType::kQ4_0:
      return &kQ4_0;
    case DType::kQ8_0:
      return &kQ8_0;
    case DType::kQ4_K:
      return &kQ4_K;
    default:
      return nullptr;
  }
}

// Calls copy(record offset, row, block offset, bytes) for every piece of a record.
template <class F>
void ForEachPiece(const Layout& l, F&& copy) {
  size_t at = 0;
  for (const Field& f : l.fields) {
    if (!f.runs) {
      for (size_t r = 0; r < kInterleaveRows; ++r, at += f.size) copy(at, r, f.offset, f.size);
      continue;
    }
    for (size_t c = 0; c < f.size / kRun; ++c) {
      for (size_t r = 0; r < kInterleaveRows; ++r, at += kRun) {
        copy(at, r, f.offset + c * kRun, kRun);
      }
    }
  }
}

}  // namespace

bool HasInterleave8(DType t) {
  return LayoutOf(t) != nullptr;
}

void Interleave8(DType t, uint8_t* data, size_t rows, size_t cols) {
  const Layout* l = LayoutOf(t);
  EXA_CHECK(l != nullptr && rows % kInterleaveRows == 0 && cols % l->block_values == 0);
  const size_t nb = cols / l->block_values;
  const size_t row_bytes = nb * l->block_bytes;
  std::vector<uint8_t> group(kInterleaveRows * row_bytes);
  for (size_t g = 0; g < rows; g += kInterleaveRows) {
    uint8_t* dst = data + g * row_bytes;
    std::memcpy(group.data(), dst, group.size());
    for (size_t b = 0; b < nb; ++b) {
      uint8_t* rec = dst + b * kInterleaveRows * l->block_bytes;
      ForEachPiece(*l, [&](size_t at, size_t r, size_t offset, size_t size) {
        std::memcpy(rec + at, group.data() + r * row_bytes + b * l->block_bytes + offset, size);
      });
    }
  }
}

void ExtractRow8(DType t, const uint8_t* data, size_t row, size_t cols, uint8_t* out) {
  const Layout* l = LayoutOf(t);
  EXA_CHECK(l != nullptr && cols % l->block_values == 0);
  const size_t nb = cols / l->block_values;
  const size_t r0 = row % kInterleaveRows;
  const uint8_t* group = data + (row - r0) * nb * l->block_bytes;
  for (size_t b = 0; b < nb; ++b) {
    const uint8_t* rec = group + b * kInterleaveRows * l->block_bytes;
    ForEachPiece(*l, [&](size_t at, size_t r, size_t offset, size_t size) {
      if (r == r0) std::memcpy(out + b * l->block_bytes + offset, rec + at, size);
    });
  }
}

}  // namespace exaone::kernels::quant
