// MinHash deduplication: the hash and signatures against an independent Python implementation,
// canonical text, shingle windows, identical results from the scalar and AVX2 kernels, Jaccard
// estimates against exact shingle-set Jaccard, union-find, LSH buckets in memory and in spilled
// files, and clustering of planted near duplicates.
//
// Pinned values come from this Python 3 reference, written from the definitions in minhash.h and
// run once (`python3 ref.py`); it shares no code with the C++:
//
//   M, P = (1 << 64) - 1, (1 << 61) - 1
//   def splitmix(st):
//       st = (st + 0x9E3779B97F4A7C15) & M; z = st
//       z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
//       z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
//       return st, z ^ (z >> 31)
//   def mum(a, b): r = a * b; return (r & M) ^ (r >> 64)
//   def keys(seed):
//       st = seed ^ 0x6A09E667F3BCC908
//       st, k0 = splitmix(st); st, k1 = splitmix(st); st, k2 = splitmix(st)
//       return k0, k1 | 0xFF << 56, k2 | 0xFF << 56
//   def hash64(data, seed):
//       k0, k1, k2 = keys(seed); h = k0; p = 0; n = len(data)
//       while n > 16:
//           h = mum(int.from_bytes(data[p:p+8], 'little') ^ k1,
//                   int.from_bytes(data[p+8:p+16], 'little') ^ h)
//           p += 16; n -= 16
//       x = int.from_bytes(data[p:p+min(n, 8)], 'little')
//       y = int.from_bytes(data[p+8:p+n], 'little') if n > 8 else 0
//       h = mum(x ^ k1, y ^ h)
//       return mum(h ^ k2, len(data) ^ k1)
//   def perms(seed, k):
//       st = seed ^ 0xA54FF53A5F1D36F1; a = []; b = []
//       for _ in range(k):
//           st, x = splitmix(st); a.append(x % (P - 1) + 1)
//           st, x = splitmix(st); b.append(x % P)
//       return a, b
//   def shingles(text, n):
//       w = [x for x in text.split(' ') if x]
//       if not w: return []
//       if len(w) < n: return [' '.join(w)]
//       return [' '.join(w[i:i+n]) for i in range(len(w) - n + 1)]
//   def signature(text, n=5, k=112, seed=1):
//       a, b = perms(seed, k); hs = [hash64(s.encode(), seed) for s in shingles(text, n)]
//       if not hs: return [M] * k
//       return [min((a[i] * h + b[i]) % P for h in hs) for i in range(k)]
//   def bandkey(sig, band, rows, seed):
//       return hash64(b''.join(v.to_bytes(8, 'little')
//                              for v in sig[band*rows:(band+1)*rows]), seed)
#include <gtest/gtest.h>

#include <unistd.h>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/utf8.h"
#include "foundry/minhash.h"

namespace exaone::foundry {
namespace {

constexpr uint64_t kP = MinHasher::kPrime;

// Deterministic test randomness (splitmix64: the same sequence on every platform).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    state_ += 0x9E3779B97F4A7C15ull;
    uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  size_t Below(size_t n) { return static_cast<size_t>(Next() % n); }

