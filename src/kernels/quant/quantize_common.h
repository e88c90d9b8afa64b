// Building blocks shared by the quantizers (internal to kernels/quant/quantize_*.cpp).
//
// Every quantizer works on one block (32 values) or super-block (256 values) at a time:
//  1. the block is scaled by a power of two so that its largest magnitude lies in [1, 2); this is
//     exact and makes the search independent of the data's magnitude (no overflow of x^2 sums
//     for huge values, no underflow for tiny ones);
//  2. each sub-block gets the scale (and offset) that minimises the weighted squared error
//     sum w * (x - value)^2: a grid of candidate inverse scales is rounded and each rounding is
//     solved in closed form by weighted least squares; the best is then refined by alternating
//     re-rounding and re-solving;
//  3. the sub-block scales are themselves quantized to the type's integer scales and an fp16
//     super-block scale (searched, not just max / range);
//  4. around the rounded integer scales, each sub-block tries its neighbours and keeps the one
//     whose exactly dequantized values (the same float operations as DequantizeRow) have the
//     lowest weighted error.
// The hot loops (quantize_kernels.inc) use 8-lane vectors with a fixed summation order and run
// as AVX2 code where the CPU has it; the results do not depend on the CPU or the compiler's
// vectorisation.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "base/half.h"

namespace exaone::kernels::quant::detail {

// A block scaled by 2^-exp so that its largest magnitude is in [1, 2) (exp = 0 and amax = 0 for
// an all-zero block).
struct Normalized {
  int exp = 0;
  float amax = 0;  // of the scaled values
};
// Scales x[n] into out[n]; throws exaone::Error for a non-finite value.
Normalized Normalize(const float* x, size_t n, float* out);

// 2^e as a float for e in [-126, 127].
inline float Pow2(int e) {
  const uint32_t bits = static_cast<uint32_t>(e + 127) << 23;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}
// v * 2^e, exact when the result is a normal float.
inline float Pow2Scale(float v, int e) {
  if (e >= -126 && e <= 127) return v * Pow2(e);
  return std::ldexp(v, e);
}

// fp16 bits of a scale given in the normalized domain (v * 2^exp), rounded to nearest even and
// saturated to the largest finite half so that finite input never stores inf.
inline uint16_t ScaleToF16(float v, int exp) {
  uint16_t h = F32ToF16(Pow2Scale(v, exp));
  if ((h & 0x7fffu) >= 0x7c00u) h = static_cast<uint16_t>((h & 0x8000u) | 0x7bffu);
  return h;
}
// The value that fp16 bits h stand for, back in the normalized domain.
inline float F16ToScale(uint16_t h, int exp) {
  return Pow2Scale(F16ToF32(h), -exp);
}

// Weighted least-squares fits of one sub-block x[n] (n a multiple of 8, at most 32) with
// weights w[n] (non-negative, not all zero). Levels are returned as floats holding integers.

// A grid of candidate inverse scales: (levels + first + step * k) / range for k < count.
struct Grid {
  float first, step;
  int count;
};

// value = scale * l + offset, l in [0, nmax]; offset <= 0 when `offset_nonpos` (the K types
// subtract a non-negative minimum).
struct AffineFit {
  float scale = 0, offset = 0;
  float err = 0;  // weighted squared error of the fit (closed form)
};
AffineFit FitAffine(const float* x, const float* w, int n, int nmax, Grid grid, bool offset_nonpos,
                    float* levels);

// value = scale * l, l in [-nmax, nmax - 1].
struct LinearFit {
  float scale = 0;
  float err = 0;
};
LinearFit FitLinear(const float* x, const float* w, int n, int nmax, Grid grid, float* levels);

// Weighted errors of value = (d_c * l) + off_c with l = clamp(round((x - off_c) / d_c), 0, nmax)
// for count candidates (d_c, off_c), computed with the dequantization's float operations; and the
// levels of that rounding for one candidate. n is a multiple of 8 here and below.
void ErrAffine(const float* x, const float* w, int n, int nmax, const float* d, const float* off,
               int count, float* err);
void LevelsAffine(const float* x, int n, int nmax, float d, float off, float* levels);
// The same for value = d_c * l, l = clamp(round(x / d_c), -nmax, nmax - 1).
void ErrLinear(const float* x, const float* w, int n, int nmax, const float* d, int count,
               float* err);
void LevelsLinear(const float* x, int n, int nmax, float d, float* levels);
// IQ4: for each candidate inverse scale inv_c, the table values q nearest to x * inv_c and the
// sums w q x and w q^2; and the weighted error of value = d_c * (table value nearest x / d_c).
void GridNonLinear(const float* x, const float* w, int n, const float* inv, int count, float* sqx,
                   float* sqq);
void ErrNonLinear(const float* x, const float* w, int n, const float* d, int count, float* err);

// Chooses the fp16 super-block scale D and integer scales q_j in [qmin, qmax] that minimise
// sum_j a_j * (s_j - D q_j)^2 over a set of candidate D; returns D's fp16 bits (exp as in
// ScaleToF16). Sub-block scales s_j are in the normalized domain.
uint16_t QuantizeScales(const float* s, const float* a, int nsub, int qmin, int qmax, int exp,
                        int* q);

// Per-type row quantizers (n a multiple of the block; importance may be nullptr).
void QuantizeRowQ2_K(const float* x, size_t n, void* out, const float* importance);
void QuantizeRowQ3_K(const float* x, size_t n, void* out, const float* importance);
void QuantizeRowQ4_K(const float* x, size_t n, void* out, const float* importance);
void QuantizeRowQ5_K(const float* x, size_t n, void* out, const float* importance);
void QuantizeRowQ6_K(const float* x, size_t n, void* out, const float* importance);
void QuantizeRowIQ4_NL(const float* x, size_t n, void* out, const float* importance);
void QuantizeRowIQ4_XS(const float* x, size_t n, void* out, const float* importance);

}  // namespace exaone::kernels::quant::detail
