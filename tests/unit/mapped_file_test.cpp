// File images: a mapping and a huge-page copy hold the same bytes; errors name the file.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>

#include "base/error.h"
#include "base/mapped_file.h"
#include "test_util.h"

namespace exaone {
namespace {

using testing::TempDir;
using testing::WriteFile;

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

TEST(MappedFile, LoadedCopyEqualsTheMapping) {
  TempDir dir;
  // Crosses huge-page boundaries and ends in the middle of a page.
  const std::string contents = RandomBytes((size_t{5} << 20) + 12345, 1);
  WriteFile(dir.File("f.bin"), contents);
  MappedFile mapped(dir.File("f.bin"), Residency::kMap);
  MappedFile loaded(dir.File("f.bin"), Residency::kLoad);
  EXPECT_FALSE(mapped.loaded());
  EXPECT_TRUE(loaded.loaded());
  ASSERT_EQ(mapped.size(), contents.size());
  ASSERT_EQ(loaded.size(), contents.size());
  EXPECT_EQ(std::memcmp(mapped.data(), contents.data(), contents.size()), 0);
  EXPECT_EQ(std::memcmp(loaded.data(), contents.data(), contents.size()), 0);
  // The copy starts on a huge-page boundary so the kernel can back it with 2 MiB pages.
  EXPECT_EQ(reinterpret_cast<uintptr_t>(loaded.data()) % (size_t{2} << 20), 0u);
}

TEST(MappedFile, LoadsLargeFilesInParallelChunks) {
  // Three 64 MiB read chunks, the last one partial: each thread's share lands in its place.
  TempDir dir;
  std::string contents((size_t{128} << 20) + 4099, '\0');
  uint64_t x = 0x9E3779B97F4A7C15ull;
  for (size_t i = 0; i + 8 <= contents.size(); i += 8) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    std::memcpy(&contents[i], &x, 8);
  }
  WriteFile(dir.File("big.bin"), contents);
  MappedFile loaded(dir.File("big.bin"), Residency::kLoad);
  ASSERT_TRUE(loaded.loaded());
  ASSERT_EQ(loaded.size(), contents.size());
  EXPECT_EQ(std::memcmp(loaded.data(), contents.data(), contents.size()), 0);
}

// A loaded image can be rewritten in place (the kernels' layouts); the change is visible through
// data(), and a second edit after one that threw still works.
TEST(MappedFile, EditRewritesALoadedImage) {
  TempDir dir;
  const std::string contents = RandomBytes((size_t{3} << 20) + 17, 4);
  WriteFile(dir.File("f.bin"), contents);
  MappedFile loaded(dir.File("f.bin"), Residency::kLoad);
  ASSERT_TRUE(loaded.loaded());
  loaded.Edit([&](uint8_t* image) {
    EXPECT_EQ(image, loaded.data());
    image[0] = static_cast<uint8_t>(~contents[0]);
    image[contents.size() - 1] = 0x5A;
  });
  EXPECT_EQ(loaded.data()[0], static_cast<uint8_t>(~contents[0]));
  EXPECT_EQ(loaded.data()[contents.size() - 1], 0x5A);
  EXPECT_THROW(loaded.Edit([](uint8_t*) { throw Error(ErrorCode::kIo, "stop"); }), Error);
  loaded.Edit([](uint8_t* image) { image[1] = 7; });
  EXPECT_EQ(loaded.data()[1], 7);
  EXPECT_EQ(std::memcmp(loaded.data() + 2, contents.data() + 2, contents.size() - 3), 0);
}

TEST(MappedFile, AutoMapsSmallFiles) {
  TempDir dir;
  WriteFile(dir.File("small.bin"), RandomBytes(1000, 2));
  MappedFile f(dir.File("small.bin"), Residency::kAuto);
  EXPECT_FALSE(f.loaded());
  EXPECT_EQ(f.size(), 1000u);
}

TEST(MappedFile, EmptyFileInEveryMode) {
  TempDir dir;
  WriteFile(dir.File("empty.bin"), "");
  for (Residency r : {Residency::kMap, Residency::kLoad, Residency::kAuto}) {
    MappedFile f(dir.File("empty.bin"), r);
    EXPECT_EQ(f.size(), 0u);
  }
}

TEST(MappedFile, ErrorsNameTheFile) {
  TempDir dir;
  for (Residency r : {Residency::kMap, Residency::kLoad}) {
    try {
      MappedFile f(dir.File("missing.bin"), r);
      FAIL() << "no error for a missing file";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kNotFound);
      EXPECT_NE(std::string(e.what()).find("missing.bin"), std::string::npos) << e.what();
    }
    try {
      MappedFile f(dir.path(), r);
      FAIL() << "no error for a directory";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("not a regular file"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace exaone
