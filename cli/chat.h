// The chat side of `exaone run`: the model's own chat template, reasoning on or off, streamed
// answers with the reasoning shown apart, history kept the way the template wants it.
#pragma once

#include <string>

#include "args.h"
#include "runtime/engine.h"
#include "runtime/session.h"

namespace exaone::cli {

struct ChatOptions {
  bool thinking = false;
  std::string system;
  bool json = false;            // one-shot: print one JSON object
  bool verbose_prompt = false;  // print each rendered prompt to stderr
  int n_ctx = 4096;
  std::optional<DType> cache_type;        // --cache-type
  runtime::GenerationOptions gen;         // stop ids, max tokens, truncation
  runtime::SamplingParams user_sampling;  // flags given on the command line
  bool sampling_given = false;            // any sampling flag given: use it in both modes
};

// One-shot: renders `prompt` as a user turn, prints the answer (or JSON), returns exit code.
int ChatOnce(runtime::Engine& e, const std::string& model_path, const ChatOptions& o,
             const std::string& prompt);
// Interactive loop on stdin/stdout until /exit or end of input.
int ChatInteractive(runtime::Engine& e, const std::string& model_path, ChatOptions o);

}  // namespace exaone::cli
