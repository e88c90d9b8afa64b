// GGUF write -> read round trips for every value type (arrays of arrays included), alignment,
// and robustness: every truncation of a valid file is a clean Error, never a crash.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "base/error.h"
#include "base/mapped_file.h"
#include "io/gguf.h"
#include "test_util.h"

namespace exaone::io {
namespace {

using V = GgufValue;

std::string WriteSample(const testing::TempDir& dir, uint32_t alignment) {
  GgufWriter w(alignment);
  w.Set("general.architecture", V::String("exaone4"));
  GgufValue u8;
  u8.type = GgufType::kU8;
  u8.u = 200;
  w.Set("t.u8", u8);
  GgufValue i8;
  i8.type = GgufType::kI8;
  i8.i = -100;
  w.Set("t.i8", i8);
  GgufValue u16;
  u16.type = GgufType::kU16;
  u16.u = 65000;
  w.Set("t.u16", u16);
  GgufValue i16;
  i16.type = GgufType::kI16;
  i16.i = -32000;
  w.Set("t.i16", i16);
  w.Set("t.u32", V::U32(4000000000u));
  w.Set("t.i32", V::I32(-2000000000));
  w.Set("t.f32", V::F32(1.5f));
  w.Set("t.bool", V::Bool(true));
  w.Set("t.str", V::String("한국어 text"));
  w.Set("t.u64", V::U64(1ull << 60));
  GgufValue i64;
  i64.type = GgufType::kI64;
  i64.i = -(1ll << 60);
  w.Set("t.i64", i64);
  GgufValue f64;
  f64.type = GgufType::kF64;
  f64.f = 0.1;
  w.Set("t.f64", f64);
  w.Set("t.arr", V::Array(GgufType::kString, {V::String("a"), V::String("")}));
  w.Set("t.nested", V::Array(GgufType::kArray, {V::Array(GgufType::kI32, {V::I32(1), V::I32(2)}),
                                                V::Array(GgufType::kI32, {})}));
  w.AddTensor("a", DType::kF32, {3, 2}, [](uint8_t* dst) {
    float v[6] = {1, 2, 3, 4, 5, 6};
    std::memcpy(dst, v, sizeof v);
  });
  w.AddTensor("b", DType::kF16, {5}, [](uint8_t* dst) { std::memset(dst, 0x3c, 10); });
  const std::string path = dir.File("sample.gguf");
  w.Write(path);
  return path;
}

TEST(Gguf, RoundTripsEveryValueType) {
  testing::TempDir dir;
  GgufFile f(WriteSample(dir, 32));
  const GgufContents& g = f.contents();
  EXPECT_EQ(g.version, 3u);
  EXPECT_EQ(g.Find("t.u8")->u, 200u);
  EXPECT_EQ(g.Find("t.i8")->i, -100);
  EXPECT_EQ(g.Find("t.u16")->u, 65000u);
  EXPECT_EQ(g.Find("t.i16")->i, -32000);
  EXPECT_EQ(g.Find("t.u32")->u, 4000000000u);
  EXPECT_EQ(g.Find("t.i32")->i, -2000000000);
  EXPECT_EQ(g.Find("t.f32")->f, 1.5);
  EXPECT_EQ(g.Find("t.bool")->u, 1u);
  EXPECT_EQ(g.Find("t.str")->str, "한국어 text");
  EXPECT_EQ(g.Find("t.u64")->u, 1ull << 60);
  EXPECT_EQ(g.Find("t.i64")->i, -(1ll << 60));
  EXPECT_EQ(g.Find("t.f64")->f, 0.1);
  ASSERT_EQ(g.Find("t.arr")->ArraySize(), 2u);
  EXPECT_EQ(g.Find("t.arr")->Item(1).str, "");
  const GgufValue* nested = g.Find("t.nested");
  ASSERT_EQ(nested->ArraySize(), 2u);
  EXPECT_EQ(nested->Item(0).Item(1).i, 2);
  EXPECT_EQ(nested->Item(1).ArraySize(), 0u);
  const GgufTensorInfo* a = g.FindTensor("a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->ne, (std::vector<uint64_t>{3, 2}));
  float v[6];
  std::memcpy(v, a->data, sizeof v);
  EXPECT_EQ(v[5], 6.0f);
  EXPECT_EQ(g.FindTensor("b")->nbytes, 10u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(g.FindTensor("b")->data) % 32, 0u);
}

TEST(Gguf, ReadsVersion2) {
  // v2 and v3 share the little-endian layout (v3 only allows big-endian files as well).
  testing::TempDir dir;
  std::string bytes = ReadTextFile(WriteSample(dir, 32));
  bytes[4] = 2;
  GgufContents g = ParseGguf(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "v2");
  EXPECT_EQ(g.version, 2u);
  EXPECT_EQ(g.Find("t.str")->str, "한국어 text");
  EXPECT_EQ(g.tensors.size(), 2u);
}

TEST(Gguf, HonoursCustomAlignment) {
  testing::TempDir dir;
  GgufFile f(WriteSample(dir, 64));
  EXPECT_EQ(f.contents().alignment, 64u);
  EXPECT_EQ(f.contents().data_offset % 64, 0u);
  for (const auto& t : f.contents().tensors) EXPECT_EQ(t.offset % 64, 0u);
}

TEST(Gguf, EveryTruncationIsACleanError) {
  testing::TempDir dir;
  const std::string bytes = ReadTextFile(WriteSample(dir, 32));
  // Only the padding after the last tensor may be cut off without harm.
  GgufFile whole(dir.File("sample.gguf"));
  size_t end = 0;
  for (const auto& t : whole.contents().tensors) {
    end = std::max<size_t>(end, whole.contents().data_offset + t.offset + t.nbytes);
  }
  for (size_t n = end; n <= bytes.size(); ++n) {
    EXPECT_NO_THROW(ParseGguf(reinterpret_cast<const uint8_t*>(bytes.data()), n, "prefix"));
  }
  for (size_t n = 0; n < end; ++n) {
    std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + n);
    EXPECT_THROW(ParseGguf(prefix.data(), prefix.size(), "prefix"), Error)
        << "length " << n << " of " << bytes.size();
  }
}

TEST(Gguf, EverySingleByteCorruptionIsHandled) {
  // Flipping any header byte must give a clean Error or a (different) valid parse, never UB.
  testing::TempDir dir;
  const std::string bytes = ReadTextFile(WriteSample(dir, 32));
  GgufFile original(dir.File("sample.gguf"));
  const size_t header = original.contents().data_offset;
  for (size_t i = 0; i < header; ++i) {
    std::vector<uint8_t> copy(bytes.begin(), bytes.end());
    copy[i] ^= 0xff;
    try {
      ParseGguf(copy.data(), copy.size(), "corrupt");
    } catch (const Error&) {
    }
  }
}

TEST(Gguf, ErrorsNameTheProblem) {
  std::vector<uint8_t> bad = {'G', 'G', 'U', 'X', 3, 0, 0, 0};
  try {
    ParseGguf(bad.data(), bad.size(), "x.gguf");
    FAIL() << "accepted a bad magic";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("x.gguf"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("bad magic"), std::string::npos);
  }
}

}  // namespace
}  // namespace exaone::io

namespace exaone::io {
namespace {

TEST(Gguf, BoundsTheMemoryOfMetadataArrays) {
  // 2^25 + 1 one-byte items: small on disk, ~100x larger once parsed, so it is refused.
  const uint64_t n = (1ull << 25) + 1;
  std::vector<uint8_t> b;
  auto put = [&](const void* p, size_t len) {
    b.insert(b.end(), static_cast<const uint8_t*>(p), static_cast<const uint8_t*>(p) + len);
  };
  const uint32_t version = 3, array = 9, u8 = 0;
  const uint64_t tensors = 0, kvs = 1, key_len = 3;
  put("GGUF", 4);
  put(&version, 4);
  put(&tensors, 8);
  put(&kvs, 8);
  put(&key_len, 8);
  put("arr", 3);
  put(&array, 4);
  put(&u8, 4);
  put(&n, 8);
  b.resize(b.size() + n, 0);
  try {
    ParseGguf(b.data(), b.size(), "big");
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("items in total"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace exaone::io
