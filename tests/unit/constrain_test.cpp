// The constraint engine's core: the grammar matcher and the token mask. The mask must be exact:
// for small grammars and vocabularies, the tokens allowed after a prefix are compared with a
// brute force that needs no matcher: a token is allowed exactly when prefix + token is a prefix
// of some sentence, decided by dynamic programming over the grammar's rules.
#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "base/error.h"
#include "constrain/grammar.h"
#include "constrain/matcher.h"

namespace exaone::constrain {
namespace {

// Exact viable-prefix test by dynamic programming (no stacks): full[r][i][j] says rule r derives
// s[i, j); rest(r, i) says r derives some string that begins with s[i, n). Every rule of the
// grammars here derives at least one string.
class BruteForce {
 public:
  BruteForce(const Grammar& g, const std::string& s) : g_(g), s_(s), n_(s.size()) {
    full_.assign(g.size(), std::vector<std::vector<char>>(n_ + 1, std::vector<char>(n_ + 1, 0)));
    for (bool changed = true; changed;) {
      changed = false;
      for (uint32_t r = 0; r < g.size(); ++r) {
        for (size_t i = 0; i <= n_; ++i) {
          for (size_t j = i; j <= n_; ++j) {
            if (full_[r][i][j]) continue;
            for (const Sequence& seq : g.alternatives(r)) {
              if (SeqFull(seq, 0, i, j)) {
                full_[r][i][j] = 1;
                changed = true;
                break;
              }
            }
          }
        }
      }
    }
  }
  bool Sentence() const { return full_[g_.root()][0][n_]; }
  bool Viable() { return Rest(g_.root(), 0, 0); }

 private:
  bool ElemFull(const Element& e, size_t i, size_t j) const {
    if (e.is_rule) return full_[e.rule][i][j];
    return j == i + 1 && e.bytes.Has(static_cast<uint8_t>(s_[i]));
  }
  bool SeqFull(const Sequence& seq, size_t k, size_t i, size_t j) const {
    if (k == seq.size()) return i == j;
    for (size_t m = i; m <= j; ++m) {
      if (ElemFull(seq[k], i, m) && SeqFull(seq, k + 1, m, j)) return true;
    }
    return false;
  }
  bool Rest(uint32_t r, size_t i, int depth) {
    if (i == n_) return true;
    if (depth > 64) return false;  // deeper nesting than any test prefix needs
    for (const Sequence& seq : g_.alternatives(r)) {
      if (SeqRest(seq, 0, i, depth)) return true;
    }
    return false;
  }
  bool SeqRest(const Sequence& seq, size_t k, size_t i, int depth) {
    if (i == n_) return true;
    if (k == seq.size()) return false;
    const Element& e = seq[k];
    if (e.is_rule ? Rest(e.rule, i, depth + 1)
                  : (i + 1 == n_ && e.bytes.Has(static_cast<uint8_t>(s_[i])))) {
      return true;
    }
    for (size_t m = i; m <= n_; ++m) {
      if (ElemFull(e, i, m) && SeqRest(seq, k + 1, m, depth)) return true;
    }
    return false;
  }

