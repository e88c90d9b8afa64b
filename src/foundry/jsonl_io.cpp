#include "foundry/jsonl_io.h"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <tuple>
#include <utility>

#include "base/error.h"

namespace exaone::foundry {
namespace {

constexpr size_t kIoBytes = size_t{1} << 20;  // one read or write of a file

std::string Reason() {
  return std::strerror(errno);
}

[[noreturn]] void ThrowIo(const std::string& what) {
  throw Error(ErrorCode::kIo, what + ": " + Reason());
}

// ---------------------------------------------------------------------------------------------
// Globs

bool HasWildcard(std::string_view s) {
  return s.find_first_of("*?[") != std::string_view::npos;
}

struct DirEntry {
  std::string name;
  bool is_dir = false;
};

// The entries of `dir` ("" is the working directory) but "." and "..", with their type after
// following links (a dangling link counts as a file). Nothing when `dir` is gone or no folder.
std::vector<DirEntry> ListDir(const std::string& dir) {
  const std::string open_path = dir.empty() ? "." : dir;
  DIR* d = ::opendir(open_path.c_str());
  if (d == nullptr) {
    if (errno == ENOENT || errno == ENOTDIR) return {};
    ThrowIo("cannot list the folder " + open_path);
  }
  std::vector<DirEntry> out;
  errno = 0;
  while (const dirent* e = ::readdir(d)) {
    const char* n = e->d_name;
    if (n[0] == '.' && (n[1] == '\0' || (n[1] == '.' && n[2] == '\0'))) continue;
    DirEntry entry;
    entry.name = n;
    if (e->d_type == DT_DIR) {
      entry.is_dir = true;
    } else if (e->d_type == DT_LNK || e->d_type == DT_UNKNOWN) {
      struct stat st;  // what the link points to, or what the file system did not say
      const std::string full = dir + entry.name;
      entry.is_dir = ::stat(full.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    }
    out.push_back(std::move(entry));
    errno = 0;
  }
  const int err = errno;
  ::closedir(d);
  if (err != 0) {
    errno = err;
    ThrowIo("cannot list the folder " + open_path);
  }
  return out;
}

class Globber {
 public:
  explicit Globber(std::vector<std::string> segments) : segs_(std::move(segments)) {}

  // Matches segs_[i...] below `dir` ("" or a path ending in '/').
  void Walk(const std::string& dir, size_t i) {
    const std::string& seg = segs_[i];
    const bool last = i + 1 == segs_.size();
    if (seg == "**") {
      // A folder already on the way down for this `**` (reached again through a link) would
      // recurse forever.
      struct stat st;
      if (::stat(dir.empty() ? "." : dir.c_str(), &st) != 0) return;
      const std::tuple<dev_t, ino_t, size_t> id{st.st_dev, st.st_ino, i};
      if (std::find(active_.begin(), active_.end(), id) != active_.end()) return;
      active_.push_back(id);
      if (!last) Walk(dir, i + 1);  // zero directories
      for (const DirEntry& e : ListDir(dir)) {
        if (e.name[0] == '.') continue;
        if (e.is_dir) {
          Walk(dir + e.name + "/", i);
        } else if (last) {
          matches_.push_back(dir + e.name);
        }
      }
      active_.pop_back();
      return;
    }
    if (!HasWildcard(seg) && seg.find('\\') == std::string::npos) {
      const std::string path = dir + seg;
      struct stat st;
      if (::stat(path.c_str(), &st) != 0) {
        // A dangling link is still a name the pattern gives: reading it will say what is wrong.
        if (last && ::lstat(path.c_str(), &st) == 0) matches_.push_back(path);
        return;
      }
      if (last) {
        if (!S_ISDIR(st.st_mode)) matches_.push_back(path);
      } else if (S_ISDIR(st.st_mode)) {
        Walk(path + "/", i + 1);
      }
      return;
    }
    for (const DirEntry& e : ListDir(dir)) {
      if (::fnmatch(seg.c_str(), e.name.c_str(), FNM_PERIOD) != 0) continue;
      if (last) {
        if (!e.is_dir) matches_.push_back(dir + e.name);
      } else if (e.is_dir) {
        Walk(dir + e.name + "/", i + 1);
      }
    }
  }

  std::vector<std::string>& matches() { return matches_; }

 private:
  std::vector<std::string> segs_;
  // Folders entered on the current path, with the index of the `**` that entered them.
  std::vector<std::tuple<dev_t, ino_t, size_t>> active_;
  std::vector<std::string> matches_;
};

// ---------------------------------------------------------------------------------------------
// Reading

// An open input file read in 1 MiB blocks.
class InputFile {
 public:
  explicit InputFile(const std::string& path) : path_(path) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
      const ErrorCode code = errno == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo;
      throw Error(code, "cannot open " + path + ": " + Reason());
    }
    struct stat st;
    if (::fstat(fd_, &st) != 0) {
      const std::string why = Reason();
      ::close(fd_);
      throw Error(ErrorCode::kIo, "cannot stat " + path + ": " + why);
    }
    if (S_ISDIR(st.st_mode)) {
      ::close(fd_);
      throw Error(ErrorCode::kIo, "cannot read " + path + ": it is a directory");
    }
    if (S_ISREG(st.st_mode)) {
      size_ = static_cast<uint64_t>(st.st_size);
      ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
    }
    buf_.reset(new char[kIoBytes]);
  }
  ~InputFile() { ::close(fd_); }
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  // Reads up to `cap` bytes into dst; 0 at the end of the file.
  size_t Read(char* dst, size_t cap) {
    for (;;) {
      const ssize_t n = ::read(fd_, dst, cap);
      if (n >= 0) {
        read_ += static_cast<uint64_t>(n);
        return static_cast<size_t>(n);
      }
      if (errno != EINTR) ThrowIo("read of " + path_ + " failed at byte " + std::to_string(read_));
    }
  }

