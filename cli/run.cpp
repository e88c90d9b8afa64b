// exaone run MODEL: chat in the terminal, one-shot prompts, or generation from raw token ids.
//
// Stable interface: `exaone run MODEL --raw-ids 1,2,3 --json` prints {"ids": [...], ...} with
// the generated ids (no chat template, no BOS added).
#include <cstdio>
#include <nlohmann/json.hpp>

#include "args.h"
#include "base/error.h"
#include "commands.h"
#include "runtime/engine.h"
#include "runtime/session.h"
#include "sampling_flags.h"

namespace exaone::cli {
namespace {

constexpr const char* kUsage =
    "exaone run MODEL [--raw-ids 1,2,3] [-p PROMPT] [--json] [-n N] [-c CTX] [-t THREADS]\n"
    "       [--temp T] [--top-p P] [--top-k K] [--min-p P] [--presence-penalty X] [--seed S]\n"
    "       [--ignore-eos]";

nlohmann::json ResultJson(const runtime::GenerationResult& r) {
  return {{"ids", r.tokens},
          {"text", r.text},
          {"finish_reason", runtime::FinishReasonName(r.finish)},
          {"usage", {{"prompt_tokens", r.prompt_tokens}, {"completion_tokens", r.tokens.size()}}},
          {"timings",
           {{"prefill_seconds", r.prefill_seconds},
            {"first_token_seconds", r.first_token_seconds},
            {"generate_seconds", r.generate_seconds}}}};
}

void PrintStats(const runtime::GenerationResult& r) {
  const double pp =
      r.prefill_seconds > 0 ? (r.prompt_tokens - r.reused_tokens) / r.prefill_seconds : 0;
  const double tg = r.generate_seconds > 0 && r.tokens.size() > 1
                        ? (r.tokens.size() - 1) / r.generate_seconds
                        : 0;
  std::fprintf(stderr,
               "[prompt %d tokens, %.1f tokens/s | generated %zu tokens, %.1f tokens/s | "
               "first token %.0f ms]\n",
               r.prompt_tokens, pp, r.tokens.size(), tg, r.first_token_seconds * 1000);
}

int RunRawIds(runtime::Engine& e, const Args& args, const std::vector<int32_t>& prompt,
              runtime::GenerationOptions& options) {
  const int n_ctx = static_cast<int>(
      args.IntOption("-c", std::min<int64_t>(e.summary().context_length, 4096), 1, 1 << 24));
  runtime::Session session(*e.model.model, e.tokenizer.get(), n_ctx, *e.pool);
  const bool json = args.Flag("--json");
  auto on_text = [&](const std::string& text, int32_t) {
    if (!json) {
      std::fwrite(text.data(), 1, text.size(), stdout);
      std::fflush(stdout);
    }
    return true;
  };
  runtime::GenerationResult r = session.Generate(prompt, options, on_text);
  if (json) {
    std::printf("%s\n", ResultJson(r).dump().c_str());
  } else {
    if (!e.tokenizer) {
      for (size_t i = 0; i < r.tokens.size(); ++i) std::printf("%s%d", i ? " " : "", r.tokens[i]);
    }
    std::printf("\n");
    PrintStats(r);
  }
  return 0;
}

}  // namespace

int RunCommand(int argc, char** argv) {
  std::set<std::string> options = SamplingOptionNames();
  for (const char* o : {"--raw-ids", "-p", "-n", "-c", "-t", "--threads", "--system"}) {
    options.insert(o);
  }
  Args args(argc, argv, {"--json", "--ignore-eos", "--help", "--think", "--no-think"}, options);
  if (args.Flag("--help")) {
    std::printf("usage: %s\n", kUsage);
    return 0;
  }
  args.ExpectPositional(1, 1, kUsage);
  int threads = static_cast<int>(args.IntOption("-t", DefaultThreadCount(), 1, 1024));
  threads = static_cast<int>(args.IntOption("--threads", threads, 1, 1024));
  auto engine = runtime::Engine::Load(args.positional()[0], threads);

  runtime::GenerationOptions gen;
  gen.max_tokens = static_cast<int>(args.IntOption("-n", 256, 0, 1 << 24));
  if (!args.Flag("--ignore-eos")) gen.stop_ids = engine->eos_ids;
  if (auto raw = args.Option("--raw-ids")) {
    // Raw ids: no template, greedy unless sampling flags say otherwise.
    ApplySamplingFlags(args, gen.sampling);
    return RunRawIds(*engine, args, ParseIdList(*raw), gen);
  }
  throw Error(ErrorCode::kUnsupported, "chat mode needs the chat template engine (not built in)");
}

}  // namespace exaone::cli
