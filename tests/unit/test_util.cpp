#include "test_util.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "base/half.h"
#include "base/mapped_file.h"
#include "io/json.h"

namespace exaone::testing {

std::string SourcePath(const std::string& relative) {
  return std::string(EXAONE_SOURCE_DIR) + "/" + relative;
}

std::string SharedPath(const std::string& relative) {
  return std::string(EXAONE_SOURCE_DIR) + "/../shared/" + relative;
}

bool PathExists(const std::string& path) {
  return std::filesystem::exists(path);
}

Reference LoadReference(const std::string& name, const std::string& suffix) {
  const std::string base = SourcePath("tests/fixtures/reference/" + name);
  io::Json meta = io::ReadJsonFile(base + ".json");
  Reference r;
  for (const auto& id : meta["ids"]) r.ids.push_back(id.get<int32_t>());
  r.tokens = meta["shape"][0].get<size_t>();
  r.vocab = meta["shape"][1].get<size_t>();
  std::string bytes = ReadTextFile(base + suffix);
  EXPECT_EQ(bytes.size(), r.tokens * r.vocab * sizeof(float));
  r.logits.resize(r.tokens * r.vocab);
  std::memcpy(r.logits.data(), bytes.data(), std::min(bytes.size(), r.logits.size() * 4));
  return r;
}

float MaxAbsDiff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  float m = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    float d = std::fabs(a[i] - b[i]);
    if (std::isnan(d)) return INFINITY;
    m = std::max(m, d);
  }
  return m;
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "exaone_test_XXXXXX").string();
  path_ = mkdtemp(tmpl.data());
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::vector<uint8_t> RandomBlockRows(size_t rows, size_t n_blocks, size_t block_bytes,
                                     const std::vector<size_t>& half_offsets, size_t extreme_rows,
                                     std::mt19937& rng) {
  static constexpr uint8_t kExtreme[] = {0xff, 0x00, 0x80};
  std::vector<uint8_t> w(rows * n_blocks * block_bytes);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_real_distribution<float> mag(1e-3f, 2e-2f);
  for (size_t r = 0; r < rows; ++r) {
    for (size_t b = 0; b < n_blocks; ++b) {
      uint8_t* p = w.data() + (r * n_blocks + b) * block_bytes;
      for (size_t i = 0; i < block_bytes; ++i) {
        p[i] = r < extreme_rows && r < 3 ? kExtreme[r] : static_cast<uint8_t>(byte(rng));
      }
      for (size_t off : half_offsets) {
        const float v = (byte(rng) & 1 ? 1.0f : -1.0f) * mag(rng);
        const uint16_t h = F32ToF16(v);
        std::memcpy(p + off, &h, 2);
      }
    }
  }
  return w;
}

void WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary);
  out << contents;
}

void CopyDir(const std::string& from, const std::string& to) {
  std::filesystem::copy(from, to, std::filesystem::copy_options::recursive);
}

}  // namespace exaone::testing