  // The block buffer for decoders that read through it: refills it when all was consumed.
  // Returns false at the end of the file.
  bool Refill() {
    if (avail_ > 0) return true;
    if (eof_) return false;
    start_ = 0;
    avail_ = Read(buf_.get(), kIoBytes);
    if (avail_ == 0) eof_ = true;
    return avail_ > 0;
  }
  // Reads on until at least n (<= 1 MiB) bytes are buffered or the file ends. Only before the
  // first Consume.
  void Peek(size_t n) {
    while (avail_ < n && !eof_) {
      const size_t got = Read(buf_.get() + avail_, kIoBytes - avail_);
      if (got == 0) eof_ = true;
      avail_ += got;
    }
  }
  const char* data() const { return buf_.get() + start_; }
  size_t avail() const { return avail_; }
  void Consume(size_t n) {
    start_ += n;
    avail_ -= n;
  }
  bool eof() const { return eof_ && avail_ == 0; }

  // Offset in the file of the next byte not yet consumed.
  uint64_t offset() const { return read_ - avail_; }
  uint64_t read() const { return read_; }
  uint64_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
  uint64_t size_ = 0;
  uint64_t read_ = 0;
  std::unique_ptr<char[]> buf_;
  size_t start_ = 0, avail_ = 0;
  bool eof_ = false;
};

}  // namespace

// The file's content, decompressed as its first bytes say.
class LineReader::Decoder {
 public:
  explicit Decoder(std::unique_ptr<InputFile> in) : in_owner_(std::move(in)), in_(*in_owner_) {}
  virtual ~Decoder() = default;
  // Writes up to `cap` (> 0) decoded bytes to dst; 0 only at the end of the content.
  virtual size_t Fill(char* dst, size_t cap) = 0;
  const InputFile& in() const { return in_; }

 protected:
  [[noreturn]] void Corrupt(const char* format, const std::string& why, uint64_t offset) {
    throw Error(ErrorCode::kBadFile, in_.path() + ": corrupt " + format + " stream at byte " +
                                         std::to_string(offset) + ": " + why);
  }
  [[noreturn]] void Truncated(const char* format) {
    throw Error(ErrorCode::kBadFile, in_.path() + ": truncated " + format +
                                         " stream (the file ends at byte " +
                                         std::to_string(in_.read()) + " inside compressed data)");
  }