 private:
  uint64_t state_;
};

// A random lowercase word of 3..10 letters.
std::string RandomWord(Rng& rng) {
  std::string w(3 + rng.Below(8), 'a');
  for (char& c : w) c = static_cast<char>('a' + rng.Below(26));
  return w;
}

std::string Join(const std::vector<std::string>& words, size_t begin, size_t end) {
  std::string out;
  for (size_t i = begin; i < end; ++i) {
    if (i > begin) out += ' ';
    out += words[i];
  }
  return out;
}

// Exact shingle-set Jaccard of two canonical texts (word n-grams as strings, no hashing).
double ExactJaccard(const std::string& a, const std::string& b, size_t n) {
  auto shingles = [n](const std::string& text) {
    std::vector<std::string> w;
    size_t pos = 0;
    while (pos < text.size()) {
      const size_t end = std::min(text.find(' ', pos), text.size());
      w.push_back(text.substr(pos, end - pos));
      pos = end + 1;
    }
    std::set<std::string> s;
    for (size_t i = 0; i + n <= w.size(); ++i) s.insert(Join(w, i, i + n));
    return s;
  };
  const auto sa = shingles(a), sb = shingles(b);
  size_t common = 0;
  for (const auto& s : sa) common += sb.count(s);
  return static_cast<double>(common) / static_cast<double>(sa.size() + sb.size() - common);
}

std::vector<uint64_t> AllHashes(std::string_view text, int n, bool chars, const Hasher64& h,
                                size_t max_per_call = 4096) {
  ShingleCursor cursor(text, n, chars);
  std::vector<uint64_t> out;
  std::vector<uint64_t> buf(max_per_call);
  for (size_t got; (got = cursor.Next(h, buf.data(), max_per_call)) > 0;) {
    out.insert(out.end(), buf.begin(), buf.begin() + static_cast<ptrdiff_t>(got));
  }
  return out;
}

// ---- Hashing

TEST(FoundryHash, MatchesPythonReference) {
  struct Case {
    size_t len;
    const char* text;
    uint64_t seed0, seed12345;
  };
  // From the Python reference above: hash64(text, 0), hash64(text, 12345). The lengths cover the
  // empty input, 1..3, 4..7 and 8..16-byte tails, and one and two full 16-byte blocks.
  const Case cases[] = {
      {0, "", 0x539b14b7bda329cdull, 0x5feaa097e6bc042full},
      {1, "a", 0x0e742cfe0bfd7313ull, 0x0e6560104ad9fb23ull},
      {4, "abcd", 0x3394ee2f5d054b51ull, 0x6f6987e9f6d3e419ull},
      {5, "abcde", 0xc3869ab7fb808b9eull, 0x93c47af30726de7cull},
      {6, "abcdef", 0x8beaccb1e916c6dcull, 0x82945200bd784a20ull},
      {7, "abcdefg", 0x13e14ff72b006b9dull, 0xf687e6cd37dcd7a1ull},
      {8, "abcdefgh", 0xae76f86a8bf0a192ull, 0xa783eea0e2fe033cull},
      {9, "abcdefghi", 0xf0f1cc41c7c294b4ull, 0xb1b51faaf3533e9dull},
      {12, "hello world!", 0x0106b0f64930b026ull, 0x5bc7bf276bc3ccafull},
      {15, "hello world!!!!", 0xdf419202197a6ffaull, 0x375bc69a851d4eb9ull},
      {16, "0123456789abcdef", 0xd2fd9bd4983165a2ull, 0x516cc614eeafcb5cull},
      {17, "0123456789abcdefg", 0xdeac43e29c94c1b3ull, 0xd81752cfd8ac2f2aull},
      {33, "0123456789abcdef0123456789abcdef!", 0x37799b46cdc47314ull, 0xdc5ccf2a32f8468cull},
      {43, "the quick brown fox jumps over the lazy dog", 0x6cfb2e1a61373be1ull,
       0xfc51bf743ab8cdbaull},
  };
  const Hasher64 h0(0), h1(12345);
  for (const Case& c : cases) {
    const std::string_view text(c.text, c.len);
    EXPECT_EQ(h0(text), c.seed0) << c.text;
    EXPECT_EQ(h1(text), c.seed12345) << c.text;
    EXPECT_EQ(Hash64(text, 12345), c.seed12345) << c.text;
  }
}

TEST(FoundryHash, NoCollisionsAndBalancedBits) {
  const Hasher64 h(7);
  std::vector<uint64_t> v;
  int ones[64] = {};
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    const uint64_t x = h(std::to_string(i));
    v.push_back(x);
    for (int b = 0; b < 64; ++b) ones[b] += (x >> b) & 1;
  }
  std::sort(v.begin(), v.end());
  EXPECT_EQ(std::adjacent_find(v.begin(), v.end()), v.end());
  for (int b = 0; b < 64; ++b) {  // each bit set half the time (sd 0.0011 of n)
    EXPECT_NEAR(static_cast<double>(ones[b]) / n, 0.5, 0.006) << "bit " << b;
  }
  // Trailing zero bytes and the length are part of the input.
  EXPECT_NE(h(std::string_view("a", 1)), h(std::string_view("a\0", 2)));
  EXPECT_NE(h(std::string(16, '\0')), h(std::string(17, '\0')));
}

TEST(FoundryHash, ExactKey) {
  // hash64(b'hello world', 0xBB67AE8584CAA73B), hash64(b'hello world', 0x3C6EF372FE94F82B) in the
  // Python reference: ExactKey's two seeds.
  const Key128 k = ExactKey("hello world");
  EXPECT_EQ(k.hi, 0x9c3b5e465eb3c0a7ull);
  EXPECT_EQ(k.lo, 0xe26fc7891a8e5bf0ull);
  EXPECT_EQ(ToHex(k), "9c3b5e465eb3c0a7e26fc7891a8e5bf0");
  EXPECT_EQ(ExactKey("hello world"), k);
  EXPECT_NE(ExactKey("hello world "), k);  // the text as given: no normalization
  EXPECT_NE(ExactKey("Hello world"), k);
  EXPECT_NE(ExactKey(""), ExactKey(std::string_view("\0", 1)));
  EXPECT_TRUE(ExactKey("a") < ExactKey("b") || ExactKey("b") < ExactKey("a"));
}

// ---- Canonical text

TEST(FoundryCanonical, AsciiPunctuationAndSpaces) {
  EXPECT_EQ(CanonicalizeForDedup("Hello, World!"), "hello world");
  EXPECT_EQ(CanonicalizeForDedup("  multiple   spaces\t\nand\r\nlines  "),
            "multiple spaces and lines");
  EXPECT_EQ(CanonicalizeForDedup("end.Next"), "end next");
  EXPECT_EQ(CanonicalizeForDedup("don't stop"), "don t stop");
  EXPECT_EQ(CanonicalizeForDedup("Version 2.0 (beta) -- $5 + 3 = 8; a_b"),
            "version 2 0 beta 5 3 8 a b");
  EXPECT_EQ(CanonicalizeForDedup(""), "");
  EXPECT_EQ(CanonicalizeForDedup("!!! ... ???"), "");
  EXPECT_EQ(CanonicalizeForDedup("ABCxyz019"), "abcxyz019");
}

