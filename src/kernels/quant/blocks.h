// Byte layouts of GGUF's block-quantized types (little-endian, packed, as stored in the file),
// and of the quantized activation rows the integer kernels multiply them with.
//
// A row of K values of a quantized type is K / kBlock blocks stored back to back. Scales named
// d / dmin are IEEE half floats (uint16 bit patterns) unless noted.
#pragma once

#include <cstddef>
#include <cstdint>

namespace exaone::kernels::quant {

constexpr int kQK = 32;    // values per block of the 32-value types
constexpr int kQKK = 256;  // values per super-block of the K types and IQ4_XS
constexpr int kKScaleBytes = 12;

#pragma pack(push, 1)
// value = (nibble - 8) * d; byte j holds value j (low nibble) and value j + 16 (high nibble).
struct BlockQ4_0 {
  uint16_t d;
  uint8_t qs[kQK / 2];
};
// value = nibble * d + m
struct BlockQ4_1 {
  uint16_t d;
  uint16_t m;
  uint8_t qs[kQK / 2];
};
// value = (q - 16) * d, q = nibble | (bit j of qh) << 4 (qh little-endian uint32)
struct BlockQ5_0 {
  uint16_t d;
  uint8_t qh[4];
  uint8_t qs[kQK / 2];
};
struct BlockQ5_1 {
  uint16_t d;
  uint16_t m;
  uint8_t qh[4];
  uint8_t qs[kQK / 2];
};
struct BlockQ8_0 {
  uint16_t d;
  int8_t qs[kQK];
};
// 16 sub-blocks of 16: scales[i] low nibble = scale, high nibble = min; 2-bit values.
struct BlockQ2_K {
  uint8_t scales[kQKK / 16];
  uint8_t qs[kQKK / 4];
  uint16_t d;
  uint16_t dmin;
};
// 16 sub-blocks of 16 with 6-bit signed scales packed in 12 bytes; 2 low bits in qs, the
// third bit in hmask (a set bit means no -4 offset).
struct BlockQ3_K {
  uint8_t hmask[kQKK / 8];
  uint8_t qs[kQKK / 4];
  uint8_t scales[kKScaleBytes];
  uint16_t d;
};
// 8 sub-blocks of 32 with 6-bit scales and mins packed in 12 bytes; 4-bit values.
struct BlockQ4_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[kKScaleBytes];
  uint8_t qs[kQKK / 2];
};
struct BlockQ5_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[kKScaleBytes];
  uint8_t qh[kQKK / 8];
  uint8_t qs[kQKK / 2];
};
// 16 sub-blocks of 16 with int8 scales; 6-bit values (4 low bits in ql, 2 high in qh) - 32.
struct BlockQ6_K {
  uint8_t ql[kQKK / 2];
  uint8_t qh[kQKK / 4];
  int8_t scales[kQKK / 16];
  uint16_t d;
};
// 8 sub-blocks of 32 with 6-bit scales (low 4 bits in scales_l, high 2 in scales_h) - 32;
// 4-bit indices into the IQ4_NL table.
struct BlockIQ4_XS {
  uint16_t d;
  uint16_t scales_h;
  uint8_t scales_l[kQKK / 64];
  uint8_t qs[kQKK / 2];
};
#pragma pack(pop)

static_assert(sizeof(BlockQ4_0) == 18);
static_assert(sizeof(BlockQ4_1) == 20);
static_assert(sizeof(BlockQ5_0) == 22);
static_assert(sizeof(BlockQ5_1) == 24);
static_assert(sizeof(BlockQ8_0) == 34);
static_assert(sizeof(BlockQ2_K) == 84);
static_assert(sizeof(BlockQ3_K) == 110);
static_assert(sizeof(BlockQ4_K) == 144);
static_assert(sizeof(BlockQ5_K) == 176);
static_assert(sizeof(BlockQ6_K) == 210);
static_assert(sizeof(BlockIQ4_XS) == 136);

// The 16 values an IQ4_NL / IQ4_XS index selects (GGUF's kvalues_iq4nl).
inline constexpr int8_t kIq4NlValues[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                            1,    13,   25,  38,  53,  69,  89,  113};

// Quantized activations (our own format, never stored in files). One row of K activations is
// K / 32 ActQ8x32 blocks or K / 256 ActQ8x256 blocks. Both use x ~= d * q with
// d = max|x| / 127 over the block and q = round-half-even(x / d) in [-127, 127]; d = 0 for an
// all-zero block.
struct ActQ8x32 {
  float d;
  int32_t sum;  // sum of q (for the types with an offset or a minimum)
  int8_t q[kQK];
};
struct ActQ8x256 {
  float d;
  int16_t bsums[kQKK / 16];  // sums of q over each run of 16
  int8_t q[kQKK];
};
static_assert(sizeof(ActQ8x32) == 40);
static_assert(sizeof(ActQ8x256) == 292);

}  // namespace exaone::kernels::quant
