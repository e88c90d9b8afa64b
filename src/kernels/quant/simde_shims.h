// AVX-512 intrinsics that SIMDe 0.7.4 lacks, written with the ones it has. Only used by the
// emulated (test) build of the *_avx512.cpp kernels.
#pragma once
