#include "kernels/quant/kernels.h"

namespace exaone::kernels::quant::scalar {

const WeightKernels* LegacyKernels(DType) {
  return nullptr;
}

}  // namespace exaone::kernels::quant::scalar