TEST(FoundryCanonical, Unicode) {
  // Simple case folding (CaseFolding.txt C+S): ß stays, capital sigma folds to σ, Kelvin sign to
  // k, ſ (long s) to s.
  EXPECT_EQ(CanonicalizeForDedup("Straße ΣΑΣ Ärger ÉCOLE"), "straße σασ ärger école");
  EXPECT_EQ(CanonicalizeForDedup("\u212A\u017F"), "ks");
  // Fullwidth comma and ideographic full stop are punctuation; CJK and Hangul are kept as is.
  EXPECT_EQ(CanonicalizeForDedup("中文，测试。"), "中文 测试");
  EXPECT_EQ(CanonicalizeForDedup("안녕하세요, 세계!"), "안녕하세요 세계");
  EXPECT_EQ(CanonicalizeForDedup("ＡＢＣ１２３"),
            "ａｂｃ１２３");  // fullwidth letters fold to fullwidth
  // Symbols (So) separate; variation selectors and joiners (Cf) vanish; soft hyphen joins.
  EXPECT_EQ(CanonicalizeForDedup("I \u2764\uFE0F NY"), "i ny");
  EXPECT_EQ(CanonicalizeForDedup("a\U0001F468\u200D\U0001F469b"), "a b");
  EXPECT_EQ(CanonicalizeForDedup("co\u00ADoperate"), "cooperate");
  EXPECT_EQ(CanonicalizeForDedup("\uFEFFbom"), "bom");
  EXPECT_EQ(CanonicalizeForDedup("two\u200Bwords"), "two words");
  EXPECT_EQ(CanonicalizeForDedup("no\u00A0break\u3000ideographic"), "no break ideographic");
  // Combining marks stay (no normalization): e + U+0301.
  EXPECT_EQ(CanonicalizeForDedup("Cafe\u0301"), "cafe\u0301");
}

TEST(FoundryCanonical, InvalidUtf8SeparatesWords) {
  EXPECT_EQ(CanonicalizeForDedup("abc\xFF"
                                 "def"),
            "abc def");
  EXPECT_EQ(CanonicalizeForDedup("caf\xC3\xA9"), "café");
  EXPECT_EQ(CanonicalizeForDedup("caf\xC3"), "caf");  // cut short
  EXPECT_EQ(CanonicalizeForDedup("a\xC0\xAF"
                                 "b"),
            "a b");  // overlong '/'
  EXPECT_EQ(CanonicalizeForDedup("a\xED\xA0\x80"
                                 "b"),
            "a b");  // a surrogate
  EXPECT_EQ(CanonicalizeForDedup("a\xF4\x90\x80\x80"
                                 "b"),
            "a b");  // past U+10FFFF
  EXPECT_EQ(CanonicalizeForDedup(std::string_view("x\0y", 3)), "x y");
  // Random bytes: always valid UTF-8 with single spaces, none at the ends.
  Rng rng(99);
  for (int t = 0; t < 300; ++t) {
    std::string s(rng.Below(200), '\0');
    for (char& c : s) c = static_cast<char>(rng.Next());
    const std::string c = CanonicalizeForDedup(s);
    EXPECT_TRUE(IsValidUtf8(c));
    EXPECT_EQ(c.find("  "), std::string::npos);
    if (!c.empty()) {
      EXPECT_NE(c.front(), ' ');
      EXPECT_NE(c.back(), ' ');
    }
  }
}

TEST(FoundryCanonical, GrowingFoldsAndReusedBuffer) {
  // U+023A (2 bytes) folds to U+2C65 (3 bytes): the output outgrows the input, then ASCII follows.
  std::string in, expected;
  for (int i = 0; i < 3000; ++i) in += "\u023A", expected += "\u2C65";
  in += " " + std::string(5000, 'Q');
  expected += " " + std::string(5000, 'q');
  EXPECT_EQ(CanonicalizeForDedup(in), expected);
  std::string buf = "old contents that are longer than the result";
  CanonicalizeForDedup("New", &buf);
  EXPECT_EQ(buf, "new");
}

// ---- Shingles

TEST(FoundryShingles, WordWindows) {
  const Hasher64 h(1);
  EXPECT_EQ(AllHashes("a b c d e f g", 5, false, h),
            (std::vector<uint64_t>{h("a b c d e"), h("b c d e f"), h("c d e f g")}));
  EXPECT_EQ(AllHashes("a b c d e", 5, false, h), (std::vector<uint64_t>{h("a b c d e")}));
  // Shorter than n: the whole text is one shingle.
  EXPECT_EQ(AllHashes("a b", 5, false, h), (std::vector<uint64_t>{h("a b")}));
  EXPECT_EQ(AllHashes("word", 5, false, h), (std::vector<uint64_t>{h("word")}));
  EXPECT_TRUE(AllHashes("", 5, false, h).empty());
  EXPECT_TRUE(AllHashes("   ", 5, false, h).empty());
  // Raw (non-canonical) text: runs of spaces separate words and stay inside the shingle.
  EXPECT_EQ(AllHashes("  a  b  c ", 2, false, h), (std::vector<uint64_t>{h("a  b"), h("b  c")}));
  EXPECT_EQ(AllHashes("x y z", 1, false, h), (std::vector<uint64_t>{h("x"), h("y"), h("z")}));
  // Long words take the eight-byte scan.
  EXPECT_EQ(AllHashes("abcdefghijklmnopq rstuvwxyz0123456789 z", 2, false, h),
            (std::vector<uint64_t>{h("abcdefghijklmnopq rstuvwxyz0123456789"),
                                   h("rstuvwxyz0123456789 z")}));
}

