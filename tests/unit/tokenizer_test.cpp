// Tokenizer behaviour beyond the conformance corpus: decoding, special tokens, the streaming
// detokenizer, invalid input.
#include <gtest/gtest.h>

#include <algorithm>

#include "base/error.h"
#include "base/utf8.h"
#include "test_util.h"
#include "tokenizer/text.h"
#include "tokenizer/tokenizer.h"

namespace exaone::tokenizer {
namespace {

std::unique_ptr<Tokenizer> Gpt2Style() {
  return Tokenizer::FromTokenizerJson(
      testing::SourcePath("tests/fixtures/tokenizer/gpt2_style/tokenizer.json"));
}

TEST(Tokenizer, RepairsInvalidUtf8LikePython) {
  // Expected strings from Python: bytes.decode("utf-8", "replace").
  EXPECT_EQ(RepairUtf8("abc\x80"
                       "def"),
            "abc\xef\xbf\xbd"
            "def");
  EXPECT_EQ(RepairUtf8("\xe2\x82"), "\xef\xbf\xbd");  // truncated: one U+FFFD
  EXPECT_EQ(RepairUtf8("\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");  // surrogate
  EXPECT_EQ(RepairUtf8("\xf0\x9f\x98"
                       "a"),
            "\xef\xbf\xbd"
            "a");
  EXPECT_EQ(RepairUtf8("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd");  // overlong
  EXPECT_EQ(RepairUtf8("\xf4\x90\x80\x80"),
            "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");  // past U+10FFFF
  EXPECT_EQ(RepairUtf8("한국"), "한국");
}

TEST(Tokenizer, SkipSpecialTokensOnDecode) {
  auto tok = Gpt2Style();
  const auto user = tok->TokenId("[|user|]");
  ASSERT_TRUE(user.has_value());
  EXPECT_TRUE(tok->IsSpecial(*user));
  auto ids = tok->Encode("hi [|user|] there", false);
  EXPECT_NE(std::find(ids.begin(), ids.end(), *user), ids.end());
  EXPECT_EQ(tok->Decode(ids, true).find("[|user|]"), std::string::npos);
  EXPECT_NE(tok->Decode(ids, false).find("[|user|]"), std::string::npos);
  // Non-special added tokens survive skip_special_tokens, as in HF.
  const auto tool = tok->TokenId("<tool>");
  ASSERT_TRUE(tool.has_value());
  EXPECT_FALSE(tok->IsSpecial(*tool));
  EXPECT_NE(tok->Decode(tok->Encode("a <tool> b", false), true).find("<tool>"), std::string::npos);
}

TEST(Tokenizer, StreamDecoderNeverSplitsACharacter) {
  auto tok = Gpt2Style();
  const std::string text =
      " 한국어와 emoji 👩🏻‍❤️‍💋‍👨🏼 그리고 日本語 ñ";
  const auto ids = tok->Encode(text, false);
  StreamDecoder stream(*tok, false);
  std::string joined;
  for (int32_t id : ids) {
    const std::string piece = stream.Push(id);
    EXPECT_TRUE(IsValidUtf8(piece)) << "piece after id " << id;
    joined += piece;
  }
  joined += stream.Finish();
  EXPECT_EQ(joined, tok->Decode(ids));
}

TEST(Tokenizer, StreamDecoderHoldsBackAnIncompleteCharacter) {
  auto tok = Gpt2Style();
  // Byte-level tokens for single bytes: 0xEA is the first of the three bytes of '한' (ED 95 9C
  // is '한'; EA B0 80 is '가'), each mapped to a printable code point.
  auto byte_token = [&](uint8_t b) {
    auto id = tok->TokenId(ByteMap::Get().Encode(b));
    EXPECT_TRUE(id.has_value());
    return *id;
  };
  StreamDecoder stream(*tok, false);
  EXPECT_EQ(stream.Push(byte_token(0xea)), "");
  EXPECT_EQ(stream.Push(byte_token(0xb0)), "");
  EXPECT_EQ(stream.Push(byte_token(0x80)), "가");
  EXPECT_EQ(stream.Push(byte_token(0xea)), "");
  EXPECT_EQ(stream.Finish(), "\xef\xbf\xbd");  // an unfinished character at the end
}

TEST(Tokenizer, BadTokenizerJsonNamesThePath) {
  testing::TempDir dir;
  const std::string path = dir.File("tokenizer.json");
  testing::WriteFile(path, R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1},
      "merges": ["a c"]}})");
  try {
    Tokenizer::FromTokenizerJson(path);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not in the vocabulary"), std::string::npos) << e.what();
  }
  testing::WriteFile(path, R"({"model": {"type": "BPE", "vocab": {"a": 0}},
      "pre_tokenizer": {"type": "Metaspace"}})");
  try {
    Tokenizer::FromTokenizerJson(path);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("$.pre_tokenizer.type"), std::string::npos) << e.what();
  }
  testing::WriteFile(path, R"({"model": {"type": "BPE", "vocab": {"a": 0}},
      "pre_tokenizer": {"type": "Split", "pattern": {"Regex": "(["}, "behavior": "Isolated"}})");
  EXPECT_THROW(Tokenizer::FromTokenizerJson(path), Error);
}

}  // namespace
}  // namespace exaone::tokenizer
