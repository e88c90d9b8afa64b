// Text primitives for the data foundry: normalization of untrusted text, word splitting and the
// per-document statistics that quality filters (Gopher, C4, FineWeb style) decide on.
//
// Everything here takes any bytes: invalid UTF-8 never fails or loops, and every function is
// linear in the input. Invalid bytes are read as U+FFFD, one per maximal subpart of an ill-formed
// sequence (the Unicode Standard's recommended practice, chapter 3 "U+FFFD Substitution of
// Maximal Subparts"; Python's `bytes.decode("utf-8", "replace")` and the WHATWG decoder do the
// same), so "\xE2\x82" is one U+FFFD and "\xFF\xFF" is two.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace exaone::foundry {

// Reads the code point at byte `*pos` of `s` and moves `*pos` past it. An ill-formed sequence
// reads as U+FFFD and moves past its maximal subpart (at least one byte). `*pos` < s.size().
inline char32_t NextCodePoint(std::string_view s, size_t* pos) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = *pos;
  const unsigned b0 = p[i];
  if (b0 < 0x80) {
    *pos = i + 1;
    return b0;
  }
  size_t len;
  char32_t cp;
  unsigned lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2, cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3, cp = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;  // overlong
    if (b0 == 0xED) hi = 0x9F;  // surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4, cp = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;  // overlong
    if (b0 == 0xF4) hi = 0x8F;  // past U+10FFFF
  } else {
    *pos = i + 1;
    return 0xFFFD;
  }
  size_t k = 1;
  for (; k < len && i + k < n; ++k) {
    const unsigned b = p[i + k];
    if (b < lo || b > hi) break;
    lo = 0x80, hi = 0xBF;
    cp = (cp << 6) | (b & 0x3F);
  }
  *pos = i + k;
  return k == len ? cp : char32_t{0xFFFD};
}

// Which steps NormalizeText applies. The output is always valid UTF-8 (invalid sequences become
// U+FFFD), whatever the options: later steps and every consumer need well-formed text.
struct NormalizeOptions {
  // Unicode Normalization Form C (canonical composition): "e" + U+0301 -> "é", conjoining
  // Hangul jamo -> precomposed syllables.
  bool nfc = true;
  // Remove control characters (general category Cc) except '\n', '\t' and '\r' (the last two
  // are the whitespace step's business), plus U+200B ZERO WIDTH SPACE, U+FEFF BOM / ZERO WIDTH
  // NO-BREAK SPACE and U+00AD SOFT HYPHEN. Other format characters (ZWJ, ZWNJ, bidi marks)
  // carry meaning in some scripts and emoji and are kept.
  bool controls = true;
  // Space separators (category Zs: U+00A0, U+2000..U+200A, U+3000, ...) and '\t' become ' ';
  // line breaks ("\r\n", lone '\r', '\v', '\f', U+0085, U+2028, U+2029; the mandatory breaks of
  // UAX #14) become '\n'. Then runs of spaces collapse to one, spaces at the start and end of
  // each line go, three or more consecutive line breaks become two (an empty line separates
  // paragraphs; lines holding only spaces count as empty), and the text is trimmed.
  bool whitespace = true;
};

// Normalizes `text` as `o` says (every step on by default). Steps run as if in the order
// UTF-8 repair, control removal, whitespace, NFC; the result is in NFC when `o.nfc` is set.
std::string NormalizeText(std::string_view text, const NormalizeOptions& o = {});

// Splits `text` into words for quality filters, as views into `text`, in order.
// - A word is a maximal run of letters, digits and combining marks (general categories L, N,
//   M). An apostrophe (' U+2019) or hyphen (- U+2010 U+2011) between two such characters stays
//   inside: "don't" and "state-of-the-art" are one word each.
// - Hangul is made of letters, so a Korean eojeol with its attached particles is one word
//   ("한국어를"), as is "GPU를".
// - Han ideographs and kana (Hiragana, Katakana, including U+30FC and half-width forms) are one
//   word per character, with any combining marks that follow. Chinese and Japanese put no
//   spaces between words and no segmenter is used here; counting characters as words is what
//   Gopher-style filters need to give those languages word counts and n-grams of a sensible
//   scale ("自然语言" is four words; "日本語のテキスト" is eight).
// - Everything else (spaces, punctuation, symbols, U+FFFD, invalid bytes) separates words.
std::vector<std::string_view> SplitWords(std::string_view text);

