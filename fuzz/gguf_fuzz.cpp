// libFuzzer target: GGUF parsing. Any input must either parse or raise exaone::Error; a crash, a
// sanitizer report, a hang or an uncaught exception of another type is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "base/dtype.h"
#include "base/error.h"
#include "io/gguf.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    exaone::io::GgufContents g = exaone::io::ParseGguf(data, size, "fuzz");
    // Walk what a caller would: every metadata value's text, every tensor's type and bytes.
    size_t sink = g.version + g.alignment + g.data_offset;
    for (const auto& [key, value] : g.metadata) {
      sink += key.size() + value.ToString().size();
      if (auto i = value.AsInt()) sink += static_cast<size_t>(*i);
      if (auto d = value.AsNumber()) sink += static_cast<size_t>(*d != 0);
    }
    for (const auto& t : g.tensors) {
      sink += t.name.size() + t.ne.size() + std::string(exaone::DTypeName(t.type)).size();
      if (t.nbytes > 0) sink += t.data[0] + t.data[t.nbytes - 1];  // in bounds, or ASan says so
    }
    volatile size_t keep = sink;
    (void)keep;
  } catch (const exaone::Error&) {
  }
  return 0;
}
