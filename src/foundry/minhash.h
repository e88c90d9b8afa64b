// MinHash near-duplicate detection and exact-duplicate keys for the data foundry.
//
// Near duplicates are documents whose shingle sets (word n-grams of a canonical form of the text)
// have a high Jaccard similarity. MinHash turns a document into a fixed-size signature whose
// entries agree between two documents with probability equal to that similarity; locality
// sensitive hashing (LSH) over bands of the signature finds candidate pairs without comparing all
// pairs, and a union-find groups the pairs into clusters, of which the first document is kept.
// Defaults follow datatrove's MinhashDedup: word 5-grams, 14 bands x 8 rows = 112 hashes of 64
// bits, which makes a pair a candidate with probability 1 - (1 - J^8)^14 (0.05 at J = 0.5, 0.56
// at 0.7, 0.92 at 0.8, 0.99+ at 0.9).
//
// Every hash here is defined bit-exactly (little-endian bytes, fixed constants, seeded splitmix64
// streams), so a signature depends only on the text and the MinHashConfig: it is the same on every
// machine, build and SIMD path, and signatures can be stored and compared across runs. None of
// the hashes is cryptographic: they resist chance collisions (about 2^-64 per pair), not inputs
// crafted to collide.
//
// Scale: the in-memory clustering keeps the signatures (8 bytes x bands x rows per document) and
// one band of 16-byte (key, doc) entries at a time. For corpora larger than memory, LshIndex
// spills each band to a sorted file and buckets are found by a streaming merge of such files.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace exaone::foundry {

// ---------------------------------------------------------------------------------------------
// Hashing

// A fast 64-bit hash of bytes (a multiply-fold design: 16 bytes per 64x64->128-bit multiply).
// The seed selects an independent member of the family. Keys are derived from the seed once, so
// hashing many strings with one seed should go through a Hasher64.
class Hasher64 {
 public:
  explicit Hasher64(uint64_t seed = 0);
  uint64_t operator()(std::string_view data) const { return Hash(data.data(), data.size()); }
  uint64_t Hash(const void* data, size_t size) const;

 private:
  uint64_t k0_, k1_, k2_;
};

inline uint64_t Hash64(std::string_view data, uint64_t seed = 0) {
  return Hasher64(seed)(data);
}

// A 128-bit content key for exact deduplication: two independent 64-bit hashes of the bytes as
// given (the caller normalizes first if it wants, e.g., whitespace-insensitive matches).
struct Key128 {
  uint64_t hi = 0;
  uint64_t lo = 0;
  friend bool operator==(const Key128&, const Key128&) = default;
  friend auto operator<=>(const Key128&, const Key128&) = default;
};
Key128 ExactKey(std::string_view text);
std::string ToHex(const Key128& key);  // 32 lowercase hex digits, hi first

// ---------------------------------------------------------------------------------------------
// Canonical text and shingles

// The canonical form documents are shingled in, so that case, punctuation and spacing do not
// hide duplicates:
//  - letters are case folded (Unicode simple case folding, which is lowercasing for nearly all
//    scripts: "Straße" -> "straße", "ΣΑΣ" -> "σασ"; ASCII by table, the rest through ICU);
//  - punctuation (P*), symbols (S*), whitespace, control characters and bytes that are not valid
//    UTF-8 separate words: each run of them becomes one space, none at either end (like
//    datatrove's simplify_text, which turns punctuation into spaces: "end.Next" is two words);
//  - format characters (Cf: soft hyphen, zero-width joiner, BOM, ...) and variation selectors
//    are removed without separating words, except the zero-width space, which separates;
//  - letters, marks and numbers are kept as they are (digits are not normalized, no accents are
//    stripped, no Unicode normalization form is applied).
// The result is always valid UTF-8 with words separated by single spaces. Character classes
// come from the linked ICU's Unicode data; everything is linear in the input.
std::string CanonicalizeForDedup(std::string_view text);
void CanonicalizeForDedup(std::string_view text, std::string* out);  // reuses out's storage

// Walks the shingles of a text and hashes each one once. Word mode: words are maximal runs of
// bytes other than ' ', a shingle is n consecutive words with the text between them (in canonical
// text: joined by single spaces), the i-th shingle starts at word i; a text with 1..n-1 words is
// one shingle (from its first word to its last). Character mode: a shingle is n consecutive code
// points (spaces included), a text with 1..n-1 code points is one shingle. Empty text (or only
// spaces in word mode) has no shingles. Any bytes are accepted: in character mode a byte that
// does not start a well-formed sequence counts as one character.
class ShingleCursor {
 public:
  ShingleCursor(std::string_view text, int n, bool char_ngrams);
  ShingleCursor(const ShingleCursor&) = delete;
  ShingleCursor& operator=(const ShingleCursor&) = delete;
  // Writes the hashes of up to `max` next shingles to `out`; returns how many (0: no more).
  size_t Next(const Hasher64& hasher, uint64_t* out, size_t max);

