#include "foundry/minhash.h"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <queue>
#include <utility>

#include <unicode/uchar.h>

#include "base/error.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define EXAONE_MINHASH_X86 1
#endif

namespace exaone::foundry {
namespace {

constexpr uint64_t kP = MinHasher::kPrime;

// Nothing-up-the-sleeve constants: the fractional parts of the square roots of 2, 3, 5 and 7.
constexpr uint64_t kSqrt2 = 0x6A09E667F3BCC908ull;
constexpr uint64_t kSqrt3 = 0xBB67AE8584CAA73Bull;
constexpr uint64_t kSqrt5 = 0x3C6EF372FE94F82Bull;
constexpr uint64_t kSqrt7 = 0xA54FF53A5F1D36F1ull;
// Forced into the keys that are xored with data words before a multiply: 0xFF never occurs in
// UTF-8, so a word of text can never cancel a key to zero (which would zero the product).
constexpr uint64_t kHighFF = 0xFF00000000000000ull;

uint64_t SplitMix64(uint64_t& state) {
  state += 0x9E3779B97F4A7C15ull;
  uint64_t z = state;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// 64x64 -> 128-bit product folded to 64 bits.
inline uint64_t Mum(uint64_t a, uint64_t b) {
  const __uint128_t r = static_cast<__uint128_t>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

inline uint64_t Load64(const unsigned char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  return v;
}

// Up to 8 bytes, little-endian, zero-padded.
inline uint64_t LoadPartial(const unsigned char* p, size_t n) {
  if (n >= 8) return Load64(p);
  uint64_t v = 0;
  if (n >= 4) {
    uint32_t lo, hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + n - 4, 4);
    if constexpr (std::endian::native == std::endian::big) {
      lo = __builtin_bswap32(lo);
      hi = __builtin_bswap32(hi);
    }
    // Bytes 4..n-1 come from `hi`, whose first 8-n bytes overlap `lo` and are shifted out.
    v = lo | ((static_cast<uint64_t>(hi) >> (8 * (8 - n))) << 32);
    return v;
  }
  for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}

inline uint64_t ReduceModP(uint64_t h) {
  h = (h & kP) + (h >> 61);
  return h >= kP ? h - kP : h;
}

// (a * h + b) mod p for a, h, b < p.
inline uint64_t MulAddModP(uint64_t a, uint64_t h, uint64_t b) {
  const __uint128_t x = static_cast<__uint128_t>(a) * h + b;                      // < 2^122 + 2^61
  uint64_t r = (static_cast<uint64_t>(x) & kP) + static_cast<uint64_t>(x >> 61);  // < 2^62 + 2
  r = (r & kP) + (r >> 61);                                                       // <= p + 2
  return r >= kP ? r - kP : r;
}

void AccumulateScalar(const uint64_t* h, size_t count, const uint64_t* a, const uint64_t* b,
                      size_t begin, size_t end, uint64_t* mins) {
  for (size_t j = begin; j < end; ++j) {
    uint64_t m = mins[j];
    const uint64_t aj = a[j], bj = b[j];
    for (size_t i = 0; i < count; ++i) m = std::min(m, MulAddModP(aj, h[i], bj));
    mins[j] = m;
  }
}

#ifdef EXAONE_MINHASH_X86
// Four lanes of (a * h + b) mod p with 32-bit limb products (AVX2 has no 64x64-bit multiply).
// With a = a1*2^32 + a0 and h = h1*2^32 + h0 (a1, h1 < 2^29):
//   a*h = a1*h1*2^64 + (a0*h1 + a1*h0)*2^32 + a0*h0,   and mod p, 2^61 = 1, so 2^64 = 8;
//   mid*2^32 = (mid >> 29)*2^61 + (mid mod 2^29)*2^32 = (mid >> 29) + (mid mod 2^29)*2^32;
//   lo = (lo >> 61) + (lo & p).
// The six terms plus b stay below 2^63, so one fold and one conditional subtraction finish the
// reduction exactly, and all compares can be signed.
__attribute__((target("avx2"))) inline __m256i MulAddModP4(__m256i a, __m256i a_hi, __m256i b,
                                                           __m256i h, __m256i h_hi, __m256i p) {
  const __m256i lo = _mm256_mul_epu32(a, h);
  const __m256i mid = _mm256_add_epi64(_mm256_mul_epu32(a, h_hi), _mm256_mul_epu32(a_hi, h));
  const __m256i hi = _mm256_mul_epu32(a_hi, h_hi);
  __m256i s = _mm256_add_epi64(_mm256_slli_epi64(hi, 3), _mm256_srli_epi64(mid, 29));
  s = _mm256_add_epi64(s, _mm256_srli_epi64(_mm256_slli_epi64(mid, 35), 3));
  s = _mm256_add_epi64(s, _mm256_and_si256(lo, p));
  s = _mm256_add_epi64(s, _mm256_srli_epi64(lo, 61));
  s = _mm256_add_epi64(s, b);
  s = _mm256_add_epi64(_mm256_and_si256(s, p), _mm256_srli_epi64(s, 61));  // <= p + 3
  const __m256i over = _mm256_cmpgt_epi64(s, _mm256_sub_epi64(p, _mm256_set1_epi64x(1)));
  return _mm256_sub_epi64(s, _mm256_and_si256(over, p));
}

__attribute__((target("avx2"))) inline __m256i Min4(__m256i m, __m256i v) {
  return _mm256_blendv_epi8(m, v, _mm256_cmpgt_epi64(m, v));
}

__attribute__((target("avx2"))) inline __m256i Load4(const uint64_t* x) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x));
}

