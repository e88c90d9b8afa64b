// The foundry's streaming I/O: globs over a folder tree, line reading of plain, gzip and zstd
// files (against streams made by zlib, libzstd and the gzip/zstd tools), damaged streams,
// numbered shards and their atomic, deterministic writing.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/mapped_file.h"
#include "foundry/jsonl_io.h"
#include "test_util.h"

namespace exaone::foundry {
namespace {

using exaone::testing::TempDir;
using exaone::testing::WriteFile;
namespace fs = std::filesystem;

// A gzip member of `data`, made with zlib directly (not with the writer under test).
std::string Gzip(const std::string& data) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&zs, data.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

// A zstd frame of `data` (with a content checksum, as the zstd tool writes by default).
std::string Zstd(const std::string& data, int level = 3) {
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level);
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
  std::string out(ZSTD_compressBound(data.size()), '\0');
  const size_t n = ZSTD_compress2(cctx, out.data(), out.size(), data.data(), data.size());
  EXPECT_FALSE(ZSTD_isError(n));
  out.resize(n);
  ZSTD_freeCCtx(cctx);
  return out;
}

std::string Compress(const std::string& data, const std::string& format) {
  if (format == "gz") return Gzip(data);
  if (format == "zst") return Zstd(data);
  return data;
}

std::vector<std::string> ReadLines(const std::string& path, size_t max_line = size_t{64} << 20) {
  LineReader reader(path, max_line);
  std::vector<std::string> lines;
  for (std::string_view line; reader.Next(line);) {
    lines.emplace_back(line);
    EXPECT_EQ(reader.line_number(), lines.size());
  }
  EXPECT_EQ(reader.bytes_read(), reader.file_size()) << path;
  return lines;
}

using Lines = std::vector<std::string>;

// The code and message of the Error `f` throws ("" when it throws none).
template <typename F>
std::string ErrorOf(F&& f, ErrorCode* code = nullptr) {
  try {
    f();
  } catch (const Error& e) {
    if (code != nullptr) *code = e.code();
    return e.what();
  }
  return "";
}

bool HaveTool(const char* tool) {
  return std::system((std::string("command -v ") + tool + " >/dev/null 2>&1").c_str()) == 0;
}

// Every entry of `dir`, hidden ones included, as names relative to it, sorted.
Lines ListAll(const std::string& dir) {
  Lines names;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    names.push_back(fs::relative(e.path(), dir).string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// ---------------------------------------------------------------------------------------------
// LineReader

class LineReaderFormats : public ::testing::TestWithParam<std::string> {};

TEST_P(LineReaderFormats, SplitsLinesLikeJsonlReaders) {
  const std::string format = GetParam();
  const struct {
    std::string text;
    Lines lines;
  } cases[] = {
      {"", {}},
      {"a\nb\n", {"a", "b"}},
      {"a\nb", {"a", "b"}},          // a last line without newline
      {"a\r\nbc\r\n", {"a", "bc"}},  // CRLF
      {"\n\nx\n", {"", "", "x"}},    // empty lines keep their numbers
      {"x\ry\n\r\n", {"x\ry", ""}},  // a CR inside a line stays
      {"tail\r", {"tail"}},          // a CR at the very end goes
      {std::string("n\0ul\n", 5), {std::string("n\0ul", 4)}},
  };
  TempDir dir;
  int i = 0;
  for (const auto& c : cases) {
    const std::string path = dir.File("in" + std::to_string(i++) + "." + format);
    WriteFile(path, Compress(c.text, format));
    EXPECT_EQ(ReadLines(path), c.lines) << format << " " << ::testing::PrintToString(c.text);
  }
}

TEST_P(LineReaderFormats, ManySmallLinesAcrossBufferBoundaries) {
  // ~6 MB of short lines of varying length: several 1 MiB buffers, lines cut at their edges.
  const std::string format = GetParam();
  std::string text;
  Lines expected;
  std::mt19937 rng(7);
  for (int i = 0; i < 200000; ++i) {
    expected.push_back("{\"id\":" + std::to_string(i) + ",\"t\":\"" +
                       std::string(rng() % 40, static_cast<char>('a' + i % 26)) + "\"}");
    text += expected.back() + (i % 3 == 0 ? "\r\n" : "\n");
  }
  TempDir dir;
  const std::string path = dir.File("many." + format);
  WriteFile(path, Compress(text, format));
  const Lines got = ReadLines(path);
  ASSERT_EQ(got.size(), expected.size());
  EXPECT_TRUE(got == expected);
}

TEST_P(LineReaderFormats, LineOfFiveMegabytes) {
  const std::string format = GetParam();
  std::string big(5'000'000, 'x');
  for (size_t i = 0; i < big.size(); i += 4099) big[i] = static_cast<char>('A' + i % 26);
  const std::string text = "first\n" + big + "\r\nlast";
  TempDir dir;
  const std::string path = dir.File("big." + format);
  WriteFile(path, Compress(text, format));
  const Lines got = ReadLines(path);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], "first");
  EXPECT_TRUE(got[1] == big);
  EXPECT_EQ(got[2], "last");
  // The same line is refused when the limit is one byte short of it.
  ErrorCode code{};
  const std::string msg = ErrorOf([&] { ReadLines(path, big.size() - 1); }, &code);
  EXPECT_EQ(code, ErrorCode::kBadFile);
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("line 2 "), std::string::npos) << msg;
  EXPECT_EQ(ReadLines(path, big.size()).size(), 3u);
}

