// Words and text statistics for the quality filters (text.h): SplitWords and ComputeTextStats
// in one pass over the text, with hashed lines, paragraphs and word n-grams for the repetition
// figures.
#include <unicode/uchar.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "base/error.h"
#include "foundry/minhash.h"
#include "foundry/text.h"

namespace exaone::foundry {
namespace {

// A 64-bit mixer (SplitMix64's finalizer): a bijection whose output bits each depend on every
// input bit.
inline uint64_t Mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

// Hash of a word, line or paragraph for equality tests within one document (minhash.h's
// hasher; a collision would only blur that document's own repetition figures).
uint64_t HashBytes(std::string_view s) {
  static const Hasher64 hasher(0x7e47);
  return hasher(s);
}

}  // namespace

namespace {

// ---------------------------------------------------------------------------------------------
// Character classes for words and statistics

enum CharFlag : uint8_t {
  kLetter = 1,   // general category L
  kUpper = 2,    // Lu
  kDigit = 4,    // Nd
  kNumber = 8,   // N (Nd, Nl, No)
  kMark = 16,    // M
  kIdeo = 32,    // Han or kana letter or number: a word by itself
  kJoiner = 64,  // apostrophe or hyphen, kept between word characters
};
constexpr uint8_t kWordChar = kLetter | kNumber | kMark;

// Flags of ASCII bytes (0 for the bytes of multi-byte sequences).
constexpr std::array<uint8_t, 256> MakeAsciiFlags() {
  std::array<uint8_t, 256> t{};
  for (int c = 'a'; c <= 'z'; ++c) t[c] = kLetter;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = kLetter | kUpper;
  for (int c = '0'; c <= '9'; ++c) t[c] = kDigit | kNumber;
  t['\''] = kJoiner;
  t['-'] = kJoiner;
  return t;
}
constexpr std::array<uint8_t, 256> kAsciiFlags = MakeAsciiFlags();

// Han ideographs (with their iteration and number marks) and kana, as code point ranges.
bool IsHanOrKana(char32_t c) {
  if (c < 0x3005) return false;
  if (c <= 0x30FF) {
    return c <= 0x3007 || (c >= 0x3021 && c <= 0x3029) || (c >= 0x3031 && c <= 0x3035) ||
           (c >= 0x3038 && c <= 0x303C) || c >= 0x3041;
  }
  return (c >= 0x31F0 && c <= 0x31FF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xF900 && c <= 0xFAFF) ||
         (c >= 0xFF66 && c <= 0xFF9F) || (c >= 0x1B000 && c <= 0x1B16F) ||
         (c >= 0x20000 && c <= 0x323AF);
}

uint8_t NonAsciiFlags(char32_t c) {
  if (c >= 0xAC00 && c <= 0xD7A3) return kLetter;          // Hangul syllables
  if (c >= 0x4E00 && c <= 0x9FFF) return kLetter | kIdeo;  // CJK Unified Ideographs
  if (c == 0x2019 || c == 0x2010 || c == 0x2011) return kJoiner;
  uint8_t f = 0;
  switch (u_charType(static_cast<UChar32>(c))) {
    case U_UPPERCASE_LETTER:
      f = kLetter | kUpper;
      break;
    case U_LOWERCASE_LETTER:
    case U_TITLECASE_LETTER:
    case U_MODIFIER_LETTER:
    case U_OTHER_LETTER:
      f = kLetter;
      break;
    case U_DECIMAL_DIGIT_NUMBER:
      f = kDigit | kNumber;
      break;
    case U_LETTER_NUMBER:
    case U_OTHER_NUMBER:
      f = kNumber;
      break;
    case U_NON_SPACING_MARK:
    case U_ENCLOSING_MARK:
    case U_COMBINING_SPACING_MARK:
      return kMark;
    default:
      return 0;
  }
  if (IsHanOrKana(c)) f |= kIdeo;
  return f;
}

// Finds words in a stream of code points (SplitWords' rules). `emit(begin, end, chars,
// has_letter)` receives each word's byte range, its length in code points and whether it holds
// a letter.
template <typename Emit>
class WordScanner {
 public:
  explicit WordScanner(Emit& emit) : emit_(emit) {}

