// A read-only memory-mapped file. Model weights are used in place from the mapping, so loading
// a model costs address space, not resident memory, until the weights are touched.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace exaone {

class MappedFile {
 public:
  // Maps `path` read-only. Throws Error(kIo / kNotFound) with the path and the OS reason.
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// Reads a whole (small) file into a string. Throws Error on failure.
std::string ReadTextFile(const std::string& path);
bool FileExists(const std::string& path);
bool IsDirectory(const std::string& path);

}  // namespace exaone
