// Sampling and generation flags shared by run and bench.
#pragma once

#include <set>
#include <string>

#include "args.h"
#include "runtime/session.h"

namespace exaone::cli {

// The option names the flags below take (for Args).
std::set<std::string> SamplingOptionNames();

// Fills sampling parameters from flags over the given defaults. Validates every range.
void ApplySamplingFlags(const Args& args, runtime::SamplingParams& p);

}  // namespace exaone::cli