  std::unique_ptr<InputFile> in_owner_;
  InputFile& in_;
};

namespace {

class PlainDecoder : public LineReader::Decoder {
 public:
  using Decoder::Decoder;
  size_t Fill(char* dst, size_t cap) override {
    // What the format sniffing read first, then straight from the file.
    if (in_.avail() > 0) {
      const size_t n = std::min(cap, in_.avail());
      std::memcpy(dst, in_.data(), n);
      in_.Consume(n);
      return n;
    }
    if (in_.eof()) return 0;
    return in_.Read(dst, cap);
  }
};

class GzipDecoder : public LineReader::Decoder {
 public:
  explicit GzipDecoder(std::unique_ptr<InputFile> in) : Decoder(std::move(in)) {
    // 15 + 32: the largest window, gzip or zlib header detected.
    if (inflateInit2(&zs_, 15 + 32) != Z_OK) {
      throw Error(ErrorCode::kIo, in_.path() + ": cannot start gzip decompression");
    }
  }
  ~GzipDecoder() override { inflateEnd(&zs_); }

  size_t Fill(char* dst, size_t cap) override {
    cap = std::min<size_t>(cap, size_t{1} << 30);  // avail_out is 32 bits
    for (;;) {
      if (in_.avail() == 0) in_.Refill();
      if (!in_member_) {
        if (in_.eof()) return 0;  // the last member ended with the file
        // Another member follows (concatenated gzip files are one stream).
        inflateReset(&zs_);
        in_member_ = true;
      }
      const size_t avail_before = in_.avail();
      zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in_.data()));
      zs_.avail_in = static_cast<uInt>(avail_before);
      zs_.next_out = reinterpret_cast<Bytef*>(dst);
      zs_.avail_out = static_cast<uInt>(cap);
      const int r = inflate(&zs_, Z_NO_FLUSH);
      const size_t used = avail_before - zs_.avail_in;
      const size_t produced = cap - zs_.avail_out;
      if (r == Z_STREAM_END) {
        in_.Consume(used);
        in_member_ = false;
      } else if (r == Z_OK || r == Z_BUF_ERROR) {
        in_.Consume(used);
        // No progress with all the file consumed: the member is cut off.
        if (used == 0 && produced == 0 && in_.eof()) Truncated("gzip");
      } else {
        const uint64_t at = in_.offset() + used;
        Corrupt("gzip", zs_.msg != nullptr ? zs_.msg : "error " + std::to_string(r), at);
      }
      if (produced > 0) return produced;
    }
  }

 private:
  z_stream zs_{};
  bool in_member_ = true;
};

class ZstdDecoder : public LineReader::Decoder {
 public:
  explicit ZstdDecoder(std::unique_ptr<InputFile> in)
      : Decoder(std::move(in)), dctx_(ZSTD_createDCtx()) {
    if (dctx_ == nullptr) {
      throw Error(ErrorCode::kIo, in_.path() + ": cannot start zstd decompression");
    }
  }
  ~ZstdDecoder() override { ZSTD_freeDCtx(dctx_); }

  size_t Fill(char* dst, size_t cap) override {
    ZSTD_outBuffer out{dst, cap, 0};
    for (;;) {
      if (in_.avail() == 0) in_.Refill();
      // Between frames the end of the file is the end of the content. Inside one the decoder
      // is called with no input too: it may hold output that did not fit last time.
      if (in_.eof() && !frame_open_) return 0;
      ZSTD_inBuffer zin{in_.data(), in_.avail(), 0};
      const size_t r = ZSTD_decompressStream(dctx_, &out, &zin);
      if (ZSTD_isError(r)) Corrupt("zstd", ZSTD_getErrorName(r), in_.offset() + zin.pos);
      in_.Consume(zin.pos);
      frame_open_ = r != 0;  // 0: a frame ended and all its output was given
      if (out.pos > 0) return out.pos;
      if (in_.eof() && frame_open_) Truncated("zstd");
    }
  }

