// Included first by every *_avx512.cpp kernel file. Natively those files are compiled with the
// AVX-512 flags and define their tables in namespace `avx512`. The unit tests compile the same
// files a second time against SIMDe's portable AVX-512 (EXAONE_AVX512_EMULATED), in namespace
// `avx512_emulated`, so the AVX-512 code paths are checked on machines without AVX-512 too.
#pragma once

#if defined(EXAONE_AVX512_EMULATED)
#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/x86/avx512.h>
#include "kernels/quant/simde_shims.h"
#define EXAONE_AVX512_NS avx512_emulated
#else
#include <immintrin.h>
#define EXAONE_AVX512_NS avx512
#endif
