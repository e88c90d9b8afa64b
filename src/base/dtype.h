// Tensor element types. The numeric values are GGML's type ids, so a GGUF type field maps
// directly; safetensors dtypes map onto the same enum.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace exaone {

enum class DType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ5_0 = 6,
  kQ5_1 = 7,
  kQ8_0 = 8,
  kQ8_1 = 9,
  kQ2_K = 10,
  kQ3_K = 11,
  kQ4_K = 12,
  kQ5_K = 13,
  kQ6_K = 14,
  kQ8_K = 15,
  kIQ2_XXS = 16,
  kIQ2_XS = 17,
  kIQ3_XXS = 18,
  kIQ1_S = 19,
  kIQ4_NL = 20,
  kIQ3_S = 21,
  kIQ2_S = 22,
  kIQ4_XS = 23,
  kI8 = 24,
  kI16 = 25,
  kI32 = 26,
  kI64 = 27,
  kF64 = 28,
  kIQ1_M = 29,
  kBF16 = 30,
  kTQ1_0 = 34,
  kTQ2_0 = 35,
  kMXFP4 = 39,
};

struct DTypeInfo {
  const char* name;      // GGML's name, e.g. "Q4_K"
  uint32_t block;        // elements per block (1 for plain types)
  uint32_t block_bytes;  // bytes per block
};

// Returns nullopt for ids that are not a known type (including GGML's removed ids 4, 5, 31-33).
std::optional<DTypeInfo> LookupDType(uint32_t id);
DTypeInfo GetDTypeInfo(DType t);  // t must be a known type
const char* DTypeName(DType t);
std::optional<DType> DTypeFromName(const std::string& name);  // GGML names, case-insensitive

// Bytes needed for `elements` values laid out in rows of `row_elements`; nullopt when the row is
// not a whole number of blocks or the product overflows.
std::optional<uint64_t> DTypeBytes(DType t, uint64_t row_elements, uint64_t rows);

}  // namespace exaone
