// Random sentences of a grammar for the constrained-decoding tests.
#pragma once

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "constrain/matcher.h"

namespace exaone::constrain {

// A random sentence: uniform over the bytes the matcher allows, stopping at an accepting state
// with probability 1/4. Empty when it ran past `limit` bytes; a dead end is a test failure.
inline std::string Walk(GrammarMatcher& m, std::mt19937& rng, size_t limit = 3000) {
  State s = m.Initial();
  std::string out;
  while (out.size() < limit) {
    std::vector<uint8_t> next;
    const ByteSet bytes = m.NextBytes(s);
    for (int b = 0; b < 256; ++b) {
      if (bytes.Has(static_cast<uint8_t>(b))) next.push_back(static_cast<uint8_t>(b));
    }
    if (GrammarMatcher::Accepting(s) && (next.empty() || rng() % 4 == 0)) return out;
    if (next.empty()) {
      ADD_FAILURE() << "dead end after '" << out << "'";
      return "";
    }
    const uint8_t b = next[rng() % next.size()];
    out += static_cast<char>(b);
    s = m.Advance(s, b);
  }
  return "";
}

inline bool Accepts(GrammarMatcher& m, const std::string& text) {
  return GrammarMatcher::Accepting(m.Advance(m.Initial(), text));
}

}  // namespace exaone::constrain
