// Helpers shared by the unit tests: fixture paths, reference logits, temporary folders.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace exaone::testing {

std::string SourcePath(const std::string& relative);  // inside the source tree
std::string SharedPath(const std::string& relative);  // inside ../shared (may not exist)
bool PathExists(const std::string& path);

struct Reference {
  std::vector<int32_t> ids;
  size_t tokens = 0, vocab = 0;
  std::vector<float> logits;  // [tokens, vocab], from transformers
};
// Reads tests/fixtures/reference/<name>.json and <name><suffix>.
Reference LoadReference(const std::string& name, const std::string& suffix = ".f32");

float MaxAbsDiff(const std::vector<float>& a, const std::vector<float>& b);

// A fresh empty directory under the system temp dir, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// rows x n_blocks quantized blocks of block_bytes random bytes, with an fp16 value of either sign
// in [1e-3, 2e-2] at each of `half_offsets` in every block (the block's scales). Row i <
// extreme_rows has every other byte 0xff, 0x00, 0x80 for i = 0, 1, 2 (the extreme codes).
std::vector<uint8_t> RandomBlockRows(size_t rows, size_t n_blocks, size_t block_bytes,
                                     const std::vector<size_t>& half_offsets, size_t extreme_rows,
                                     std::mt19937& rng);

void WriteFile(const std::string& path, const std::string& contents);
void CopyDir(const std::string& from, const std::string& to);

}  // namespace exaone::testing
