#include "base/error.h"
#include "kernels/quant/format.h"

namespace exaone::kernels::quant {

bool CanQuantize(DType) {
  return false;
}

void QuantizeRow(DType, const float*, size_t, void*, const float*) {
  EXA_CHECK_MSG(false, "QuantizeRow: not implemented yet");
}

}  // namespace exaone::kernels::quant
