// Process memory figures from /proc (Linux), for reports such as `exaone inspect --load`.
#pragma once

#include <cstdint>

namespace exaone {

uint64_t CurrentRssBytes();  // VmRSS; 0 when unknown
uint64_t PeakRssBytes();     // VmHWM; 0 when unknown

}  // namespace exaone
