#include "hub/download.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#include "base/error.h"
#include "hub/progress.h"

namespace exaone::hub {
namespace {

// Attempts for one file when the connection drops or stalls; each resumes where the last ended.
constexpr int kMaxAttempts = 5;

uint64_t SizeOf(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

void Backoff(int failures) {
  const int ms = std::min(8000, 500 << std::min(failures - 1, 4));
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

// The .incomplete file being appended to, with the digest of everything in it so far.
class PartialFile {
 public:
  PartialFile(const std::string& path, const BlobSpec& spec)
      : path_(path), limit_(spec.size), size_(SizeOf(path)) {
    if (size_ > limit_) {
      std::remove(path.c_str());
      size_ = 0;
    }
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0 || ::lseek(fd_, static_cast<off_t>(size_), SEEK_SET) < 0) {
      throw Error(ErrorCode::kIo, path + ": cannot open for writing: " + std::strerror(errno));
    }
    if (spec.digest) {
      digest_.emplace(*spec.digest, spec.size);
      // A resumed download's digest covers the bytes already on disk.
      digest_->UpdateFromFile(path, size_);
    }
  }
  ~PartialFile() { Close(); }

  uint64_t size() const { return size_; }
  const std::string& error() const { return error_; }
  std::string Digest() { return digest_ ? digest_->HexFinal() : ""; }

  // The server sent the whole file instead of the rest of it: start over.
  bool Truncate() {
    if (::ftruncate(fd_, 0) != 0 || ::lseek(fd_, 0, SEEK_SET) < 0) {
      error_ = path_ + ": cannot truncate: " + std::strerror(errno);
      return false;
    }
    size_ = 0;
    if (digest_) digest_->Reset();
    return true;
  }

  bool Write(const char* data, size_t n) {
    if (size_ + n > limit_) {
      error_ = "the server sent more than the expected " + std::to_string(limit_) + " bytes";
      oversized_ = true;
      return false;
    }
    for (size_t done = 0; done < n;) {
      const ssize_t w = ::write(fd_, data + done, n - done);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        error_ = path_ + ": write failed: " + std::strerror(errno);
        return false;
      }
      done += static_cast<size_t>(w);
    }
    if (digest_) digest_->Update(data, n);
    size_ += n;
    return true;
  }

  bool oversized() const { return oversized_; }

  // Network file systems may report a failed write only here.
  void Close() {
    if (fd_ >= 0 && ::close(fd_) != 0 && error_.empty()) {
      error_ = path_ + ": write failed: " + std::strerror(errno);
    }
    fd_ = -1;
  }

 private:
  std::string path_;
  uint64_t limit_;
  uint64_t size_;
  int fd_ = -1;
  std::optional<exaone::hub::Digest> digest_;
  std::string error_;
  bool oversized_ = false;
};

// The start offset in "Content-Range: bytes 100-199/200", or -1.
long long RangeStart(const Headers& headers) {
  auto it = headers.find("content-range");
  if (it == headers.end() || it->second.rfind("bytes ", 0) != 0) return -1;
  return std::strtoll(it->second.c_str() + 6, nullptr, 10);
}

const char* DigestName(DigestKind kind) {
  return kind == DigestKind::kSha256 ? "sha256" : "git blob sha1";
}

enum class Outcome {
  kComplete,  // the file has all its bytes (digest not checked yet)
  kResume,    // the connection dropped: try again from where the file ends
  kRestart,   // the partial file cannot be continued: delete it, then try again
  kCorrupt,   // the content is wrong: delete it; fetch once more from scratch at most
};

struct Attempt {
  Outcome outcome;
  std::string reason;
};

// Asks for the bytes the partial file lacks and appends them.
Attempt FetchRest(HttpClient& client, const BlobSpec& spec, PartialFile& part, Progress& progress,
                  const HubContext& ctx, uint64_t* transferred) {
  const uint64_t offset = part.size();
  bool bad_range = false;
  HttpRequest req;
  req.url = spec.url;
  req.range_from = offset;
  req.on_headers = [&](long status, const Headers& headers) {
    if (status == 206) {
      bad_range = RangeStart(headers) != static_cast<long long>(offset);
      return !bad_range;
    }
    return offset == 0 || part.Truncate();  // a 200 carries the whole file
  };
  req.on_body = [&](const char* data, size_t n) {
    if (!part.Write(data, n)) return false;
    *transferred += n;
    progress.Update(part.size());
    return true;
  };
  const HttpResponse r = client.Fetch(req);
  if (part.oversized()) return {Outcome::kCorrupt, part.error()};
  if (!part.error().empty()) throw Error(ErrorCode::kIo, part.error());
  if (bad_range) return {Outcome::kRestart, "the server resumed at another offset than asked"};
  if (!r.error.empty()) {
    if (r.retryable) return {Outcome::kResume, r.error};
    ThrowTransportError(r, ctx, "downloading " + spec.name);
  }
  if (r.status == 416) return {Outcome::kRestart, "the server cannot resume it (HTTP 416)"};
  if (r.status != 200 && r.status != 206) ThrowHttpError(r, ctx, spec.name);
  if (part.size() < spec.size) {
    return {Outcome::kResume, "the connection closed after " + FormatBytes(part.size())};
  }
  return {Outcome::kComplete, ""};
}

}  // namespace

uint64_t DownloadBlob(HttpClient& client, const BlobSpec& spec, const std::string& blob_path,
                      const HubContext& ctx, bool quiet) {
  const std::string part_path = blob_path + ".incomplete";
  Progress progress(spec.name, spec.size, quiet);
  uint64_t transferred = 0;
  int failures = 0;
  bool retried_corrupt = false;
  for (bool first = true;; first = false) {
    PartialFile part(part_path, spec);
    if (first) progress.Start(part.size());
    Attempt a{Outcome::kComplete, ""};
    if (part.size() < spec.size) a = FetchRest(client, spec, part, progress, ctx, &transferred);
    part.Close();
    if (!part.error().empty() && !part.oversized()) throw Error(ErrorCode::kIo, part.error());
    if (a.outcome == Outcome::kComplete && spec.digest) {
      const std::string got = part.Digest();
      if (got != spec.etag) {
        a = {Outcome::kCorrupt, std::string(DigestName(*spec.digest)) + " mismatch (expected " +
                                    spec.etag + ", got " + got + ")"};
      }
    }
    switch (a.outcome) {
      case Outcome::kComplete:
        if (std::rename(part_path.c_str(), blob_path.c_str()) != 0) {
          throw Error(ErrorCode::kIo,
                      blob_path + ": cannot rename into place: " + std::strerror(errno));
        }
        progress.Finish();
        return transferred;
      case Outcome::kCorrupt:
        // Never keep bytes that failed verification, not even as a resume point.
        std::remove(part_path.c_str());
        if (retried_corrupt) {
          throw Error(ErrorCode::kBadFile,
                      spec.name + ": " + a.reason + "; the corrupt download was deleted");
        }
        retried_corrupt = true;
        progress.Say(spec.name + ": " + a.reason + "; downloading it again from the start");
        continue;
      case Outcome::kRestart:
        std::remove(part_path.c_str());
        [[fallthrough]];
      case Outcome::kResume:
        if (++failures >= kMaxAttempts) {
          throw Error(ErrorCode::kIo, "downloading " + spec.name + " failed " +
                                          std::to_string(failures) + " times (last: " + a.reason +
                                          "); run the command again to resume");
        }
        progress.Say(spec.name + ": " + a.reason + "; retrying at " +
                     FormatBytes(SizeOf(part_path)));
        Backoff(failures);
        continue;
    }
  }
}

}  // namespace exaone::hub