  // The code point at bytes [b, e) of the text, with its flags.
  void Feed(size_t b, size_t e, uint8_t f) {
    if (f & kIdeo) {
      Close();
      Open(b, e, f, true);
    } else if (f & kWordChar) {
      if (open_ && (!ideo_ || (f & kMark))) {
        if (joiner_) ++chars_;  // the joiner is now inside the word
        joiner_ = false;
        end_ = e;
        ++chars_;
        letter_ |= (f & kLetter) != 0;
      } else {
        Close();
        Open(b, e, f, false);
      }
    } else if ((f & kJoiner) && open_ && !ideo_ && !joiner_) {
      joiner_ = true;
    } else {
      Close();
    }
  }

  // A run of ASCII letters and digits at bytes [b, e): the same as feeding each in turn.
  void FeedAsciiRun(size_t b, size_t e, bool letter) {
    if (open_ && !ideo_) {
      if (joiner_) ++chars_;
      joiner_ = false;
      end_ = e;
      chars_ += e - b;
      letter_ |= letter;
    } else {
      Close();
      open_ = true;
      ideo_ = false;
      begin_ = b;
      end_ = e;
      chars_ = e - b;
      letter_ = letter;
    }
  }

  void Close() {
    if (open_) emit_(begin_, end_, chars_, letter_);
    open_ = false;
    joiner_ = false;
  }

 private:
  void Open(size_t b, size_t e, uint8_t f, bool ideo) {
    open_ = true;
    ideo_ = ideo;
    begin_ = b;
    end_ = e;
    chars_ = 1;
    letter_ = (f & kLetter) != 0;
  }

  Emit& emit_;
  bool open_ = false;
  bool ideo_ = false;    // the open word is one Han or kana character (and its marks)
  bool joiner_ = false;  // an apostrophe or hyphen follows the open word
  bool letter_ = false;
  size_t begin_ = 0, end_ = 0, chars_ = 0;
};

// Open-addressing hash table from 64-bit keys to counts, reused across documents. Emptying
// it is O(1): a slot is in use only when it carries the current epoch.
class CountTable {
 public:
  // Empties the table and sizes it for `n` keys at a load of at most 1/4 (short probes); it
  // grows past that as needed.
  void Reset(size_t n) {
    size_t cap = 16;
    while (cap < 4 * n) cap <<= 1;
    if (cap > slots_.size()) {
      slots_.assign(cap, Slot{});
      epoch_ = 0;
    }
    if (++epoch_ == 0) {  // wrapped: clear for real
      std::fill(slots_.begin(), slots_.end(), Slot{});
      epoch_ = 1;
    }
    mask_ = cap - 1;
    size_ = 0;
  }
  // Counts one more `key` and returns its slot (valid until the table grows).
  size_t Add(uint64_t key) {
    if (2 * (size_ + 1) > mask_ + 1) Grow();
    const size_t i = Probe(key);
    Slot& slot = slots_[i];
    if (slot.epoch != epoch_) {
      slot = Slot{key, 0, epoch_};
      ++size_;
    }
    ++slot.count;
    return i;
  }
  uint32_t count(size_t slot) const { return slots_[slot].count; }
  uint32_t CountOf(uint64_t key) const {
    if (slots_.empty()) return 0;
    const Slot& slot = slots_[Probe(key)];
    return slot.epoch == epoch_ ? slot.count : 0;
  }
  size_t capacity() const { return slots_.size(); }
  void Release() { *this = CountTable(); }

 private:
  struct Slot {
    uint64_t key = 0;
    uint32_t count = 0;
    uint32_t epoch = 0;
  };

  // The slot holding `key`, or the empty slot where it goes.
  size_t Probe(uint64_t key) const {
    size_t i = static_cast<size_t>(key) & mask_;
    while (slots_[i].epoch == epoch_ && slots_[i].key != key) i = (i + 1) & mask_;
    return i;
  }
  void Grow() {
    std::vector<Slot> live;
    live.reserve(size_);
    for (size_t i = 0; i <= mask_ && !slots_.empty(); ++i) {
      if (slots_[i].epoch == epoch_) live.push_back(slots_[i]);
    }
    Reset(std::max<size_t>(8, 2 * live.size() + 1));
    for (const Slot& old : live) {
      Slot& slot = slots_[Probe(old.key)];
      slot = Slot{old.key, old.count, epoch_};
      ++size_;
    }
  }

