// N-gram decontamination index: planted evaluation passages are found inside long training texts
// whatever their case and punctuation, at the right word; partial overlaps shorter than n words,
// unrelated texts, short items, empty texts and invalid UTF-8 behave as documented; the hash set
// grows without losing entries. Expected word positions and window counts are worked out by hand
// from the canonical forms written next to them.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/error.h"
#include "foundry/ngram_index.h"

namespace exaone::foundry {
namespace {

// Deterministic lowercase words (splitmix64), so texts are the same on every platform.
class Words {
 public:
  explicit Words(uint64_t seed) : state_(seed) {}
  std::string Next() {
    std::string w(4 + Rand() % 6, 'a');
    for (char& c : w) c = static_cast<char>('a' + Rand() % 26);
    return w;
  }
  std::string Text(size_t n) {
    std::string out;
    for (size_t i = 0; i < n; ++i) out += (i ? " " : "") + Next();
    return out;
  }

 private:
  uint64_t Rand() {
    state_ += 0x9E3779B97F4A7C15ull;
    uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  uint64_t state_;
};

// Canonical: "the mitochondria is the powerhouse of the cell and it produces atp through oxidative
// phosphorylation in eukaryotes": 17 words, so 17 - 13 + 1 = 5 windows.
constexpr const char* kPassage =
    "The mitochondria is the powerhouse of the cell, and it produces ATP through oxidative "
    "phosphorylation in eukaryotes.";

TEST(FoundryNgram, FindsPlantedPassage) {
  NgramIndex index;
  EXPECT_EQ(index.n(), 13);
  index.Add(kPassage);
  EXPECT_EQ(index.size(), 5u);
  Words words(1);
  const std::string prefix = words.Text(100), suffix = words.Text(50);
  // Passage words 2..14 ("mitochondria" .. "oxidative"), other case and punctuation.
  const std::string planted = prefix +
                              " -- MITOCHONDRIA is the powerhouse of the cell; and it PRODUCES "
                              "atp, through oxidative! " +
                              suffix;
  size_t at = 12345;
  EXPECT_TRUE(index.Contaminated(planted, &at));
  EXPECT_EQ(at, 100u);  // the 100 prefix words come first
  EXPECT_EQ(index.CountMatches(planted), 1u);
  EXPECT_TRUE(index.Contaminated(planted));  // no position wanted

  // The whole passage: all 5 windows, the first at word 0 of the passage.
  const std::string whole = words.Text(7) + " " + kPassage + " " + words.Text(7);
  EXPECT_TRUE(index.Contaminated(whole, &at));
  EXPECT_EQ(at, 7u);
  EXPECT_EQ(index.CountMatches(whole), 5u);
}

TEST(FoundryNgram, IgnoresShorterOverlapsAndUnrelatedText) {
  NgramIndex index;
  index.Add(kPassage);
  Words words(2);
  // 12 consecutive passage words, then a different word: no 13-word overlap.
  const std::string twelve = words.Text(40) +
                             " mitochondria is the powerhouse of the cell and it produces atp "
                             "through elephants " +
                             words.Text(40);
  size_t at = 777;
  EXPECT_FALSE(index.Contaminated(twelve, &at));
  EXPECT_EQ(at, 777u);  // untouched
  EXPECT_EQ(index.CountMatches(twelve), 0u);
  // 13 passage words with one in the middle replaced.
  EXPECT_FALSE(index.Contaminated(
      "mitochondria is the powerhouse of the nucleus and it produces atp through oxidative"));
  const std::string unrelated = words.Text(5000);
  EXPECT_FALSE(index.Contaminated(unrelated));
  EXPECT_EQ(index.CountMatches(unrelated), 0u);
}

TEST(FoundryNgram, ShortEvalTexts) {
  NgramIndex index;
  index.Add("What is the capital of France?");  // 6 words: one whole-text entry
  EXPECT_EQ(index.size(), 1u);
  size_t at = 99;
  EXPECT_TRUE(index.Contaminated("what is the CAPITAL of france", &at));
  EXPECT_EQ(at, 0u);
  EXPECT_EQ(index.CountMatches("What... is the capital of France"), 1u);
  // A short training text that differs, and a long one that contains the question, do not match.
  EXPECT_FALSE(index.Contaminated("Q: what is the capital of France"));
  EXPECT_FALSE(index.Contaminated(Words(3).Text(20) + " what is the capital of france " +
                                  Words(4).Text(20)));
}

TEST(FoundryNgram, EmptyAndInvalidText) {
  NgramIndex index;
  EXPECT_FALSE(index.Contaminated("anything at all"));  // empty index
  EXPECT_EQ(index.CountMatches("anything at all"), 0u);
  index.Add("");
  index.Add("!!! ??? ...");
  index.Add("   \n\t ");
  EXPECT_EQ(index.size(), 0u);
  // Invalid bytes separate words, like punctuation.
  index.Add(
      "one\xFFtwo\xC0three\xED\xA0\x80"
      "four five six seven eight nine ten eleven "
      "twelve thirteen");
  EXPECT_EQ(index.size(), 1u);
  EXPECT_TRUE(index.Contaminated(
      "zero one two three four five six seven eight nine ten eleven twelve thirteen"));
  EXPECT_FALSE(index.Contaminated(""));
  EXPECT_FALSE(index.Contaminated("\xFF\xFE\xFD"));
  // Random bytes never crash or hang, and almost surely never match.
  uint64_t state = 5;
  size_t hits = 0;
  for (int t = 0; t < 200; ++t) {
    std::string s(2000, '\0');
    for (char& c : s) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      c = static_cast<char>(state >> 56);
    }
    hits += index.CountMatches(s);
  }
  EXPECT_EQ(hits, 0u);
}

TEST(FoundryNgram, GrowsAndKeepsEverything) {
  NgramIndex index(8);
  Words words(9);
  std::vector<std::string> evals;
  for (int i = 0; i < 6000; ++i) evals.push_back(words.Text(8));  // one 8-gram each
  for (const auto& e : evals) index.Add(e);
  EXPECT_EQ(index.size(), 6000u);
  EXPECT_GE(index.memory_bytes(), 2 * 8 * index.size());  // load factor <= 1/2
  EXPECT_LE(index.memory_bytes(), 4 * 8 * index.size() + 8 * 1024);
  for (const auto& e : evals) ASSERT_TRUE(index.Contaminated("prefix " + e + " suffix")) << e;
  index.Add(evals[0]);  // a duplicate is stored once
  EXPECT_EQ(index.size(), 6000u);
  size_t false_hits = 0;
  for (int i = 0; i < 2000; ++i) false_hits += index.Contaminated(words.Text(8));
  EXPECT_EQ(false_hits, 0u);
}

TEST(FoundryNgram, LargeNAndOtherSeed) {
  Words words(11);
  const std::string eval = words.Text(40);
  NgramIndex index(25, 42);  // more than 16 words per window
  index.Add(eval);
  EXPECT_EQ(index.size(), 16u);  // 40 - 25 + 1
  size_t at = 0;
  EXPECT_TRUE(index.Contaminated("x y z " + eval, &at));
  EXPECT_EQ(at, 3u);
  EXPECT_EQ(index.CountMatches(eval + " " + eval), 32u);  // windows across the join do not count
}

TEST(FoundryNgram, BadN) {
  EXPECT_THROW(NgramIndex(0), Error);
  EXPECT_THROW(NgramIndex(-3), Error);
  EXPECT_THROW(NgramIndex(5000), Error);
  try {
    NgramIndex index(0);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace exaone::foundry
