// Foundry text primitives: NormalizeText (UTF-8 repair, NFC, controls, whitespace), SplitWords
// and ComputeTextStats. Expected NFC forms and U+FFFD substitutions come from Python 3.11's
// unicodedata.normalize("NFC", ...) and bytes.decode("utf-8", "replace"); expected statistics
// were worked out by hand from the definitions in text.h (the working is in the comments).
#include <gtest/gtest.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "base/utf8.h"
#include "foundry/text.h"

namespace exaone::foundry {
namespace {

std::vector<std::string> Words(std::string_view text) {
  std::vector<std::string> out;
  for (std::string_view w : SplitWords(text)) out.emplace_back(w);
  return out;
}

using V = std::vector<std::string>;

// ---------------------------------------------------------------------------------------------
// NextCodePoint

TEST(FoundryText, NextCodePointDecodesAndSubstitutesMaximalSubparts) {
  const std::string s = "a\xC3\xA9\xED\x95\x9C\xF0\x9F\x98\x80";  // a é 한 😀
  size_t i = 0;
  EXPECT_EQ(NextCodePoint(s, &i), U'a');
  EXPECT_EQ(i, 1u);
  EXPECT_EQ(NextCodePoint(s, &i), U'é');
  EXPECT_EQ(i, 3u);
  EXPECT_EQ(NextCodePoint(s, &i), U'한');
  EXPECT_EQ(i, 6u);
  EXPECT_EQ(NextCodePoint(s, &i), U'\U0001F600');
  EXPECT_EQ(i, 10u);
  // Truncated 4-byte sequence at the end: one U+FFFD for all three bytes.
  const std::string t = "\xF0\x9F\x98";
  i = 0;
  EXPECT_EQ(NextCodePoint(t, &i), U'\uFFFD');
  EXPECT_EQ(i, 3u);
  // A surrogate's encoding: ED is a maximal subpart on its own (A0 is not allowed after ED).
  const std::string u = "\xED\xA0\x80";
  i = 0;
  EXPECT_EQ(NextCodePoint(u, &i), U'\uFFFD');
  EXPECT_EQ(i, 1u);
  // Overlong and out-of-range leads are single invalid bytes.
  for (const char* bad : {"\xC0\xAF", "\xC1\xBF", "\xF5\x80", "\xFF", "\x80"}) {
    i = 0;
    EXPECT_EQ(NextCodePoint(bad, &i), U'\uFFFD') << bad;
    EXPECT_EQ(i, 1u);
  }
}

// ---------------------------------------------------------------------------------------------
// NormalizeText

TEST(FoundryText, NfcComposesHangulJamoAndAccents) {
  // Python: NFC("\u1112\u1161\u11AB") == "\uD55C" (한).
  EXPECT_EQ(NormalizeText("\u1112\u1161\u11AB"), "\uD55C");
  // NFC("\u1100\u1161\u11A8") == NFC("\uAC00\u11A8") == "\uAC01" (각).
  EXPECT_EQ(NormalizeText("\u1100\u1161\u11A8"), "\uAC01");
  EXPECT_EQ(NormalizeText("\uAC00\u11A8"), "\uAC01");
  // NFC("e\u0301") == "\u00E9"; NFC("Ko\u0308nig") == "K\u00F6nig".
  EXPECT_EQ(NormalizeText("e\u0301"), "\u00E9");
  EXPECT_EQ(NormalizeText("Ko\u0308nig und Cafe\u0301"), "K\u00F6nig und Caf\u00E9");
  // Canonical reordering: NFC("a\u0302\u0323") == NFC("a\u0323\u0302") == "\u1EAD".
  EXPECT_EQ(NormalizeText("a\u0302\u0323"), "\u1EAD");
  EXPECT_EQ(NormalizeText("a\u0323\u0302"), "\u1EAD");
  // Singletons: NFC("\u212B") == "\u00C5" (ANGSTROM SIGN -> Å).
  EXPECT_EQ(NormalizeText("\u212B"), "\u00C5");
  // NFC("A\u030A\u0327") == "\u00C5\u0327".
  EXPECT_EQ(NormalizeText("A\u030A\u0327"), "\u00C5\u0327");
  // Already NFC text is unchanged.
  EXPECT_EQ(NormalizeText("한국어 텍스트 é"), "한국어 텍스트 é");
  // The step can be turned off.
  NormalizeOptions o;
  o.nfc = false;
  EXPECT_EQ(NormalizeText("e\u0301", o), "e\u0301");
}

// NormalizeText skips ICU for text made only of code points below U+0300 and of the common
// CJK blocks, relying on each having NFC_Quick_Check=Yes and combining class 0. Checked here
// against ICU's own data for every assigned code point of those ranges.
TEST(FoundryText, NfcShortcutRangesAreInertUnderNfc) {
  UErrorCode ec = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(ec);
  ASSERT_TRUE(U_SUCCESS(ec));
  const std::pair<UChar32, UChar32> ranges[] = {
      {0x0, 0x2FF},     {0x3000, 0x3029}, {0x3041, 0x3096}, {0x30A1, 0x30FA},
      {0x3400, 0x4DBF}, {0x4E00, 0x9FFF}, {0xAC00, 0xD7A3}, {0xFF01, 0xFF9D}};
  int checked = 0;
  for (const auto& [lo, hi] : ranges) {
    for (UChar32 c = lo; c <= hi; ++c) {
      if (u_charType(c) == U_UNASSIGNED) continue;
      ASSERT_EQ(nfc->quickCheck(icu::UnicodeString(c), ec), UNORM_YES) << std::hex << c;
      ASSERT_EQ(nfc->getCombiningClass(c), 0) << std::hex << c;
      ++checked;
    }
  }
  EXPECT_GT(checked, 39000);  // 39,899 with ICU 72 (Unicode 15)
}

TEST(FoundryText, RemovesControlsAndInvisibleCharacters) {
  EXPECT_EQ(NormalizeText(std::string("a\0b\x07"
                                      "c\x1B"
                                      "d\x7F",
                                      8)),
            "abcd");
  EXPECT_EQ(NormalizeText("\xC2\x80x\xC2\x9Fy"), "xy");  // C1 controls U+0080, U+009F
  EXPECT_EQ(NormalizeText("zero\u200Bwidth"), "zerowidth");
  EXPECT_EQ(NormalizeText("\uFEFFhello"), "hello");
  EXPECT_EQ(NormalizeText("co\u00ADoperate"), "cooperate");
  // ZWJ (emoji sequences) and ZWNJ are kept.
  EXPECT_EQ(NormalizeText("\U0001F469\u200D\U0001F4BB"), "\U0001F469\u200D\U0001F4BB");
  EXPECT_EQ(NormalizeText("a\u200Cb"), "a\u200Cb");
  // Removing a control can bring a letter and its accent together: the result is still NFC.
  EXPECT_EQ(NormalizeText("e\u200B\u0301"), "\u00E9");
  // A removed character between spaces leaves one space.
  EXPECT_EQ(NormalizeText("a \u200B b"), "a b");
  NormalizeOptions o;
  o.controls = false;
  EXPECT_EQ(NormalizeText("a\x07z\u200By", o), "a\x07z\u200By");
  // Controls off, whitespace on: '\t' is still a space and '\r' still a line break.
  EXPECT_EQ(NormalizeText("a\tb\rc", o), "a b\nc");
}

TEST(FoundryText, LineBreaks) {
  EXPECT_EQ(NormalizeText("line1\r\nline2\rline3\n"), "line1\nline2\nline3");
  EXPECT_EQ(NormalizeText("a\r\r\nb"), "a\n\nb");  // lone CR, then CRLF
  EXPECT_EQ(NormalizeText("a\u2028b\u2029c"), "a\nb\nc");
  EXPECT_EQ(NormalizeText("a\vb\fc\xC2\x85"
                          "d"),
            "a\nb\nc\nd");  // VT, FF, NEL
  EXPECT_EQ(NormalizeText("a\n\n\n\n\nb"), "a\n\nb");
  EXPECT_EQ(NormalizeText("a\n \t\n\u00A0\n\nb\n\nc"), "a\n\nb\n\nc");  // blank lines
  EXPECT_EQ(NormalizeText("\n\n\na\n\n\n"), "a");
}

TEST(FoundryText, Whitespace) {
  EXPECT_EQ(NormalizeText("  Hello \t  world  \n\n\n\n  next\u00A0line\u3000x  "),
            "Hello world\n\nnext line x");
  EXPECT_EQ(NormalizeText("a \n b"), "a\nb");
  // Every Zs character (Unicode 15) is a space.
  EXPECT_EQ(NormalizeText("a\u1680b\u2000c\u2005d\u200Ae\u202Ff\u205Fg\u3000h"), "a b c d e f g h");
  EXPECT_EQ(NormalizeText(" \t\u00A0 "), "");
  EXPECT_EQ(NormalizeText(""), "");
  // Whitespace off: spaces, tabs and CR stay; controls go (VT and FF are controls then).
  NormalizeOptions o;
  o.whitespace = false;
  EXPECT_EQ(NormalizeText("  a \t b\r\nc\x07\v\u00A0 ", o), "  a \t b\r\nc\u00A0 ");
  // Everything off: valid text comes back unchanged.
  NormalizeOptions none;
  none.nfc = none.controls = none.whitespace = false;
  const std::string raw = " a\x01\r\n e\u0301\u200B\t ";
  EXPECT_EQ(NormalizeText(raw, none), raw);
}

TEST(FoundryText, RepairsInvalidUtf8) {
  // Python: b"a\xffb\xe2\x82c\xf0\x90\x80\xed\xa0\x80z\xc0\xafq\xf4\x90\x80\x80r\xe2\x82"
  //   .decode("utf-8", "replace") ==
  //   "a\uFFFDb\uFFFDc\uFFFD\uFFFD\uFFFD\uFFFDz\uFFFD\uFFFDq\uFFFD\uFFFD\uFFFD\uFFFDr\uFFFD"
  const std::string bad =
      "a\xff"
      "b\xe2\x82"
      "c\xf0\x90\x80\xed\xa0\x80"
      "z\xc0\xaf"
      "q\xf4\x90\x80\x80"
      "r\xe2\x82";
  const std::string want =
      "a\uFFFDb\uFFFDc\uFFFD\uFFFD\uFFFD\uFFFDz\uFFFD\uFFFDq\uFFFD\uFFFD\uFFFD\uFFFDr\uFFFD";
  EXPECT_EQ(NormalizeText(bad), want);
  NormalizeOptions none;
  none.nfc = none.controls = none.whitespace = false;
  EXPECT_EQ(NormalizeText(bad, none), want);
  // A literal U+FFFD is kept as it is.
  EXPECT_EQ(NormalizeText("x\uFFFDy"), "x\uFFFDy");
}

TEST(FoundryText, NormalizeIsTotalAndIdempotentOnRandomBytes) {
  std::mt19937 rng(1234);
  // Pieces that exercise every path, mixed with raw random bytes.
  const std::vector<std::string> pieces = {
      " ",        "\t",           "\n",       "\r",     "\r\n",   "\v", "\x07",   "\u00A0",
      "\u3000",   "\u2028",       "\u200B",   "\uFEFF", "\u00AD", "e",  "\u0301", "\u0323",
      "\u1100",   "\u1161",       "\u11A8",   "\uAC00", "가",     "漢", "\xff",   "\xe2\x82",
      "\xf0\x9f", "\xed\xa0\x80", "\xc2\x85", "A",      "."};
  for (int round = 0; round < 3000; ++round) {
    std::string s;
    const int len = static_cast<int>(rng() % 40);
    for (int k = 0; k < len; ++k) {
      if (rng() % 4 == 0) {
        s.push_back(static_cast<char>(rng() & 0xFF));
      } else {
        s += pieces[rng() % pieces.size()];
      }
    }
    const std::string once = NormalizeText(s);
    ASSERT_TRUE(IsValidUtf8(once)) << round;
    ASSERT_EQ(NormalizeText(once), once) << round;
    ASSERT_EQ(once.find("\n\n\n"), std::string::npos);
    ASSERT_EQ(once.find("  "), std::string::npos);
    ASSERT_EQ(once.find(" \n"), std::string::npos);
    ASSERT_EQ(once.find("\n "), std::string::npos);
    ASSERT_EQ(once.find('\r'), std::string::npos);
    if (!once.empty()) {
      ASSERT_NE(once.front(), ' ');
      ASSERT_NE(once.back(), '\n');
    }
    NormalizeOptions none;
    none.nfc = none.controls = none.whitespace = false;
    ASSERT_TRUE(IsValidUtf8(NormalizeText(s, none)));
    if (IsValidUtf8(s)) {
      ASSERT_EQ(NormalizeText(s, none), s);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// SplitWords

TEST(FoundryText, SplitWordsEnglish) {
  EXPECT_EQ(Words("Don't stop: state-of-the-art models, it's 3.14 (approx)!"),
            (V{"Don't", "stop", "state-of-the-art", "models", "it's", "3", "14", "approx"}));
  EXPECT_EQ(Words("rock 'n' roll -- a--b a- -b l\u2019homme e\u2010mail"),
            (V{"rock", "n", "roll", "a", "b", "a", "b", "l\u2019homme", "e\u2010mail"}));
  EXPECT_EQ(Words("Cafe\u0301 na\u00EFve snake_case x2"),
            (V{"Cafe\u0301", "na\u00EFve", "snake", "case", "x2"}));
  EXPECT_EQ(Words(""), V{});
  EXPECT_EQ(Words(" ,.;!? "), V{});
}

TEST(FoundryText, SplitWordsKorean) {
  EXPECT_EQ(Words("한국어를 배우는 것은 재미있습니다. GPU를 사용합니다!"),
            (V{"한국어를", "배우는", "것은", "재미있습니다", "GPU를", "사용합니다"}));
  // Conjoining jamo are letters too.
  EXPECT_EQ(Words("\u1112\u1161\u11AB \u1100\u1161"), (V{"\u1112\u1161\u11AB", "\u1100\u1161"}));
}

TEST(FoundryText, SplitWordsChineseAndJapanese) {
  EXPECT_EQ(Words("自然语言处理很有趣。"),
            (V{"自", "然", "语", "言", "处", "理", "很", "有", "趣"}));
  EXPECT_EQ(Words("日本語のテキストです。"),
            (V{"日", "本", "語", "の", "テ", "キ", "ス", "ト", "で", "す"}));
  EXPECT_EQ(Words("データ"), (V{"デ", "ー", "タ"}));
  // A combining voiced mark stays with its kana.
  EXPECT_EQ(Words("か\u3099き"), (V{"か\u3099", "き"}));
}

TEST(FoundryText, SplitWordsMixedAndInvalid) {
  EXPECT_EQ(Words("Python으로 自然语言 processing을 하다"),
            (V{"Python으로", "自", "然", "语", "言", "processing을", "하다"}));
  EXPECT_EQ(Words("GPT-4는 2023年に発表"), (V{"GPT-4는", "2023", "年", "に", "発", "表"}));
  EXPECT_EQ(Words("ab\xff"
                  "cd\xe2\x82"
                  "ef"),
            (V{"ab", "cd", "ef"}));
  // The words are views into the text.
  const std::string text = "one two";
  const auto w = SplitWords(text);
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[0].data(), text.data());
  EXPECT_EQ(w[1].data(), text.data() + 4);
}

// ---------------------------------------------------------------------------------------------
// ComputeTextStats

TEST(FoundryText, StatsOnASmallDocument) {
  // Lines: "Hello world." | "Hello world." | "" | "  - item one..." | "# Title"
  // Code points: 12 + 1 + 12 + 1 + 1 + 15 + 1 + 7 = 50.
  // Words: Hello world Hello world item one Title (7; 32 code points, 3 uppercase).
  const std::string text = "Hello world.\nHello world.\n\n  - item one...\n# Title";
  const TextStats st = ComputeTextStats(text);
  EXPECT_EQ(st.num_chars, 50u);
  EXPECT_EQ(st.num_words, 7u);
  EXPECT_EQ(st.num_word_chars, 32u);
  EXPECT_DOUBLE_EQ(st.mean_word_length, 32.0 / 7);
  EXPECT_EQ(st.num_alpha_words, 7u);
  EXPECT_DOUBLE_EQ(st.alpha_word_fraction, 1.0);
  EXPECT_EQ(st.num_letters, 32u);
  EXPECT_EQ(st.num_upper, 3u);
  EXPECT_DOUBLE_EQ(st.upper_fraction, 3.0 / 32);
  EXPECT_EQ(st.num_digits, 0u);
  EXPECT_EQ(st.num_hash, 1u);
  EXPECT_EQ(st.num_ellipsis, 1u);
  EXPECT_DOUBLE_EQ(st.hash_word_ratio, 1.0 / 7);
  EXPECT_DOUBLE_EQ(st.ellipsis_word_ratio, 1.0 / 7);
  EXPECT_EQ(st.num_lines, 5u);
  EXPECT_EQ(st.num_nonempty_lines, 4u);
  EXPECT_DOUBLE_EQ(st.bullet_line_fraction, 1.0 / 4);
  EXPECT_DOUBLE_EQ(st.ellipsis_line_fraction, 1.0 / 4);
  EXPECT_DOUBLE_EQ(st.terminal_line_fraction, 3.0 / 4);  // both "Hello world." and "..."
  // One repeat ("Hello world." the second time): 12 code points; both occurrences: 24.
  EXPECT_DOUBLE_EQ(st.dup_line_fraction, 1.0 / 4);
  EXPECT_DOUBLE_EQ(st.dup_line_char_fraction, 12.0 / 50);
  EXPECT_DOUBLE_EQ(st.dup_line_all_char_fraction, 24.0 / 50);
  EXPECT_EQ(st.num_paragraphs, 2u);
  EXPECT_DOUBLE_EQ(st.dup_paragraph_fraction, 0.0);
  // Bigram "Hello world" occurs twice: 2 x 10 code points of 32.
  EXPECT_DOUBLE_EQ(st.TopNgramCharFraction(2), 20.0 / 32);
  EXPECT_DOUBLE_EQ(st.TopNgramCharFraction(3), 0.0);
  EXPECT_DOUBLE_EQ(st.TopNgramCharFraction(4), 0.0);
  for (int n = 5; n <= 10; ++n) EXPECT_DOUBLE_EQ(st.DupNgramCharFraction(n), 0.0) << n;
}

TEST(FoundryText, StatsNgramRepetition) {
  // Words a b c d e a b c d e f (11 one-letter words).
  TextStats st = ComputeTextStats("a b c d e a b c d e f");
  EXPECT_DOUBLE_EQ(st.TopNgramCharFraction(2), 4.0 / 11);  // "a b" twice: 2 x 2
  EXPECT_DOUBLE_EQ(st.TopNgramCharFraction(3), 6.0 / 11);  // "a b c" twice: 2 x 3
  EXPECT_DOUBLE_EQ(st.TopNgramCharFraction(4), 8.0 / 11);  // "a b c d" twice: 2 x 4
  // "a b c d e" occurs at words 0 and 5: words 0-9 are covered, 10 of 11 code points.
  EXPECT_DOUBLE_EQ(st.DupNgramCharFraction(5), 10.0 / 11);
  for (int n = 6; n <= 10; ++n) EXPECT_DOUBLE_EQ(st.DupNgramCharFraction(n), 0.0) << n;

  // Longer words weigh more: "xx y" repeats (3 code points, twice) among 2+1+3+2+1 = 9.
  st = ComputeTextStats("xx y zzz xx y");
  EXPECT_DOUBLE_EQ(st.TopNgramCharFraction(2), 6.0 / 9);

  // Overlapping occurrences: "a a" occurs 5 times in six words (5 x 2 > 6, capped at 1); the
  // 5-gram "a a a a a" occurs twice (words 0-4 and 1-5), covering all six words.
  st = ComputeTextStats("a a a a a a");
  EXPECT_DOUBLE_EQ(st.TopNgramCharFraction(2), 1.0);
  EXPECT_DOUBLE_EQ(st.DupNgramCharFraction(5), 1.0);
  EXPECT_DOUBLE_EQ(st.DupNgramCharFraction(6), 0.0);

  // A 10-gram repeated with one word between: 20 of 21 words covered at every n from 5 to 10.
  st = ComputeTextStats("p q r s t u v w x y MID p q r s t u v w x y");
  for (int n = 5; n <= 10; ++n) {
    EXPECT_DOUBLE_EQ(st.DupNgramCharFraction(n), 20.0 / 23) << n;  // MID has 3 code points
  }

  // Chinese: each character is a word. 你好你好 -> "你 好" twice: 2 x 2 of 4.
  st = ComputeTextStats("你好你好");
  EXPECT_EQ(st.num_words, 4u);
  EXPECT_DOUBLE_EQ(st.TopNgramCharFraction(2), 1.0);
}

TEST(FoundryText, StatsCountsAndLines) {
  // "ABC def 123": 11 code points, 6 letters (3 upper), 3 digits; "123" is not alphabetic.
  TextStats st = ComputeTextStats("ABC def 123");
  EXPECT_EQ(st.num_chars, 11u);
  EXPECT_DOUBLE_EQ(st.upper_fraction, 0.5);
  EXPECT_DOUBLE_EQ(st.digit_fraction, 3.0 / 11);
  EXPECT_DOUBLE_EQ(st.alpha_word_fraction, 2.0 / 3);
  EXPECT_EQ(st.num_lines, 1u);

  // Ellipses: "......" counts 2, '…' 1, ".." 0.
  st = ComputeTextStats("wait...... what\u2026 ok..");
  EXPECT_EQ(st.num_ellipsis, 3u);
  EXPECT_DOUBLE_EQ(st.ellipsis_line_fraction, 0.0);  // the line ends with ".."

  // Line ends: '…', "...", '。', '？', '”', none; bullets after spaces: •, ·, ‣ and '*'.
  st = ComputeTextStats(
      "• one\u2026\n  \u00B7 two...\n\u2023 三。\n* 四？\n\u201Cfive\u201D\nsix  \n\t\n");
  EXPECT_EQ(st.num_lines, 7u);  // the final '\n' starts no line
  EXPECT_EQ(st.num_nonempty_lines, 6u);
  EXPECT_EQ(st.num_bullet_lines, 4u);
  EXPECT_EQ(st.num_ellipsis_lines, 2u);
  EXPECT_EQ(st.num_terminal_lines, 4u);  // "...", 。, ？, ”
  EXPECT_DOUBLE_EQ(st.terminal_line_fraction, 4.0 / 6);

  // Duplicate lines compare trimmed; every repeat counts.
  // Lines "x" " x " "y" "x": repeats 2 (of 4), 2 code points; all occurrences of "x": 3.
  // Code points: 1 + 1 + 3 + 1 + 1 + 1 + 1 = 9.
  st = ComputeTextStats("x\n x \ny\nx");
  EXPECT_EQ(st.num_chars, 9u);
  EXPECT_DOUBLE_EQ(st.dup_line_fraction, 2.0 / 4);
  EXPECT_DOUBLE_EQ(st.dup_line_char_fraction, 2.0 / 9);
  EXPECT_DOUBLE_EQ(st.dup_line_all_char_fraction, 3.0 / 9);

  // Paragraphs: "a\nb" twice and "c": one repeat of 2 code points (a, b) of 11.
  st = ComputeTextStats("a\nb\n\nc\n\na\nb");
  EXPECT_EQ(st.num_paragraphs, 3u);
  EXPECT_DOUBLE_EQ(st.dup_paragraph_fraction, 1.0 / 3);
  EXPECT_DOUBLE_EQ(st.dup_paragraph_char_fraction, 2.0 / 11);

  st = ComputeTextStats("");
  EXPECT_EQ(st.num_chars, 0u);
  EXPECT_EQ(st.num_lines, 0u);
  EXPECT_EQ(st.num_words, 0u);
  EXPECT_DOUBLE_EQ(st.mean_word_length, 0.0);
  st = ComputeTextStats("\n");
  EXPECT_EQ(st.num_lines, 1u);
  EXPECT_EQ(st.num_nonempty_lines, 0u);
}

// A plain, slow implementation of TextStats' definitions (std::map, std::string, ICU's
// general categories), for comparison on random texts.
TextStats ReferenceStats(std::string_view text) {
  auto cps = [](std::string_view s) {
    std::vector<char32_t> out;
    for (size_t i = 0; i < s.size();) out.push_back(NextCodePoint(s, &i));
    return out;
  };
  auto ratio = [](size_t a, size_t b) { return b == 0 ? 0.0 : double(a) / double(b); };
  TextStats st;
  for (char32_t c : cps(text)) {
    ++st.num_chars;
    const int8_t t = u_charType(static_cast<UChar32>(c));
    st.num_letters += U_GET_GC_MASK(static_cast<UChar32>(c)) & U_GC_L_MASK ? 1 : 0;
    st.num_upper += t == U_UPPERCASE_LETTER;
    st.num_digits += t == U_DECIMAL_DIGIT_NUMBER;
    st.num_hash += c == '#';
    st.num_ellipsis += c == U'\u2026';
  }
  for (size_t p = text.find("..."); p != std::string_view::npos; p = text.find("...", p + 3)) {
    ++st.num_ellipsis;
  }
  const auto words = SplitWords(text);
  std::vector<size_t> wlen;
  for (std::string_view w : words) {
    wlen.push_back(cps(w).size());
    st.num_word_chars += wlen.back();
    bool letter = false;
    for (char32_t c : cps(w)) letter |= (U_GET_GC_MASK(static_cast<UChar32>(c)) & U_GC_L_MASK) != 0;
    st.num_alpha_words += letter;
  }
  st.num_words = words.size();
  // Lines.
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    lines.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  st.num_lines = lines.size();
  std::map<std::string, int> seen, total;
  std::vector<std::string> trimmed;
  for (const std::string& l : lines) {
    const size_t b = l.find_first_not_of(" \t\r\v\f");
    trimmed.push_back(
        b == std::string::npos ? "" : l.substr(b, l.find_last_not_of(" \t\r\v\f") - b + 1));
    if (!trimmed.back().empty()) ++total[trimmed.back()];
  }
  size_t repeats = 0, repeat_chars = 0, all_chars = 0;
  std::vector<std::pair<std::string, size_t>> paragraphs;
  bool in_para = false;
  for (const std::string& t : trimmed) {
    if (t.empty()) {
      in_para = false;
      continue;
    }
    const auto c = cps(t);
    ++st.num_nonempty_lines;
    st.num_bullet_lines +=
        std::u32string_view(U"\u2022-*\u00B7\u2023\u25AA\u25E6\u25B8\u25BA\u2043")
            .find(c.front()) != std::u32string_view::npos;
    st.num_terminal_lines +=
        std::u32string_view(U".!?\"'\u201D\u2019\u3002\uFF01\uFF1F").find(c.back()) !=
        std::u32string_view::npos;
    st.num_ellipsis_lines += t.ends_with("...") || t.ends_with("\u2026");
    if (seen[t]++ > 0) ++repeats, repeat_chars += c.size();
    if (total[t] >= 2) all_chars += c.size();
    if (!in_para) paragraphs.emplace_back("", 0);
    in_para = true;
    paragraphs.back().first += t + "\n";
    paragraphs.back().second += c.size();
  }
  st.num_paragraphs = paragraphs.size();
  std::map<std::string, int> pseen;
  size_t prepeats = 0, prepeat_chars = 0;
  for (const auto& [p, chars] : paragraphs) {
    if (pseen[p]++ > 0) ++prepeats, prepeat_chars += chars;
  }
  st.mean_word_length = ratio(st.num_word_chars, st.num_words);
  st.alpha_word_fraction = ratio(st.num_alpha_words, st.num_words);
  st.hash_word_ratio = ratio(st.num_hash, st.num_words);
  st.ellipsis_word_ratio = ratio(st.num_ellipsis, st.num_words);
  st.upper_fraction = ratio(st.num_upper, st.num_letters);
  st.digit_fraction = ratio(st.num_digits, st.num_chars);
  st.bullet_line_fraction = ratio(st.num_bullet_lines, st.num_nonempty_lines);
  st.ellipsis_line_fraction = ratio(st.num_ellipsis_lines, st.num_nonempty_lines);
  st.terminal_line_fraction = ratio(st.num_terminal_lines, st.num_nonempty_lines);
  st.dup_line_fraction = ratio(repeats, st.num_nonempty_lines);
  st.dup_line_char_fraction = ratio(repeat_chars, st.num_chars);
  st.dup_line_all_char_fraction = ratio(all_chars, st.num_chars);
  if (paragraphs.size() > 1) {
    st.dup_paragraph_fraction = ratio(prepeats, paragraphs.size());
    st.dup_paragraph_char_fraction = ratio(prepeat_chars, st.num_chars);
  }
  // N-grams.
  for (size_t n = 2; n <= 10 && st.num_word_chars > 0; ++n) {
    std::map<std::vector<std::string_view>, int> count;
    for (size_t i = 0; i + n <= words.size(); ++i) {
      ++count[std::vector<std::string_view>(words.begin() + i, words.begin() + i + n)];
    }
    size_t best = 0;
    std::vector<bool> covered(words.size());
    for (size_t i = 0; i + n <= words.size(); ++i) {
      const int c = count[std::vector<std::string_view>(words.begin() + i, words.begin() + i + n)];
      if (c < 2) continue;
      size_t chars = 0;
      for (size_t k = i; k < i + n; ++k) chars += wlen[k], covered[k] = true;
      best = std::max(best, c * chars);
    }
    size_t cov = 0;
    for (size_t k = 0; k < words.size(); ++k) cov += covered[k] ? wlen[k] : 0;
    if (n <= 4) {
      st.top_ngram_char_fraction[n - 2] = std::min(1.0, ratio(best, st.num_word_chars));
    } else {
      st.dup_ngram_char_fraction[n - 5] = ratio(cov, st.num_word_chars);
    }
  }
  return st;
}

TEST(FoundryText, StatsAgreeWithAPlainImplementation) {
  std::mt19937 rng(2024);
  // A small vocabulary, so that lines, paragraphs and n-grams repeat.
  const std::vector<std::string> pieces = {
      " ",      " ",        "\n",       "\n\n",    "  ",  "\t",
      "\r",     "the",      "cat",      "The",     "sat", "on",
      "mat",    "x",        "한국어를", "GPU를",   "漢",  "字",
      "か",     "\u3099",   "- ",       "\u2022 ", "* ",  "...",
      ".",      "\u2026",   "#",        "!",       "?",   "\u201D",
      "\u3002", "don't",    "-",        "'",       "42",  "\u00C9t\u00E9",
      "\xff",   "\xe2\x82", "\u00A0"};
  for (int round = 0; round < 1500; ++round) {
    std::string s;
    const int len = static_cast<int>(rng() % 80);
    for (int k = 0; k < len; ++k) s += pieces[rng() % pieces.size()];
    const TextStats got = ComputeTextStats(s);
    const TextStats want = ReferenceStats(s);
    SCOPED_TRACE(testing::Message() << "round " << round << ": " << s);
    ASSERT_EQ(got.num_chars, want.num_chars);
    ASSERT_EQ(got.num_words, want.num_words);
    ASSERT_EQ(got.num_word_chars, want.num_word_chars);
    ASSERT_EQ(got.num_alpha_words, want.num_alpha_words);
    ASSERT_EQ(got.num_letters, want.num_letters);
    ASSERT_EQ(got.num_upper, want.num_upper);
    ASSERT_EQ(got.num_digits, want.num_digits);
    ASSERT_EQ(got.num_hash, want.num_hash);
    ASSERT_EQ(got.num_ellipsis, want.num_ellipsis);
    ASSERT_EQ(got.num_lines, want.num_lines);
    ASSERT_EQ(got.num_nonempty_lines, want.num_nonempty_lines);
    ASSERT_EQ(got.num_bullet_lines, want.num_bullet_lines);
    ASSERT_EQ(got.num_ellipsis_lines, want.num_ellipsis_lines);
    ASSERT_EQ(got.num_terminal_lines, want.num_terminal_lines);
    ASSERT_EQ(got.num_paragraphs, want.num_paragraphs);
    ASSERT_DOUBLE_EQ(got.mean_word_length, want.mean_word_length);
    ASSERT_DOUBLE_EQ(got.alpha_word_fraction, want.alpha_word_fraction);
    ASSERT_DOUBLE_EQ(got.upper_fraction, want.upper_fraction);
    ASSERT_DOUBLE_EQ(got.digit_fraction, want.digit_fraction);
    ASSERT_DOUBLE_EQ(got.dup_line_fraction, want.dup_line_fraction);
    ASSERT_DOUBLE_EQ(got.dup_line_char_fraction, want.dup_line_char_fraction);
    ASSERT_DOUBLE_EQ(got.dup_line_all_char_fraction, want.dup_line_all_char_fraction);
    ASSERT_DOUBLE_EQ(got.dup_paragraph_fraction, want.dup_paragraph_fraction);
    ASSERT_DOUBLE_EQ(got.dup_paragraph_char_fraction, want.dup_paragraph_char_fraction);
    for (int n = 2; n <= 4; ++n) {
      ASSERT_DOUBLE_EQ(got.TopNgramCharFraction(n), want.TopNgramCharFraction(n)) << n;
    }
    for (int n = 5; n <= 10; ++n) {
      ASSERT_DOUBLE_EQ(got.DupNgramCharFraction(n), want.DupNgramCharFraction(n)) << n;
    }
  }
}

TEST(FoundryText, StatsAgreeWithSplitWordsOnRandomText) {
  std::mt19937 rng(99);
  const std::vector<std::string> pieces = {" ", "\n",     "word", "한국어를", "漢",   "か",
                                           "'", "-",      "...",  "#",        "\xff", "A",
                                           "7", "\u0301", ".",    "\u2026"};
  for (int round = 0; round < 2000; ++round) {
    std::string s;
    const int len = static_cast<int>(rng() % 60);
    for (int k = 0; k < len; ++k) {
      if (rng() % 8 == 0) {
        s.push_back(static_cast<char>(rng() & 0xFF));
      } else {
        s += pieces[rng() % pieces.size()];
      }
    }
    const auto words = SplitWords(s);
    const TextStats st = ComputeTextStats(s);
    ASSERT_EQ(st.num_words, words.size()) << round;
    for (double f : {st.alpha_word_fraction, st.dup_line_fraction, st.dup_line_char_fraction,
                     st.dup_line_all_char_fraction, st.bullet_line_fraction,
                     st.terminal_line_fraction, st.upper_fraction, st.digit_fraction}) {
      ASSERT_GE(f, 0.0);
      ASSERT_LE(f, 1.0);
    }
    for (double f : st.top_ngram_char_fraction) ASSERT_LE(f, 1.0);
    for (double f : st.dup_ngram_char_fraction) ASSERT_LE(f, 1.0);
  }
}

}  // namespace
}  // namespace exaone::foundry
