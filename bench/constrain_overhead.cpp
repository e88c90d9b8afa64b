// What constrained decoding costs per generated token, relative to decoding itself.
//
//   exaone_constrain_overhead MODEL SCHEMAS.jsonl [-n TOKENS] [-t THREADS] [--limit K]
//
// Loads MODEL (its tokenizer gives the vocabulary: EXAONE's has 102,400 tokens), then for every
// schema of the corpus (lines {"name": ..., "schema": ...}, e.g.
// tests/fixtures/schema_corpus.jsonl) generates up to TOKENS tokens at temperature 1 under the
// schema's constraint, timing the constraint's own work (the mask before each token and the step
// after it, matcher states built fresh for each schema as for a new request) apart from the model.
// Unconstrained generation of the same length, before and after the corpus, gives the decode time
// per token. Prints one line per schema and the median, 90th percentile and worst overhead
// (constraint time per token over decode time per token), and the end-to-end time per token of the
// median schema's run against unconstrained decoding.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "constrain/json_schema.h"
#include "runtime/constraint.h"
#include "runtime/engine.h"
#include "runtime/session.h"

namespace {

using Clock = std::chrono::steady_clock;
using exaone::constrain::SchemaJson;

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

struct Row {
  std::string name;
  int tokens = 0;
  double compile_ms = 0, constraint_ms_per_token = 0, total_ms_per_token = 0, overhead = 0;
  bool complete = false;
};

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  using namespace exaone;
  std::vector<std::string> pos;
  int n = 32, threads = 2, limit = 1 << 30;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if ((a == "-n" || a == "-t" || a == "--limit") && i + 1 < argc) {
      const int v = std::atoi(argv[++i]);
      (a == "-n" ? n : a == "-t" ? threads : limit) = std::max(1, v);
    } else {
      pos.push_back(a);
    }
  }
  if (pos.size() != 2) {
    std::fprintf(stderr,
                 "usage: exaone_constrain_overhead MODEL SCHEMAS.jsonl [-n TOKENS] [-t THREADS] "
                 "[--limit K]\n");
    return 2;
  }
  try {
    auto engine = runtime::Engine::Load(pos[0], threads);
    if (!engine->tokenizer || engine->eos_ids.empty()) {
      std::fprintf(stderr, "%s: the model needs a tokenizer and an end-of-sequence id\n",
                   pos[0].c_str());
      return 1;
    }
    const tokenizer::Tokenizer& tok = *engine->tokenizer;
    auto t0 = Clock::now();
    auto vocab = std::make_shared<const runtime::ConstraintVocab>(tok);
    std::printf("vocabulary %zu tokens, trie built in %.0f ms\n", tok.vocab_size(),
                Since(t0) * 1e3);
    std::vector<std::pair<std::string, SchemaJson>> corpus;
    std::ifstream in(pos[1]);
    if (!in) throw Error(ErrorCode::kNotFound, pos[1] + ": cannot open");
    for (std::string line; std::getline(in, line) && static_cast<int>(corpus.size()) < limit;) {
      if (line.empty()) continue;
      const SchemaJson j = SchemaJson::parse(line);
      corpus.emplace_back(j.at("name").get<std::string>(), j.at("schema"));
    }
    const std::vector<int32_t> prompt = tok.Encode(
        "[|user|]\nAnswer in JSON.[|endofturn|]\n[|assistant|]\n<think>\n\n</think>\n\n", false);
    runtime::Session session(*engine->model.model, &tok, 1024, *engine->pool);
    runtime::GenerationOptions base;
    base.sampling.temperature = 1.0f;
    base.sampling.seed = 1;
    base.max_tokens = n;
    // Unconstrained: no stop ids, so every run has n tokens.
    auto decode_per_token = [&] {
      runtime::GenerationOptions o = base;
      double best = 1e30;
      for (int rep = 0; rep < 2; ++rep) {
        const auto r = session.Generate(prompt, o);
        best = std::min(best, r.generate_seconds / std::max<size_t>(1, r.tokens.size() - 1));
      }
      return best;
    };
    const double before = decode_per_token();
    std::vector<Row> rows;
    for (const auto& [name, schema] : corpus) {
      Row row;
      row.name = name;
      runtime::GenerationOptions o = base;
      o.stop_ids = engine->eos_ids;
      const auto c0 = Clock::now();
      try {
        o.grammar = constrain::JsonSchemaGrammar(schema);
      } catch (const Error& e) {  // refused schemas (the corpus has some) are not timed
        std::printf("%-32s refused: %s\n", name.c_str(), e.what());
        continue;
      }
      row.compile_ms = Since(c0) * 1e3;
      o.constraint_vocab = vocab;
      const auto r = session.Generate(prompt, o);
      row.tokens = static_cast<int>(r.tokens.size());
      row.complete = r.finish == runtime::FinishReason::kStop;
      row.constraint_ms_per_token = r.constraint_seconds * 1e3 / std::max(1, row.tokens);
      row.total_ms_per_token =
          r.generate_seconds * 1e3 / std::max<double>(1, static_cast<double>(row.tokens - 1));
      rows.push_back(row);
    }
    const double after = decode_per_token();
    const double decode_ms = (before + after) / 2 * 1e3;
    std::printf("decode %.2f ms/token unconstrained (%.2f before the corpus, %.2f after)\n\n",
                decode_ms, before * 1e3, after * 1e3);
    std::printf("%-32s %6s %10s %14s %9s\n", "schema", "tokens", "compile ms", "constraint ms/t",
                "overhead");
    std::vector<double> overheads;
    for (Row& row : rows) {
      row.overhead = row.constraint_ms_per_token / decode_ms;
      overheads.push_back(row.overhead);
      std::printf("%-32s %5d%s %10.2f %14.3f %8.1f%%\n", row.name.c_str(), row.tokens,
                  row.complete ? " " : "+", row.compile_ms, row.constraint_ms_per_token,
                  row.overhead * 100);
    }
    if (rows.empty()) return 0;
    std::vector<double> compile;
    for (const Row& r : rows) compile.push_back(r.compile_ms);
    const double median = Percentile(overheads, 0.5);
    // The median schema end to end: constrained and unconstrained runs alternate (five each), so
    // that both see the same machine; medians of their time per token.
    const Row* mid = &rows[0];
    for (const Row& r : rows) {
      if (std::abs(r.overhead - median) < std::abs(mid->overhead - median)) mid = &r;
    }
    runtime::GenerationOptions with = base, without = base;
    with.stop_ids = engine->eos_ids;
    with.constraint_vocab = vocab;
    for (const auto& [name, schema] : corpus) {
      if (name == mid->name) with.grammar = constrain::JsonSchemaGrammar(schema);
    }
    std::vector<double> on, off;
    for (int rep = 0; rep < 5; ++rep) {
      for (auto* o : {&with, &without}) {
        const auto r = session.Generate(prompt, *o);
        const double per = r.generate_seconds * 1e3 /
                           std::max<double>(1, static_cast<double>(r.tokens.size()) - 1);
        (o == &with ? on : off).push_back(per);
      }
    }
    std::printf(
        "\n%zu schemas, %d tokens each at most (+: cut off): constraint overhead per token "
        "median %.1f%%, p90 %.1f%%, worst %.1f%% of decode time; grammar compile median %.2f "
        "ms\n",
        rows.size(), n, median * 100, Percentile(overheads, 0.9) * 100,
        Percentile(overheads, 1.0) * 100, Percentile(compile, 0.5));
    const double a = Percentile(on, 0.5), b = Percentile(off, 0.5);
    std::printf(
        "median schema '%s' end to end (5 alternating runs each, medians): %.2f ms/token "
        "constrained vs %.2f unconstrained (%+.1f%%)\n",
        mid->name.c_str(), a, b, (a / b - 1) * 100);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
