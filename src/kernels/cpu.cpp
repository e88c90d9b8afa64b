#include "kernels/cpu.h"

#include <atomic>
#include <cstdlib>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include "base/error.h"

namespace exaone::kernels {
namespace {

std::atomic<int> g_active{-1};

#if defined(__x86_64__) || defined(__i386__)
// CPUID.1:ECX bit 29 (clang's __builtin_cpu_supports has no name for F16C).
bool HasF16c() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (__get_cpuid(1, &a, &b, &c, &d) == 0) return false;
  return (c >> 29) & 1u;
}

// CPUID.(EAX=7, ECX=0):ECX bit 11 (nor for AVX512-VNNI).
bool HasAvx512Vnni() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (__get_cpuid_count(7, 0, &a, &b, &c, &d) == 0) return false;
  return (c >> 11) & 1u;
}
#endif

SimdTarget Detect() {
  SimdTarget best = SimdTarget::kScalar;
  if (CpuSupports(SimdTarget::kAvx512)) {
    best = SimdTarget::kAvx512;
  } else if (CpuSupports(SimdTarget::kAvx2)) {
    best = SimdTarget::kAvx2;
  }
  if (const char* env = std::getenv("EXAONE_SIMD"); env != nullptr && *env != '\0') {
    auto named = SimdTargetFromName(env);
    if (named && CpuSupports(*named)) best = *named;
  }
  return best;
}

}  // namespace

const char* SimdTargetName(SimdTarget t) {
  switch (t) {
    case SimdTarget::kScalar:
      return "scalar";
    case SimdTarget::kAvx2:
      return "avx2";
    case SimdTarget::kAvx512:
      return "avx512";
  }
  return "?";
}

std::optional<SimdTarget> SimdTargetFromName(const std::string& name) {
  for (SimdTarget t : {SimdTarget::kScalar, SimdTarget::kAvx2, SimdTarget::kAvx512}) {
    if (name == SimdTargetName(t)) return t;
  }
  return std::nullopt;
}

bool CpuSupports(SimdTarget t) {
#if defined(__x86_64__) || defined(__i386__)
  // libgcc's cpu model also checks that the OS saves the wider registers (XGETBV).
  __builtin_cpu_init();
  switch (t) {
    case SimdTarget::kScalar:
      return true;
    case SimdTarget::kAvx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && HasF16c();
    case SimdTarget::kAvx512:
      return CpuSupports(SimdTarget::kAvx2) && __builtin_cpu_supports("avx512f") &&
             __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
             __builtin_cpu_supports("avx512vl") && HasAvx512Vnni();
  }
  return false;
#else
  return t == SimdTarget::kScalar;
#endif
}

SimdTarget ActiveTarget() {
  int v = g_active.load(std::memory_order_relaxed);
  if (v < 0) {
    v = static_cast<int>(Detect());
    g_active.store(v, std::memory_order_relaxed);
  }
  return static_cast<SimdTarget>(v);
}

void SetActiveTarget(SimdTarget t) {
  EXA_CHECK_MSG(CpuSupports(t), "this CPU cannot run the requested SIMD target");
  g_active.store(static_cast<int>(t), std::memory_order_relaxed);
}

}  // namespace exaone::kernels
