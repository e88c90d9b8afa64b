#include "foundry/langid.h"

#include <unicode/uchar.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "foundry/text.h"

namespace exaone::foundry {
namespace {

constexpr size_t kMaxSample = 20000;  // code points looked at
constexpr double kMinLetters = 20;    // weighted letters below which only Hangul/kana decide

enum Lang { kEn, kEs, kFr, kDe, kNumLatin };
constexpr const char* kLatinName[kNumLatin] = {"en", "es", "fr", "de"};

// Frequent function words, chosen to tell the four languages apart; a word frequent in more
// than one language is in each of their lists. Words too ambiguous to help ("a", "e", "o",
// "i") are left out. Lowercase, UTF-8, separated by spaces.
constexpr const char* kFunctionWords[kNumLatin] = {
    // en
    "the of and to is that for it with as be by this are or from at which not have has but "
    "they you he she we his her their would there been were can if its all one more when who "
    "what about than other into these some any may such shall should must our them your was "
    "on in an will also so no",
    // es
    "el los las del por una con para al lo como más pero sus su fue este esta está muy sin "
    "sobre también hasta hay donde desde todo cuando ya ha porque era han ser había puede "
    "estos esa ese eso yo qué él entre nos es de la en que un le les se y son no",
    // fr
    "et est du une qui dans pour pas par sur au aux avec ce cette ces il elle ils nous vous ne "
    "sont mais ou comme plus été être fait leur très aussi où à je était cela peut ont sa ses "
    "même tout des entre nos de la en que un le les se y son on",
    // de
    "der die das und ist nicht ein eine einen einem einer zu den dem von mit sich auf für im "
    "auch sie er wir ich dass daß wie bei oder aus nach wird werden wurde sind hat haben kann "
    "noch nur vom zum zur über aber mehr durch diese dieser wenn schon sein seine am um man "
    "war des es was in an will also so",
};

// Letters (and Spanish's inverted marks) distinctive of one language.
constexpr std::u32string_view kDistinctive[kNumLatin] = {
    U"",
    U"ñÑ¿¡áÁíÍóÓúÚ",
    U"çÇèÈêÊàÀâÂîÎôÔûÛùÙëËœŒ",
    U"äÄöÖüÜßẞ",
};

// Words that French writes elided before a vowel, followed by an apostrophe (l'homme).
constexpr const char* kElisions[] = {"l", "d", "qu", "n",     "c",      "j",
                                     "m", "s", "t",  "jusqu", "lorsqu", "puisqu"};

// The function words by their lowercase UTF-8, each a bit mask of languages: open addressing
// over words of up to 16 bytes, held zero-padded as two 64-bit halves.
class WordTable {
 public:
  static constexpr size_t kMaxLen = 16;

  WordTable() {
    for (int l = 0; l < kNumLatin; ++l) {
      std::string_view list = kFunctionWords[l];
      while (!list.empty()) {
        const size_t sp = std::min(list.find(' '), list.size());
        char w[kMaxLen] = {};
        std::memcpy(w, list.data(), std::min(sp, kMaxLen));
        Entry& e = entries_[Probe(w)];
        std::memcpy(&e.lo, w, 8);
        std::memcpy(&e.hi, w + 8, 8);
        e.mask |= static_cast<uint8_t>(1 << l);
        list.remove_prefix(std::min(sp + 1, list.size()));
      }
    }
  }

  // The languages of the zero-padded word `w` (0 when it is not a function word).
  uint8_t Find(const char* w) const { return entries_[Probe(w)].mask; }

 private:
  struct Entry {
    uint64_t lo = 0, hi = 0;  // lo == 0: empty (no word is empty)
    uint8_t mask = 0;
  };
  static constexpr int kBits = 10;  // 1024 entries for some 250 words

  size_t Probe(const char* w) const {
    uint64_t lo, hi;
    std::memcpy(&lo, w, 8);
    std::memcpy(&hi, w + 8, 8);
    size_t i = static_cast<size_t>((lo * 0x9e3779b97f4a7c15ULL ^ hi * 0xc2b2ae3d27d4eb4fULL) >>
                                   (64 - kBits));
    while (entries_[i].lo != 0 && (entries_[i].lo != lo || entries_[i].hi != hi)) {
      i = (i + 1) & ((size_t{1} << kBits) - 1);
    }
    return i;
  }