INSTANTIATE_TEST_SUITE_P(All, LineReaderFormats, ::testing::Values("plain", "gz", "zst"));

TEST(FoundryLineReader, MaxLineBytesCountsContentOnly) {
  TempDir dir;
  const std::string path = dir.File("limit.jsonl");
  WriteFile(path, "0123456789\r\n0123456789\n01234567890\n");
  ErrorCode code{};
  const std::string msg = ErrorOf([&] { ReadLines(path, 10); }, &code);
  EXPECT_EQ(code, ErrorCode::kBadFile);
  EXPECT_NE(msg.find(path + ": line 3 is longer than 10 bytes"), std::string::npos) << msg;
  // The first two lines come out before the error.
  LineReader reader(path, 10);
  std::string_view line;
  ASSERT_TRUE(reader.Next(line));
  ASSERT_TRUE(reader.Next(line));
  EXPECT_EQ(line, "0123456789");
  EXPECT_THROW(reader.Next(line), Error);
}

TEST(FoundryLineReader, EndlessLineStopsAtTheLimitNotAtTheEndOfMemory) {
  // 8 MB without a newline against a 1 MB limit: refused while reading, line 1 named.
  TempDir dir;
  const std::string path = dir.File("endless.jsonl");
  WriteFile(path, std::string(8'000'000, 'z'));
  const std::string msg = ErrorOf([&] { ReadLines(path, 1'000'000); });
  EXPECT_NE(msg.find(path + ": line 1 is longer than 1000000 bytes"), std::string::npos) << msg;
}

TEST(FoundryLineReader, MissingFileAndDirectory) {
  TempDir dir;
  ErrorCode code{};
  std::string msg = ErrorOf([&] { LineReader r(dir.File("nope.jsonl")); }, &code);
  EXPECT_EQ(code, ErrorCode::kNotFound);
  EXPECT_NE(msg.find(dir.File("nope.jsonl")), std::string::npos) << msg;
  msg = ErrorOf([&] { LineReader r(dir.path()); }, &code);
  EXPECT_EQ(code, ErrorCode::kIo);
  EXPECT_NE(msg.find("directory"), std::string::npos) << msg;
  EXPECT_THROW(LineReader(dir.File("x"), 0), Error);
}

TEST(FoundryLineReader, FormatIsToldByContentNotName) {
  TempDir dir;
  WriteFile(dir.File("really_zstd.jsonl"), Zstd("z1\nz2\n"));
  WriteFile(dir.File("really_plain.jsonl.gz"), "p1\n");
  WriteFile(dir.File("tiny"), "\x1f");  // one byte of a gzip magic number is just text
  EXPECT_EQ(ReadLines(dir.File("really_zstd.jsonl")), (Lines{"z1", "z2"}));
  EXPECT_EQ(ReadLines(dir.File("really_plain.jsonl.gz")), (Lines{"p1"}));
  EXPECT_EQ(ReadLines(dir.File("tiny")), (Lines{"\x1f"}));
}

