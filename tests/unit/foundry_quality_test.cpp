// The Gopher, C4 and FineWeb rules on small hand-made documents whose figures are worked out by
// hand: each rule drops what it should with its reason, and keeps what it should.
#include <gtest/gtest.h>

#include <string>

#include "foundry/quality.h"
#include "foundry/text.h"

namespace exaone::foundry {
namespace {

std::string Repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

TEST(FoundryQuality, GopherWordCountLengthAndStopWords) {
  GopherQuality q;
  const std::string prose =
      Repeat("The cat sat with the dog and looked at the garden of the house. ", 6);
  const TextStats s = ComputeTextStats(prose);
  EXPECT_TRUE(CheckGopherQuality(prose, s, q, "en").keep);
  // 10 words < 50.
  const std::string short_text = "The cat sat with the dog in the big house.";
  EXPECT_EQ(CheckGopherQuality(short_text, ComputeTextStats(short_text), q, "en").reason,
            "gopher_short_doc");
  // No stop word of the list among 60 words: dropped for English, kept for Korean.
  const std::string no_stop = Repeat("Cats chase mice quickly near gardens. ", 10);
  EXPECT_EQ(CheckGopherQuality(no_stop, ComputeTextStats(no_stop), q, "en").reason,
            "gopher_enough_stop_words");
  EXPECT_TRUE(CheckGopherQuality(no_stop, ComputeTextStats(no_stop), q, "ko").keep);
  // Mean word length 2 (< 3) in English; the check does not apply to Korean.
  const std::string tiny = Repeat("to be or do it as we go so on ", 6);
  EXPECT_EQ(CheckGopherQuality(tiny, ComputeTextStats(tiny), q, "en").reason,
            "gopher_below_avg_word_length");
  // '#' on 12 of 60 words: ratio 0.2 > 0.1.
  const std::string hashes = Repeat("the cat sat with the dog #tag #tag. ", 10);
  EXPECT_EQ(CheckGopherQuality(hashes, ComputeTextStats(hashes), q, "en").reason,
            "gopher_hash_ratio");
}

TEST(FoundryQuality, GopherRepetition) {
  GopherRepetition q;
  // The same line five times: 4 of 5 lines are repeats (0.8 > 0.3).
  const std::string dup = Repeat("The same line of text comes back again.\n", 5);
  EXPECT_EQ(CheckGopherRepetition(ComputeTextStats(dup), q).reason, "dup_line_frac");
  std::string varied;
  const char* lines[] = {"Apples grow on trees in the orchard.", "Rivers run down to the sea.",
                         "Birds sing early in the morning.", "Snow covers the mountain tops.",
                         "Bread is baked in the oven."};
  for (const char* l : lines) varied += std::string(l) + "\n";
  EXPECT_TRUE(CheckGopherRepetition(ComputeTextStats(varied), q).keep);
}

TEST(FoundryQuality, C4RemovesLinesThenChecksWhatRemains) {
  C4Quality q;
  std::string doc =
      "Menu\n"
      "This site uses cookies to improve your experience.\n"
      "Enable JavaScript to see this page properly.\n"
      "The river flows through the old town. It is wide and slow [1].\n"
      "Boats carry goods along it every day. Fishermen work at dawn.\n"
      "function f() { return 1; }\n"
      "Children swim there in the summer. The water is clean.\n";
  EXPECT_TRUE(ApplyC4Quality(doc, q).keep);
  // Lines without end punctuation, with cookies or JavaScript, and the code line are gone; the
  // citation mark too (the space before it stays, as in C4). The '{' was on a removed line, so the
  // document stays (as in C4).
  EXPECT_EQ(doc,
            "The river flows through the old town. It is wide and slow .\n"
            "Boats carry goods along it every day. Fishermen work at dawn.\n"
            "Children swim there in the summer. The water is clean.");
  std::string braces =
      Repeat("The river flows through the old town. It is wide.\n", 3) + "Use {x} here. Ok.\n";
  EXPECT_EQ(ApplyC4Quality(braces, q).reason, "curly_bracket");
  std::string lorem = Repeat("Lorem ipsum dolor sit amet, consectetur. Sed do eiusmod.\n", 3);
  EXPECT_EQ(ApplyC4Quality(lorem, q).reason, "lorem_ipsum");
  std::string few = "One short sentence here. And another one.\n";
  EXPECT_EQ(ApplyC4Quality(few, q).reason, "too_few_sentences");
}

TEST(FoundryQuality, FineWebLinesAndLists) {
  FineWebQuality q;
  const std::string prose =
      Repeat("The cat sat with the dog and looked at the garden today.\n", 1) +
      "A second line of plain prose follows here, long enough.\n" +
      "And a third line that also ends with a full stop here.\n";
  EXPECT_TRUE(CheckFineWebQuality(prose, ComputeTextStats(prose), q).keep);
  // No line ends in punctuation: 0 < 0.12.
  const std::string bare =
      "Home\nAbout us and our long history of service\nContact the team today\n";
  EXPECT_EQ(CheckFineWebQuality(bare, ComputeTextStats(bare), q).reason, "line_punct_ratio");
  // Short lines: 4 of 5 lines of at most 30 characters.
  const std::string lists =
      "Item one.\nItem two.\nItem three.\nItem four.\n"
      "This last line is a much longer sentence than the others are.\n";
  EXPECT_EQ(CheckFineWebQuality(lists, ComputeTextStats(lists), q).reason, "short_line_ratio");
}

}  // namespace
}  // namespace exaone::foundry
