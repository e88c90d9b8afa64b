// The 8-row interleaved layout of Q4_0, Q8_0 and Q4_K weight matrices.
//
// A matrix whose row count is a multiple of 8 can be rewritten in place, group of 8 rows by group
// of 8 rows, so that the prefill and decode kernels read one block column of 8 rows as one
// contiguous record: one activation broadcast then serves 8 rows, and the 8 results land in the 8
// lanes of one vector with no horizontal sums. The rewrite keeps the size: group g holds rows
// 8g..8g+7 in the bytes those rows had, as K / 32 records of
//   Q4_0: uint16 d[8]; uint8 qs[4][8][4]   qs[p][r][j] = byte 4p + j of row r's block
//                                           (low nibble: value 4p + j; high: value 16 + 4p + j)
//   Q8_0: uint16 d[8]; int8  qs[8][8][4]   qs[c][r][j] = value 4c + j of row r's block
//   Q4_K: uint16 d[8]; uint16 dmin[8]; uint8 scales[8][12] (row r's packed scales);
//         uint8 qs[32][8][4]               qs[c][r][j] = byte 4c + j of row r's qs
// so that 32 bytes hold four consecutive values (or value bytes) of each of the 8 rows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "base/dtype.h"
#include "kernels/quant/kernels.h"

namespace exaone::kernels::quant {

constexpr size_t kInterleaveRows = 8;

// Whether `t` has the interleaved layout.
bool HasInterleave8(DType t);

// Rewrites the rows x cols matrix at `data` (file layout, rows % 8 == 0, cols a multiple of the
// type's block) into the interleaved layout, in place.
void Interleave8(DType t, uint8_t* data, size_t rows, size_t cols);

// Writes row `row` of the interleaved matrix at `data` in the file's layout to `out`
// (one row's bytes).
void ExtractRow8(DType t, const uint8_t* data, size_t row, size_t cols, uint8_t* out);

// The scalar tables' tile_x8: each row of the interleaved matrix rebuilt in the file's layout,
// then multiplied by the plain tile `Plain` (so the results equal Plain's on the original matrix
// exactly).
template <TileFn Plain, DType kType>
void TileRowsX8(size_t k, const void* w, size_t w_row_bytes, size_t rows, const void* act,
                size_t act_row_bytes, size_t toks, float* y, size_t y_stride) {
  std::vector<uint8_t> row(w_row_bytes);
  for (size_t r = 0; r < rows; ++r) {
    ExtractRow8(kType, static_cast<const uint8_t*>(w), r, k, row.data());
    Plain(k, row.data(), w_row_bytes, 1, act, act_row_bytes, toks, y + r, y_stride);
  }
}

}  // namespace exaone::kernels::quant
