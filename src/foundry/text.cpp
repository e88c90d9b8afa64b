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

}  // namespace exaone::foundry