TEST(FoundryLineReader, ConcatenatedGzipMembersAndZstdFrames) {
  // The member boundary falls inside a line ("b" + "c"), and one member is empty.
  TempDir dir;
  WriteFile(dir.File("m.gz"), Gzip("a\nb") + Gzip("") + Gzip("c\nd\n") + Gzip("e"));
  WriteFile(dir.File("m.zst"), Zstd("a\nb") + Zstd("") + Zstd("c\nd\n", 19) + Zstd("e"));
  const Lines want = {"a", "bc", "d", "e"};
  EXPECT_EQ(ReadLines(dir.File("m.gz")), want);
  EXPECT_EQ(ReadLines(dir.File("m.zst")), want);
}

TEST(FoundryLineReader, ConcatenatedStreamsFromTheCommandLineTools) {
  TempDir dir;
  WriteFile(dir.File("p1"), "{\"a\":1}\n{\"a\":2}\n");
  WriteFile(dir.File("p2"), "{\"a\":3}\n{\"a\":4}");
  const Lines want = {"{\"a\":1}", "{\"a\":2}", "{\"a\":3}", "{\"a\":4}"};
  int tools = 0;
  if (HaveTool("gzip")) {
    ++tools;
    const std::string cmd = "cd " + dir.path() + " && gzip -c p1 > t.gz && gzip -9 -c p2 >> t.gz";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    EXPECT_EQ(ReadLines(dir.File("t.gz")), want);
  }
  if (HaveTool("zstd")) {
    ++tools;
    const std::string cmd =
        "cd " + dir.path() + " && zstd -q -c p1 > t.zst && zstd -q -19 -c p2 >> t.zst";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    EXPECT_EQ(ReadLines(dir.File("t.zst")), want);
  }
  if (tools == 0) GTEST_SKIP() << "neither gzip nor zstd is installed";
}

TEST(FoundryLineReader, EveryTruncationIsAnErrorNamingTheFile) {
  // Any cut inside a compressed stream (the magic number kept) must fail, never end quietly.
  std::string text;
  for (int i = 0; i < 300; ++i) text += "{\"line\":" + std::to_string(i) + "}\n";
  TempDir dir;
  for (const std::string format : {"gz", "zst"}) {
    const std::string full = Compress(text, format);
    const std::string path = dir.File("cut." + format);
    const size_t magic = format == "gz" ? 2 : 4;
    for (size_t n = magic; n < full.size(); ++n) {
      WriteFile(path, full.substr(0, n));
      ErrorCode code{};
      const std::string msg = ErrorOf([&] { ReadLines(path); }, &code);
      ASSERT_EQ(code, ErrorCode::kBadFile) << format << " cut at " << n << ": " << msg;
      ASSERT_NE(msg.find(path + ": truncated"), std::string::npos) << msg;
      ASSERT_NE(msg.find("byte " + std::to_string(n)), std::string::npos) << msg;
    }
    WriteFile(path, full);
    EXPECT_EQ(ReadLines(path).size(), 300u);
  }
}

TEST(FoundryLineReader, CorruptStreamsAreErrorsWithTheOffset) {
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "{\"text\":\"record number " + std::to_string(i) + "\"}\n";
  TempDir dir;
  for (const std::string format : {"gz", "zst"}) {
    std::string bytes = Compress(text, format);
    const std::string path = dir.File("bad." + format);
    // A flipped byte in the middle: caught by the format or its checksum.
    std::string flipped = bytes;
    flipped[flipped.size() / 2] ^= 0x55;
    WriteFile(path, flipped);
    ErrorCode code{};
    std::string msg = ErrorOf([&] { ReadLines(path); }, &code);
    EXPECT_EQ(code, ErrorCode::kBadFile) << format;
    EXPECT_NE(msg.find(path + ": corrupt"), std::string::npos) << msg;
    EXPECT_NE(msg.find(" at byte "), std::string::npos) << msg;
    // Garbage after a complete stream is not ignored either.
    WriteFile(path, bytes + "trailing garbage\n");
    msg = ErrorOf([&] { ReadLines(path); }, &code);
    EXPECT_EQ(code, ErrorCode::kBadFile) << format;
    // The offset is where decoding stopped: within the first bytes of the garbage.
    const size_t at = msg.find(" at byte ");
    ASSERT_NE(at, std::string::npos) << msg;
    const uint64_t offset = std::strtoull(msg.c_str() + at + 9, nullptr, 10);
    EXPECT_GE(offset, bytes.size()) << msg;
    EXPECT_LE(offset, bytes.size() + 17) << msg;
  }
}