  const Grammar& g_;
  const std::string& s_;
  size_t n_;
  std::vector<std::vector<std::vector<char>>> full_;
};

// v := "1" | "\"" a* "\"" | "[" "]" | "[" v ("," v)* "]"  over the bytes [ ] , 1 " a
std::shared_ptr<Grammar> TinyJson() {
  auto g = std::make_shared<Grammar>();
  const uint32_t v = g->NewRule("value");
  const uint32_t chars = g->Star({Element::Byte('a')}, "chars");
  Sequence more = {Element::Byte(','), Element::Ref(v)};
  const uint32_t tail = g->Star(more, "more");
  g->AddAlternative(v, Grammar::Literal("1"));
  g->AddAlternative(v, {Element::Byte('"'), Element::Ref(chars), Element::Byte('"')});
  g->AddAlternative(v, Grammar::Literal("[]"));
  g->AddAlternative(v,
                    {Element::Byte('['), Element::Ref(v), Element::Ref(tail), Element::Byte(']')});
  g->set_root(v);
  return g;
}

// Words sharing prefixes: "cat" | "car" | "cart" | "do" | "dog" (a finite language).
std::shared_ptr<Grammar> Words() {
  auto g = std::make_shared<Grammar>();
  const uint32_t w = g->NewRule("word");
  for (const char* s : {"cat", "car", "cart", "do", "dog"})
    g->AddAlternative(w, Grammar::Literal(s));
  g->set_root(w);
  return g;
}

// (ab | c)+ with an optional "!" at the end; nullable rules inside.
std::shared_ptr<Grammar> Repeats() {
  auto g = std::make_shared<Grammar>();
  const uint32_t unit = g->NewRule("unit");
  g->AddAlternative(unit, Grammar::Literal("ab"));
  g->AddAlternative(unit, Grammar::Literal("c"));
  const uint32_t units = g->Plus({Element::Ref(unit)}, "units");
  const uint32_t bang = g->Optional(Grammar::Literal("!"), "bang");
  const uint32_t root = g->NewRule("root");
  g->AddAlternative(root, {Element::Ref(units), Element::Ref(bang)});
  g->set_root(root);
  return g;
}

std::string RandomString(const std::string& alphabet, size_t len, std::mt19937& rng) {
  std::string s;
  for (size_t i = 0; i < len; ++i) s += alphabet[rng() % alphabet.size()];
  return s;
}

void CheckMasks(const std::shared_ptr<Grammar>& g, const std::string& alphabet, uint32_t seed) {
  g->Validate();
  std::mt19937 rng(seed);
  // A vocabulary of random 1-3 byte tokens (duplicates too), plus one empty (control) token.
  std::vector<std::string> vocab = {""};
  for (int i = 0; i < 150; ++i) vocab.push_back(RandomString(alphabet, 1 + rng() % 3, rng));
  const VocabTrie trie(vocab);
  GrammarMatcher m(g);
  int viable_seen = 0;
  for (int trial = 0; trial < 300; ++trial) {
    std::string prefix = RandomString(alphabet, rng() % 8, rng);
    // Mostly viable prefixes: cut a random string back to its longest viable prefix.
    while (!prefix.empty() && trial % 4 != 0 && !BruteForce(*g, prefix).Viable()) prefix.pop_back();
    const State s = m.Advance(m.Initial(), prefix);
    BruteForce bf(*g, prefix);
    const bool viable = bf.Viable();
    ASSERT_EQ(!s.empty(), viable) << "prefix '" << prefix << "'";
    ASSERT_EQ(GrammarMatcher::Accepting(s), bf.Sentence()) << "prefix '" << prefix << "'";
    if (!viable) continue;
    ++viable_seen;
    std::vector<uint64_t> mask;
    AllowedTokens(m, s, trie, mask);
    for (size_t t = 0; t < vocab.size(); ++t) {
      const bool got = (mask[t >> 6] >> (t & 63)) & 1;
      const bool want = !vocab[t].empty() && BruteForce(*g, prefix + vocab[t]).Viable();
      ASSERT_EQ(got, want) << "prefix '" << prefix << "' token '" << vocab[t] << "'";
    }
  }
  EXPECT_GT(viable_seen, 150);
}

TEST(ConstrainMask, ExactForNestedBrackets) {
  CheckMasks(TinyJson(), "[],1\"a", 1);
}

TEST(ConstrainMask, ExactForAFiniteLanguage) {
  CheckMasks(Words(), "cartdog", 2);
}

TEST(ConstrainMask, ExactForRepetitionAndEmptyAlternatives) {
  CheckMasks(Repeats(), "abc!", 3);
}

TEST(ConstrainGrammar, RefusesLeftRecursionAndMissingRules) {
  Grammar g;
  const uint32_t a = g.NewRule("a");
  const uint32_t b = g.NewRule("b");
  g.AddAlternative(a, {Element::Ref(b), Element::Byte('x')});
  g.AddAlternative(b, {Element::Ref(a)});
  g.AddAlternative(b, Grammar::Literal("y"));
  g.set_root(a);
  EXPECT_THROW(g.Validate(), Error);
  // Through a nullable rule.
  Grammar h;
  const uint32_t r = h.NewRule("r");
  const uint32_t e = h.Optional(Grammar::Literal("z"), "maybe");
  h.AddAlternative(r, {Element::Ref(e), Element::Ref(r), Element::Byte('x')});
  h.AddAlternative(r, Grammar::Literal("y"));
  h.set_root(r);
  EXPECT_THROW(h.Validate(), Error);
  Grammar k;
  const uint32_t only = k.NewRule("only");
  k.AddAlternative(only, {Element::Ref(7)});
  EXPECT_THROW(k.Validate(), Error);
  Grammar empty;
  empty.NewRule("nothing");
  EXPECT_THROW(empty.Validate(), Error);
}

std::string Utf8(uint32_t cp) {
  std::string s;
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else if (cp < 0x800) {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    s += static_cast<char>(0xE0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    s += static_cast<char>(0xF0 | (cp >> 18));
    s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return s;
}

// A code point range compiled to UTF-8 takes exactly the encodings of its code points: every
// code point near each boundary and a sample elsewhere, surrogates and overlong or truncated
// encodings refused.
TEST(ConstrainGrammar, Utf8RangesTakeExactlyTheirCodePoints) {
  const std::pair<uint32_t, uint32_t> ranges[] = {
      {0x20, 0x10FFFF}, {0x41, 0x5A},      {0x7F, 0x800},       {0xAC00, 0xD7A3}, {0xD000, 0xE100},
      {0x3041, 0x30FF}, {0xFFFE, 0x10005}, {0x10000, 0x10FFFF}, {0x80, 0x7FF}};
  std::mt19937 rng(4);
  for (const auto& [lo, hi] : ranges) {
    auto g = std::make_shared<Grammar>();
    const uint32_t r = g->NewRule("chars");
    g->AddUtf8Range(r, lo, hi);
    g->set_root(r);
    g->Validate();
    GrammarMatcher m(g);
    std::vector<uint32_t> cps;
    for (uint32_t edge : {lo, hi, 0x7Fu, 0x80u, 0x7FFu, 0x800u, 0xD7FFu, 0xD800u, 0xDFFFu, 0xE000u,
                          0xFFFFu, 0x10000u, 0x10FFFFu}) {
      for (int d = -2; d <= 2; ++d) {
        const int64_t cp = static_cast<int64_t>(edge) + d;
        if (cp >= 0 && cp <= 0x10FFFF) cps.push_back(static_cast<uint32_t>(cp));
      }
    }
    for (int i = 0; i < 3000; ++i) cps.push_back(static_cast<uint32_t>(rng() % 0x110000));
    for (uint32_t cp : cps) {
      const bool want = cp >= lo && cp <= hi && (cp < 0xD800 || cp > 0xDFFF);
      const State s = m.Advance(m.Initial(), Utf8(cp));
      ASSERT_EQ(GrammarMatcher::Accepting(s), want)
          << std::hex << "cp " << cp << " in [" << lo << ", " << hi << "]";
    }
    for (const char* bad : {"\xC0\x80", "\xC1\xBF", "\xE0\x80\x80", "\xF0\x80\x80\x80",
                            "\xF4\x90\x80\x80", "\xED\xA0\x80", "\x80", "\xC3"}) {
      EXPECT_FALSE(GrammarMatcher::Accepting(m.Advance(m.Initial(), std::string(bad))));
    }
  }
}

}  // namespace
}  // namespace exaone::constrain