 private:
  ZSTD_DCtx* dctx_;
  bool frame_open_ = true;  // the file starts with a frame's magic number
};

}  // namespace

LineReader::LineReader(const std::string& path, size_t max_line_bytes)
    : path_(path), max_line_bytes_(max_line_bytes) {
  if (max_line_bytes == 0) {
    throw Error(ErrorCode::kInvalidArgument, "the longest line allowed must be at least 1 byte");
  }
  // The format from the first bytes; the plain decoder passes them on unchanged.
  auto in = std::make_unique<InputFile>(path);
  in->Peek(4);  // a pipe may give fewer bytes at first than a zstd magic number has
  const auto* b = reinterpret_cast<const uint8_t*>(in->data());
  const size_t n = in->avail();
  if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b) {
    decoder_ = std::make_unique<GzipDecoder>(std::move(in));
  } else if (n >= 4 && b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd) {
    decoder_ = std::make_unique<ZstdDecoder>(std::move(in));
  } else {
    decoder_ = std::make_unique<PlainDecoder>(std::move(in));
  }
  cap_ = kIoBytes;
  buf_.reset(new char[cap_]);
}

LineReader::~LineReader() = default;

uint64_t LineReader::bytes_read() const {
  return decoder_->in().read();
}
uint64_t LineReader::file_size() const {
  return decoder_->in().size();
}

void LineReader::Fill() {
  // Keep only the unfinished line, at the front.
  if (pos_ > 0) {
    std::memmove(buf_.get(), buf_.get() + pos_, end_ - pos_);
    scan_ -= pos_;
    end_ -= pos_;
    pos_ = 0;
  }
  // Grow for a long line, so that reads stay large; never much past the longest line allowed
  // (the caller stops at max_line_bytes + 1 pending bytes, "\r" of a "\r\n" included).
  if (cap_ - end_ < kIoBytes / 4) {
    const size_t limit =
        max_line_bytes_ > SIZE_MAX / 2 ? SIZE_MAX / 2 : max_line_bytes_ + 2 + kIoBytes;
    const size_t grown = std::min(std::max(cap_ * 2, end_ + kIoBytes), std::max(limit, cap_));
    if (grown > cap_) {
      std::unique_ptr<char[]> bigger(new char[grown]);
      std::memcpy(bigger.get(), buf_.get(), end_);
      buf_ = std::move(bigger);
      cap_ = grown;
    }
  }
  const size_t n = decoder_->Fill(buf_.get() + end_, cap_ - end_);
  if (n == 0) eof_ = true;
  end_ += n;
}

bool LineReader::Next(std::string_view& line) {
  for (;;) {
    char* base = buf_.get();
    const void* nl = scan_ < end_ ? std::memchr(base + scan_, '\n', end_ - scan_) : nullptr;
    size_t len;
    if (nl != nullptr) {
      const size_t at = static_cast<size_t>(static_cast<const char*>(nl) - base);
      len = at - pos_;
      scan_ = at + 1;
    } else if (eof_) {
      if (pos_ == end_) return false;
      len = end_ - pos_;
      scan_ = end_;
    } else {
      scan_ = end_;
      const size_t pending = end_ - pos_;  // one more than the limit may be a "\r" of "\r\n"
      if (pending > 0 && pending - 1 > max_line_bytes_) {
        throw Error(ErrorCode::kBadFile, path_ + ": line " + std::to_string(line_number_ + 1) +
                                             " is longer than " + std::to_string(max_line_bytes_) +
                                             " bytes");
      }
      Fill();
      continue;
    }
    if (len > 0 && base[pos_ + len - 1] == '\r') --len;
    if (len > max_line_bytes_) {
      throw Error(ErrorCode::kBadFile, path_ + ": line " + std::to_string(line_number_ + 1) +
                                           " is longer than " + std::to_string(max_line_bytes_) +
                                           " bytes");
    }
    line = std::string_view(base + pos_, len);
    pos_ = scan_;
    ++line_number_;
    return true;
  }
}

// ---------------------------------------------------------------------------------------------
// Writing