TEST(FoundryShingles, LargeNAndChunking) {
  const Hasher64 h(5);
  Rng rng(3);
  std::vector<std::string> words;
  for (int i = 0; i < 60; ++i) words.push_back(RandomWord(rng));
  const std::string text = Join(words, 0, words.size());
  // n = 20 keeps the window ring on the heap.
  std::vector<uint64_t> expected;
  for (size_t i = 0; i + 20 <= words.size(); ++i) expected.push_back(h(Join(words, i, i + 20)));
  EXPECT_EQ(AllHashes(text, 20, false, h), expected);
  // Any chunk size gives the same sequence.
  EXPECT_EQ(AllHashes(text, 20, false, h, 1), expected);
  EXPECT_EQ(AllHashes(text, 20, false, h, 7), expected);
}

TEST(FoundryShingles, CharWindows) {
  const Hasher64 h(1);
  EXPECT_EQ(AllHashes("가나다라", 2, true, h),
            (std::vector<uint64_t>{h("가나"), h("나다"), h("다라")}));
  EXPECT_EQ(AllHashes("ab c", 3, true, h), (std::vector<uint64_t>{h("ab "), h("b c")}));
  EXPECT_EQ(AllHashes("日本", 5, true, h), (std::vector<uint64_t>{h("日本")}));
  // A stray byte is one character; a cut-short sequence at the end too.
  EXPECT_EQ(AllHashes("a\xFF"
                      "b\xE4",
                      2, true, h),
            (std::vector<uint64_t>{h("a\xFF"),
                                   h("\xFF"
                                     "b"),
                                   h("b\xE4")}));
}

// ---- Signatures

TEST(FoundryMinHash, MatchesPythonReference) {
  const MinHasher mh{MinHashConfig{}};
  ASSERT_EQ(mh.num_hashes(), 112u);
  // perms(1, 112) in the Python reference.
  EXPECT_EQ(mh.multipliers()[0], 0x143d266bf122c780ull);
  EXPECT_EQ(mh.offsets()[0], 0x1cf100614a69f99cull);
  EXPECT_EQ(mh.multipliers()[111], 0x0e3f7a01e20a2a35ull);
  EXPECT_EQ(mh.offsets()[111], 0x0635feb57d0119a4ull);
  // signature(t) and bandkey(sig, 0 / 13, 8, 1) in the Python reference.
  const std::string t =
      "the quick brown fox jumps over the lazy dog and then some more words follow here";
  const std::vector<uint64_t> sig = mh.Signature(t);
  EXPECT_EQ(sig[0], 0x02219fa86c68f240ull);
  EXPECT_EQ(sig[1], 0x02cf8d25acc3c33dull);
  EXPECT_EQ(sig[57], 0x016d1ecc1bb10288ull);
  EXPECT_EQ(sig[111], 0x01e10099a78329e0ull);
  EXPECT_EQ(mh.BandKey(sig.data(), 0), 0xa9195b550bf49f72ull);
  EXPECT_EQ(mh.BandKey(sig.data(), 13), 0x7bed489f28f169e3ull);
  std::vector<uint64_t> keys(14);
  mh.BandKeys(sig.data(), keys.data());
  EXPECT_EQ(keys[0], 0xa9195b550bf49f72ull);
  EXPECT_EQ(keys[13], 0x7bed489f28f169e3ull);
  // signature('hello world', seed=7): two words, one whole-text shingle.
  MinHashConfig c7;
  c7.seed = 7;
  const std::vector<uint64_t> short_sig = MinHasher(c7).Signature("hello world");
  EXPECT_EQ(short_sig[0], 0x184638a3719cf3c5ull);
  EXPECT_EQ(short_sig[111], 0x1a70faeef70e78fcull);
  // Code-point 3-grams of '가나다라 마바', seed 3, 2 bands x 3 rows.
  MinHashConfig cc;
  cc.ngram = 3;
  cc.bands = 2;
  cc.rows = 3;
  cc.seed = 3;
  cc.char_ngrams = true;
  EXPECT_EQ(
      MinHasher(cc).Signature("가나다라 마바"),
      (std::vector<uint64_t>{0x015e1e552023df97ull, 0x0b9b48ec747818feull, 0x0634c4ab6805502eull,
                             0x093e40a569266f4full, 0x02b3015392c9b6a8ull, 0x04394a01b626e03eull}));
}

