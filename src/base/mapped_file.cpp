#include "base/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "base/error.h"

namespace exaone {

namespace {

constexpr size_t kHugePage = size_t{2} << 20;

// Transparent huge pages can be had for anonymous memory ("always" or "madvise" mode).
bool HugePagesAvailable() {
  std::ifstream in("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string line;
  if (!std::getline(in, line)) return false;
  return line.find("[always]") != std::string::npos || line.find("[madvise]") != std::string::npos;
}

// MemAvailable from /proc/meminfo in bytes, 0 when unknown.
uint64_t MemAvailable() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  uint64_t kib = 0;
  std::string unit;
  while (in >> key >> kib >> unit) {
    if (key == "MemAvailable:") return kib * 1024;
  }
  return 0;
}

// Copy when huge pages help and the copy leaves a fifth of the available memory free (the
// file's own page cache counts as available: the kernel drops it as the copy grows).
bool ShouldLoad(size_t size) {
  if (size < 4 * kHugePage || !HugePagesAvailable()) return false;
  const uint64_t avail = MemAvailable();
  return avail > 0 && size <= avail / 5 * 4;
}

// Reads size bytes of fd into dst with several threads, 64 MiB at a time: the first touch of
// fresh anonymous memory (the kernel zeroing each huge page) costs more than the copy, and
// spreads over cores. Returns an error message naming the offset, or "" on success.
std::string ReadAll(int fd, uint8_t* dst, size_t size) {
  constexpr size_t kChunk = size_t{64} << 20;
  const size_t chunks = (size + kChunk - 1) / kChunk;
  const size_t n_threads =
      std::min<size_t>({chunks, std::max(1u, std::thread::hardware_concurrency()), 8});
  std::atomic<size_t> next{0};
  std::mutex mu;
  size_t bad_offset = SIZE_MAX;
  std::string bad;
  auto work = [&] {
    for (size_t c = next++; c < chunks; c = next++) {
      size_t off = c * kChunk;
      const size_t end = std::min(size, off + kChunk);
      while (off < end) {
        const ssize_t n = ::pread(fd, dst + off, end - off, static_cast<off_t>(off));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
          std::lock_guard<std::mutex> lock(mu);
          if (off < bad_offset) {
            bad_offset = off;
            bad = "read failed at byte " + std::to_string(off) + ": " +
                  (n < 0 ? std::strerror(errno) : "the file ended early");
          }
          return;
        }
        off += static_cast<size_t>(n);
      }
    }
  };
  std::vector<std::thread> threads;
  for (size_t i = 1; i < n_threads; ++i) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();
  return bad;
}

}  // namespace

MappedFile::MappedFile(const std::string& path, Residency residency) : path_(path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    throw Error(err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo,
                path + ": cannot open: " + std::strerror(err));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    throw Error(ErrorCode::kIo, path + ": cannot stat: " + std::strerror(err));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error(ErrorCode::kIo, path + ": not a regular file");
  }
  size_ = static_cast<size_t>(st.st_size);
  if (residency == Residency::kAuto) {
    residency = ShouldLoad(size_) ? Residency::kLoad : Residency::kMap;
  }
  if (size_ > 0 && residency == Residency::kLoad) {
    // One huge page of slack so the image can start on a 2 MiB boundary.
    region_size_ = size_ + kHugePage;
    void* p =
        ::mmap(nullptr, region_size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      int err = errno;
      ::close(fd);
      throw Error(ErrorCode::kIo,
                  path + ": cannot allocate memory for the file: " + std::strerror(err));
    }
    region_ = p;
    auto* start = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(p) + kHugePage - 1) &
                                             ~uintptr_t{kHugePage - 1});
    ::madvise(region_, region_size_, MADV_HUGEPAGE);  // a hint: without it, 4 KiB pages
    std::string error = ReadAll(fd, start, size_);
    if (!error.empty()) {
      ::close(fd);
      ::munmap(region_, region_size_);
      region_ = nullptr;
      throw Error(ErrorCode::kIo, path + ": " + error);
    }
    ::mprotect(region_, region_size_, PROT_READ);
    data_ = start;
    loaded_ = true;
  } else if (size_ > 0) {
    void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      int err = errno;
      ::close(fd);
      throw Error(ErrorCode::kIo, path + ": cannot map: " + std::strerror(err));
    }
    data_ = static_cast<const uint8_t*>(p);
  }
  ::close(fd);
}

void MappedFile::Edit(const std::function<void(uint8_t* image)>& edit) {
  EXA_CHECK_MSG(loaded_, "MappedFile::Edit: the image is a read-only mapping");
  if (::mprotect(region_, region_size_, PROT_READ | PROT_WRITE) != 0) {
    throw Error(ErrorCode::kIo,
                path_ + ": cannot make the image writable: " + std::strerror(errno));
  }
  struct Restore {
    void* region;
    size_t size;
    ~Restore() { ::mprotect(region, size, PROT_READ); }
  } restore{region_, region_size_};
  edit(const_cast<uint8_t*>(data_));
}

MappedFile::~MappedFile() {
  if (loaded_) {
    ::munmap(region_, region_size_);
  } else if (data_ != nullptr) {
    ::munmap(const_cast<uint8_t*>(data_), size_);
  }
}

std::string ReadTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error(FileExists(path) ? ErrorCode::kIo : ErrorCode::kNotFound,
                path + ": cannot open: " + std::strerror(errno));
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool FileExists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool IsDirectory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace exaone