namespace {

// Writes all of [p, p + n) to fd.
void WriteAll(int fd, const char* p, size_t n, const std::string& path) {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      ThrowIo("write to " + path + " failed");
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
}

std::string ParentDir(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Makes a rename in `dir` durable.
void FsyncDir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) ThrowIo("cannot open the folder " + dir + " to sync it");
  if (::fsync(fd) != 0 && errno != EINVAL) {  // EINVAL: a file system without directory sync
    const int err = errno;
    ::close(fd);
    errno = err;
    ThrowIo("cannot sync the folder " + dir);
  }
  ::close(fd);
}

// Syncs and closes fd, then renames tmp to path and syncs the folder.
void CommitFile(int fd, const std::string& tmp, const std::string& path) {
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    errno = err;
    ThrowIo("cannot sync " + tmp);
  }
  if (::close(fd) != 0) ThrowIo("cannot close " + tmp);
  if (::rename(tmp.c_str(), path.c_str()) != 0) ThrowIo("cannot rename " + tmp + " to " + path);
  FsyncDir(ParentDir(path));
}

}  // namespace

// Compresses the bytes of one shard into its open file; Begin starts each shard afresh.
class ShardWriter::Encoder {
 public:
  virtual ~Encoder() = default;
  virtual void Begin(int fd, const std::string& path) {
    fd_ = fd;
    path_ = &path;
  }
  virtual void Consume(const char* p, size_t n) = 0;
  virtual void Finish() = 0;

 protected:
  int fd_ = -1;
  const std::string* path_ = nullptr;
};

namespace {

class PlainEncoder : public ShardWriter::Encoder {
 public:
  void Consume(const char* p, size_t n) override { WriteAll(fd_, p, n, *path_); }
  void Finish() override {}
};

// Holds compressed output until a full block is ready to write.
class BufferedEncoder : public ShardWriter::Encoder {
 public:
  BufferedEncoder() : out_(new char[kIoBytes]) {}

 protected:
  void FlushOut() {
    WriteAll(fd_, out_.get(), out_used_, *path_);
    out_used_ = 0;
  }
  std::unique_ptr<char[]> out_;
  size_t out_used_ = 0;
};

class ZstdEncoder : public BufferedEncoder {
 public:
  ZstdEncoder() : cctx_(ZSTD_createCCtx()) {
    if (cctx_ == nullptr) throw Error(ErrorCode::kIo, "cannot start zstd compression");
    // Fixed settings, one thread: the same input gives the same bytes. The content checksum
    // lets readers detect corruption.
    Check(ZSTD_CCtx_setParameter(cctx_, ZSTD_c_compressionLevel, 3));
    Check(ZSTD_CCtx_setParameter(cctx_, ZSTD_c_checksumFlag, 1));
  }
  ~ZstdEncoder() override { ZSTD_freeCCtx(cctx_); }

  void Begin(int fd, const std::string& path) override {
    BufferedEncoder::Begin(fd, path);
    Check(ZSTD_CCtx_reset(cctx_, ZSTD_reset_session_only));
    out_used_ = 0;
  }
  void Consume(const char* p, size_t n) override { Run(p, n, ZSTD_e_continue); }
  void Finish() override {
    Run(nullptr, 0, ZSTD_e_end);
    FlushOut();
  }

