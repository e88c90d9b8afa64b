#include "base/error.h"
#include "kernels/quant/format.h"

namespace exaone::kernels::quant {

bool CanDequantize(DType) {
  return false;
}

void DequantizeRow(DType, const void*, size_t, float*) {
  EXA_CHECK_MSG(false, "DequantizeRow: not implemented yet");
}

}  // namespace exaone::kernels::quant