TEST(FoundryLineReader, RandomBytesAfterAMagicNumberNeverCrash) {
  TempDir dir;
  std::mt19937 rng(3);
  const std::string path = dir.File("noise");
  for (int trial = 0; trial < 200; ++trial) {
    std::string bytes = trial % 2 ? std::string("\x1f\x8b") : std::string("\x28\xb5\x2f\xfd");
    // Sometimes a valid header start, so that the decoders get past it.
    if (trial % 4 < 2) bytes = Compress("hello\nworld\n", trial % 2 ? "gz" : "zst").substr(0, 10);
    const size_t n = rng() % 3000;
    for (size_t i = 0; i < n; ++i) bytes += static_cast<char>(rng());
    WriteFile(path, bytes);
    try {
      LineReader reader(path);
      for (std::string_view line; reader.Next(line);) {
      }
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kBadFile) << e.what();
    }
  }
}

// ---------------------------------------------------------------------------------------------
// ExpandGlob

class FoundryGlob : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* f : {"a.jsonl", "B.jsonl", "x1.jsonl", "x2.jsonl", "x10.jsonl", "b.jsonl.gz",
                          "\xc3\xa9.jsonl", ".hidden.jsonl", ".tmp-part.jsonl", "sub/c.jsonl",
                          "sub/deep/e.jsonl", "sub/deep/f.txt", "sub2/g.jsonl", ".git/h.jsonl"}) {
      fs::create_directories(fs::path(D(f)).parent_path());
      WriteFile(D(f), "{}\n");
    }
    fs::create_directories(D("emptydir.jsonl"));  // a folder whose name matches: not returned
  }
  std::string D(const std::string& rel) const { return dir_.File(rel); }
  Lines Ds(const Lines& rels) const {
    Lines out;
    for (const auto& r : rels) out.push_back(D(r));
    return out;
  }
  TempDir dir_;
};

TEST_F(FoundryGlob, StarSortedByteWiseSkippingHidden) {
  // Byte order: upper case before lower case, "x10" before "x2", UTF-8 after ASCII.
  EXPECT_EQ(ExpandGlob(D("*.jsonl")),
            Ds({"B.jsonl", "a.jsonl", "x1.jsonl", "x10.jsonl", "x2.jsonl", "\xc3\xa9.jsonl"}));
  EXPECT_EQ(ExpandGlob(D("x?.jsonl")), Ds({"x1.jsonl", "x2.jsonl"}));
  EXPECT_EQ(ExpandGlob(D("x[0-9]*.jsonl")), Ds({"x1.jsonl", "x10.jsonl", "x2.jsonl"}));
  EXPECT_EQ(ExpandGlob(D("[!ax]*.jsonl*")), Ds({"B.jsonl", "b.jsonl.gz", "\xc3\xa9.jsonl"}));
  EXPECT_EQ(ExpandGlob(D(".*.jsonl")), Ds({".hidden.jsonl", ".tmp-part.jsonl"}));
  EXPECT_EQ(ExpandGlob(D("s*/*.jsonl")), Ds({"sub/c.jsonl", "sub2/g.jsonl"}));
}

TEST_F(FoundryGlob, DoubleStarAnyDepth) {
  EXPECT_EQ(ExpandGlob(D("**/*.jsonl")),
            Ds({"B.jsonl", "a.jsonl", "sub/c.jsonl", "sub/deep/e.jsonl", "sub2/g.jsonl", "x1.jsonl",
                "x10.jsonl", "x2.jsonl", "\xc3\xa9.jsonl"}));
  EXPECT_EQ(ExpandGlob(D("sub/**")), Ds({"sub/c.jsonl", "sub/deep/e.jsonl", "sub/deep/f.txt"}));
  EXPECT_EQ(ExpandGlob(D("**/deep/*")), Ds({"sub/deep/e.jsonl", "sub/deep/f.txt"}));
  // `**/**` reaches each file on several ways: listed once.
  EXPECT_EQ(ExpandGlob(D("sub/**/**/e.jsonl")), Ds({"sub/deep/e.jsonl"}));
}