 private:
  void Check(size_t r) {
    if (ZSTD_isError(r)) {
      throw Error(ErrorCode::kIo, std::string("zstd compression failed: ") + ZSTD_getErrorName(r));
    }
  }
  void Run(const char* p, size_t n, ZSTD_EndDirective mode) {
    ZSTD_inBuffer in{p, n, 0};
    for (;;) {
      ZSTD_outBuffer out{out_.get(), kIoBytes, out_used_};
      const size_t r = ZSTD_compressStream2(cctx_, &out, &in, mode);
      Check(r);
      out_used_ = out.pos;
      if (out_used_ == kIoBytes) FlushOut();
      const bool done = mode == ZSTD_e_end ? r == 0 : in.pos == in.size;
      if (done) return;
    }
  }
  ZSTD_CCtx* cctx_;
};

class GzipEncoder : public BufferedEncoder {
 public:
  GzipEncoder() {
    // 15 + 16: a gzip wrapper; level 6 as gzip's default.
    if (deflateInit2(&zs_, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
      throw Error(ErrorCode::kIo, "cannot start gzip compression");
    }
  }
  ~GzipEncoder() override { deflateEnd(&zs_); }

  void Begin(int fd, const std::string& path) override {
    BufferedEncoder::Begin(fd, path);
    deflateReset(&zs_);
    // No name, no time, "unknown" system: the header is the same everywhere.
    header_ = gz_header{};
    header_.os = 255;
    deflateSetHeader(&zs_, &header_);
    out_used_ = 0;
  }
  void Consume(const char* p, size_t n) override {
    while (n > 0) {
      const size_t part = std::min<size_t>(n, size_t{1} << 30);
      Run(p, part, Z_NO_FLUSH);
      p += part;
      n -= part;
    }
  }
  void Finish() override {
    Run(nullptr, 0, Z_FINISH);
    FlushOut();
  }

 private:
  void Run(const char* p, size_t n, int flush) {
    zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(p));
    zs_.avail_in = static_cast<uInt>(n);
    for (;;) {
      zs_.next_out = reinterpret_cast<Bytef*>(out_.get() + out_used_);
      zs_.avail_out = static_cast<uInt>(kIoBytes - out_used_);
      const int r = deflate(&zs_, flush);
      if (r == Z_STREAM_ERROR) throw Error(ErrorCode::kIo, "gzip compression failed");
      out_used_ = kIoBytes - zs_.avail_out;
      if (out_used_ == kIoBytes) FlushOut();
      if (flush == Z_FINISH ? r == Z_STREAM_END : zs_.avail_in == 0) return;
    }
  }
  z_stream zs_{};
  gz_header header_{};
};

}  // namespace

ShardWriter::ShardWriter(std::string dir, std::string prefix, ShardWriterOptions options)
    : dir_(std::move(dir)), prefix_(std::move(prefix)), options_(std::move(options)) {
  if (prefix_.empty() || prefix_.find('/') != std::string::npos) {
    throw Error(ErrorCode::kInvalidArgument,
                "a shard prefix must be a non-empty file name without '/', got '" + prefix_ + "'");
  }
  if (options_.max_shard_bytes == 0) {
    throw Error(ErrorCode::kInvalidArgument, "the shard size must be at least 1 byte");
  }
  if (options_.compression == "zst") {
    suffix_ = ".jsonl.zst";
    encoder_ = std::make_unique<ZstdEncoder>();
  } else if (options_.compression == "gz") {
    suffix_ = ".jsonl.gz";
    encoder_ = std::make_unique<GzipEncoder>();
  } else if (options_.compression == "none") {
    suffix_ = ".jsonl";
    encoder_ = std::make_unique<PlainEncoder>();
  } else {
    throw Error(ErrorCode::kInvalidArgument, "unknown shard compression '" + options_.compression +
                                                 "' (expected zst, gz or none)");
  }
  if (dir_.empty()) dir_ = ".";
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) throw Error(ErrorCode::kIo, "cannot create the folder " + dir_ + ": " + ec.message());
  stage_.reset(new char[kIoBytes]);
}

ShardWriter::~ShardWriter() {
  if (fd_ >= 0) {
    ::close(fd_);
    ::unlink(tmp_path_.c_str());
  }
}

void ShardWriter::OpenShard() {
  char number[24];
  std::snprintf(number, sizeof(number), "-%05zu", shards_.size());
  const std::string name = prefix_ + number + suffix_;
  final_path_ = dir_ + "/" + name;
  tmp_path_ = dir_ + "/.tmp-" + name;
  fd_ = ::open(tmp_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) ThrowIo("cannot create " + tmp_path_);
  encoder_->Begin(fd_, tmp_path_);
  shard_bytes_ = 0;
  staged_ = 0;
}

void ShardWriter::Drain() {
  if (staged_ > 0) encoder_->Consume(stage_.get(), staged_);
  staged_ = 0;
}

