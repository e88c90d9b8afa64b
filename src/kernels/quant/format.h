// Conversion between float32 and GGUF's quantized types, bit-compatible with GGUF readers.
#pragma once

#include <cstddef>

#include "base/dtype.h"

namespace exaone::kernels::quant {

// True for the types DequantizeRow handles: F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0,
// Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_NL, IQ4_XS.
bool CanDequantize(DType t);

// n values (a multiple of the type's block) starting at src -> out[n]. Equal bit for bit to
// the `gguf` package's dequantization.
void DequantizeRow(DType t, const void* src, size_t n, float* out);

// True for the types QuantizeRow can produce.
bool CanQuantize(DType t);

// x[n] -> n values of type t at out (n a multiple of the type's block). `importance`, when
// given, holds a non-negative weight per column (n values) that the rounding search minimises
// the weighted squared error with (Q8_0 rounds to nearest and ignores it); nullptr uses default
// weights modelled on a plain llama-quantize run (no importance matrix). For the block types a
// non-finite x (or a negative or non-finite weight) throws exaone::Error; F32/F16/BF16 convert
// every value as it is. The output is the same on every CPU.
void QuantizeRow(DType t, const float* x, size_t n, void* out, const float* importance = nullptr);

}  // namespace exaone::kernels::quant