TEST_F(FoundryGlob, LinkCyclesEndAndLinkedFilesCount) {
  ASSERT_EQ(::symlink("..", D("sub/deep/up").c_str()), 0);
  ASSERT_EQ(::symlink("a.jsonl", D("link.jsonl").c_str()), 0);
  EXPECT_EQ(ExpandGlob(D("**/e.jsonl")), Ds({"sub/deep/e.jsonl"}));
  EXPECT_EQ(ExpandGlob(D("l*")), Ds({"link.jsonl"}));
}

TEST_F(FoundryGlob, LiteralsAndNoMatches) {
  EXPECT_EQ(ExpandGlob(D("sub/c.jsonl")), Ds({"sub/c.jsonl"}));
  ErrorCode code{};
  std::string msg = ErrorOf([&] { ExpandGlob(D("sub/missing.jsonl")); }, &code);
  EXPECT_EQ(code, ErrorCode::kNotFound);
  EXPECT_NE(msg.find(D("sub/missing.jsonl")), std::string::npos) << msg;
  msg = ErrorOf([&] { ExpandGlob(D("**/*.parquet")); }, &code);
  EXPECT_EQ(code, ErrorCode::kNotFound);
  EXPECT_NE(msg.find("'" + D("**/*.parquet") + "'"), std::string::npos) << msg;
  EXPECT_THROW(ExpandGlob(D("nodir/*.jsonl")), Error);
  EXPECT_THROW(ExpandGlob(D("emptydir.*")), Error);  // only a folder matches
  EXPECT_THROW(ExpandGlob(""), Error);
}

// ---------------------------------------------------------------------------------------------
// ShardWriter

TEST(FoundryShardWriter, RollsOverAfterTheLineThatReachesTheSize) {
  TempDir dir;
  ShardWriterOptions opt;
  opt.compression = "none";
  opt.max_shard_bytes = 10;
  ShardWriter w(dir.File("out"), "part", opt);
  // 5-byte lines (with "\n"): two fill a shard exactly; the 12-byte line overshoots alone.
  for (const char* line : {"aaaa", "bbbb", "cccc", "dddddddddddd", "ee", "ffff", "gggg"}) {
    w.Write(line);
  }
  const Lines shards = w.Close();
  // The last line brought the third shard to 13 bytes and finished it: no fourth, empty shard.
  ASSERT_EQ(shards, (Lines{dir.File("out/part-00000.jsonl"), dir.File("out/part-00001.jsonl"),
                           dir.File("out/part-00002.jsonl")}));
  EXPECT_EQ(ReadTextFile(shards[0]), "aaaa\nbbbb\n");
  EXPECT_EQ(ReadTextFile(shards[1]), "cccc\ndddddddddddd\n");
  EXPECT_EQ(ReadTextFile(shards[2]), "ee\nffff\ngggg\n");
}

TEST(FoundryShardWriter, NamesAndRoundTripsPerCompression) {
  Lines lines;
  for (int i = 0; i < 30000; ++i) lines.push_back("{\"i\":" + std::to_string(i) + "}");
  lines.push_back(std::string(3'000'000, 'L'));  // larger than the 1 MiB staging buffer
  lines.push_back("{}");
  for (const std::string comp : {"zst", "gz", "none"}) {
    TempDir dir;
    ShardWriterOptions opt;
    opt.compression = comp;
    opt.max_shard_bytes = 100'000;
    ShardWriter w(dir.path(), "data", opt);
    for (const auto& l : lines) w.Write(l);
    const Lines shards = w.Close();
    const std::string ext = comp == "none" ? ".jsonl" : ".jsonl." + comp;
    ASSERT_GE(shards.size(), 4u);
    Lines back;
    for (size_t s = 0; s < shards.size(); ++s) {
      char name[32];
      std::snprintf(name, sizeof(name), "data-%05zu", s);
      EXPECT_EQ(shards[s], dir.File(name + ext));
      Lines part = ReadLines(shards[s]);
      uint64_t bytes = 0;
      for (const auto& l : part) bytes += l.size() + 1;
      // Every shard but the last holds at least the size, and one line less would be under it.
      if (s + 1 < shards.size()) {
        EXPECT_GE(bytes, opt.max_shard_bytes);
        EXPECT_LT(bytes - part.back().size() - 1, opt.max_shard_bytes);
      }
      back.insert(back.end(), part.begin(), part.end());
    }
    EXPECT_TRUE(back == lines) << comp;
    // No temporaries left; nothing but the shards.
    Lines names;
    for (const auto& s : shards) names.push_back(fs::path(s).filename().string());
    EXPECT_EQ(ListAll(dir.path()), names);
  }
}

