// One clear line for everything the hub can answer instead of a file: missing repository,
// missing revision or file, gated or private repository (say how to set HF_TOKEN), rate limits.
// The token itself never appears in a message.
#pragma once

#include <string>

#include "hub/http.h"

namespace exaone::hub {

struct HubContext {
  std::string endpoint;
  std::string repo;
  std::string revision;
  bool has_token = false;
};

// `file` is the repository path asked for, or "" for the repository listing.
[[noreturn]] void ThrowHttpError(const HttpResponse& r, const HubContext& ctx,
                                 const std::string& file);

// No HTTP answer at all (refused, reset, timed out).
[[noreturn]] void ThrowTransportError(const HttpResponse& r, const HubContext& ctx,
                                      const std::string& what);

}  // namespace exaone::hub