// Figures about one document, computed by ComputeTextStats in one pass over the text (then a
// pass over per-line and per-word hashes). Counts are code points unless said otherwise; each
// U+FFFD read for invalid bytes counts as one. Fractions are 0 when their denominator is 0.
//
// Lines are the pieces between '\n' (a final '\n' does not start another line); a line is
// trimmed of ' ', '\t', '\r', '\v', '\f' at both ends before any test, and a line is empty when
// nothing is left. Paragraphs are maximal groups of non-empty lines (so empty lines separate
// them). Words are SplitWords' words.
struct TextStats {
  size_t num_chars = 0;           // code points in the whole text
  size_t num_words = 0;           // SplitWords(text).size()
  size_t num_word_chars = 0;      // code points inside words
  size_t num_alpha_words = 0;     // words holding at least one letter (category L)
  size_t num_letters = 0;         // code points of category L
  size_t num_upper = 0;           // code points of category Lu
  size_t num_digits = 0;          // code points of category Nd
  size_t num_hash = 0;            // '#' characters
  size_t num_ellipsis = 0;        // "..." (each run of n dots counts n/3, rounded down) + '…'
  size_t num_lines = 0;           // lines, empty ones included
  size_t num_nonempty_lines = 0;  // lines with something left after trimming
  size_t num_bullet_lines = 0;    // non-empty lines starting with a bullet (see below)
  size_t num_ellipsis_lines = 0;  // non-empty lines ending with "..." or '…'
  size_t num_terminal_lines = 0;  // non-empty lines ending in terminal punctuation
  size_t num_paragraphs = 0;      // paragraphs

  double mean_word_length = 0;     // num_word_chars / num_words
  double alpha_word_fraction = 0;  // num_alpha_words / num_words
  double hash_word_ratio = 0;      // num_hash / num_words (Gopher's symbol-to-word ratio)
  double ellipsis_word_ratio = 0;  // num_ellipsis / num_words
  double upper_fraction = 0;       // num_upper / num_letters
  double digit_fraction = 0;       // num_digits / num_chars

  // Line fractions, over non-empty lines. A bullet is one of • - * · ‣ ▪ ◦ ▸ ► ⁃ as the first
  // character. Terminal punctuation is one of . ! ? " ' ” ’ 。 ！ ？ as the last character
  // (Korean sentences end in '.', so they need nothing more; "..." ends in '.' as well).
  double bullet_line_fraction = 0;
  double ellipsis_line_fraction = 0;
  double terminal_line_fraction = 0;

  // Duplicate lines, Gopher's repetition filter. Non-empty trimmed lines are compared exactly
  // (by 64-bit hash; a collision is astronomically unlikely). A line is a repeat when an
  // identical line occurred earlier in the document: the first occurrence is not a repeat.
  double dup_line_fraction = 0;       // repeats / non-empty lines
  double dup_line_char_fraction = 0;  // code points of repeats (trimmed) / num_chars
  // Code points of every occurrence (first included) of lines that occur two or more times,
  // over num_chars: how much of the text is taken by repeated lines.
  double dup_line_all_char_fraction = 0;
  // The same as dup_line_fraction and dup_line_char_fraction for paragraphs (a paragraph's
  // content is its trimmed lines in order; its length is the sum of theirs).
  double dup_paragraph_fraction = 0;
  double dup_paragraph_char_fraction = 0;

  // Word n-gram repetition, Gopher's definitions with characters counted in words only (the
  // denominator is num_word_chars; an n-gram's length is the sum of its words' lengths).
  // top_ngram_char_fraction[n - 2], n = 2, 3, 4: over the n-grams occurring at least twice,
  // the largest (length x occurrences); 0 when no n-gram repeats. Occurrences may overlap
  // ("a a a a" holds "a a" three times), so the figure is capped at 1.
  std::array<double, 3> top_ngram_char_fraction{};
  // dup_ngram_char_fraction[n - 5], n = 5..10: the code points of words covered by at least one
  // occurrence (first included) of an n-gram that occurs two or more times; each word counts
  // once however many such n-grams cover it. (datatrove instead counts only later, non-
  // overlapping occurrences, which gives smaller figures for the same text.)
  std::array<double, 6> dup_ngram_char_fraction{};

  double TopNgramCharFraction(int n) const { return top_ngram_char_fraction.at(n - 2); }
  double DupNgramCharFraction(int n) const { return dup_ngram_char_fraction.at(n - 5); }
};

TextStats ComputeTextStats(std::string_view text);

}  // namespace exaone::foundry