TEST(FoundryShardWriter, ShardsDecompressWithTheCommandLineTools) {
  const std::string text = "{\"a\":\"\xed\x95\x9c\xea\xb8\x80\"}\n{\"b\":2}\n";
  int tools = 0;
  for (const std::string comp : {"zst", "gz"}) {
    const char* tool = comp == "zst" ? "zstd" : "gzip";
    if (!HaveTool(tool)) continue;
    ++tools;
    TempDir dir;
    ShardWriterOptions opt;
    opt.compression = comp;
    ShardWriter w(dir.path(), "t", opt);
    w.Write("{\"a\":\"\xed\x95\x9c\xea\xb8\x80\"}");
    w.Write("{\"b\":2}");
    const Lines shards = w.Close();
    ASSERT_EQ(shards.size(), 1u);
    const std::string cmd = std::string(tool) + " -t -q " + shards[0] + " && " + tool + " -dc " +
                            shards[0] + " > " + dir.File("plain.txt");
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    EXPECT_EQ(ReadTextFile(dir.File("plain.txt")), text);
  }
  if (tools == 0) GTEST_SKIP() << "neither gzip nor zstd is installed";
}

TEST(FoundryShardWriter, SameLinesGiveIdenticalBytes) {
  Lines lines;
  std::mt19937 rng(11);
  for (int i = 0; i < 50000; ++i) {
    lines.push_back("{\"n\":" + std::to_string(rng()) + ",\"s\":\"" +
                    std::string(rng() % 100, static_cast<char>('a' + rng() % 26)) + "\"}");
  }
  for (const std::string comp : {"zst", "gz"}) {
    Lines first, second;
    TempDir d1, d2;
    for (auto* target : {&first, &second}) {
      ShardWriterOptions opt;
      opt.compression = comp;
      opt.max_shard_bytes = 1'000'000;
      ShardWriter w(target == &first ? d1.path() : d2.path(), "p", opt);
      for (const auto& l : lines) w.Write(l);
      for (const auto& s : w.Close()) target->push_back(ReadTextFile(s));
    }
    ASSERT_EQ(first.size(), second.size());
    ASSERT_GE(first.size(), 3u);
    for (size_t i = 0; i < first.size(); ++i) EXPECT_TRUE(first[i] == second[i]) << comp << i;
    if (comp == "gz") {
      // Magic, deflate, no flags, mtime 0, no extra flags (level 6), OS "unknown".
      EXPECT_EQ(first[0].substr(0, 10),
                std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff", 10));
    } else {
      EXPECT_EQ(first[0].substr(0, 4), "\x28\xb5\x2f\xfd");
    }
  }
}

TEST(FoundryShardWriter, DestructorWithoutCloseLeavesNoPartialShard) {
  TempDir dir;
  {
    ShardWriter w(dir.path(), "p");
    w.Write("{\"x\":1}");
    // While writing, only a hidden temporary exists.
    EXPECT_EQ(ListAll(dir.path()), (Lines{".tmp-p-00000.jsonl.zst"}));
  }
  EXPECT_EQ(ListAll(dir.path()), Lines{});
  // Finished shards stay; the one in progress goes.
  {
    ShardWriterOptions opt;
    opt.compression = "none";
    opt.max_shard_bytes = 4;
    ShardWriter w(dir.path(), "q", opt);
    w.Write("1234");
    w.Write("5");
  }
  EXPECT_EQ(ListAll(dir.path()), (Lines{"q-00000.jsonl"}));
  EXPECT_EQ(ReadTextFile(dir.File("q-00000.jsonl")), "1234\n");
}

TEST(FoundryShardWriter, CloseTwiceAndCloseEmpty) {
  TempDir dir;
  ShardWriter empty(dir.File("e"), "p");
  EXPECT_EQ(empty.Close(), Lines{});
  EXPECT_EQ(ListAll(dir.File("e")), Lines{});
  ShardWriter w(dir.File("w"), "p");
  w.Write("{}");
  const Lines shards = w.Close();
  EXPECT_EQ(shards, Lines{dir.File("w/p-00000.jsonl.zst")});
  EXPECT_EQ(w.Close(), shards);
}

TEST(FoundryShardWriter, BadSettingsAndLines) {
  TempDir dir;
  ShardWriterOptions opt;
  opt.compression = "bz2";
  ErrorCode code{};
  EXPECT_NE(ErrorOf([&] { ShardWriter w(dir.path(), "p", opt); }, &code).find("bz2"),
            std::string::npos);
  EXPECT_EQ(code, ErrorCode::kInvalidArgument);
  opt = {};
  opt.max_shard_bytes = 0;
  EXPECT_THROW(ShardWriter(dir.path(), "p", opt), Error);
  EXPECT_THROW(ShardWriter(dir.path(), "", {}), Error);
  EXPECT_THROW(ShardWriter(dir.path(), "a/b", {}), Error);
  ShardWriter w(dir.path(), "p");
  ErrorOf([&] { w.Write("{\"a\":\n1}"); }, &code);
  EXPECT_EQ(code, ErrorCode::kInvalidArgument);
}

// ---------------------------------------------------------------------------------------------
// WriteFileAtomically

TEST(FoundryAtomicFile, WritesReplacesAndCleansUp) {
  TempDir dir;
  const std::string path = dir.File("state.json");
  WriteFileAtomically(path, "{\"done\":1}");
  EXPECT_EQ(ReadTextFile(path), "{\"done\":1}");
  WriteFileAtomically(path, std::string("x\0y", 3));
  EXPECT_EQ(ReadTextFile(path), std::string("x\0y", 3));
  EXPECT_EQ(ListAll(dir.path()), (Lines{"state.json"}));
  ErrorCode code{};
  const std::string msg =
      ErrorOf([&] { WriteFileAtomically(dir.File("no/such/dir/s.json"), "x"); }, &code);
  EXPECT_EQ(code, ErrorCode::kIo);
  EXPECT_NE(msg.find(dir.File("no/such/dir/")), std::string::npos) << msg;
  EXPECT_EQ(ListAll(dir.path()), (Lines{"state.json"}));
}

// ---------------------------------------------------------------------------------------------
// Read throughput (run with --gtest_also_run_disabled_tests): ~50 MB of JSONL in each format.

TEST(FoundryLineReader, DISABLED_Throughput) {
  std::mt19937 rng(5);
  std::string text;
  const char* words[] = {"the",   "data",    "foundry",
                         "reads", "lines",   "of",
                         "json",  "quickly", "\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4",
                         "model"};
  while (text.size() < 50'000'000) {
    std::string t;
    const size_t n = 20 + rng() % 400;
    for (size_t i = 0; i < n; ++i) {
      t += words[rng() % 10];
      t += ' ';
    }
    text += "{\"id\":\"doc-" + std::to_string(text.size()) + "\",\"text\":\"" + t + "\"}\n";
  }
  TempDir dir;
  for (const std::string format : {"plain", "gz", "zst"}) {
    const std::string path = dir.File("bench." + format);
    WriteFile(path, Compress(text, format));
    uint64_t bytes = 0, lines = 0;
    double best = 1e9;
    for (int rep = 0; rep < 3; ++rep) {
      const auto t0 = std::chrono::steady_clock::now();
      LineReader reader(path);
      bytes = lines = 0;
      for (std::string_view line; reader.Next(line);) bytes += line.size() + 1, ++lines;
      best = std::min(best,
                      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    EXPECT_EQ(bytes, text.size());
    std::printf("read  %-5s %8.1f MB file, %8.1f MB of lines, %7llu lines: %7.0f MB/s\n",
                format.c_str(), fs::file_size(path) / 1e6, bytes / 1e6,
                static_cast<unsigned long long>(lines), bytes / 1e6 / best);
  }
  std::vector<std::string_view> lines;
  for (size_t at = 0; at < text.size();) {
    const size_t nl = text.find('\n', at);
    lines.emplace_back(text.data() + at, nl - at);
    at = nl + 1;
  }
  for (const std::string comp : {"none", "gz", "zst"}) {
    ShardWriterOptions opt;
    opt.compression = comp;
    const auto t0 = std::chrono::steady_clock::now();
    ShardWriter w(dir.File("w-" + comp), "s", opt);
    for (const auto l : lines) w.Write(l);
    w.Close();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("write %-5s %8.1f MB of lines: %7.0f MB/s\n", comp.c_str(), text.size() / 1e6,
                text.size() / 1e6 / s);
  }
}

}  // namespace
}  // namespace exaone::foundry