  std::array<Entry, size_t{1} << kBits> entries_{};
};

const WordTable& FunctionWords() {
  static const WordTable table;
  return table;
}

bool IsElision(std::string_view w) {
  for (const char* e : kElisions) {
    if (w == e) return true;
  }
  return false;
}

// The letter's language when it is distinctive of one (kNumLatin when not).
int DistinctiveLetter(char32_t c) {
  if (c < 0x80) return kNumLatin;
  for (int l = 0; l < kNumLatin; ++l) {
    if (kDistinctive[l].find(c) != std::u32string_view::npos) return l;
  }
  return kNumLatin;
}

enum Script : uint8_t { kNone, kHangul, kHiragana, kKana, kHan, kLatin, kOther, kMarkOrDigit };

Script ScriptOf(char32_t c) {
  if (c < 0x80) {
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return kLatin;
    if (c >= '0' && c <= '9') return kMarkOrDigit;
    return kNone;
  }
  if (c >= 0xAC00 && c <= 0xD7A3) return kHangul;
  if (c >= 0x4E00 && c <= 0x9FFF) return kHan;
  if ((c >= 0xC0 && c <= 0x24F && c != 0xD7 && c != 0xF7) || (c >= 0x1E00 && c <= 0x1EFF)) {
    return kLatin;
  }
  if ((c >= 0x1100 && c <= 0x11FF) || (c >= 0x3131 && c <= 0x318E) ||
      (c >= 0xA960 && c <= 0xA97F) || (c >= 0xD7B0 && c <= 0xD7FF) ||
      (c >= 0xFFA0 && c <= 0xFFDC)) {
    return kHangul;
  }
  if ((c >= 0x3041 && c <= 0x3096) || (c >= 0x309D && c <= 0x309F)) return kHiragana;
  if ((c >= 0x30A1 && c <= 0x30FA) || (c >= 0x30FC && c <= 0x30FF) ||
      (c >= 0x31F0 && c <= 0x31FF) || (c >= 0xFF66 && c <= 0xFF9D) ||
      (c >= 0x1B000 && c <= 0x1B16F)) {
    return kKana;
  }
  if (c == 0x3005 || c == 0x3007 || (c >= 0x3021 && c <= 0x3029) || (c >= 0x3400 && c <= 0x4DBF) ||
      (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x20000 && c <= 0x323AF)) {
    return kHan;
  }
  if ((c >= 0xFF21 && c <= 0xFF3A) || (c >= 0xFF41 && c <= 0xFF5A)) return kLatin;
  const auto uc = static_cast<UChar32>(c);
  if (u_isalpha(uc)) return kOther;
  if (u_isdigit(uc) || (U_GET_GC_MASK(uc) & U_GC_M_MASK) != 0) return kMarkOrDigit;
  return kNone;
}

// Lowercase of the Latin letters whose case the tables need.
char32_t LowerLatin(char32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 32;
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 32;
  if (c == 0x152) return 0x153;  // Œ
  if (c == 0x1E9E) return 0xDF;  // ẞ
  return c;
}

// Letter counts and Latin evidence gathered from the sample.
struct Counts {
  double hangul = 0, kana = 0, han = 0, latin = 0, other = 0;  // weighted letters
  double hiragana_raw = 0, kana_raw = 0, han_raw = 0;          // letters, unweighted
  std::array<double, kNumLatin> evidence{};
};

class Scanner {
 public:
  explicit Scanner(Counts& c) : c_(c) {}

  void Feed(char32_t cp, Script s) {
    if (s == kNone) {
      if (cp == U'¿' || cp == U'¡') ++c_.evidence[kEs];
      EndToken(cp);
      return;
    }
    switch (s) {
      case kHangul:
        ++hangul_;
        break;
      case kHiragana:
        ++c_.hiragana_raw;
        [[fallthrough]];
      case kKana:
        c_.kana += 2;
        ++c_.kana_raw;
        break;
      case kHan:
        c_.han += 3;
        ++c_.han_raw;
        break;
      case kLatin: {
        ++latin_;
        const int d = DistinctiveLetter(cp);
        if (d != kNumLatin) ++c_.evidence[d];
        AppendLower(cp);
        return;
      }
      case kOther:
        ++other_;
        break;
      default:
        break;
    }
    word_ok_ = false;  // not a pure Latin word
  }

