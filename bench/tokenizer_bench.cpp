// Encode throughput of our tokenizer on one thread: tokenizer_bench MODEL CORPUS.jsonl [ROUNDS]
// Prints one JSON line: {"bytes": N, "seconds": S, "mb_per_s": X, "tokens": T}. The corpus is
// the JSONL of tests/fixtures/tokenizer (strings under "text"). The first round warms the word
// cache, as a long-running server's would be; the figure is the best of the remaining rounds.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "tokenizer/tokenizer.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: tokenizer_bench MODEL CORPUS.jsonl [ROUNDS]\n");
    return 2;
  }
  try {
    auto tok = exaone::tokenizer::Tokenizer::Load(argv[1]);
    std::vector<std::string> texts;
    std::ifstream in(argv[2]);
    std::string line;
    size_t bytes = 0;
    while (std::getline(in, line)) {
      auto j = nlohmann::json::parse(line);
      if (!j.contains("text")) continue;
      texts.push_back(j["text"].get<std::string>());
      bytes += texts.back().size();
    }
    const int rounds = argc > 3 ? std::atoi(argv[3]) : 5;
    double best = 1e30;
    size_t tokens = 0;
    for (int r = 0; r < rounds; ++r) {
      tokens = 0;
      auto t0 = std::chrono::steady_clock::now();
      for (const auto& t : texts) tokens += tok->Encode(t).size();
      double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (r > 0 || rounds == 1) best = std::min(best, s);
    }
    std::printf("{\"bytes\": %zu, \"seconds\": %.6f, \"mb_per_s\": %.3f, \"tokens\": %zu}\n", bytes,
                best, bytes / best / 1e6, tokens);
  } catch (const exaone::Error& e) {
    std::fprintf(stderr, "tokenizer_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
