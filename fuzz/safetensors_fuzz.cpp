// libFuzzer target: safetensors header parsing. Any input must either parse or raise
// exaone::Error; a crash, a sanitizer report, a hang or another exception type is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "base/dtype.h"
#include "base/error.h"
#include "io/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    exaone::io::SafetensorsHeader h = exaone::io::ParseSafetensors(data, size, "fuzz");
    size_t sink = h.data_offset;
    for (const auto& [key, value] : h.metadata) sink += key.size() + value.size();
    for (const auto& t : h.tensors) {
      sink += t.name.size() + t.dtype_name.size() + t.shape.size() +
              std::string(exaone::DTypeName(t.dtype)).size();
      if (t.end > t.begin) sink += t.data[0] + t.data[t.end - t.begin - 1];  // in bounds
    }
    volatile size_t keep = sink;
    (void)keep;
  } catch (const exaone::Error&) {
  }
  return 0;
}