  void EndToken(char32_t next) {
    if (hangul_ > 0) {
      // Letters attached to Hangul count as Korean.
      c_.hangul += 3.0 * hangul_ + latin_ + other_;
    } else {
      c_.latin += latin_;
      c_.other += other_;
      if (latin_ > 0 && word_ok_ && len_ > 0) {
        const uint8_t mask = FunctionWords().Find(word_);
        if (mask != 0) {
          const int k = std::popcount(mask);
          for (int l = 0; l < kNumLatin; ++l) {
            if (mask & (1 << l)) c_.evidence[l] += 1.0 / k;
          }
        }
        if ((next == '\'' || next == U'’') && IsElision(std::string_view(word_, len_))) {
          ++c_.evidence[kFr];
        }
      }
    }
    hangul_ = latin_ = other_ = 0;
    if (len_ > 0) std::memset(word_, 0, sizeof(word_));
    len_ = 0;
    word_ok_ = true;
  }

  // A run of ASCII letters: the same as feeding each in turn.
  void FeedAsciiLetters(const char* p, size_t n) {
    latin_ += n;
    if (!word_ok_ || len_ + n > sizeof(word_)) {
      word_ok_ = false;
      return;
    }
    for (size_t k = 0; k < n; ++k) word_[len_++] = static_cast<char>(p[k] | 0x20);
  }

 private:
  void AppendLower(char32_t cp) {
    cp = LowerLatin(cp);
    char buf[4];
    size_t n;
    if (cp < 0x80) {
      buf[0] = static_cast<char>(cp);
      n = 1;
    } else if (cp < 0x800) {
      buf[0] = static_cast<char>(0xC0 | (cp >> 6));
      buf[1] = static_cast<char>(0x80 | (cp & 0x3F));
      n = 2;
    } else {
      buf[0] = static_cast<char>(0xE0 | (cp >> 12));
      buf[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      buf[2] = static_cast<char>(0x80 | (cp & 0x3F));
      n = 3;
    }
    if (len_ + n > sizeof(word_)) {
      word_ok_ = false;  // longer than any function word
      return;
    }
    for (size_t k = 0; k < n; ++k) word_[len_++] = buf[k];
  }

  Counts& c_;
  size_t hangul_ = 0, latin_ = 0, other_ = 0;  // letters of the current token
  char word_[WordTable::kMaxLen] = {};  // its lowercase UTF-8 while purely Latin, zero-padded
  size_t len_ = 0;
  bool word_ok_ = true;
};

}  // namespace

LangGuess IdentifyLanguage(std::string_view text) {
  Counts c;
  Scanner scanner(c);
  size_t i = 0, seen = 0;
  const size_t n = text.size();
  auto is_letter = [&](size_t k) { return ((text[k] | 0x20) >= 'a' && (text[k] | 0x20) <= 'z'); };
  while (i < n && seen < kMaxSample) {
    if (is_letter(i)) {
      size_t j = i + 1;
      while (j < n && j - i < kMaxSample - seen && is_letter(j)) ++j;
      scanner.FeedAsciiLetters(text.data() + i, j - i);
      seen += j - i;
      i = j;
      continue;
    }
    const char32_t cp = NextCodePoint(text, &i);
    scanner.Feed(cp, ScriptOf(cp));
    ++seen;
  }
  scanner.EndToken(0);

  const double total = c.hangul + c.kana + c.han + c.latin + c.other;
  if (total <= 0) return {"unknown", 0};

  // The CJK candidate.
  std::string cjk;
  double cjk_weight = 0;
  if (c.hangul > 0 && c.hangul >= c.kana && 2 * c.hangul >= c.han) {
    cjk = "ko", cjk_weight = c.hangul + c.han;
  } else if (c.kana_raw > 0 && (c.hiragana_raw >= 0.05 * (c.kana_raw + c.han_raw) ||
                                c.kana_raw >= 0.2 * (c.kana_raw + c.han_raw))) {
    cjk = "ja", cjk_weight = c.kana + c.han;
  } else if (c.han > 0) {
    cjk = "zh", cjk_weight = c.han;
  }

  const bool korean_enough = cjk == "ko" && cjk_weight >= total / 3;
  if (!cjk.empty() && ((cjk_weight >= c.latin && cjk_weight >= c.other) || korean_enough)) {
    if (total < kMinLetters && cjk == "zh") return {"unknown", 0};
    return {cjk, std::min(1.0, cjk_weight / total)};
  }
  if (c.other > c.latin || total < kMinLetters) return {"unknown", 0};

  double evidence = 0;
  int best = 0;
  for (int l = 0; l < kNumLatin; ++l) {
    evidence += c.evidence[l];
    if (c.evidence[l] > c.evidence[best]) best = l;
  }
  if (evidence <= 0) return {"unknown", 0};
  return {kLatinName[best], std::min(1.0, c.latin / total * c.evidence[best] / evidence)};
}

}  // namespace exaone::foundry
