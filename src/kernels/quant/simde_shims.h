// AVX-512 intrinsics that SIMDe 0.7.4 lacks, written with the ones it has. Only used by the
// emulated (test) build of the *_avx512.cpp kernels.
#pragma once

// ---- used by kquant_avx512.cpp (each guarded so another file's copy does not clash) ----
#ifndef EXAONE_SHIM_MM512_CVTEPI32_PS
#define EXAONE_SHIM_MM512_CVTEPI32_PS
inline simde__m512 exaone_shim_mm512_cvtepi32_ps(simde__m512i a) {
  const simde__m512i_private a_ = simde__m512i_to_private(a);
  simde__m512_private r;
  for (int i = 0; i < 16; ++i) r.f32[i] = static_cast<float>(a_.i32[i]);
  return simde__m512_from_private(r);
}
#define _mm512_cvtepi32_ps(a) exaone_shim_mm512_cvtepi32_ps(a)
#endif

#ifndef EXAONE_SHIM_MM512_ZEXTSI256_SI512
#define EXAONE_SHIM_MM512_ZEXTSI256_SI512
inline simde__m512i exaone_shim_mm512_zextsi256_si512(simde__m256i a) {
  return simde_mm512_inserti64x4(simde_mm512_setzero_si512(), a, 0);
}
#define _mm512_zextsi256_si512(a) exaone_shim_mm512_zextsi256_si512(a)
#endif

#ifndef EXAONE_SHIM_MM512_MASK_SRLI_EPI16
#define EXAONE_SHIM_MM512_MASK_SRLI_EPI16
// A macro: the shift count must stay a constant expression for SIMDe.
#define _mm512_mask_srli_epi16(src, k, a, imm) \
  simde_mm512_mask_mov_epi16((src), (k), simde_mm512_srli_epi16((a), (imm)))
#endif

// ---- used by float_avx512.cpp and legacy_avx512.cpp (guarded the same way) ----
#ifndef EXAONE_SHIM_MM512_CVTPS_EPI32
#define EXAONE_SHIM_MM512_CVTPS_EPI32
// Rounds in the current mode (nearest even by default), as the instruction does.
inline simde__m512i exaone_shim_mm512_cvtps_epi32(simde__m512 a) {
  const simde__m512_private a_ = simde__m512_to_private(a);
  simde__m512i_private r;
  for (int i = 0; i < 16; ++i) r.i32[i] = simde_mm_cvtss_si32(simde_mm_set_ss(a_.f32[i]));
  return simde__m512i_from_private(r);
}
#define _mm512_cvtps_epi32(a) exaone_shim_mm512_cvtps_epi32(a)
#endif

#ifndef EXAONE_SHIM_MM512_CVTEPU16_EPI32
#define EXAONE_SHIM_MM512_CVTEPU16_EPI32
inline simde__m512i exaone_shim_mm512_cvtepu16_epi32(simde__m256i a) {
  const simde__m256i_private a_ = simde__m256i_to_private(a);
  simde__m512i_private r;
  for (int i = 0; i < 16; ++i) r.i32[i] = a_.u16[i];
  return simde__m512i_from_private(r);
}
#define _mm512_cvtepu16_epi32(a) exaone_shim_mm512_cvtepu16_epi32(a)
#endif

#ifndef EXAONE_SHIM_MM512_CVTPH_PS
#define EXAONE_SHIM_MM512_CVTPH_PS
#include <simde/x86/f16c.h>
inline simde__m512 exaone_shim_mm512_cvtph_ps(simde__m256i a) {
  const simde__m256 lo = simde_mm256_cvtph_ps(simde_mm256_castsi256_si128(a));
  const simde__m256 hi = simde_mm256_cvtph_ps(simde_mm256_extracti128_si256(a, 1));
  return simde_mm512_castsi512_ps(simde_mm512_inserti64x4(
      simde_mm512_castsi256_si512(simde_mm256_castps_si256(lo)), simde_mm256_castps_si256(hi), 1));
}
#define _mm512_cvtph_ps(a) exaone_shim_mm512_cvtph_ps(a)
#endif

#ifndef EXAONE_SHIM_MM512_CVTEPI32_EPI8
#define EXAONE_SHIM_MM512_CVTEPI32_EPI8
// Truncates each int32 to its low byte.
inline simde__m128i exaone_shim_mm512_cvtepi32_epi8(simde__m512i a) {
  const simde__m512i_private a_ = simde__m512i_to_private(a);
  simde__m128i_private r;
  for (int i = 0; i < 16; ++i) r.i8[i] = static_cast<int8_t>(a_.i32[i]);
  return simde__m128i_from_private(r);
}
#define _mm512_cvtepi32_epi8(a) exaone_shim_mm512_cvtepi32_epi8(a)
#endif
