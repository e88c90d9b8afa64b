// Cost of the allowed-token mask on a real vocabulary.
//
//   exaone_constrain_bench TOKENIZER_DIR [SCHEMA.json]
//
// Loads the tokenizer (EXAONE's has 102,400 tokens), builds the vocabulary trie, then walks a
// fixed JSON text that fits the schema (default: an object with a string, an integer, an enum and
// an array of numbers) byte by byte with the grammar matcher, computing the mask at every byte
// boundary, and prints the trie build time and the mask time per call (first calls and repeats
// at states seen before are timed apart).
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "base/error.h"
#include "constrain/json_schema.h"
#include "constrain/matcher.h"
#include "tokenizer/tokenizer.h"

namespace {

using Clock = std::chrono::steady_clock;

double Ms(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count() * 1e3;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace exaone::constrain;
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: exaone_constrain_bench TOKENIZER_DIR [SCHEMA.json]\n");
    return 2;
  }
  try {
    auto tok = exaone::tokenizer::Tokenizer::Load(argv[1]);
    SchemaJson schema = SchemaJson::parse(R"({"type": "object", "properties": {
        "name": {"type": "string", "maxLength": 40},
        "age": {"type": "integer", "minimum": 0, "maximum": 150},
        "role": {"enum": ["admin", "user", "guest"]},
        "scores": {"type": "array", "items": {"type": "number"}, "maxItems": 8}},
        "required": ["name", "age", "role", "scores"], "additionalProperties": false})");
    std::string text =
        R"({"name": "Kim Minji, 서울", "age": 31, "role": "user", "scores": [0.5, 12, -3.25]})";
    if (argc == 3) {
      std::ifstream in(argv[2]);
      std::stringstream ss;
      ss << in.rdbuf();
      schema = SchemaJson::parse(ss.str());
      text.clear();
    }
    auto t0 = Clock::now();
    std::vector<std::string> bytes(tok->vocab_size());
    for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = tok->TokenBytes(static_cast<int32_t>(i));
    const VocabTrie trie(bytes);
    auto t1 = Clock::now();
    GrammarMatcher m(JsonSchemaGrammar(schema));
    auto t2 = Clock::now();
    std::printf("vocabulary %zu tokens; trie %zu nodes built in %.1f ms; grammar %.2f ms\n",
                bytes.size(), trie.nodes().size(), Ms(t0, t1), Ms(t1, t2));
    if (text.empty()) return 0;
    std::vector<uint64_t> mask;
    double first = 0, again = 0;
    size_t allowed = 0;
    for (int pass = 0; pass < 2; ++pass) {
      State s = m.Initial();
      for (size_t i = 0; i <= text.size(); ++i) {
        auto a = Clock::now();
        AllowedTokens(m, s, trie, mask);
        auto b = Clock::now();
        (pass == 0 ? first : again) += Ms(a, b);
        if (pass == 0) {
          for (uint64_t w : mask) allowed += static_cast<size_t>(__builtin_popcountll(w));
        }
        if (i < text.size()) s = m.Advance(s, static_cast<uint8_t>(text[i]));
        if (s.empty()) {
          std::fprintf(stderr, "the text does not fit the schema at byte %zu\n", i);
          return 1;
        }
      }
    }
    const double n = static_cast<double>(text.size() + 1);
    std::printf(
        "%zu masks: %.3f ms each (first pass), %.3f ms each (states seen before); "
        "%.0f tokens allowed on average; %zu matcher nodes\n",
        text.size() + 1, first / n, again / n, static_cast<double>(allowed) / n, m.nodes());
  } catch (const exaone::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
