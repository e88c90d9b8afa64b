// libFuzzer target: the server's request parsers. The first byte picks the parser for the rest:
// 0 the HTTP request head, 1 a /v1/chat/completions body, 2 a /v1/completions body, 3 the
// output parser (reasoning and tool calls) fed in pieces whose sizes come from the input. Any
// input must be accepted or rejected with exaone::server::ApiError (or a HeadParse error); a
// crash, a sanitizer report, a hang, a leak or another exception is a finding.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "server/http.h"
#include "server/openai.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const int mode = data[0] % 4;
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  using namespace exaone::server;
  ApiDefaults defaults;
  defaults.model_id = "m";
  defaults.n_ctx = 512;
  switch (mode) {
    case 0: {
      HttpRequest req;
      const HeadParse p = ParseRequestHead(rest, 4096, 1 << 20, req);
      if (p.state == HeadParse::State::kComplete && p.head_bytes > rest.size()) __builtin_trap();
      break;
    }
    case 1:
    case 2:
      try {
        if (mode == 1) {
          ParseChatRequest(rest, defaults, 1000);
        } else {
          ParseCompletionRequest(rest, defaults, 1000);
        }
      } catch (const ApiError&) {
      }
      break;
    default: {
      OutputParser parser({}, rest.size() % 2 == 0, true, "call_");
      std::string all;
      size_t pos = 0;
      while (pos < rest.size()) {
        const size_t n = 1 + static_cast<unsigned char>(rest[pos]) % 7;
        OutputParser::Delta d = parser.Push(rest.substr(pos, n));
        all += d.reasoning + d.content;
        pos += n;
      }
      OutputParser::Delta d = parser.Finish();
      (void)d;
    }
  }
  return 0;
}
