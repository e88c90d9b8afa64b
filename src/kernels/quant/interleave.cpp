#include "kernels/quant/interleave.h"

#include <cstring>
#include <vector>

#include "base/error.h"
#include "kernels/quant/blocks.h"

namespace exaone::kernels::quant {
namespace {

// Bytes of one block's values, and of the four-value runs that 32 record bytes interleave.
constexpr size_t kRun = 4;

size_t BlockBytes(DType t) {
  return t == DType::kQ4_0 ? sizeof(BlockQ4_0) : sizeof(BlockQ8_0);
}

// Record r of a group <- block b of each of the 8 rows (plain[row] points at the rows).
void PackRecord(size_t value_bytes, const uint8_t* const* rows, size_t b, size_t block_bytes,
                uint8_t* rec) {
  for (size_t r = 0; r < kInterleaveRows; ++r) {
    std::memcpy(rec + 2 * r, rows[r] + b * block_bytes, 2);
  }
  uint8_t* qs = rec + 2 * kInterleaveRows;
  for (size_t c = 0; c < value_bytes / kRun; ++c) {
    for (size_t r = 0; r < kInterleaveRows; ++r) {
      std::memcpy(qs + (c * kInterleaveRows + r) * kRun, rows[r] + b * block_bytes + 2 + c * kRun,
                  kRun);
    }
  }
}

}  // namespace

bool HasInterleave8(DType t) {
  return t == DType::kQ4_0 || t == DType::kQ8_0;
}

void Interleave8(DType t, uint8_t* data, size_t rows, size_t cols) {
  EXA_CHECK(HasInterleave8(t) && rows % kInterleaveRows == 0 && cols % kQK == 0);
  const size_t block_bytes = BlockBytes(t);
  const size_t nb = cols / kQK;
  const size_t row_bytes = nb * block_bytes;
  std::vector<uint8_t> group(kInterleaveRows * row_bytes);
  const uint8_t* plain[kInterleaveRows];
  for (size_t r = 0; r < kInterleaveRows; ++r) plain[r] = group.data() + r * row_bytes;
  for (size_t g = 0; g < rows; g += kInterleaveRows) {
    uint8_t* dst = data + g * row_bytes;
    std::memcpy(group.data(), dst, group.size());
    for (size_t b = 0; b < nb; ++b) {
      PackRecord(block_bytes - 2, plain, b, block_bytes, dst + b * kInterleaveRows * block_bytes);
    }
  }
}

void ExtractRow8(DType t, const uint8_t* data, size_t row, size_t cols, uint8_t* out) {
  EXA_CHECK(HasInterleave8(t) && cols % kQK == 0);
  const size_t block_bytes = BlockBytes(t);
  const size_t value_bytes = block_bytes - 2;
  const size_t nb = cols / kQK;
  const size_t r = row % kInterleaveRows;
  const uint8_t* group = data + (row - r) * nb * block_bytes;
  for (size_t b = 0; b < nb; ++b) {
    const uint8_t* rec = group + b * kInterleaveRows * block_bytes;
    uint8_t* blk = out + b * block_bytes;
    std::memcpy(blk, rec + 2 * r, 2);
    const uint8_t* qs = rec + 2 * kInterleaveRows;
    for (size_t c = 0; c < value_bytes / kRun; ++c) {
      std::memcpy(blk + 2 + c * kRun, qs + (c * kInterleaveRows + r) * kRun, kRun);
    }
  }
}

}  // namespace exaone::kernels::quant
