#include "kernels/quant/simd_avx512.h"
// (after the SIMD header)
#include "kernels/quant/kernels.h"

namespace exaone::kernels::quant::EXAONE_AVX512_NS {

const WeightKernels* LegacyKernels(DType) {
  return nullptr;
}

}  // namespace exaone::kernels::quant::EXAONE_AVX512_NS