__attribute__((target("avx2"))) inline void Store4(uint64_t* x, __m256i v) {
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(x), v);
}

// Minima are kept in registers for a block of 16 permutations while all hashes stream past.
__attribute__((target("avx2"))) void AccumulateAvx2(const uint64_t* h, size_t count,
                                                    const uint64_t* a, const uint64_t* a_hi,
                                                    const uint64_t* b, size_t k, uint64_t* mins) {
  const __m256i p = _mm256_set1_epi64x(static_cast<long long>(kP));
  size_t j = 0;
  for (; j + 16 <= k; j += 16) {
    __m256i m0 = Load4(mins + j), m1 = Load4(mins + j + 4);
    __m256i m2 = Load4(mins + j + 8), m3 = Load4(mins + j + 12);
    for (size_t i = 0; i < count; ++i) {
      const __m256i hv = _mm256_set1_epi64x(static_cast<long long>(h[i]));
      const __m256i hh = _mm256_srli_epi64(hv, 32);
      m0 = Min4(m0, MulAddModP4(Load4(a + j), Load4(a_hi + j), Load4(b + j), hv, hh, p));
      m1 =
          Min4(m1, MulAddModP4(Load4(a + j + 4), Load4(a_hi + j + 4), Load4(b + j + 4), hv, hh, p));
      m2 =
          Min4(m2, MulAddModP4(Load4(a + j + 8), Load4(a_hi + j + 8), Load4(b + j + 8), hv, hh, p));
      m3 = Min4(m3,
                MulAddModP4(Load4(a + j + 12), Load4(a_hi + j + 12), Load4(b + j + 12), hv, hh, p));
    }
    Store4(mins + j, m0);
    Store4(mins + j + 4, m1);
    Store4(mins + j + 8, m2);
    Store4(mins + j + 12, m3);
  }
  for (; j + 4 <= k; j += 4) {
    __m256i m = Load4(mins + j);
    const __m256i aj = Load4(a + j), ahj = Load4(a_hi + j), bj = Load4(b + j);
    for (size_t i = 0; i < count; ++i) {
      const __m256i hv = _mm256_set1_epi64x(static_cast<long long>(h[i]));
      m = Min4(m, MulAddModP4(aj, ahj, bj, hv, _mm256_srli_epi64(hv, 32), p));
    }
    Store4(mins + j, m);
  }
  AccumulateScalar(h, count, a, b, j, k, mins);
}
#endif

// Shingle hashes are produced and consumed in chunks of this many (16 KiB on the stack), so a
// document of any size needs no heap memory.
constexpr size_t kChunk = 2048;

// ---- Canonicalization

// ASCII: the folded byte to keep, or 0 for a separator.
struct AsciiTable {
  unsigned char map[128];
  constexpr AsciiTable() : map() {
    for (int c = 0; c < 128; ++c) {
      if (c >= 'a' && c <= 'z') map[c] = static_cast<unsigned char>(c);
      if (c >= '0' && c <= '9') map[c] = static_cast<unsigned char>(c);
      if (c >= 'A' && c <= 'Z') map[c] = static_cast<unsigned char>(c - 'A' + 'a');
    }
  }
};
constexpr AsciiTable kAscii;

// Strictly well-formed UTF-8 sequence at p (len 0 when ill-formed or cut short).
inline uint32_t DecodeUtf8(const unsigned char* p, size_t avail, size_t& len) {
  const unsigned char b0 = p[0];
  uint32_t cp;
  size_t n;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2, cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3, cp = b0 & 0x0F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4, cp = b0 & 0x07;
  } else {
    len = 0;
    return 0;
  }
  len = 0;
  if (avail < n) return 0;
  for (size_t i = 1; i < n; ++i) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (p[i] & 0x3F);
  }
  static constexpr uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  len = n;
  return cp;
}