TEST(FoundryMinHash, IdenticalAndEmptyTexts) {
  const MinHasher mh{MinHashConfig{}};
  const std::string a = CanonicalizeForDedup("Hello, World! This is a TEST of the system.");
  const std::string b = CanonicalizeForDedup("hello world   this is a test of the system");
  EXPECT_EQ(a, b);
  EXPECT_EQ(mh.Signature(a), mh.Signature(b));
  EXPECT_NE(mh.Signature(a), mh.Signature("hello world this is a test of the systems"));
  const std::vector<uint64_t> empty(112, MinHasher::kEmptySlot);
  EXPECT_EQ(mh.Signature(""), empty);
  EXPECT_EQ(mh.Signature(CanonicalizeForDedup("?!")), empty);
  for (const uint64_t v : mh.Signature(a)) EXPECT_LT(v, kP);
  // Another seed gives another signature.
  MinHashConfig c2;
  c2.seed = 2;
  EXPECT_NE(MinHasher(c2).Signature(a), mh.Signature(a));
  // Raw invalid bytes (not canonicalized) are hashed without harm.
  EXPECT_EQ(mh.Signature("a\xFF\xFE b \xC3").size(), 112u);
}

TEST(FoundryMinHash, KernelsAgreeWithReference) {
  if (!MinHashAvx2Supported()) GTEST_SKIP() << "this CPU has no AVX2";
  // Hash values at the edges of the reduction mod p, then random ones.
  std::vector<uint64_t> hashes = {0,
                                  1,
                                  kP - 1,
                                  kP,
                                  kP + 1,
                                  kP + 2,
                                  uint64_t{1} << 61,
                                  uint64_t{1} << 63,
                                  ~uint64_t{0},
                                  ~uint64_t{0} - 1,
                                  2 * kP,
                                  2 * kP + 5,
                                  0xFFFFFFFFull,
                                  0x100000000ull,
                                  0x1FFFFFFFFFFFFFFFull};
  Rng rng(11);
  for (int i = 0; i < 3000; ++i) hashes.push_back(rng.Next());
  const int shapes[][2] = {{14, 8}, {3, 5}, {1, 1}, {5, 4}, {9, 4}, {1, 7}, {2, 9}};
  for (const auto& shape : shapes) {
    for (uint64_t seed : {1ull, 2ull, 0xDEADBEEFull}) {
      MinHashConfig c;
      c.bands = shape[0];
      c.rows = shape[1];
      c.seed = seed;
      const MinHasher scalar(c, MinHashKernel::kScalar), avx2(c, MinHashKernel::kAvx2);
      ASSERT_EQ(scalar.kernel(), MinHashKernel::kScalar);
      ASSERT_EQ(avx2.kernel(), MinHashKernel::kAvx2);
      const size_t k = scalar.num_hashes();
      // Reference: 128-bit arithmetic with the % operator.
      std::vector<uint64_t> ref(k, ~uint64_t{0});
      for (size_t j = 0; j < k; ++j) {
        for (const uint64_t h : hashes) {
          const __uint128_t v =
              (static_cast<__uint128_t>(scalar.multipliers()[j]) * h + scalar.offsets()[j]) % kP;
          ref[j] = std::min(ref[j], static_cast<uint64_t>(v));
        }
      }
      std::vector<uint64_t> s1(k), s2(k);
      scalar.SignatureFromHashes(hashes.data(), hashes.size(), s1.data());
      avx2.SignatureFromHashes(hashes.data(), hashes.size(), s2.data());
      EXPECT_EQ(s1, ref);
      EXPECT_EQ(s2, ref);
      // Each edge value alone (the minimum is that value's permutation).
      for (size_t i = 0; i < 15; ++i) {
        scalar.SignatureFromHashes(&hashes[i], 1, s1.data());
        avx2.SignatureFromHashes(&hashes[i], 1, s2.data());
        EXPECT_EQ(s1, s2) << "hash " << hashes[i];
      }
    }
  }
  // Hashes that land exactly on the smallest and largest values of one permutation: h = (v - b)
  // / a mod p. Values 0..3 are where the kernels' last conditional subtraction decides.
  auto mul_mod = [](uint64_t x, uint64_t y) {
    return static_cast<uint64_t>(static_cast<__uint128_t>(x) * y % kP);
  };
  auto inverse = [&](uint64_t x) {  // x^(p-2) mod p
    uint64_t result = 1, base = x;
    for (uint64_t e = kP - 2; e != 0; e >>= 1) {
      if (e & 1) result = mul_mod(result, base);
      base = mul_mod(base, base);
    }
    return result;
  };
  for (const MinHashKernel kernel : {MinHashKernel::kScalar, MinHashKernel::kAvx2}) {
    const MinHasher mh(MinHashConfig{}, kernel);
    std::vector<uint64_t> out(mh.num_hashes());
    for (size_t j = 0; j < mh.num_hashes(); j += 13) {
      for (const uint64_t v : {uint64_t{0}, uint64_t{1}, uint64_t{2}, uint64_t{3}, kP - 1}) {
        const uint64_t h = mul_mod((v + kP - mh.offsets()[j]) % kP, inverse(mh.multipliers()[j]));
        for (const uint64_t input : {h, h + kP}) {  // h + p: the same residue, unreduced
          mh.SignatureFromHashes(&input, 1, out.data());
          EXPECT_EQ(out[j], v) << "permutation " << j;
        }
      }
    }
  }
  // Whole texts, including ones longer than a chunk of 2048 shingles.
  const MinHasher scalar(MinHashConfig{}, MinHashKernel::kScalar);
  const MinHasher avx2(MinHashConfig{}, MinHashKernel::kAvx2);
  for (size_t words : {0, 1, 4, 5, 6, 100, 5000}) {
    std::string text;
    for (size_t i = 0; i < words; ++i) text += (i ? " " : "") + RandomWord(rng);
    EXPECT_EQ(scalar.Signature(text), avx2.Signature(text)) << words << " words";
  }
}