  std::vector<Slot> slots_;
  uint32_t epoch_ = 0;
  size_t mask_ = 0;
  size_t size_ = 0;
};

bool IsBullet(char32_t c) {
  switch (c) {
    case U'•':
    case U'-':
    case U'*':
    case U'·':
    case U'‣':
    case U'▪':
    case U'◦':
    case U'▸':
    case U'►':
    case U'⁃':
      return true;
    default:
      return false;
  }
}

bool IsTerminal(char32_t c) {
  switch (c) {
    case U'.':
    case U'!':
    case U'?':
    case U'"':
    case U'\'':
    case U'”':
    case U'’':
    case U'。':
    case U'！':
    case U'？':
      return true;
    default:
      return false;
  }
}

inline bool IsLineTrim(unsigned char b) {
  return b == ' ' || b == '\t' || b == '\r' || b == '\v' || b == '\f';
}

double Ratio(size_t a, size_t b) {
  return b == 0 ? 0.0 : static_cast<double>(a) / static_cast<double>(b);
}

// Per-thread buffers, kept between documents so that steady-state work allocates nothing.
struct Scratch {
  std::vector<uint64_t> word_hash;
  std::vector<uint32_t> word_chars;
  std::vector<uint64_t> line_hash;
  std::vector<uint32_t> line_chars;
  std::vector<uint64_t> ngram_hash;
  std::vector<uint32_t> ngram_chars;
  std::vector<uint32_t> slot;
  std::vector<uint32_t> cand, next_cand;
  CountTable table;

  // Drops buffers that one huge document grew, so a thread does not hold them forever.
  void Trim() {
    constexpr size_t kKeep = size_t{1} << 20;
    auto trim = [](auto& v) {
      if (v.capacity() > kKeep) std::decay_t<decltype(v)>().swap(v);
    };
    trim(word_hash), trim(word_chars), trim(line_hash), trim(line_chars);
    trim(ngram_hash), trim(ngram_chars), trim(slot), trim(cand), trim(next_cand);
    if (table.capacity() > kKeep) table.Release();
  }
};

// The n-gram figures of `st` from the words' hashes and lengths.
void NgramStats(Scratch& s, TextStats& st) {
  const size_t w = s.word_hash.size();
  if (w < 2 || st.num_word_chars == 0) return;
  const double total = static_cast<double>(st.num_word_chars);
  s.ngram_hash.resize(w);
  s.ngram_chars.resize(w);
  s.slot.resize(w);
  s.cand.clear();
  for (size_t i = 0; i < w; ++i) {
    s.ngram_hash[i] = Mix(s.word_hash[i] ^ 0x5851f42d4c957f2dULL);
    s.ngram_chars[i] = s.word_chars[i];
    if (i + 2 <= w) s.cand.push_back(static_cast<uint32_t>(i));
  }
  // An n-gram at position i can occur twice only if the (n-1)-gram at i does, so each round
  // extends only the positions whose shorter n-gram repeated (often few, making n >= 3 cheap).
  for (size_t n = 2; n <= 10 && !s.cand.empty(); ++n) {
    s.table.Reset(s.cand.size());
    for (uint32_t i : s.cand) {
      s.ngram_hash[i] = Mix(s.ngram_hash[i] ^ s.word_hash[i + n - 1]);
      s.ngram_chars[i] += s.word_chars[i + n - 1];
      s.slot[i] = static_cast<uint32_t>(s.table.Add(s.ngram_hash[i]));
    }
    s.next_cand.clear();
    uint64_t best = 0;         // n <= 4: the largest length x occurrences
    uint64_t covered = 0;      // n >= 5: code points of covered words
    size_t covered_until = 0;  // words before this index are already counted
    for (uint32_t i : s.cand) {
      const uint32_t c = s.table.count(s.slot[i]);
      if (c < 2) continue;
      if (n <= 4) {
        best = std::max<uint64_t>(best, uint64_t{c} * s.ngram_chars[i]);
      } else {
        for (size_t k = std::max<size_t>(i, covered_until); k < i + n; ++k) {
          covered += s.word_chars[k];
        }
        covered_until = std::max<size_t>(covered_until, i + n);
      }
      if (i + n + 1 <= w) s.next_cand.push_back(i);
    }
    if (n <= 4) {
      st.top_ngram_char_fraction[n - 2] = std::min(1.0, static_cast<double>(best) / total);
    } else {
      st.dup_ngram_char_fraction[n - 5] = static_cast<double>(covered) / total;
    }
    std::swap(s.cand, s.next_cand);
  }
}

}  // namespace

std::vector<std::string_view> SplitWords(std::string_view text) {
  std::vector<std::string_view> words;
  auto emit = [&](size_t b, size_t e, size_t, bool) { words.push_back(text.substr(b, e - b)); };
  WordScanner<decltype(emit)> scanner(emit);
  size_t i = 0;
  const size_t n = text.size();
  while (i < n) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (b < 0x80) {
      const uint8_t f = kAsciiFlags[b];
      if (f & kWordChar) {
        size_t j = i + 1;
        uint8_t all = f;
        while (j < n && (kAsciiFlags[static_cast<unsigned char>(text[j])] & kWordChar)) {
          all |= kAsciiFlags[static_cast<unsigned char>(text[j])];
          ++j;
        }
        scanner.FeedAsciiRun(i, j, (all & kLetter) != 0);
        i = j;
      } else {
        scanner.Feed(i, i + 1, f);
        ++i;
      }
      continue;
    }
    const size_t start = i;
    const char32_t cp = NextCodePoint(text, &i);
    scanner.Feed(start, i, NonAsciiFlags(cp));
  }
  scanner.Close();
  return words;
}