inline char* EncodeUtf8(uint32_t cp, char* w) {
  if (cp < 0x80) {
    *w++ = static_cast<char>(cp);
  } else if (cp < 0x800) {
    *w++ = static_cast<char>(0xC0 | (cp >> 6));
    *w++ = static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *w++ = static_cast<char>(0xE0 | (cp >> 12));
    *w++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *w++ = static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    *w++ = static_cast<char>(0xF0 | (cp >> 18));
    *w++ = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    *w++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *w++ = static_cast<char>(0x80 | (cp & 0x3F));
  }
  return w;
}

enum class CpClass { kKeep, kSeparator, kDrop };

inline CpClass Classify(uint32_t cp) {
  // The large caseless blocks first: Hangul syllables and CJK unified ideographs.
  if ((cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0x4E00 && cp <= 0x9FFF)) return CpClass::kKeep;
  // Variation selectors (nonspacing marks that pick an emoji or glyph style) go with the symbol
  // they follow; a zero-width space (Cf) marks a word break in scripts written without spaces.
  if ((cp >= 0xFE00 && cp <= 0xFE0F) || (cp >= 0xE0100 && cp <= 0xE01EF)) return CpClass::kDrop;
  if (cp == 0x200B) return CpClass::kSeparator;
  switch (u_charType(static_cast<UChar32>(cp))) {
    case U_SPACE_SEPARATOR:
    case U_LINE_SEPARATOR:
    case U_PARAGRAPH_SEPARATOR:
    case U_CONTROL_CHAR:
    case U_CONNECTOR_PUNCTUATION:
    case U_DASH_PUNCTUATION:
    case U_START_PUNCTUATION:
    case U_END_PUNCTUATION:
    case U_INITIAL_PUNCTUATION:
    case U_FINAL_PUNCTUATION:
    case U_OTHER_PUNCTUATION:
    case U_MATH_SYMBOL:
    case U_CURRENCY_SYMBOL:
    case U_MODIFIER_SYMBOL:
    case U_OTHER_SYMBOL:
      return CpClass::kSeparator;
    case U_FORMAT_CHAR:
      return CpClass::kDrop;
    default:
      return CpClass::kKeep;
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Hashing

Hasher64::Hasher64(uint64_t seed) {
  uint64_t state = seed ^ kSqrt2;
  k0_ = SplitMix64(state);
  k1_ = SplitMix64(state) | kHighFF;
  k2_ = SplitMix64(state) | kHighFF;
}

uint64_t Hasher64::Hash(const void* data, size_t size) const {
  const auto* p = static_cast<const unsigned char*>(data);
  size_t n = size;
  uint64_t h = k0_;
  while (n > 16) {
    h = Mum(Load64(p) ^ k1_, Load64(p + 8) ^ h);
    p += 16;
    n -= 16;
  }
  // The last 1..16 bytes (none for empty input), zero-padded; the length is mixed in last, so
  // padding cannot make two inputs equal.
  const uint64_t x = LoadPartial(p, std::min<size_t>(n, 8));
  const uint64_t y = n > 8 ? LoadPartial(p + 8, n - 8) : 0;
  h = Mum(x ^ k1_, y ^ h);
  return Mum(h ^ k2_, static_cast<uint64_t>(size) ^ k1_);
}

Key128 ExactKey(std::string_view text) {
  static const Hasher64 hi(kSqrt3), lo(kSqrt5);
  return Key128{hi(text), lo(text)};
}

std::string ToHex(const Key128& key) {
  char buf[33];
  std::snprintf(buf, sizeof(buf), "%016llx%016llx", static_cast<unsigned long long>(key.hi),
                static_cast<unsigned long long>(key.lo));
  return std::string(buf, 32);
}

// ---------------------------------------------------------------------------------------------
// Canonical text

void CanonicalizeForDedup(std::string_view text, std::string* out) {
  // Output never outgrows the input on ASCII (a space is written only for a separator byte that
  // wrote nothing); a few letters grow by one byte when case folded (2 -> 3 bytes), so room for
  // the rest of the input is checked before each non-ASCII write.
  out->resize(text.size() + 16);
  char* w = out->data();
  char* limit = out->data() + out->size();
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  const char* start = w;
  bool pending_space = false;
  size_t i = 0;
  while (i < n) {
    const unsigned char c = s[i];
    if (c < 0x80) {
      const unsigned char m = kAscii.map[c];
      if (m != 0) {
        if (pending_space) *w++ = ' ', pending_space = false;
        *w++ = static_cast<char>(m);
      } else {
        pending_space = w != start;
      }
      ++i;
      continue;
    }
    size_t len;
    const uint32_t cp = DecodeUtf8(s + i, n - i, len);
    if (len == 0) {  // ill-formed byte: a separator
      pending_space = w != start;
      ++i;
      continue;
    }
    i += len;
    const CpClass cls = Classify(cp);
    if (cls == CpClass::kSeparator) {
      pending_space = w != start;
    } else if (cls == CpClass::kKeep) {
      // Room for this code point (a space and 4 bytes) and for every byte still to come.
      if (static_cast<size_t>(limit - w) < (n - i) + 5) {
        const size_t used = static_cast<size_t>(w - out->data());
        out->resize(used + (n - i) + 64);
        w = out->data() + used;
        limit = out->data() + out->size();
        start = out->data();
      }
      if (pending_space) *w++ = ' ', pending_space = false;
      w = EncodeUtf8(
          static_cast<uint32_t>(u_foldCase(static_cast<UChar32>(cp), U_FOLD_CASE_DEFAULT)), w);
    }
  }
  out->resize(static_cast<size_t>(w - out->data()));
}

std::string CanonicalizeForDedup(std::string_view text) {
  std::string out;
  CanonicalizeForDedup(text, &out);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Shingles

ShingleCursor::ShingleCursor(std::string_view text, int n, bool char_ngrams)
    : text_(text), n_(static_cast<size_t>(std::max(n, 1))), chars_(char_ngrams) {
  starts_ = inline_starts_;
  if (n_ > kInlineUnits) {
    heap_starts_.resize(n_);
    starts_ = heap_starts_.data();
  }
}

size_t ShingleCursor::UnitEnd(size_t pos) const {
  const auto* s = reinterpret_cast<const unsigned char*>(text_.data());
  const size_t size = text_.size();
  if (chars_) {
    size_t len = 1;
    if (s[pos] >= 0xC0) {
      size_t cplen;
      DecodeUtf8(s + pos, size - pos, cplen);
      if (cplen != 0) len = cplen;
    }
    return pos + len;
  }
  // Eight bytes at a time: the lowest byte equal to ' ' is the first space (bytes above a match
  // may be flagged falsely through the borrow, which does not matter).
  constexpr uint64_t kOnes = 0x0101010101010101ull, kSpaces = kOnes * ' ';
  while (pos + 8 <= size) {
    const uint64_t x = Load64(s + pos) ^ kSpaces;
    const uint64_t found = (x - kOnes) & ~x & (kOnes << 7);
    if (found != 0) return pos + static_cast<size_t>(std::countr_zero(found) >> 3);
    pos += 8;
  }
  while (pos < size && s[pos] != ' ') ++pos;
  return pos;
}

size_t ShingleCursor::SkipSpaces(size_t pos) const {
  if (chars_) return pos;
  while (pos < text_.size() && text_[pos] == ' ') ++pos;
  return pos;
}

size_t ShingleCursor::Next(const Hasher64& hasher, uint64_t* out, size_t max) {
  if (done_ || max == 0) return 0;
  const size_t size = text_.size();
  size_t got = 0;
  if (!started_) {
    started_ = true;
    size_t pos = SkipSpaces(0);
    if (pos == size) {
      done_ = true;
      return 0;
    }
    // The first window: n units, or all of a shorter text as its one shingle.
    size_t units = 0;
    for (;;) {
      starts_[units++] = pos;
      head_ = UnitEnd(pos);
      if (units == n_) break;
      pos = SkipSpaces(head_);
      if (pos == size) break;
    }
    out[got++] = hasher.Hash(text_.data() + starts_[0], head_ - starts_[0]);
    if (units < n_) {
      done_ = true;
      return got;
    }
  }
  while (got < max) {
    // Slide by one unit: the next unit replaces the oldest in the ring.
    const size_t pos = SkipSpaces(head_);
    if (pos == size) {
      done_ = true;
      break;
    }
    starts_[oldest_] = pos;
    head_ = UnitEnd(pos);
    oldest_ = oldest_ + 1 == n_ ? 0 : oldest_ + 1;
    const size_t tail = starts_[oldest_];
    out[got++] = hasher.Hash(text_.data() + tail, head_ - tail);
  }
  return got;
}

// ---------------------------------------------------------------------------------------------
// MinHash

bool MinHashAvx2Supported() {
#ifdef EXAONE_MINHASH_X86
  __builtin_cpu_init();  // safe and cheap to repeat; needed if called before main
  return __builtin_cpu_supports("avx2");
#else
  return false;
#endif
}

MinHasher::MinHasher(const MinHashConfig& config, MinHashKernel kernel)
    : config_(config), kernel_(kernel), hasher_(config.seed) {
  if (config.ngram < 1 || config.ngram > 1024) {
    throw Error(ErrorCode::kInvalidArgument,
                "minhash ngram must be in [1, 1024], got " + std::to_string(config.ngram));
  }
  if (config.bands < 1 || config.rows < 1 ||
      static_cast<int64_t>(config.bands) * config.rows > 65536) {
    throw Error(ErrorCode::kInvalidArgument,
                "minhash bands and rows must be >= 1 with bands * rows <= 65536, got " +
                    std::to_string(config.bands) + " x " + std::to_string(config.rows));
  }
  if (kernel_ == MinHashKernel::kAuto) {
    kernel_ = MinHashAvx2Supported() ? MinHashKernel::kAvx2 : MinHashKernel::kScalar;
  } else if (kernel_ == MinHashKernel::kAvx2 && !MinHashAvx2Supported()) {
    throw Error(ErrorCode::kUnsupported, "the AVX2 minhash kernel needs a CPU with AVX2");
  }
  const size_t k = static_cast<size_t>(config.bands) * static_cast<size_t>(config.rows);
  a_.resize(k);
  a_hi_.resize(k);
  b_.resize(k);
  uint64_t state = config.seed ^ kSqrt7;
  for (size_t i = 0; i < k; ++i) {
    a_[i] = SplitMix64(state) % (kP - 1) + 1;
    b_[i] = SplitMix64(state) % kP;
    a_hi_[i] = a_[i] >> 32;
  }
}

void MinHasher::Accumulate(const uint64_t* reduced, size_t count, uint64_t* mins) const {
#ifdef EXAONE_MINHASH_X86
  if (kernel_ == MinHashKernel::kAvx2) {
    AccumulateAvx2(reduced, count, a_.data(), a_hi_.data(), b_.data(), a_.size(), mins);
    return;
  }
#endif
  AccumulateScalar(reduced, count, a_.data(), b_.data(), 0, a_.size(), mins);
}

void MinHasher::Signature(std::string_view canonical_text, uint64_t* out) const {
  const size_t k = a_.size();
  std::fill(out, out + k, kP);  // above every reduced value
  uint64_t chunk[kChunk];
  ShingleCursor cursor(canonical_text, config_.ngram, config_.char_ngrams);
  size_t total = 0;
  for (size_t got; (got = cursor.Next(hasher_, chunk, kChunk)) > 0; total += got) {
    for (size_t i = 0; i < got; ++i) chunk[i] = ReduceModP(chunk[i]);
    Accumulate(chunk, got, out);
  }
  if (total == 0) std::fill(out, out + k, kEmptySlot);
}

std::vector<uint64_t> MinHasher::Signature(std::string_view canonical_text) const {
  std::vector<uint64_t> out(a_.size());
  Signature(canonical_text, out.data());
  return out;
}

void MinHasher::SignatureFromHashes(const uint64_t* hashes, size_t count, uint64_t* out) const {
  const size_t k = a_.size();
  if (count == 0) {
    std::fill(out, out + k, kEmptySlot);
    return;
  }
  std::fill(out, out + k, kP);
  uint64_t chunk[kChunk];
  for (size_t done = 0; done < count;) {
    const size_t n = std::min(kChunk, count - done);
    for (size_t i = 0; i < n; ++i) chunk[i] = ReduceModP(hashes[done + i]);
    Accumulate(chunk, n, out);
    done += n;
  }
}

uint64_t MinHasher::BandKey(const uint64_t* signature, int band) const {
  const size_t rows = static_cast<size_t>(config_.rows);
  const uint64_t* first = signature + static_cast<size_t>(band) * rows;
  if constexpr (std::endian::native == std::endian::little) {
    return hasher_.Hash(first, rows * 8);
  } else {
    std::vector<uint64_t> le(first, first + rows);
    for (uint64_t& v : le) v = __builtin_bswap64(v);
    return hasher_.Hash(le.data(), rows * 8);
  }
}

void MinHasher::BandKeys(const uint64_t* signature, uint64_t* keys) const {
  for (int band = 0; band < config_.bands; ++band) keys[band] = BandKey(signature, band);
}

double EstimateJaccard(const uint64_t* a, const uint64_t* b, size_t count) {
  if (count == 0) return 0.0;
  size_t equal = 0;
  for (size_t i = 0; i < count; ++i) equal += a[i] == b[i];
  return static_cast<double>(equal) / static_cast<double>(count);
}

}  // namespace exaone::foundry
