#include "foundry/quality.h"

#include <algorithm>
#include <cctype>
#include <string_view>

namespace exaone::foundry {
namespace {

bool Applies(const std::vector<std::string>& langs, const std::string& language) {
  return language.empty() || std::find(langs.begin(), langs.end(), language) != langs.end();
}

Json Figure(double value, double limit) {
  return {{"value", value}, {"limit", limit}};
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool EndsWithTerminal(std::string_view line) {
  static constexpr std::string_view kEnds[] = {".", "!", "?",  "\"", "'",
                                               "”", "’", "。", "！", "？"};
  for (std::string_view e : kEnds) {
    if (line.size() >= e.size() && line.substr(line.size() - e.size()) == e) return true;
  }
  return false;
}

size_t CodePoints(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// Removes "[12]", "[]", "[edit]" and "[citation needed]".
std::string RemoveCitations(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    if (s[i] == '[') {
      size_t j = i + 1;
      while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
      size_t skip = 0;
      if (j < s.size() && s[j] == ']') {
        skip = j + 1 - i;
      } else if (s.compare(i, 6, "[edit]") == 0) {
        skip = 6;
      } else if (s.compare(i, 18, "[citation needed]") == 0) {
        skip = 18;
      }
      if (skip) {
        i += skip;
        continue;
      }
    }
    out += s[i++];
  }
  return out;
}

}  // namespace

Verdict CheckGopherQuality(std::string_view text, const TextStats& s, const GopherQuality& q,
                           const std::string& language) {
  const double words = static_cast<double>(s.num_words);
  if (words < q.min_words) return Verdict::Drop("gopher_short_doc", Figure(words, q.min_words));
  if (words > q.max_words) return Verdict::Drop("gopher_long_doc", Figure(words, q.max_words));
  if (Applies(q.word_length_languages, language)) {
    if (s.mean_word_length < q.min_avg_word_length) {
      return Verdict::Drop("gopher_below_avg_word_length",
                           Figure(s.mean_word_length, q.min_avg_word_length));
    }
    if (s.mean_word_length > q.max_avg_word_length) {
      return Verdict::Drop("gopher_above_avg_word_length",
                           Figure(s.mean_word_length, q.max_avg_word_length));
    }
  }
  if (s.hash_word_ratio > q.max_hash_word_ratio) {
    return Verdict::Drop("gopher_hash_ratio", Figure(s.hash_word_ratio, q.max_hash_word_ratio));
  }
  if (s.ellipsis_word_ratio > q.max_ellipsis_word_ratio) {
    return Verdict::Drop("gopher_ellipsis_ratio",
                         Figure(s.ellipsis_word_ratio, q.max_ellipsis_word_ratio));
  }
  if (s.bullet_line_fraction > q.max_bullet_lines) {
    return Verdict::Drop("gopher_bullet_lines", Figure(s.bullet_line_fraction, q.max_bullet_lines));
  }
  if (s.ellipsis_line_fraction > q.max_ellipsis_lines) {
    return Verdict::Drop("gopher_ellipsis_lines",
                         Figure(s.ellipsis_line_fraction, q.max_ellipsis_lines));
  }
  if (s.alpha_word_fraction < q.min_alpha_words) {
    return Verdict::Drop("gopher_below_alpha_threshold",
                         Figure(s.alpha_word_fraction, q.min_alpha_words));
  }
  if (q.min_stop_words > 0 && Applies(q.stop_word_languages, language)) {
    int found = 0;
    for (std::string_view w : SplitWords(text)) {
      if (w.size() > 8) continue;
      const std::string lw = Lower(w);
      if (std::find(q.stop_words.begin(), q.stop_words.end(), lw) != q.stop_words.end() &&
          ++found >= q.min_stop_words) {
        break;
      }
    }
    if (found < q.min_stop_words) {
      return Verdict::Drop("gopher_enough_stop_words", Figure(found, q.min_stop_words));
    }
  }
  return Verdict::Keep();
}

Verdict CheckGopherRepetition(const TextStats& s, const GopherRepetition& q) {
  if (s.dup_line_fraction > q.max_dup_lines) {
    return Verdict::Drop("dup_line_frac", Figure(s.dup_line_fraction, q.max_dup_lines));
  }
  if (s.dup_paragraph_fraction > q.max_dup_paragraphs) {
    return Verdict::Drop("dup_para_frac", Figure(s.dup_paragraph_fraction, q.max_dup_paragraphs));
  }
  if (s.dup_line_char_fraction > q.max_dup_line_chars) {
    return Verdict::Drop("dup_line_char_frac",
                         Figure(s.dup_line_char_fraction, q.max_dup_line_chars));
  }
  if (s.dup_paragraph_char_fraction > q.max_dup_paragraph_chars) {
    return Verdict::Drop("dup_para_char_frac",
                         Figure(s.dup_paragraph_char_fraction, q.max_dup_paragraph_chars));
  }
  for (int n = 2; n <= 4; ++n) {
    if (s.TopNgramCharFraction(n) > q.max_top_ngram[n - 2]) {
      return Verdict::Drop("top_" + std::to_string(n) + "_gram",
                           Figure(s.TopNgramCharFraction(n), q.max_top_ngram[n - 2]));
    }
  }
  for (int n = 5; n <= 10; ++n) {
    if (s.DupNgramCharFraction(n) > q.max_dup_ngram[n - 5]) {
      return Verdict::Drop("duplicated_" + std::to_string(n) + "_n_grams",
                           Figure(s.DupNgramCharFraction(n), q.max_dup_ngram[n - 5]));
    }
  }
  return Verdict::Keep();
}

Verdict CheckFineWebQuality(std::string_view text, const TextStats& s, const FineWebQuality& q) {
  size_t lines = 0, punct = 0, short_lines = 0;
  for (size_t start = 0; start <= text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = Trim(text.substr(start, end - start));
    if (!line.empty()) {
      ++lines;
      punct += EndsWithTerminal(line) ? 1 : 0;
      short_lines += CodePoints(line) <= static_cast<size_t>(q.short_line_chars) ? 1 : 0;
    }
    start = end + 1;
  }
  if (lines == 0) return Verdict::Drop("empty");
  const double punct_frac = static_cast<double>(punct) / static_cast<double>(lines);
  if (punct_frac < q.min_punct_lines) {
    return Verdict::Drop("line_punct_ratio", Figure(punct_frac, q.min_punct_lines));
  }
  const double short_frac = static_cast<double>(short_lines) / static_cast<double>(lines);
  if (short_frac > q.max_short_lines) {
    return Verdict::Drop("short_line_ratio", Figure(short_frac, q.max_short_lines));
  }
  if (s.dup_line_char_fraction > q.max_dup_line_chars) {
    return Verdict::Drop("char_dup_ratio", Figure(s.dup_line_char_fraction, q.max_dup_line_chars));
  }
  const size_t newlines = static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
  const double ratio =
      s.num_words ? static_cast<double>(newlines) / static_cast<double>(s.num_words) : 0.0;
  if (ratio > q.max_newline_word_ratio) {
    return Verdict::Drop("list_ratio", Figure(ratio, q.max_newline_word_ratio));
  }
  return Verdict::Keep();
}

Verdict ApplyC4Quality(std::string& text, const C4Quality& q) {
  static constexpr std::string_view kPolicy[] = {"terms of use", "privacy policy", "cookie policy",
                                                 "uses cookies", "use of cookies", "use cookies"};
  std::string kept;
  int sentences = 0;
  for (size_t start = 0; start <= text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line(Trim(std::string_view(text).substr(start, end - start)));
    start = end + 1;
    if (q.remove_citations) line = RemoveCitations(line);
    if (line.empty() || !EndsWithTerminal(line)) continue;
    const std::vector<std::string_view> words = SplitWords(line);
    if (static_cast<int>(words.size()) < q.min_words_per_line) continue;
    bool too_long = false;
    for (std::string_view w : words) {
      too_long = too_long || CodePoints(w) > static_cast<size_t>(q.max_word_length);
    }
    if (too_long) continue;
    const std::string ll = Lower(line);
    if (q.javascript && ll.find("javascript") != std::string::npos) continue;
    bool policy = false;
    for (std::string_view p : kPolicy)
      policy = policy || (q.policy && ll.find(p) != std::string::npos);
    if (policy) continue;
    // Sentences: terminal marks followed by a space or the end of the line.
    for (size_t i = 0; i < line.size(); ++i) {
      const char c = line[i];
      if ((c == '.' || c == '!' || c == '?') && (i + 1 == line.size() || line[i + 1] == ' ')) {
        ++sentences;
      }
    }
    if (!kept.empty()) kept += '\n';
    kept += line;
  }
  // As C4: "lorem ipsum" and '{' are looked for in the lines that remain (code lines mostly end
  // without punctuation and are gone by now).
  if (q.lorem_ipsum && Lower(kept).find("lorem ipsum") != std::string::npos) {
    return Verdict::Drop("lorem_ipsum");
  }
  if (q.curly_bracket && kept.find('{') != std::string::npos) return Verdict::Drop("curly_bracket");
  if (sentences < q.min_sentences) {
    return Verdict::Drop("too_few_sentences", Figure(sentences, q.min_sentences));
  }
  text = std::move(kept);
  return Verdict::Keep();
}

}  // namespace exaone::foundry