TextStats ComputeTextStats(std::string_view text) {
  static thread_local Scratch scratch;
  Scratch& s = scratch;
  s.word_hash.clear();
  s.word_chars.clear();
  s.line_hash.clear();
  s.line_chars.clear();
  TextStats st;

  auto emit = [&](size_t b, size_t e, size_t chars, bool letter) {
    s.word_hash.push_back(HashBytes(text.substr(b, e - b)));
    s.word_chars.push_back(static_cast<uint32_t>(std::min<size_t>(chars, UINT32_MAX)));
    st.num_word_chars += chars;
    st.num_alpha_words += letter;
  };
  WordScanner<decltype(emit)> scanner(emit);

  // Line and paragraph state. Lines are hashed and counted as they end; paragraphs too.
  CountTable& lines = s.table;  // reused for n-grams once lines are done
  lines.Reset(64);
  size_t repeats = 0, repeat_chars = 0;
  std::vector<std::pair<uint64_t, size_t>> paragraphs;  // (hash, chars), usually few
  uint64_t para_hash = 0;
  size_t para_chars = 0, para_lines = 0;

  size_t first = SIZE_MAX;    // byte of the line's first non-trim character
  size_t last_end = 0;        // byte after its last non-trim character
  size_t first_cp_index = 0;  // num_chars before that first character
  size_t last_cp_index = 0;   // num_chars after the last one
  char32_t first_cp = 0, last_cp = 0;
  size_t dots = 0;  // length of the current run of '.'

  auto end_paragraph = [&] {
    if (para_lines > 0) paragraphs.emplace_back(para_hash, para_chars);
    para_hash = 0, para_chars = 0, para_lines = 0;
  };
  auto end_line = [&] {
    ++st.num_lines;
    if (first == SIZE_MAX) {
      end_paragraph();
    } else {
      const std::string_view line = text.substr(first, last_end - first);
      const size_t chars = last_cp_index - first_cp_index;
      ++st.num_nonempty_lines;
      st.num_bullet_lines += IsBullet(first_cp);
      st.num_terminal_lines += IsTerminal(last_cp);
      st.num_ellipsis_lines += line.ends_with("...") || line.ends_with("\u2026");
      const uint64_t h = HashBytes(line);
      if (lines.count(lines.Add(h)) > 1) {
        ++repeats;
        repeat_chars += chars;
      }
      s.line_hash.push_back(h);
      s.line_chars.push_back(static_cast<uint32_t>(std::min<size_t>(chars, UINT32_MAX)));
      para_hash = Mix(para_hash ^ h);
      para_chars += chars;
      ++para_lines;
    }
    first = SIZE_MAX;
  };

  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const size_t start = i;
    const auto b = static_cast<unsigned char>(text[i]);
    if (kAsciiFlags[b] & kWordChar) {
      // A run of ASCII letters and digits: part of a word, never special to lines.
      static_assert(kLetter == 1 && kUpper == 2, "the counts below add flag bits");
      size_t j = i;
      size_t letters = 0, upper = 0;
      while (j < n) {
        const uint8_t f = kAsciiFlags[static_cast<unsigned char>(text[j])];
        if (!(f & kWordChar)) break;
        letters += f & kLetter;
        upper += (f & kUpper) >> 1;
        ++j;
      }
      const size_t len = j - i;
      scanner.FeedAsciiRun(i, j, letters > 0);
      st.num_letters += letters;
      st.num_upper += upper;
      st.num_digits += len - letters;
      st.num_ellipsis += dots / 3;
      dots = 0;
      if (first == SIZE_MAX) {
        first = i;
        first_cp = static_cast<unsigned char>(text[i]);
        first_cp_index = st.num_chars;
      }
      st.num_chars += len;
      last_end = j;
      last_cp = static_cast<unsigned char>(text[j - 1]);
      last_cp_index = st.num_chars;
      i = j;
      continue;
    }
    char32_t cp;
    uint8_t f;
    if (b < 0x80) {
      cp = b;
      f = kAsciiFlags[b];
      ++i;
    } else {
      cp = NextCodePoint(text, &i);
      f = NonAsciiFlags(cp);
    }
    ++st.num_chars;
    scanner.Feed(start, i, f);
    st.num_letters += (f & kLetter) != 0;
    st.num_upper += (f & kUpper) != 0;
    st.num_digits += (f & kDigit) != 0;
    if (cp == '.') {
      ++dots;
    } else {
      st.num_ellipsis += dots / 3;
      dots = 0;
      if (cp == '#') ++st.num_hash;
      if (cp == U'…') ++st.num_ellipsis;
    }
    if (cp == '\n') {
      // The '\n' itself is counted in num_chars but belongs to no line.
      end_line();
      continue;
    }
    if (b >= 0x80 || !IsLineTrim(b)) {
      if (first == SIZE_MAX) {
        first = start;
        first_cp = cp;
        first_cp_index = st.num_chars - 1;
      }
      last_end = i;
      last_cp = cp;
      last_cp_index = st.num_chars;
    }
  }
  scanner.Close();
  st.num_ellipsis += dots / 3;
  if (n > 0 && text.back() != '\n') end_line();  // a last line without its '\n'

  end_paragraph();

  st.num_words = s.word_hash.size();
  st.mean_word_length = Ratio(st.num_word_chars, st.num_words);
  st.alpha_word_fraction = Ratio(st.num_alpha_words, st.num_words);
  st.hash_word_ratio = Ratio(st.num_hash, st.num_words);
  st.ellipsis_word_ratio = Ratio(st.num_ellipsis, st.num_words);
  st.upper_fraction = Ratio(st.num_upper, st.num_letters);
  st.digit_fraction = Ratio(st.num_digits, st.num_chars);
  st.bullet_line_fraction = Ratio(st.num_bullet_lines, st.num_nonempty_lines);
  st.ellipsis_line_fraction = Ratio(st.num_ellipsis_lines, st.num_nonempty_lines);
  st.terminal_line_fraction = Ratio(st.num_terminal_lines, st.num_nonempty_lines);
  st.dup_line_fraction = Ratio(repeats, st.num_nonempty_lines);
  st.dup_line_char_fraction = Ratio(repeat_chars, st.num_chars);

  // Every occurrence of lines seen twice or more: a second look at the per-line hashes.
  size_t all_repeat_chars = 0;
  for (size_t k = 0; k < s.line_hash.size(); ++k) {
    if (lines.CountOf(s.line_hash[k]) >= 2) all_repeat_chars += s.line_chars[k];
  }
  st.dup_line_all_char_fraction = Ratio(all_repeat_chars, st.num_chars);

  st.num_paragraphs = paragraphs.size();
  if (paragraphs.size() > 1) {
    CountTable& pt = lines;
    pt.Reset(paragraphs.size());
    size_t para_repeats = 0, para_repeat_chars = 0;
    for (const auto& [h, chars] : paragraphs) {
      if (pt.count(pt.Add(h)) > 1) {
        ++para_repeats;
        para_repeat_chars += chars;
      }
    }
    st.dup_paragraph_fraction = Ratio(para_repeats, paragraphs.size());
    st.dup_paragraph_char_fraction = Ratio(para_repeat_chars, st.num_chars);
  }

  NgramStats(s, st);
  s.Trim();
  return st;
}

}  // namespace exaone::foundry