 private:
  size_t UnitEnd(size_t pos) const;     // end of the word or code point starting at pos
  size_t SkipSpaces(size_t pos) const;  // word mode: first non-space at or after pos

  static constexpr size_t kInlineUnits = 16;
  std::string_view text_;
  size_t n_;
  bool chars_;
  bool started_ = false;
  bool done_ = false;
  size_t head_ = 0;    // end of the window's last unit
  size_t oldest_ = 0;  // ring slot of the window's first unit
  // Starts of the window's n units, a ring (inline for small n, so most cursors never allocate).
  size_t* starts_;
  size_t inline_starts_[kInlineUnits];
  std::vector<size_t> heap_starts_;
};

// ---------------------------------------------------------------------------------------------
// MinHash signatures

struct MinHashConfig {
  int ngram = 5;             // words (or code points) per shingle
  int bands = 14;            // LSH bands
  int rows = 8;              // signature entries per band
  uint64_t seed = 1;         // selects the shingle hash and the permutations
  bool char_ngrams = false;  // code-point shingles (Chinese/Japanese text without spaces)
};

// Which implementation computes the permutation minima. All give identical results.
enum class MinHashKernel { kAuto, kScalar, kAvx2 };
bool MinHashAvx2Supported();  // this CPU runs the AVX2 kernel

// Signature entry i is min over shingles of (a_i * (h mod p) + b_i) mod p, p = 2^61 - 1, where h
// is the shingle's Hasher64(seed) hash and 1 <= a_i < p, 0 <= b_i < p are drawn from a
// splitmix64 stream seeded from the seed. A text without shingles has every entry kEmptySlot.
class MinHasher {
 public:
  static constexpr uint64_t kPrime = (uint64_t{1} << 61) - 1;
  static constexpr uint64_t kEmptySlot = ~uint64_t{0};

  // Throws kInvalidArgument for ngram outside [1, 1024], bands or rows < 1, more than 65536
  // hashes; kUnsupported when kAvx2 is asked for on a CPU without AVX2.
  explicit MinHasher(const MinHashConfig& config, MinHashKernel kernel = MinHashKernel::kAuto);

  const MinHashConfig& config() const { return config_; }
  size_t num_hashes() const { return a_.size(); }               // bands * rows
  MinHashKernel kernel() const { return kernel_; }              // never kAuto
  std::span<const uint64_t> multipliers() const { return a_; }  // a_i
  std::span<const uint64_t> offsets() const { return b_; }      // b_i
  const Hasher64& shingle_hasher() const { return hasher_; }

  // `canonical_text` is normally CanonicalizeForDedup's output; out has num_hashes() entries.
  // Thread-safe; allocates nothing when ngram <= 16 (16 KiB of stack).
  void Signature(std::string_view canonical_text, uint64_t* out) const;
  std::vector<uint64_t> Signature(std::string_view canonical_text) const;
  // The minima over given 64-bit shingle hashes (for callers that shingle differently): out is
  // overwritten, kEmptySlot everywhere when count is 0.
  void SignatureFromHashes(const uint64_t* hashes, size_t count, uint64_t* out) const;

  // One 64-bit key per band: the hash of the band's rows (as little-endian bytes). Documents
  // sharing a key in any band are LSH candidates.
  void BandKeys(const uint64_t* signature, uint64_t* keys /* bands */) const;
  uint64_t BandKey(const uint64_t* signature, int band) const;

 private:
  // Lowers the running minima in `mins` with hashes already reduced mod p.
  void Accumulate(const uint64_t* reduced, size_t count, uint64_t* mins) const;

  MinHashConfig config_;
  MinHashKernel kernel_;
  Hasher64 hasher_;
  std::vector<uint64_t> a_, a_hi_, b_;  // a_hi_ = a_ >> 32, for the AVX2 kernel
};

// Fraction of equal entries of two signatures: an unbiased estimate of the shingle Jaccard
// similarity (standard deviation sqrt(J(1-J)/count): at most 0.047 with 112 hashes).
double EstimateJaccard(const uint64_t* a, const uint64_t* b, size_t count);

// ---------------------------------------------------------------------------------------------
// Clustering

