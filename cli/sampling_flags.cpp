#include "sampling_flags.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "base/error.h"

namespace exaone::cli {
namespace {

float FloatOption(const Args& args, const std::string& name, float fallback, float lo, float hi) {
  auto v = args.Option(name);
  if (!v) return fallback;
  errno = 0;
  char* end = nullptr;
  const double d = std::strtod(v->c_str(), &end);
  if (v->empty() || *end != '\0' || errno == ERANGE || !std::isfinite(d) || d < lo || d > hi) {
    throw Error(ErrorCode::kInvalidArgument, name + " must be a number in [" + std::to_string(lo) +
                                                 ", " + std::to_string(hi) + "], got \"" + *v +
                                                 "\"");
  }
  return static_cast<float>(d);
}

}  // namespace

std::set<std::string> SamplingOptionNames() {
  return {"--temp",
          "--top-p",
          "--top-k",
          "--min-p",
          "--presence-penalty",
          "--frequency-penalty",
          "--repetition-penalty",
          "--seed"};
}

void ApplySamplingFlags(const Args& args, runtime::SamplingParams& p) {
  p.temperature = FloatOption(args, "--temp", p.temperature, 0.0f, 100.0f);
  p.top_p = FloatOption(args, "--top-p", p.top_p, 0.0f, 1.0f);
  p.top_k = static_cast<int>(args.IntOption("--top-k", p.top_k, 0, 1 << 22));
  p.min_p = FloatOption(args, "--min-p", p.min_p, 0.0f, 1.0f);
  p.presence_penalty = FloatOption(args, "--presence-penalty", p.presence_penalty, -2.0f, 2.0f);
  p.frequency_penalty = FloatOption(args, "--frequency-penalty", p.frequency_penalty, -2.0f, 2.0f);
  p.repetition_penalty =
      FloatOption(args, "--repetition-penalty", p.repetition_penalty, 0.01f, 10.0f);
  p.seed =
      static_cast<uint64_t>(args.IntOption("--seed", static_cast<int64_t>(p.seed), 0, INT64_MAX));
}

}  // namespace exaone::cli
