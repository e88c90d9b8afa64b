// A read-only file image in memory: memory-mapped, or read into anonymous memory backed by
// transparent huge pages. Model weights are used in place from the image either way.
//
// A mapping costs address space, not resident memory, until the weights are touched, starts
// at once and shares the page cache between processes; but its 4 KiB pages stop the hardware
// prefetcher at every page boundary and cost a TLB miss each, which slows the streaming reads
// of generation by 20-35% (measured on 1.2B-shaped models). A copy in 2 MiB pages streams at
// the full memory bandwidth; it costs one read of the file at start.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace exaone {

enum class Residency {
  kMap,   // memory-map the file
  kLoad,  // read it into huge-page-backed anonymous memory
  kAuto,  // kLoad when the system has transparent huge pages and memory to spare, else kMap
};

class MappedFile {
 public:
  // Maps or reads `path` (read-only either way). Throws Error(kIo / kNotFound) with the path
  // and the OS reason.
  explicit MappedFile(const std::string& path, Residency residency = Residency::kMap);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }
  // Whether the image is a copy in anonymous memory (kLoad) rather than a mapping.
  bool loaded() const { return loaded_; }
  // Lets `edit` rewrite the image in place (a loaded image only: a mapping stays read-only). The
  // image is writable during the call and read-only again after it, also when `edit` throws.
  void Edit(const std::function<void(uint8_t* image)>& edit);

 private:
  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  void* region_ = nullptr;  // the whole anonymous region when loaded (aligned inside it)
  size_t region_size_ = 0;
  bool loaded_ = false;
};

// Reads a whole (small) file into a string. Throws Error on failure.
std::string ReadTextFile(const std::string& path);
bool FileExists(const std::string& path);
bool IsDirectory(const std::string& path);

}  // namespace exaone
