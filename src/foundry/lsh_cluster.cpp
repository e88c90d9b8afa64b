// Near-duplicate clustering for MinHash signatures (minhash.h): union-find, LSH band buckets in
// memory and in spilled band files, and the clusters themselves.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <queue>
#include <utility>

#include "base/error.h"
#include "foundry/minhash.h"

namespace exaone::foundry {
namespace {

// Little-endian fields of the band files.
uint64_t ReadLe(const unsigned char* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
// ---- Band files: an 8-byte magic, then (key: u64 LE, doc: u32 LE) entries sorted ascending.

constexpr char kBandMagic[8] = {'E', 'X', 'L', 'S', 'H', 'B', '1', '\n'};
constexpr size_t kEntryBytes = 12;

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

[[noreturn]] void IoError(const std::string& what, const std::string& path) {
  throw Error(ErrorCode::kIo, what + " " + path + ": " + std::strerror(errno));
}

class BandFileReader {
 public:
  explicit BandFileReader(std::string path) : path_(std::move(path)), buf_(kBufEntries * 12) {
    file_.reset(std::fopen(path_.c_str(), "rb"));
    if (!file_) IoError("cannot open band file", path_);
    char magic[8];
    if (std::fread(magic, 1, 8, file_.get()) != 8 || std::memcmp(magic, kBandMagic, 8) != 0) {
      throw Error(ErrorCode::kBadFile, "not an LSH band file: " + path_);
    }
  }

  // The next entry; false at the end.
  bool Next(BandEntry& e) {
    if (pos_ == end_) {
      const size_t got = std::fread(buf_.data(), 1, buf_.size(), file_.get());
      if (got == 0 && std::ferror(file_.get())) IoError("cannot read band file", path_);
      if (got % kEntryBytes != 0) {
        throw Error(ErrorCode::kBadFile, "LSH band file ends inside an entry: " + path_);
      }
      pos_ = 0;
      end_ = got;
      if (got == 0) return false;
    }
    const auto* p = reinterpret_cast<const unsigned char*>(buf_.data() + pos_);
    e.key = ReadLe(p, 8);
    e.doc = static_cast<uint32_t>(ReadLe(p + 8, 4));
    pos_ += kEntryBytes;
    if (have_prev_ && e < prev_) {
      throw Error(ErrorCode::kBadFile, "LSH band file is not sorted: " + path_);
    }
    prev_ = e;
    have_prev_ = true;
    return true;
  }

 private:
  static constexpr size_t kBufEntries = 1 << 16;
  std::string path_;
  FilePtr file_;
  std::vector<char> buf_;
  size_t pos_ = 0, end_ = 0;
  BandEntry prev_;
  bool have_prev_ = false;
};

// Collects runs of equal keys from an ascending stream of entries and reports the buckets.
class BucketCollector {
 public:
  explicit BucketCollector(const BucketFn& fn) : fn_(fn) {}
  void Push(const BandEntry& e) {
    if (docs_.empty() || e.key != key_) {
      Flush();
      key_ = e.key;
      docs_.push_back(e.doc);
    } else if (e.doc != docs_.back()) {
      docs_.push_back(e.doc);
    }
  }
  void Flush() {
    if (docs_.size() >= 2) fn_(std::span<const uint32_t>(docs_));
    docs_.clear();
  }

 private:
  const BucketFn& fn_;
  uint64_t key_ = 0;
  std::vector<uint32_t> docs_;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// Union-find

UnionFind::UnionFind(size_t n) {
  if (n > UINT32_MAX) {
    throw Error(ErrorCode::kInvalidArgument,
                "union-find holds at most 2^32 - 1 elements, got " + std::to_string(n));
  }
  parent_.resize(n);
  smallest_.resize(n);
  rank_.assign(n, 0);
  for (size_t i = 0; i < n; ++i) parent_[i] = smallest_[i] = static_cast<uint32_t>(i);
}

void UnionFind::Check(uint32_t x) const {
  if (x >= parent_.size()) {
    throw Error(ErrorCode::kInvalidArgument, "union-find element " + std::to_string(x) +
                                                 " out of range (size " +
                                                 std::to_string(parent_.size()) + ")");
  }
}

uint32_t UnionFind::Find(uint32_t x) {
  Check(x);
  uint32_t root = x;
  while (parent_[root] != root) root = parent_[root];
  while (parent_[x] != root) {  // second pass: point the whole path at the root
    const uint32_t next = parent_[x];
    parent_[x] = root;
    x = next;
  }
  return root;
}

bool UnionFind::Union(uint32_t a, uint32_t b) {
  uint32_t ra = Find(a), rb = Find(b);
  if (ra == rb) return false;
  if (rank_[ra] < rank_[rb]) std::swap(ra, rb);
  parent_[rb] = ra;
  if (rank_[ra] == rank_[rb]) ++rank_[ra];
  smallest_[ra] = std::min(smallest_[ra], smallest_[rb]);
  return true;
}

uint32_t UnionFind::Smallest(uint32_t x) {
  return smallest_[Find(x)];
}

std::vector<uint32_t> UnionFind::Representatives() {
  std::vector<uint32_t> out(parent_.size());
  for (size_t i = 0; i < out.size(); ++i) out[i] = Smallest(static_cast<uint32_t>(i));
  return out;
}

// ---------------------------------------------------------------------------------------------
// LSH buckets

void ForEachBucket(std::span<const BandEntry> sorted_entries, const BucketFn& fn) {
  BucketCollector collector(fn);
  for (const BandEntry& e : sorted_entries) collector.Push(e);
  collector.Flush();
}

LshIndex::LshIndex(int bands) {
  if (bands < 1) {
    throw Error(ErrorCode::kInvalidArgument,
                "LSH index needs at least one band, got " + std::to_string(bands));
  }
  bands_.resize(static_cast<size_t>(bands));
  sorted_.assign(static_cast<size_t>(bands), true);
}

void LshIndex::CheckBand(int band) const {
  if (band < 0 || band >= bands()) {
    throw Error(ErrorCode::kInvalidArgument, "LSH band " + std::to_string(band) +
                                                 " out of range (" + std::to_string(bands()) +
                                                 " bands)");
  }
}

size_t LshIndex::entries(int band) const {
  CheckBand(band);
  return bands_[static_cast<size_t>(band)].size();
}

void LshIndex::Add(uint32_t doc, const uint64_t* band_keys) {
  for (size_t b = 0; b < bands_.size(); ++b) {
    bands_[b].push_back(BandEntry{band_keys[b], doc});
    sorted_[b] = false;
  }
}

void LshIndex::ForEachBucket(int band, const BucketFn& fn) {
  CheckBand(band);
  auto& entries = bands_[static_cast<size_t>(band)];
  if (!sorted_[static_cast<size_t>(band)]) {
    std::sort(entries.begin(), entries.end());
    sorted_[static_cast<size_t>(band)] = true;
  }
  foundry::ForEachBucket(entries, fn);
}

void LshIndex::SpillBand(int band, const std::string& path) {
  CheckBand(band);
  auto& entries = bands_[static_cast<size_t>(band)];
  if (!sorted_[static_cast<size_t>(band)]) std::sort(entries.begin(), entries.end());
  FilePtr f(std::fopen(path.c_str(), "wb"));
  if (!f) IoError("cannot create band file", path);
  std::vector<unsigned char> buf;
  buf.reserve(8 + (size_t{1} << 16) * kEntryBytes);
  buf.insert(buf.end(), kBandMagic, kBandMagic + 8);
  auto flush = [&] {
    if (std::fwrite(buf.data(), 1, buf.size(), f.get()) != buf.size()) {
      IoError("cannot write band file", path);
    }
    buf.clear();
  };
  for (const BandEntry& e : entries) {
    for (int i = 0; i < 8; ++i) buf.push_back(static_cast<unsigned char>(e.key >> (8 * i)));
    for (int i = 0; i < 4; ++i) buf.push_back(static_cast<unsigned char>(e.doc >> (8 * i)));
    if (buf.size() >= (size_t{1} << 16) * kEntryBytes) flush();
  }
  flush();
  if (std::fflush(f.get()) != 0) IoError("cannot write band file", path);
  if (std::fclose(f.release()) != 0) IoError("cannot close band file", path);
  std::vector<BandEntry>().swap(entries);
  sorted_[static_cast<size_t>(band)] = true;
}

void LshIndex::ForEachBucketInFiles(const std::vector<std::string>& paths, const BucketFn& fn) {
  std::vector<std::unique_ptr<BandFileReader>> readers;
  using Head = std::pair<BandEntry, size_t>;  // an entry and the file it came from
  std::priority_queue<Head, std::vector<Head>, std::greater<Head>> heads;
  for (const std::string& path : paths) {
    readers.push_back(std::make_unique<BandFileReader>(path));
    BandEntry e;
    if (readers.back()->Next(e)) heads.emplace(e, readers.size() - 1);
  }
  BucketCollector collector(fn);
  while (!heads.empty()) {
    const auto [e, file] = heads.top();
    heads.pop();
    collector.Push(e);
    BandEntry next;
    if (readers[file]->Next(next)) heads.emplace(next, file);
  }
  collector.Flush();
}

// ---------------------------------------------------------------------------------------------
// Clustering

void LinkBucket(std::span<const uint32_t> docs, UnionFind& sets, const ClusterOptions& options,
                const uint64_t* signatures, size_t num_hashes) {
  if (docs.size() < 2) return;
  if (options.verify_threshold <= 0.0) {
    for (size_t i = 1; i < docs.size(); ++i) sets.Union(docs[0], docs[i]);
    return;
  }
  if (signatures == nullptr) {
    throw Error(ErrorCode::kInvalidArgument, "verified LSH clustering needs the signatures");
  }
  // Equal entries needed: the smallest count whose fraction reaches the threshold.
  const size_t need = static_cast<size_t>(
      std::ceil(options.verify_threshold * static_cast<double>(num_hashes) - 1e-9));
  auto similar = [&](uint32_t x, uint32_t y) {
    const uint64_t* sx = signatures + static_cast<size_t>(x) * num_hashes;
    const uint64_t* sy = signatures + static_cast<size_t>(y) * num_hashes;
    size_t equal = 0;
    for (size_t i = 0; i < num_hashes; ++i) equal += sx[i] == sy[i];
    return equal >= need;
  };
  const size_t max_anchors = std::max<size_t>(options.max_anchors_per_bucket, 1);
  uint32_t anchors_buf[64];
  std::vector<uint32_t> anchors_vec;
  uint32_t* anchors = anchors_buf;
  if (max_anchors > 64) {
    anchors_vec.resize(max_anchors);
    anchors = anchors_vec.data();
  }
  size_t num_anchors = 0;
  for (const uint32_t d : docs) {
    bool linked = false;
    const uint32_t root = sets.Find(d);
    for (size_t i = 0; i < num_anchors && !linked; ++i) linked = sets.Find(anchors[i]) == root;
    for (size_t i = 0; i < num_anchors && !linked; ++i) {
      if (similar(anchors[i], d)) {
        sets.Union(anchors[i], d);
        linked = true;
      }
    }
    if (!linked && num_anchors < max_anchors) anchors[num_anchors++] = d;
  }
}

std::vector<uint32_t> NearDuplicateClusters(const uint64_t* signatures, size_t num_docs,
                                            const MinHasher& hasher,
                                            const ClusterOptions& options) {
  UnionFind sets(num_docs);
  const size_t k = hasher.num_hashes();
  const BucketFn link = [&](std::span<const uint32_t> docs) {
    LinkBucket(docs, sets, options, signatures, k);
  };
  std::vector<BandEntry> entries(num_docs);
  for (int band = 0; band < hasher.config().bands; ++band) {
    for (size_t d = 0; d < num_docs; ++d) {
      entries[d] = BandEntry{hasher.BandKey(signatures + d * k, band), static_cast<uint32_t>(d)};
    }
    std::sort(entries.begin(), entries.end());
    ForEachBucket(entries, link);
  }
  return sets.Representatives();
}

}  // namespace exaone::foundry
