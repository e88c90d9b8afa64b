// libFuzzer target: the constraint compilers. The first byte picks the input's kind: even, a
// regular expression (then the matcher runs over the pattern's own bytes); odd, a JSON schema
// (the same). Any input must compile or be refused with exaone::Error (or a JSON parse error);
// a crash, a sanitizer report, a hang, a leak or another exception is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "base/error.h"
#include "constrain/json_schema.h"
#include "constrain/matcher.h"
#include "constrain/regex.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0 || size > 4096) return 0;
  const std::string rest(reinterpret_cast<const char*>(data + 1), size - 1);
  using namespace exaone::constrain;
  std::shared_ptr<Grammar> g;
  try {
    if (data[0] % 2 == 0) {
      g = RegexGrammar(rest);
    } else {
      const SchemaJson schema = SchemaJson::parse(rest, nullptr, true, true);
      g = JsonSchemaGrammar(schema);
    }
  } catch (const exaone::Error&) {
    return 0;
  } catch (const SchemaJson::exception&) {
    return 0;
  }
  GrammarMatcher m(g);
  State s = m.Initial();
  for (char c : rest) {
    if (s.empty()) break;
    s = m.Advance(s, static_cast<uint8_t>(c));
  }
  return 0;
}