TEST(FoundryMinHash, RawBytes) {
  // Signatures of arbitrary bytes (not canonicalized), words and code points: entries are reduced
  // values or all empty, and both kernels agree.
  Rng rng(31);
  MinHashConfig words_config, chars_config;
  chars_config.char_ngrams = true;
  chars_config.ngram = 3;
  for (const MinHashConfig& c : {words_config, chars_config}) {
    const MinHasher scalar(c, MinHashKernel::kScalar);
    const MinHasher best(c);
    for (int t = 0; t < 300; ++t) {
      std::string s(rng.Below(300), ' ');
      for (char& ch : s) {
        if (rng.Below(3) != 0) ch = static_cast<char>(rng.Below(4) == 0 ? ' ' : rng.Next());
      }
      const std::vector<uint64_t> sig = scalar.Signature(s);
      EXPECT_EQ(best.Signature(s), sig);
      const bool empty = sig[0] == MinHasher::kEmptySlot;
      for (const uint64_t v : sig) EXPECT_TRUE(empty ? v == MinHasher::kEmptySlot : v < kP);
      EXPECT_EQ(empty, s.find_first_not_of(c.char_ngrams ? "" : " ") == std::string::npos);
    }
  }
}

TEST(FoundryMinHash, JaccardEstimates) {
  // Pairs share a common run of c words and end in u different words each: c - 4 shared 5-grams
  // and u of each text's own (4 across the boundary, u - 4 after it), so Jaccard is
  // (c - 4) / (c - 4 + 2u). The estimate from 112
  // hashes has standard deviation sqrt(J(1-J)/112) <= 0.047 per pair.
  const MinHasher mh{MinHashConfig{}};
  Rng rng(2024);
  struct Target {
    size_t common, unique;
  };
  // Jaccard about 0.2, 0.5, 0.8 and 0.95.
  for (const Target& target :
       {Target{404, 800}, Target{404, 200}, Target{404, 50}, Target{404, 10}}) {
    double sum_true = 0, sum_est = 0, sum_abs = 0;
    const int pairs = 40;
    for (int p = 0; p < pairs; ++p) {
      std::vector<std::string> common, ua, ub;
      for (size_t i = 0; i < target.common; ++i) common.push_back(RandomWord(rng));
      for (size_t i = 0; i < target.unique; ++i) ua.push_back(RandomWord(rng));
      for (size_t i = 0; i < target.unique; ++i) ub.push_back(RandomWord(rng));
      const std::string c = Join(common, 0, common.size());
      const std::string a = c + " " + Join(ua, 0, ua.size());
      const std::string b = c + " " + Join(ub, 0, ub.size());
      const double truth = ExactJaccard(a, b, 5);
      const auto sa = mh.Signature(a), sb = mh.Signature(b);
      const double est = EstimateJaccard(sa.data(), sb.data(), sa.size());
      EXPECT_NEAR(est, truth, 0.2);
      sum_true += truth;
      sum_est += est;
      sum_abs += std::fabs(est - truth);
    }
    const double mean_true = sum_true / pairs;
    SCOPED_TRACE("true Jaccard " + std::to_string(mean_true));
    EXPECT_NEAR(mean_true,
                static_cast<double>(target.common - 4) /
                    static_cast<double>(target.common - 4 + 2 * target.unique),
                0.01);
    EXPECT_NEAR(sum_est / pairs, mean_true, 0.03);  // unbiased: the mean's sd is <= 0.0075
    EXPECT_LT(sum_abs / pairs, 0.06);               // mean |error| ~ 0.8 sd <= 0.038
  }
}

TEST(FoundryMinHash, BadConfig) {
  auto expect_invalid = [](MinHashConfig c) {
    try {
      MinHasher mh(c);
      ADD_FAILURE() << "accepted ngram " << c.ngram << " bands " << c.bands << " rows " << c.rows;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    }
  };
  MinHashConfig c;
  c.ngram = 0;
  expect_invalid(c);
  c = MinHashConfig{};
  c.bands = 0;
  expect_invalid(c);
  c = MinHashConfig{};
  c.rows = -1;
  expect_invalid(c);
  c = MinHashConfig{};
  c.bands = 1000;
  c.rows = 1000;
  expect_invalid(c);
  EXPECT_EQ(EstimateJaccard(nullptr, nullptr, 0), 0.0);
}

// ---- Clustering

