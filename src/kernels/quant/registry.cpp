#include "base/error.h"
#include "kernels/quant/blocks.h"
#include "kernels/quant/kernels.h"

namespace exaone::kernels::quant {

size_t ActRowBytes(ActFormat f, size_t k) {
  switch (f) {
    case ActFormat::kF32:
      return k * sizeof(float);
    case ActFormat::kQ8x32:
      EXA_CHECK(k % kQK == 0);
      return k / kQK * sizeof(ActQ8x32);
    case ActFormat::kQ8x256:
      EXA_CHECK(k % kQKK == 0);
      return k / kQKK * sizeof(ActQ8x256);
  }
  return 0;
}

const WeightKernels* GetWeightKernels(DType t, SimdTarget target) {
  using Table = const WeightKernels* (*)(DType);
  Table tables[3] = {nullptr, nullptr, nullptr};
  switch (target) {
    case SimdTarget::kScalar:
      tables[0] = scalar::FloatKernels;
      tables[1] = scalar::LegacyKernels;
      tables[2] = scalar::KQuantKernels;
      break;
    case SimdTarget::kAvx2:
      tables[0] = avx2::FloatKernels;
      tables[1] = avx2::LegacyKernels;
      tables[2] = avx2::KQuantKernels;
      break;
    case SimdTarget::kAvx512:
      tables[0] = avx512::FloatKernels;
      tables[1] = avx512::LegacyKernels;
      tables[2] = avx512::KQuantKernels;
      break;
  }
  for (Table table : tables) {
    if (const WeightKernels* k = table(t)) return k;
  }
  return nullptr;
}

}  // namespace exaone::kernels::quant
