// The SIMD targets the kernels are built for, and which of them this CPU can run.
#pragma once

#include <optional>
#include <string>

namespace exaone::kernels {

enum class SimdTarget {
  kScalar = 0,  // plain C++, the reference every other target is checked against
  kAvx2 = 1,    // AVX2 + FMA + F16C
  kAvx512 = 2,  // AVX-512 F/BW/DQ/VL + VNNI (Zen 4, Ice Lake and later)
};

const char* SimdTargetName(SimdTarget t);  // "scalar", "avx2", "avx512"
std::optional<SimdTarget> SimdTargetFromName(const std::string& name);

// True when this CPU (and the operating system) can run code built for `t`.
bool CpuSupports(SimdTarget t);

// The target the kernels use: the best one the CPU supports, or the one named by the
// EXAONE_SIMD environment variable (scalar, avx2, avx512) when it is set and supported.
SimdTarget ActiveTarget();

// Overrides ActiveTarget() for the rest of the process (tests and benchmarks); the target must
// be supported.
void SetActiveTarget(SimdTarget t);

}  // namespace exaone::kernels
