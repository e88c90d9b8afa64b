#include "kernels/quant/kernels.h"

namespace exaone::kernels::quant::scalar {

const WeightKernels* FloatKernels(DType) {
  return nullptr;
}

}  // namespace exaone::kernels::quant::scalar