TEST(FoundryUnionFind, TransitivityAndSmallest) {
  UnionFind uf(10);
  EXPECT_TRUE(uf.Union(7, 2));
  EXPECT_TRUE(uf.Union(4, 9));
  EXPECT_FALSE(uf.Union(2, 7));
  EXPECT_NE(uf.Find(2), uf.Find(4));
  EXPECT_TRUE(uf.Union(9, 7));  // joins {2, 7} and {4, 9}
  EXPECT_EQ(uf.Find(2), uf.Find(4));
  EXPECT_EQ(uf.Find(7), uf.Find(9));
  EXPECT_FALSE(uf.Union(4, 2));
  EXPECT_EQ(uf.Smallest(9), 2u);
  EXPECT_EQ(uf.Representatives(), (std::vector<uint32_t>{0, 1, 2, 3, 2, 5, 6, 2, 8, 2}));
  EXPECT_THROW(uf.Find(10), Error);
  EXPECT_THROW(uf.Union(0, 11), Error);
}

TEST(FoundryUnionFind, LongChains) {
  // Unions in an order that builds deep trees without union by rank; Find is iterative.
  const uint32_t n = 200000;
  UnionFind uf(n);
  for (uint32_t i = n - 1; i > 0; --i) uf.Union(i, i - 1);
  for (uint32_t i = 0; i < n; i += 997) EXPECT_EQ(uf.Smallest(i), 0u);
  EXPECT_EQ(uf.Find(n - 1), uf.Find(0));
}

std::vector<std::vector<uint32_t>> Buckets(const std::function<void(const BucketFn&)>& run) {
  std::vector<std::vector<uint32_t>> out;
  run([&](std::span<const uint32_t> docs) { out.emplace_back(docs.begin(), docs.end()); });
  std::sort(out.begin(), out.end());
  return out;
}

TEST(FoundryLsh, BucketsInMemory) {
  LshIndex index(2);
  const uint64_t keys[][2] = {{10, 1}, {20, 2}, {10, 3}, {30, 2}, {10, 4}, {40, 5}};
  for (uint32_t d = 0; d < 6; ++d) index.Add(d, keys[d]);
  EXPECT_EQ(index.entries(0), 6u);
  EXPECT_EQ(Buckets([&](const BucketFn& fn) { index.ForEachBucket(0, fn); }),
            (std::vector<std::vector<uint32_t>>{{0, 2, 4}}));
  EXPECT_EQ(Buckets([&](const BucketFn& fn) { index.ForEachBucket(1, fn); }),
            (std::vector<std::vector<uint32_t>>{{1, 3}}));
  EXPECT_THROW(index.ForEachBucket(2, [](std::span<const uint32_t>) {}), Error);
  // A doc added twice with one key is one member.
  std::vector<BandEntry> entries = {{5, 1}, {5, 1}, {6, 2}, {6, 3}};
  EXPECT_EQ(Buckets([&](const BucketFn& fn) { ForEachBucket(entries, fn); }),
            (std::vector<std::vector<uint32_t>>{{2, 3}}));
}

class TempFiles {
 public:
  TempFiles()
      : dir_(std::filesystem::temp_directory_path() /
             ("foundry_minhash_test_" + std::to_string(::getpid()))) {
    std::filesystem::create_directories(dir_);
  }
  ~TempFiles() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

 private:
  std::filesystem::path dir_;
};