void ShardWriter::FinishShard() {
  Drain();
  encoder_->Finish();
  const int fd = fd_;
  fd_ = -1;  // CommitFile closes it, also when it fails
  try {
    CommitFile(fd, tmp_path_, final_path_);
  } catch (...) {
    ::unlink(tmp_path_.c_str());
    throw;
  }
  shards_.push_back(final_path_);
}

void ShardWriter::Write(std::string_view json_line) {
  EXA_CHECK_MSG(!closed_, "ShardWriter::Write after Close");
  if (std::memchr(json_line.data(), '\n', json_line.size()) != nullptr) {
    throw Error(ErrorCode::kInvalidArgument, "a JSONL record must not contain a newline");
  }
  if (fd_ < 0) OpenShard();
  const size_t n = json_line.size() + 1;
  if (staged_ + n <= kIoBytes) {
    std::memcpy(stage_.get() + staged_, json_line.data(), json_line.size());
    stage_[staged_ + json_line.size()] = '\n';
    staged_ += n;
  } else {
    // A line that does not fit goes to the encoder directly, after what was staged.
    Drain();
    if (n <= kIoBytes) {
      std::memcpy(stage_.get(), json_line.data(), json_line.size());
      stage_[json_line.size()] = '\n';
      staged_ = n;
    } else {
      encoder_->Consume(json_line.data(), json_line.size());
      encoder_->Consume("\n", 1);
    }
  }
  shard_bytes_ += n;
  if (shard_bytes_ >= options_.max_shard_bytes) FinishShard();
}

std::vector<std::string> ShardWriter::Close() {
  if (!closed_) {
    if (fd_ >= 0) FinishShard();
    closed_ = true;
  }
  return shards_;
}

void WriteFileAtomically(const std::string& path, std::string_view content) {
  static std::atomic<uint64_t> counter{0};
  const size_t slash = path.rfind('/');
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  // Unique per process and call, so that concurrent writers never share a temporary.
  const std::string tmp = (slash == std::string::npos ? std::string() : path.substr(0, slash + 1)) +
                          ".tmp-" + base + "." + std::to_string(::getpid()) + "." +
                          std::to_string(counter++);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) ThrowIo("cannot create " + tmp);
  bool handed_over = false;  // CommitFile closes fd whatever happens
  try {
    WriteAll(fd, content.data(), content.size(), tmp);
    handed_over = true;
    CommitFile(fd, tmp, path);
  } catch (...) {
    if (!handed_over) ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
}

std::vector<std::string> ExpandGlob(const std::string& pattern) {
  if (pattern.empty()) throw Error(ErrorCode::kInvalidArgument, "an empty input pattern");
  if (!HasWildcard(pattern)) {
    struct stat st;
    if (::lstat(pattern.c_str(), &st) != 0) {
      throw Error(ErrorCode::kNotFound, "no such file: " + pattern + " (" + Reason() + ")");
    }
    return {pattern};
  }
  std::vector<std::string> segs;
  for (size_t i = 0; i < pattern.size();) {
    size_t j = pattern.find('/', i);
    if (j == std::string::npos) j = pattern.size();
    if (j > i) segs.push_back(pattern.substr(i, j - i));
    i = j + 1;
  }
  // The literal folders before the first wildcard are the start of the walk.
  std::string dir = pattern[0] == '/' ? "/" : "";
  size_t first = 0;
  while (first < segs.size() && !HasWildcard(segs[first]) &&
         segs[first].find('\\') == std::string::npos) {
    dir += segs[first] + "/";
    ++first;
  }
  Globber globber(std::vector<std::string>(segs.begin() + first, segs.end()));
  globber.Walk(dir, 0);
  std::vector<std::string>& out = globber.matches();
  if (out.empty()) {
    throw Error(ErrorCode::kNotFound, "no files match the pattern '" + pattern + "'");
  }
  std::sort(out.begin(), out.end());  // char_traits<char> compares bytes as unsigned
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return std::move(out);
}

}  // namespace exaone::foundry