// Disjoint sets over 0..n-1 with path compression and union by rank; also tracks the smallest
// element of each set, which is the set's representative for deduplication (the first
// occurrence is the one kept). Not thread-safe (Find compresses paths).
class UnionFind {
 public:
  explicit UnionFind(size_t n);  // n < 2^32
  size_t size() const { return parent_.size(); }
  uint32_t Find(uint32_t x);                // the set's root (an internal choice, not the smallest)
  bool Union(uint32_t a, uint32_t b);       // false when a and b were already in one set
  uint32_t Smallest(uint32_t x);            // smallest element of x's set
  std::vector<uint32_t> Representatives();  // Smallest(i) for every i

 private:
  void Check(uint32_t x) const;
  std::vector<uint32_t> parent_, smallest_;
  std::vector<uint8_t> rank_;
};

// One band's (key, doc) pair; ordered by key, then doc.
struct BandEntry {
  uint64_t key = 0;
  uint32_t doc = 0;
  friend bool operator==(const BandEntry&, const BandEntry&) = default;
  friend auto operator<=>(const BandEntry&, const BandEntry&) = default;
};

// Called with the documents of one bucket (two or more distinct docs sharing a band key), in
// ascending order. The span is valid only during the call.
using BucketFn = std::function<void(std::span<const uint32_t> docs)>;

// Calls fn for each bucket of `entries`, which must be sorted (std::sort of BandEntry).
void ForEachBucket(std::span<const BandEntry> sorted_entries, const BucketFn& fn);

// Band keys of a growing set of documents, one vector of BandEntry per band: compact (16 bytes
// per doc and band), sorted once and scanned linearly for equal keys. Each band can be spilled to
// a sorted file (12 bytes per entry) and dropped from memory; buckets across several such files
// (e.g. one per worker or per chunk of the corpus) come from a streaming k-way merge.
class LshIndex {
 public:
  explicit LshIndex(int bands);
  int bands() const { return static_cast<int>(bands_.size()); }
  size_t entries(int band) const;  // entries held in memory for the band

  void Add(uint32_t doc, const uint64_t* band_keys /* bands */);
  // Sorts the band (if needed) and calls fn for each of its buckets.
  void ForEachBucket(int band, const BucketFn& fn);
  // Writes the band's entries, sorted, to `path` (replacing it) and frees them. Throws kIo.
  void SpillBand(int band, const std::string& path);
  // Buckets across spilled files of the same band, each sorted (as SpillBand writes them). A doc
  // listed in several files counts once. Throws kIo, or kBadFile for a file that is not a band
  // file or not sorted.
  static void ForEachBucketInFiles(const std::vector<std::string>& paths, const BucketFn& fn);

 private:
  void CheckBand(int band) const;
  std::vector<std::vector<BandEntry>> bands_;
  std::vector<bool> sorted_;
};

struct ClusterOptions {
  // Candidates (docs sharing a band key) are joined only when their estimated Jaccard is at
  // least this. datatrove joins on any band match (0 here: no check); 0.7 is near the 14x8 S
  // curve's midpoint ((1/14)^(1/8) = 0.72), so the check drops the candidates that collided far
  // below the curve (rare per pair, but many in a large corpus, and each one costs a document)
  // while changing recall above 0.8 little. Needs the signatures of both documents.
  double verify_threshold = 0.7;
  // With verification, each bucket member is compared with at most this many earlier members
  // that started clusters of their own in the bucket, which bounds the work of huge buckets
  // (boilerplate pages) to linear; a member matching none of them joins no cluster here.
  size_t max_anchors_per_bucket = 16;
};

// Joins the docs of one bucket in `sets` (see ClusterOptions). `signatures` (num_hashes entries
// per doc, doc-major) may be null when options.verify_threshold <= 0.
void LinkBucket(std::span<const uint32_t> docs, UnionFind& sets, const ClusterOptions& options,
                const uint64_t* signatures, size_t num_hashes);

// For each of `num_docs` signatures (hasher.num_hashes() each, doc-major), the smallest doc index
// in its near-duplicate cluster; docs with result[i] == i are the ones to keep. Texts without
// shingles (all kEmptySlot) are exact duplicates of each other and form one cluster; filter them
// out first to keep them all. Memory: the union-find (9 bytes per doc) and one band of entries
// (16 bytes per doc) besides the signatures.
std::vector<uint32_t> NearDuplicateClusters(const uint64_t* signatures, size_t num_docs,
                                            const MinHasher& hasher,
                                            const ClusterOptions& options = {});

}  // namespace exaone::foundry
