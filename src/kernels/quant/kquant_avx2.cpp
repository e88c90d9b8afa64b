#include "kernels/quant/kernels.h"

namespace exaone::kernels::quant::avx2 {

const WeightKernels* KQuantKernels(DType) {
  return nullptr;
}

}  // namespace exaone::kernels::quant::avx2