TEST(FoundryLsh, SpilledBandFiles) {
  TempFiles tmp;
  // Two workers index disjoint docs; their band 0 files are merged.
  LshIndex w1(1), w2(1);
  const uint64_t k7 = 7, k8 = 8, k9 = 9, kbig = ~uint64_t{0};
  w1.Add(0, &k7);
  w1.Add(1, &k9);
  w1.Add(2, &kbig);
  w2.Add(3, &k8);
  w2.Add(4, &k7);
  w2.Add(5, &kbig);
  w2.Add(6, &k7);
  w1.SpillBand(0, tmp.Path("w1.band0"));
  w2.SpillBand(0, tmp.Path("w2.band0"));
  EXPECT_EQ(w1.entries(0), 0u);
  EXPECT_EQ(std::filesystem::file_size(tmp.Path("w1.band0")), 8u + 3 * 12);
  const std::vector<std::string> files = {tmp.Path("w2.band0"), tmp.Path("w1.band0")};
  EXPECT_EQ(Buckets([&](const BucketFn& fn) { LshIndex::ForEachBucketInFiles(files, fn); }),
            (std::vector<std::vector<uint32_t>>{{0, 4, 6}, {2, 5}}));
  // The same file twice: each doc counts once.
  const std::vector<std::string> twice = {tmp.Path("w1.band0"), tmp.Path("w1.band0")};
  EXPECT_TRUE(
      Buckets([&](const BucketFn& fn) { LshIndex::ForEachBucketInFiles(twice, fn); }).empty());

  auto code_of = [&](const std::vector<std::string>& paths) {
    try {
      LshIndex::ForEachBucketInFiles(paths, [](std::span<const uint32_t>) {});
    } catch (const Error& e) {
      return static_cast<int>(e.code());
    }
    return -1;
  };
  EXPECT_EQ(code_of({tmp.Path("missing")}), static_cast<int>(ErrorCode::kIo));
  { std::ofstream(tmp.Path("junk"), std::ios::binary) << "not a band file at all"; }
  EXPECT_EQ(code_of({tmp.Path("junk")}), static_cast<int>(ErrorCode::kBadFile));
  {
    std::ifstream in(tmp.Path("w2.band0"), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ofstream(tmp.Path("cut"), std::ios::binary) << bytes.substr(0, bytes.size() - 5);
    // Entries 1 and 2 swapped: (7, 4) before (7, 6) before (8, 3) becomes 7, 8, 7.
    std::string swapped = bytes;
    std::swap_ranges(swapped.begin() + 8 + 12, swapped.begin() + 8 + 24, swapped.begin() + 8 + 24);
    std::ofstream(tmp.Path("unsorted"), std::ios::binary) << swapped;
  }
  EXPECT_EQ(code_of({tmp.Path("cut")}), static_cast<int>(ErrorCode::kBadFile));
  EXPECT_EQ(code_of({tmp.Path("unsorted")}), static_cast<int>(ErrorCode::kBadFile));
}

TEST(FoundryLsh, LinkBucketVerification) {
  // Doc 1 agrees with doc 0 in 100 of 112 entries (0.89), doc 2 in 50 (0.45), doc 3 with doc 2
  // in 112 - 10 entries.
  const size_t k = 112;
  std::vector<uint64_t> sigs(4 * k);
  Rng rng(5);
  for (auto& v : sigs) v = rng.Next() % kP;
  for (size_t i = 0; i < 100; ++i) sigs[1 * k + i] = sigs[0 * k + i];
  for (size_t i = 0; i < 50; ++i) sigs[2 * k + i] = sigs[0 * k + i];
  for (size_t i = 10; i < k; ++i) sigs[3 * k + i] = sigs[2 * k + i];
  const std::vector<uint32_t> docs = {0, 1, 2, 3};
  {
    UnionFind uf(4);
    LinkBucket(docs, uf, ClusterOptions{}, sigs.data(), k);
    EXPECT_EQ(uf.Representatives(), (std::vector<uint32_t>{0, 0, 2, 2}));
  }
  {
    UnionFind uf(4);  // datatrove's rule: every bucket member joins
    ClusterOptions o;
    o.verify_threshold = 0;
    LinkBucket(docs, uf, o, nullptr, k);
    EXPECT_EQ(uf.Representatives(), (std::vector<uint32_t>{0, 0, 0, 0}));
  }
  {
    UnionFind uf(4);  // one anchor: doc 2 is not an anchor, so doc 3 finds no match here
    ClusterOptions o;
    o.max_anchors_per_bucket = 1;
    LinkBucket(docs, uf, o, sigs.data(), k);
    EXPECT_EQ(uf.Representatives(), (std::vector<uint32_t>{0, 0, 2, 3}));
  }
  {
    UnionFind uf(4);  // a stricter threshold than doc 1's 0.89
    ClusterOptions o;
    o.verify_threshold = 0.9;
    LinkBucket(docs, uf, o, sigs.data(), k);
    EXPECT_EQ(uf.Representatives(), (std::vector<uint32_t>{0, 1, 2, 2}));
  }
  UnionFind uf(4);
  EXPECT_THROW(LinkBucket(docs, uf, ClusterOptions{}, nullptr, k), Error);
}

TEST(FoundryLsh, PlantedNearDuplicates) {
  // 300 unrelated documents of 300 words from a shared 3000-word vocabulary, then 3 copies of
  // each of the first 60 with 3 random word substitutions (5-gram Jaccard about 0.9: a miss per
  // copy has probability (1 - 0.9^8)^14 < 1e-3, and copies also link through each other).
  Rng rng(77);
  std::vector<std::string> vocab;
  for (int i = 0; i < 3000; ++i) vocab.push_back(RandomWord(rng));
  std::vector<std::vector<std::string>> docs;
  for (int d = 0; d < 300; ++d) {
    std::vector<std::string> w;
    for (int i = 0; i < 300; ++i) w.push_back(vocab[rng.Below(vocab.size())]);
    docs.push_back(w);
  }
  std::vector<uint32_t> expected(300);
  for (uint32_t d = 0; d < 300; ++d) expected[d] = d;
  for (uint32_t d = 0; d < 60; ++d) {
    for (int copy = 0; copy < 3; ++copy) {
      std::vector<std::string> w = docs[d];
      for (int e = 0; e < 3; ++e) w[rng.Below(w.size())] = vocab[rng.Below(vocab.size())];
      docs.push_back(w);
      expected.push_back(d);
    }
  }
  const MinHasher mh{MinHashConfig{}};
  const size_t k = mh.num_hashes();
  std::vector<uint64_t> sigs(docs.size() * k);
  for (size_t d = 0; d < docs.size(); ++d) {
    // Punctuation and case differences do not matter after canonicalization.
    std::string text = Join(docs[d], 0, docs[d].size());
    if (d % 2) text[0] = static_cast<char>(text[0] - 'a' + 'A'), text += '.';
    mh.Signature(CanonicalizeForDedup(text), sigs.data() + d * k);
  }
  for (const double threshold : {0.7, 0.0}) {
    ClusterOptions o;
    o.verify_threshold = threshold;
    const std::vector<uint32_t> reps = NearDuplicateClusters(sigs.data(), docs.size(), mh, o);
    EXPECT_EQ(reps, expected) << "threshold " << threshold;
  }
}

}  // namespace
}  // namespace exaone::foundry
