#include "foundry/text.h"

#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>
#include <unicode/stringpiece.h>
#include <unicode/uchar.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>

#include "base/error.h"

namespace exaone::foundry {
namespace {

// ---------------------------------------------------------------------------------------------
// Shared helpers

void AppendUtf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

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

inline uint64_t Load64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
inline uint64_t Load32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// Hash of a byte string for equality tests within one document. Short strings (most words)
// are read with overlapping loads, which together with the length determine every byte. Not
// meant to resist inputs crafted to collide; a collision only blurs that document's own
// repetition figures.
uint64_t HashBytes(std::string_view s) {
  const char* p = s.data();
  const size_t n = s.size();
  uint64_t h = 0x9e3779b97f4a7c15ULL ^ (n * 0xff51afd7ed558ccdULL);
  if (n <= 16) {
    uint64_t a, b;
    if (n >= 8) {
      a = Load64(p), b = Load64(p + n - 8);
    } else if (n >= 4) {
      a = Load32(p), b = Load32(p + n - 4);
    } else if (n > 0) {
      const auto u = [&](size_t k) { return static_cast<uint64_t>(static_cast<uint8_t>(p[k])); };
      a = (u(0) << 16) | (u(n / 2) << 8) | u(n - 1), b = 0;
    } else {
      a = b = 0;
    }
    return Mix(h ^ a ^ (b * 0xc2b2ae3d27d4eb4fULL));
  }
  size_t i = 0;
  for (; i + 8 < n; i += 8) h = Mix(h ^ Load64(p + i));
  return Mix(h ^ Load64(p + n - 8));
}

// ---------------------------------------------------------------------------------------------
// NormalizeText

// What the whitespace and control steps do with a byte (for ASCII) or code point.
enum CharKind : uint8_t {
  kPlain,    // kept as is
  kSpace,    // ' ' '\t'
  kNewline,  // '\n'
  kCr,       // '\r'
  kBreak,    // '\v' '\f': mandatory line breaks
  kControl,  // the other C0 controls and DEL
  kMulti,    // a byte of a multi-byte sequence: decode to know
};

constexpr std::array<uint8_t, 256> MakeByteKinds() {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[c] = kControl;
  for (int c = 0x80; c < 0x100; ++c) t[c] = kMulti;
  t[0x7F] = kControl;
  t[' '] = kSpace;
  t['\t'] = kSpace;
  t['\n'] = kNewline;
  t['\r'] = kCr;
  t['\v'] = kBreak;
  t['\f'] = kBreak;
  return t;
}
constexpr std::array<uint8_t, 256> kByteKind = MakeByteKinds();

// The kind of a code point from U+0080; kControl also covers the invisible characters the
// control step removes (U+00AD, U+200B, U+FEFF).
inline CharKind CodePointKind(char32_t cp) {
  if (cp < 0xA0) return cp == 0x85 ? kBreak : kControl;  // C1; U+0085 is NEXT LINE
  if (cp < 0x1680) {
    if (cp == 0xA0) return kSpace;
    if (cp == 0xAD) return kControl;
    return kPlain;
  }
  if (cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x202F || cp == 0x205F ||
      cp == 0x3000) {
    return kSpace;
  }
  if (cp == 0x2028 || cp == 0x2029) return kBreak;
  if (cp == 0x200B || cp == 0xFEFF) return kControl;
  return kPlain;
}

// Whether `cp` may make a text not NFC. A text is in NFC when each of its code points has
// NFC_Quick_Check=Yes and canonical combining class 0; that holds of everything below U+0300
// and of the common CJK blocks (CJK punctuation, kana, Han, Hangul syllables, half- and
// full-width forms), so ASCII, most Latin text and most CJK text skip ICU altogether.
inline bool MayNeedNfc(char32_t cp) {
  if (cp < 0x300) return false;
  if (cp >= 0xAC00) return cp > 0xD7A3 && !(cp >= 0xFF01 && cp <= 0xFF9D);
  if (cp >= 0x3000) {
    return !(cp <= 0x3029 || (cp >= 0x3041 && cp <= 0x3096) || (cp >= 0x30A1 && cp <= 0x30FA) ||
             (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x4E00 && cp <= 0x9FFF));
  }
  return true;
}

// The largest piece handed to ICU at once (its lengths are int32_t).
constexpr size_t kMaxNfcChunk = size_t{1} << 30;

// Puts `s` (valid UTF-8) in NFC.
void ToNfc(std::string& s) {
  UErrorCode ec = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(ec);
  if (U_FAILURE(ec) || nfc == nullptr) {
    throw Error(ErrorCode::kUnsupported,
                std::string("ICU's NFC data is unavailable: ") + u_errorName(ec));
  }
  if (s.size() <= kMaxNfcChunk) {
    const icu::StringPiece piece(s.data(), static_cast<int32_t>(s.size()));
    const bool normalized = nfc->isNormalizedUTF8(piece, ec);
    if (U_SUCCESS(ec) && normalized) return;
  }
  std::string out;
  out.reserve(s.size() + s.size() / 8);
  icu::StringByteSink<std::string> sink(&out);
  // Longer texts go in pieces, each cut just before an ASCII byte: ASCII characters never
  // combine with what precedes them, so NFC of the pieces is NFC of the whole. A piece with no
  // ASCII at all (a gigabyte without a space or newline) is cut at a code point boundary.
  size_t pos = 0;
  while (pos < s.size()) {
    size_t end = std::min(s.size(), pos + kMaxNfcChunk);
    if (end < s.size()) {
      size_t cut = end;
      while (cut > pos && static_cast<unsigned char>(s[cut]) >= 0x80) --cut;
      if (cut == pos) {
        cut = end;
        while (cut > pos && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
      }
      if (cut > pos) end = cut;
    }
    ec = U_ZERO_ERROR;
    nfc->normalizeUTF8(0, icu::StringPiece(s.data() + pos, static_cast<int32_t>(end - pos)), sink,
                       nullptr, ec);
    if (U_FAILURE(ec)) {
      throw Error(ErrorCode::kUnsupported,
                  std::string("ICU NFC normalization failed: ") + u_errorName(ec));
    }
    pos = end;
  }
  s = std::move(out);
}

// Control removal only (the whitespace step is off): keeps '\n', '\t', '\r'.
void CopyRemovingControls(std::string_view text, bool controls, std::string& out,
                          bool& maybe_not_nfc) {
  size_t i = 0;
  const size_t n = text.size();
  while (i < n) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (b < 0x80) {
      const uint8_t k = kByteKind[b];
      if (k == kPlain || k == kSpace || k == kNewline || k == kCr || !controls) {
        out.push_back(static_cast<char>(b));
      }
      ++i;
      continue;
    }
    const size_t start = i;
    const char32_t cp = NextCodePoint(text, &i);
    if (controls) {
      const CharKind k = CodePointKind(cp);
      if (k == kControl || k == kBreak) {
        if (cp != 0x2028 && cp != 0x2029) continue;  // U+2028/9 are not controls
      }
    }
    if (MayNeedNfc(cp)) maybe_not_nfc = true;
    if (cp == 0xFFFD) {
      AppendUtf8(out, cp);  // the input may hold invalid bytes here
    } else {
      out.append(text.data() + start, i - start);
    }
  }
}

// Whitespace step (with or without control removal) in one pass.
void CopyNormalizingSpace(std::string_view text, bool controls, std::string& out,
                          bool& maybe_not_nfc) {
  const size_t n = text.size();
  size_t pending_newlines = 0;  // line breaks seen since the last character kept
  bool pending_space = false;   // a space seen since the last character kept, mid-line
  auto flush = [&] {
    if (pending_newlines > 0) {
      if (!out.empty()) out.append(std::min<size_t>(pending_newlines, 2), '\n');
      pending_newlines = 0;
      pending_space = false;
    } else if (pending_space) {
      out.push_back(' ');
      pending_space = false;
    }
  };
  auto space = [&] {
    if (!out.empty() && pending_newlines == 0) pending_space = true;
  };
  auto newline = [&] {
    pending_space = false;
    ++pending_newlines;
  };
  auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  size_t i = 0;
  while (i < n) {
    // The longest run from i that is copied as it is: plain characters, and single spaces
    // between plain ASCII characters (most of any text).
    size_t j = i;
    while (j < n) {
      const uint8_t k = kByteKind[byte(j)];
      if (k == kPlain) {
        ++j;
      } else if (k == kMulti) {
        size_t q = j;
        const char32_t cp = NextCodePoint(text, &q);
        if (cp == 0xFFFD || CodePointKind(cp) != kPlain) break;
        if (MayNeedNfc(cp)) maybe_not_nfc = true;
        j = q;
      } else if (byte(j) == ' ' && j > i && j + 1 < n && kByteKind[byte(j + 1)] == kPlain) {
        j += 2;
      } else if (byte(j) == ' ' && j > i && j + 1 < n && kByteKind[byte(j + 1)] == kMulti) {
        size_t q = j + 1;
        const char32_t cp = NextCodePoint(text, &q);
        if (cp == 0xFFFD || CodePointKind(cp) != kPlain) break;
        if (MayNeedNfc(cp)) maybe_not_nfc = true;
        j = q;
      } else {
        break;
      }
    }
    if (j > i) {
      flush();
      out.append(text.data() + i, j - i);
      i = j;
      continue;
    }
    // One character that is not plain (or U+FFFD, which may stand for invalid bytes).
    const auto b = byte(i);
    if (b < 0x80) {
      switch (kByteKind[b]) {
        case kSpace:
          space();
          break;
        case kCr:
          if (i + 1 < n && text[i + 1] == '\n') ++i;
          newline();
          break;
        case kNewline:
        case kBreak:
          newline();
          break;
        case kControl:
          if (!controls) {
            flush();
            out.push_back(static_cast<char>(b));
          }
          break;
        default:  // kPlain is taken by the run above
          break;
      }
      ++i;
      continue;
    }
    const size_t start = i;
    const char32_t cp = NextCodePoint(text, &i);
    switch (CodePointKind(cp)) {
      case kSpace:
        space();
        continue;
      case kBreak:
        newline();
        continue;
      case kControl:
        if (controls) continue;
        break;
      default:
        break;
    }
    flush();
    if (MayNeedNfc(cp)) maybe_not_nfc = true;
    if (cp == 0xFFFD) {
      AppendUtf8(out, cp);
    } else {
      out.append(text.data() + start, i - start);
    }
  }
}

}  // namespace

std::string NormalizeText(std::string_view text, const NormalizeOptions& o) {
  std::string out;
  out.reserve(text.size());
  bool maybe_not_nfc = false;  // a code point for which MayNeedNfc holds was kept
  if (o.whitespace) {
    CopyNormalizingSpace(text, o.controls, out, maybe_not_nfc);
  } else {
    CopyRemovingControls(text, o.controls, out, maybe_not_nfc);
  }
  // NFC last: removing characters can bring a letter and a combining mark together, and NFC
  // never creates the spaces, line breaks or controls the earlier steps act on (U+2000 and
  // U+2001 decompose to other spaces, already turned into ' ').
  if (o.nfc && maybe_not_nfc) ToNfc(out);
  return out;
}

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
