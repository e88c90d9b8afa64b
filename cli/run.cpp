// exaone run MODEL: chat in the terminal, one-shot prompts, or generation from raw token ids.
//
// Stable interface: `exaone run MODEL --raw-ids 1,2,3 --json` prints {"ids": [...], ...} with
// the generated ids (no chat template, no BOS added).
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <random>

#include "args.h"
#include "base/error.h"
#include "chat.h"
#include "commands.h"
#include "constrain/json_schema.h"
#include "constrain/regex.h"
#include "constrain/structured.h"
#include "hub/hub.h"
#include "runtime/engine.h"
#include "runtime/reasoning.h"
#include "runtime/session.h"
#include "sampling_flags.h"

namespace exaone::cli {
namespace {

constexpr const char* kDefaultModel = "LGAI-EXAONE/EXAONE-4.0-1.2B-GGUF:Q4_K_M";

constexpr const char* kUsage =
    "exaone run [MODEL] [-p PROMPT] [--think | --no-think] [--system TEXT] [--json]\n"
    "       [--raw-ids 1,2,3] [-n N] [-c CTX] [-t THREADS] [--verbose-prompt] [--ignore-eos]\n"
    "       [--stop TEXT]... [--truncate] [--cache-type f32|f16] [--mmap | --no-mmap]\n"
    "       [--temp T] [--top-p P] [--top-k K] [--min-p P] [--presence-penalty X] [--seed S]\n"
    "       [--json-schema FILE | --regex RE | --choice TEXT ...]";

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
  runtime::Session session(*e.model.model, e.tokenizer.get(), n_ctx, *e.pool,
                           CacheTypeOption(args));
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

// Reads every page of the weights once, with a progress bar on a terminal, so the first answer
// is not slowed by page faults and a slow disk shows as loading, not as a slow model.
void LoadWeights(const runtime::Engine& e) {
  const bool show = isatty(STDERR_FILENO);
  uint64_t total = 0, done = 0, next_report = 0;
  for (const auto& t : e.model.tensors->all()) total += t.nbytes;
  volatile uint8_t sink = 0;
  for (const auto& t : e.model.tensors->all()) {
    for (uint64_t off = 0; off < t.nbytes; off += 4096) sink = sink + t.data[off];
    done += t.nbytes;
    if (show && (done >= next_report || done == total)) {
      std::fprintf(stderr, "\rloading weights %3d%% (%s of %s)",
                   total ? static_cast<int>(100 * done / total) : 100, HumanBytes(done).c_str(),
                   HumanBytes(total).c_str());
      next_report = done + (total / 50 + 1);
    }
  }
  if (show) std::fprintf(stderr, "\r\x1b[K");
}

// The grammar of --json-schema / --regex / --choice (docs/constrained.md), after free reasoning
// when a chat turn thinks first; null when the output is free.
std::shared_ptr<const constrain::Grammar> OutputGrammar(const Args& args,
                                                        const runtime::Engine& engine) {
  const auto file = args.Option("--json-schema");
  const auto re = args.Option("--regex");
  const std::vector<std::string> choices = args.Options("--choice");
  if (static_cast<int>(file.has_value()) + static_cast<int>(re.has_value()) +
          static_cast<int>(!choices.empty()) >
      1) {
    throw Error(ErrorCode::kInvalidArgument, "give one of --json-schema, --regex and --choice");
  }
  if (!file && !re && choices.empty()) return nullptr;
  const char* flag = file ? "--json-schema" : re ? "--regex" : "--choice";
  if (!engine.tokenizer) {
    throw Error(ErrorCode::kInvalidArgument, std::string(flag) + " needs the model's tokenizer");
  }
  auto g = std::make_shared<constrain::Grammar>();
  uint32_t answer = 0;
  if (file) {
    constrain::SchemaJson schema;
    try {
      schema = constrain::SchemaJson::parse(ReadTextFile(*file));
    } catch (const constrain::SchemaJson::exception& e) {
      throw Error(ErrorCode::kInvalidArgument, *file + ": not valid JSON (" + e.what() + ")");
    }
    try {
      answer = constrain::CompileJsonSchema(*g, schema);
    } catch (const Error& e) {
      throw Error(ErrorCode::kInvalidArgument, *file + ": " + e.what());
    }
  } else if (re) {
    answer = constrain::CompileRegex(*g, *re, constrain::RegexText::kRaw, false);
  } else {
    answer = constrain::CompileChoice(*g, choices);
  }
  // A chat turn with --think reasons first, freely; the answer after it is constrained.
  if (args.Flag("--think") && !args.Flag("--no-think") && !args.Option("--raw-ids")) {
    const auto tags = runtime::TagsForTemplate(engine.tokenizer->chat_template);
    answer = constrain::CompileAfterReasoning(*g, answer, tags.close);
  }
  return constrain::Finish(std::move(g), answer);
}

}  // namespace

int RunCommand(int argc, char** argv) {
  std::set<std::string> options = SamplingOptionNames();
  for (const char* o : {"--raw-ids", "-p", "-n", "-c", "-t", "--threads", "--system", "--stop",
                        "--cache-type", "--json-schema", "--regex", "--choice"}) {
    options.insert(o);
  }
  Args args(argc, argv,
            {"--json", "--ignore-eos", "--help", "--think", "--no-think", "--verbose-prompt",
             "--truncate", "--mmap", "--no-mmap"},
            options);
  if (args.Flag("--help")) {
    std::printf("usage: %s\n", kUsage);
    return 0;
  }
  args.ExpectPositional(0, 1, kUsage);
  int threads = static_cast<int>(args.IntOption("-t", DefaultThreadCount(), 1, 1024));
  threads = static_cast<int>(args.IntOption("--threads", threads, 1, 1024));
  // MODEL may be a repo reference (org/name[:QUANT]) resolved through the local cache.
  // Without MODEL: the default EXAONE 4.0 1.2B from the cache, pulled on first use (offline,
  // ResolveModel's error says how to pass a local file instead).
  const std::string model_arg =
      args.positional().empty() ? std::string(kDefaultModel) : args.positional()[0];
  if (args.positional().empty())
    std::fprintf(stderr, "using the default model %s\n", kDefaultModel);
  const std::string model_path = hub::ResolveModel(model_arg, hub::PullOptions{});
  auto engine = runtime::Engine::Load(model_path, threads, ResidencyOption(args));
  LoadWeights(*engine);

  runtime::GenerationOptions gen;
  gen.max_tokens = static_cast<int>(args.IntOption("-n", 256, 0, 1 << 24));
  if (!args.Flag("--ignore-eos")) gen.stop_ids = engine->eos_ids;
  gen.stop = args.Options("--stop");
  gen.truncate_prompt = args.Flag("--truncate");
  gen.grammar = OutputGrammar(args, *engine);
  if (gen.grammar) {
    gen.constraint_vocab = std::make_shared<runtime::ConstraintVocab>(*engine->tokenizer);
  }
  if (auto raw = args.Option("--raw-ids")) {
    // Raw ids: no template, greedy unless sampling flags say otherwise.
    ApplySamplingFlags(args, gen.sampling);
    return RunRawIds(*engine, args, ParseIdList(*raw), gen);
  }
  ChatOptions chat;
  chat.thinking = args.Flag("--think") && !args.Flag("--no-think");
  chat.system = args.Option("--system").value_or("");
  chat.json = args.Flag("--json");
  chat.verbose_prompt = args.Flag("--verbose-prompt");
  chat.cache_type = CacheTypeOption(args);
  chat.n_ctx = static_cast<int>(
      args.IntOption("-c", std::min<int64_t>(engine->summary().context_length, 4096), 1, 1 << 24));
  chat.gen = gen;
  chat.gen.max_tokens = static_cast<int>(args.IntOption("-n", 4096, 0, 1 << 24));
  for (const auto& name : SamplingOptionNames())
    chat.sampling_given |= args.Option(name).has_value();
  ApplySamplingFlags(args, chat.user_sampling);
  if (!chat.sampling_given) chat.user_sampling.seed = std::random_device{}();
  if (auto prompt = args.Option("-p")) return ChatOnce(*engine, model_path, chat, *prompt);
  if (!isatty(STDIN_FILENO)) {
    std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    while (!text.empty() && text.back() == '\n') text.pop_back();
    return ChatOnce(*engine, model_path, chat, text);
  }
  return ChatInteractive(*engine, model_path, chat);
}

}  // namespace exaone::cli
