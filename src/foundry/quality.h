// Heuristic quality filters in the style of Gopher (MassiveText), C4 and FineWeb, on the text
// statistics of text.h (whose word splitting handles Korean, Chinese and Japanese). The defaults
// are the published thresholds (as datatrove ships them); a recipe can change each one.
// Language-specific checks (English stop words, average word length of space-separated
// languages) apply only to records whose language (from the language stage) is one they are
// meant for, or that have no language annotation.
#pragma once

#include <string>
#include <vector>

#include "foundry/record.h"
#include "foundry/text.h"

namespace exaone::foundry {

struct GopherQuality {
  int min_words = 50, max_words = 100000;
  double min_avg_word_length = 3, max_avg_word_length = 10;
  std::vector<std::string> word_length_languages = {"en", "es", "fr", "de"};
  double max_hash_word_ratio = 0.1, max_ellipsis_word_ratio = 0.1;
  double max_bullet_lines = 0.9, max_ellipsis_lines = 0.3;
  double min_alpha_words = 0.8;
  int min_stop_words = 2;
  std::vector<std::string> stop_words = {"the", "be", "to", "of", "and", "that", "have", "with"};
  std::vector<std::string> stop_word_languages = {"en"};
};
Verdict CheckGopherQuality(std::string_view text, const TextStats& s, const GopherQuality& q,
                           const std::string& language);

struct GopherRepetition {
  double max_dup_lines = 0.3, max_dup_paragraphs = 0.3;
  double max_dup_line_chars = 0.2, max_dup_paragraph_chars = 0.2;
  double max_top_ngram[3] = {0.2, 0.18, 0.16};                     // n = 2, 3, 4
  double max_dup_ngram[6] = {0.15, 0.14, 0.13, 0.12, 0.11, 0.10};  // n = 5 .. 10
};
Verdict CheckGopherRepetition(const TextStats& s, const GopherRepetition& q);

struct FineWebQuality {
  double min_punct_lines = 0.12;  // lines ending in terminal punctuation
  double max_short_lines = 0.67;  // lines of at most short_line_chars code points
  int short_line_chars = 30;
  double max_dup_line_chars = 0.01;  // characters in lines that occur more than once
  double max_newline_word_ratio = 0.3;
};
Verdict CheckFineWebQuality(std::string_view text, const TextStats& s, const FineWebQuality& q);

// C4's rules: lines without terminal punctuation, with fewer than min_words_per_line words, a
// word longer than max_word_length, "javascript" or a cookie / policy notice are removed; the
// document is dropped when the remaining lines mention "lorem ipsum", hold a '{', or have fewer
// than min_sentences sentences. `text` is replaced by what remains.
struct C4Quality {
  int min_sentences = 5, min_words_per_line = 3, max_word_length = 1000;
  bool lorem_ipsum = true, javascript = true, curly_bracket = true, policy = true;
  bool remove_citations = true;  // "[1]", "[citation needed]", "[edit]"
};
Verdict ApplyC4Quality(std::string& text, const C4Quality& q);

}  // namespace exaone::foundry
