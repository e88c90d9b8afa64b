// exaone bench MODEL [-p 512] [-n 128] [-d 0] [-r 3] [-t N] [--json]
//
// Prompt processing (pp) and generation (tg) speed, as llama-bench measures them: pp runs a
// prompt of -p random tokens in one batch, tg decodes -n tokens one at a time (after -d tokens
// of context when given). Each test runs -r times after a warm-up; the table shows mean and
// standard deviation of tokens/s. --json prints a list of rows with llama-bench's field names
// (stable interface).
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <random>

#include "args.h"
#include "base/error.h"
#include "commands.h"
#include "hub/hub.h"
#include "model/quantize.h"
#include "runtime/engine.h"

namespace exaone::cli {
namespace {

constexpr const char* kUsage =
    "exaone bench MODEL [-p 512] [-n 128] [-d 0] [-r 3] [-t N[,N...]] [--cache-type f32|f16] "
    "[--mmap|--no-mmap] [--json]";

std::vector<int64_t> IntList(const Args& args, const std::string& name, int64_t fallback) {
  auto v = args.Option(name);
  if (!v) return {fallback};
  std::vector<int64_t> out;
  for (int32_t x : ParseIdList(*v)) out.push_back(x);
  return out;
}

struct Test {
  int n_prompt = 0, n_gen = 0, n_depth = 0, threads = 1;
  std::vector<double> seconds;
};

// One run of a test on a fresh sequence; returns the timed seconds.
double RunOnce(const runtime::Engine& e, ThreadPool& pool, const Test& t, std::mt19937& rng,
               std::optional<DType> cache_type) {
  const model::Model& m = *e.model.model;
  const int vocab = static_cast<int>(m.summary().vocab_size);
  std::uniform_int_distribution<int32_t> pick(0, vocab - 1);
  auto cache = m.NewSequence(t.n_depth + t.n_prompt + t.n_gen + 1, cache_type);
  std::vector<float> logits(vocab);
  constexpr int kBatch = 512;
  auto feed = [&](int n) {
    std::vector<int32_t> ids(n);
    for (auto& id : ids) id = pick(rng);
    for (int i = 0; i < n; i += kBatch) {
      m.Forward(*cache, ids.data() + i, std::min(kBatch, n - i), logits.data(), pool, true);
    }
  };
  if (t.n_depth > 0) feed(t.n_depth);  // context before the measurement, not timed
  const auto start = std::chrono::steady_clock::now();
  if (t.n_prompt > 0) feed(t.n_prompt);
  for (int i = 0; i < t.n_gen; ++i) {
    int32_t id = pick(rng);
    m.Forward(*cache, &id, 1, logits.data(), pool, true);
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string ModelType(const runtime::Engine& e, uint64_t params) {
  char size[32];
  if (params >= 1000000000ull) {
    std::snprintf(size, sizeof size, "%.1fB", params / 1e9);
  } else {
    std::snprintf(size, sizeof size, "%.1fM", params / 1e6);
  }
  // The file's type as llama-quantize names it (general.file_type), else the type holding the
  // most bytes of weight matrices.
  std::string dtype;
  if (e.model.files->gguf) {
    if (auto ft = e.model.files->Meta().IntOpt("general.file_type")) {
      for (const auto& q : model::QuantFileTypes()) {
        if (static_cast<int64_t>(q.file_type) == *ft) dtype = q.name;
      }
    }
  }
  if (dtype.empty()) {
    std::map<std::string, uint64_t> bytes;
    for (const auto& t : e.model.tensors->all()) {
      if (t.shape.size() == 2) bytes[DTypeName(t.dtype)] += t.nbytes;
    }
    uint64_t most = 0;
    for (const auto& [name, n] : bytes) {
      if (n > most) {
        most = n;
        dtype = name;
      }
    }
  }
  return e.summary().arch + " " + size + " " + (dtype.empty() ? "?" : dtype);
}

}  // namespace

int BenchCommand(int argc, char** argv) {
  Args args(argc, argv, {"--json", "--help", "--mmap", "--no-mmap"},
            {"-p", "-n", "-d", "-r", "-t", "-o", "--cache-type"});
  if (args.Flag("--help")) {
    std::printf("usage: %s\n", kUsage);
    return 0;
  }
  args.ExpectPositional(1, 1, kUsage);
  const bool json = args.Flag("--json") || args.Option("-o").value_or("") == "json";
  const int reps = static_cast<int>(args.IntOption("-r", 3, 1, 1000));
  const auto prompts = IntList(args, "-p", 512);
  const auto gens = IntList(args, "-n", 128);
  const auto depths = IntList(args, "-d", 0);
  const auto threads = IntList(args, "-t", DefaultThreadCount());
  for (int64_t t : threads) {
    if (t < 1 || t > 1024) throw Error(ErrorCode::kInvalidArgument, "-t must be in [1, 1024]");
  }
  const std::optional<DType> cache_type = CacheTypeOption(args);
  const std::string model_path = hub::ResolveModel(args.positional()[0], hub::PullOptions{});
  auto engine = runtime::Engine::Load(model_path, 1, ResidencyOption(args));
  uint64_t params = 0;
  for (const auto& t : engine->model.tensors->all()) params += t.elements();
  const std::string type = ModelType(*engine, params);
  const int64_t ctx_limit = engine->summary().context_length;

  std::vector<Test> tests;
  for (int64_t t : threads) {
    for (int64_t d : depths) {
      for (int64_t p : prompts) {
        if (p > 0)
          tests.push_back({static_cast<int>(p), 0, static_cast<int>(d), static_cast<int>(t), {}});
      }
      for (int64_t n : gens) {
        if (n > 0)
          tests.push_back({0, static_cast<int>(n), static_cast<int>(d), static_cast<int>(t), {}});
      }
    }
  }
  nlohmann::json rows = nlohmann::json::array();
  if (!json) {
    std::printf("| model | size | params | threads | test | t/s |\n");
    std::printf("| --- | ---: | ---: | ---: | ---: | ---: |\n");
  }
  std::mt19937 rng(1234);
  for (Test& t : tests) {
    if (t.n_depth + t.n_prompt + t.n_gen > ctx_limit) {
      throw Error(ErrorCode::kInvalidArgument,
                  "a test needs " + std::to_string(t.n_depth + t.n_prompt + t.n_gen) +
                      " positions, more than the model's context of " + std::to_string(ctx_limit));
    }
    ThreadPool pool(t.threads);
    RunOnce(*engine, pool, t, rng, cache_type);  // warm-up: page in the weights, size the buffers
    for (int r = 0; r < reps; ++r) t.seconds.push_back(RunOnce(*engine, pool, t, rng, cache_type));
    const int tokens = t.n_prompt + t.n_gen;
    std::vector<double> ts;
    std::vector<int64_t> ns;
    double mean = 0, mean_ns = 0;
    for (double s : t.seconds) {
      ts.push_back(tokens / s);
      ns.push_back(static_cast<int64_t>(s * 1e9));
      mean += ts.back() / reps;
      mean_ns += s * 1e9 / reps;
    }
    double var = 0, var_ns = 0;
    for (size_t i = 0; i < ts.size(); ++i) {
      var += (ts[i] - mean) * (ts[i] - mean);
      var_ns += (ns[i] - mean_ns) * (ns[i] - mean_ns);
    }
    const double sd = reps > 1 ? std::sqrt(var / (reps - 1)) : 0;
    const double sd_ns = reps > 1 ? std::sqrt(var_ns / (reps - 1)) : 0;
    const std::string name =
        (t.n_prompt ? "pp" + std::to_string(t.n_prompt) : "tg" + std::to_string(t.n_gen)) +
        (t.n_depth ? " @ d" + std::to_string(t.n_depth) : "");
    if (json) {
      rows.push_back({{"model_filename", args.positional()[0]},
                      {"model_type", type},
                      {"model_size", engine->model.files->file_bytes},
                      {"model_n_params", params},
                      {"n_threads", t.threads},
                      {"n_prompt", t.n_prompt},
                      {"n_gen", t.n_gen},
                      {"n_depth", t.n_depth},
                      {"avg_ns", static_cast<int64_t>(mean_ns)},
                      {"stddev_ns", static_cast<int64_t>(sd_ns)},
                      {"avg_ts", mean},
                      {"stddev_ts", sd},
                      {"samples_ns", ns},
                      {"samples_ts", ts},
                      {"backends", "CPU"},
                      {"use_mmap", !engine->model.files->weights_loaded()}});
    } else {
      std::printf("| %s | %.2f MiB | %.2f M | %d | %s | %.2f ± %.2f |\n", type.c_str(),
                  engine->model.files->file_bytes / 1048576.0, params / 1e6, t.threads,
                  name.c_str(), mean, sd);
      std::fflush(stdout);
    }
  }
  if (json) std::printf("%s\n", rows.dump(2).c_str());
  return 0;
}

}  // namespace exaone::cli
