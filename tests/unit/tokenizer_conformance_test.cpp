// Our tokenizer against Hugging Face `tokenizers` on a 20,700-string corpus (Korean, English,
// Spanish, Chinese, Japanese, emoji, combining marks, code, whitespace runs, numbers, special-token
// look-alikes, long words, invalid UTF-8), for every loader that can express each tokenizer.
// References come from tools/make_tokenizer_fixtures.py.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <map>

#include "base/mapped_file.h"
#include "io/gguf.h"
#include "io/json.h"
#include "test_util.h"
#include "tokenizer/gguf_vocab.h"
#include "tokenizer/tokenizer.h"

namespace exaone::tokenizer {
namespace {

using testing::SharedPath;
using testing::SourcePath;

const std::string kDir = "tests/fixtures/tokenizer/";

struct Corpus {
  std::vector<std::string> texts;
  std::vector<bool> valid_utf8;
};

const Corpus& GetCorpus() {
  static const Corpus corpus = [] {
    Corpus c;
    std::ifstream in(SourcePath(kDir + "corpus.jsonl"));
    std::string line;
    while (std::getline(in, line)) {
      io::Json j = io::Json::parse(line);
      if (j.contains("text")) {
        c.texts.push_back(j["text"].get<std::string>());
        c.valid_utf8.push_back(true);
      } else {
        const std::string hex = j["bytes_hex"].get<std::string>();
        std::string bytes;
        for (size_t i = 0; i + 1 < hex.size(); i += 2) {
          bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
        }
        c.texts.push_back(bytes);
        c.valid_utf8.push_back(false);
      }
    }
    return c;
  }();
  return corpus;
}

uint64_t Fnv(const std::vector<int32_t>& ids) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (int32_t id : ids) {
    uint8_t b[4];
    std::memcpy(b, &id, 4);
    for (uint8_t x : b) h = (h ^ x) * 0x100000001b3ull;
  }
  return h;
}

// Encodes the whole corpus and compares with the reference; prints the first mismatches.
void ExpectConformance(const Tokenizer& tok, const std::string& name) {
  const Corpus& corpus = GetCorpus();
  const std::string ref = ReadTextFile(SourcePath(kDir + name + ".ids.bin"));
  ASSERT_EQ(ref.size(), corpus.texts.size() * 12) << "regenerate the fixtures";
  std::vector<std::string> samples;
  {
    std::ifstream in(SourcePath(kDir + name + ".sample.jsonl"));
    std::string line;
    while (std::getline(in, line)) samples.push_back(line);
  }
  int failures = 0;
  for (size_t i = 0; i < corpus.texts.size(); ++i) {
    const std::vector<int32_t> ids = tok.Encode(corpus.texts[i]);
    uint32_t count;
    uint64_t hash;
    std::memcpy(&count, ref.data() + i * 12, 4);
    std::memcpy(&hash, ref.data() + i * 12 + 4, 8);
    if (ids.size() == count && Fnv(ids) == hash) continue;
    if (++failures <= 5) {
      std::string ours;
      for (int32_t id : ids) ours += std::to_string(id) + " ";
      ADD_FAILURE() << name << " string " << i << " \"" << corpus.texts[i].substr(0, 200)
                    << "\"\n ours: " << ours.substr(0, 400) << "\n reference: "
                    << (i < samples.size() ? samples[i] : std::to_string(count) + " ids");
    }
  }
  EXPECT_EQ(failures, 0) << name << ": " << failures << " of " << corpus.texts.size()
                         << " strings differ";
}

void ExpectRoundTrip(const Tokenizer& tok) {
  const Corpus& corpus = GetCorpus();
  int failures = 0;
  for (size_t i = 0; i < corpus.texts.size(); ++i) {
    if (!corpus.valid_utf8[i]) continue;
    if (tok.Decode(tok.Encode(corpus.texts[i], false)) != corpus.texts[i] && ++failures <= 5) {
      ADD_FAILURE() << "round trip " << i << ": \"" << corpus.texts[i] << "\"";
    }
  }
  EXPECT_EQ(failures, 0);
}

bool HaveShared() {
  return testing::PathExists(SharedPath("exaone/tokenizer/exaone-3.5/vocab.json"));
}

// An HF folder with EXAONE's vocabulary and the given tokenizer_config.json.
void WriteExaoneFolder(const testing::TempDir& dir, const std::string& config) {
  for (const char* f : {"vocab.json", "merges.txt"}) {
    testing::WriteFile(dir.File(f),
                       ReadTextFile(SharedPath(std::string("exaone/tokenizer/exaone-3.5/") + f)));
  }
  testing::WriteFile(dir.File("tokenizer_config.json"),
                     ReadTextFile(SharedPath("exaone/tokenizer/" + config)));
}

// tokenizer.json = the committed HF skeleton + EXAONE's vocabulary, merges and added tokens.
std::string ComposeTokenizerJson(const testing::TempDir& dir, const std::string& name,
                                 const std::string& config) {
  io::Json j = io::ReadJsonFile(SourcePath(kDir + name + ".skeleton.json"));
  io::Json vocab = io::ReadJsonFile(SharedPath("exaone/tokenizer/exaone-3.5/vocab.json"));
  std::ifstream in(SharedPath("exaone/tokenizer/exaone-3.5/merges.txt"));
  std::string line;
  std::getline(in, line);  // #version
  io::Json merges = io::Json::array();
  while (std::getline(in, line)) {
    if (!line.empty()) merges.push_back(line);
  }
  j["model"]["merges"] = merges;
  io::Json cfg = io::ReadJsonFile(SharedPath("exaone/tokenizer/" + config));
  io::Json added = io::Json::array();
  for (auto& [id, spec] : cfg["added_tokens_decoder"].items()) {
    io::Json a = spec;
    a["id"] = std::stoi(id);
    added.push_back(a);
  }
  j["added_tokens"] = added;
  // EXAONE 4.0's own vocab.json has its added tokens under the ids it reuses from 3.5.
  std::map<int64_t, std::string> by_id;
  for (auto& [token, id] : vocab.items()) by_id[id.get<int64_t>()] = token;
  for (const auto& a : added) {
    auto it = by_id.find(a["id"].get<int64_t>());
    if (it != by_id.end() && it->second != a["content"].get<std::string>()) {
      vocab.erase(it->second);
      vocab[a["content"].get<std::string>()] = a["id"];
    }
  }
  j["model"]["vocab"] = vocab;
  const std::string path = dir.File("tokenizer.json");
  testing::WriteFile(path, j.dump());
  return path;
}

std::unique_ptr<Tokenizer> ViaGguf(const testing::TempDir& dir, const std::string& arch) {
  io::GgufWriter w;
  EXPECT_TRUE(AddGgufVocab(dir.path(), arch, w));
  const std::string path = dir.File("tok.gguf");
  w.Write(path);
  io::GgufFile f(path);
  return Tokenizer::FromGguf(f.contents(), path);
}

TEST(TokenizerConformance, Exaone4AllLoaders) {
  if (!HaveShared()) GTEST_SKIP() << "EXAONE vocabulary not present in ../shared";
  testing::TempDir dir;
  WriteExaoneFolder(dir, "exaone-4.0-tokenizer_config.json");
  {
    SCOPED_TRACE("vocab.json + merges.txt");
    auto tok = Tokenizer::FromVocabMerges(dir.path());
    ExpectConformance(*tok, "exaone4");
    ExpectRoundTrip(*tok);
  }
  {
    SCOPED_TRACE("GGUF");
    ExpectConformance(*ViaGguf(dir, "exaone4"), "exaone4");
  }
  {
    SCOPED_TRACE("tokenizer.json");
    auto path = ComposeTokenizerJson(dir, "exaone4", "exaone-4.0-tokenizer_config.json");
    ExpectConformance(*Tokenizer::FromTokenizerJson(path), "exaone4");
  }
}

TEST(TokenizerConformance, Exaone35DigitSplitting) {
  if (!HaveShared()) GTEST_SKIP() << "EXAONE vocabulary not present in ../shared";
  testing::TempDir dir;
  WriteExaoneFolder(dir, "exaone-3.5/tokenizer_config.json");
  {
    SCOPED_TRACE("tokenizer.json");
    auto path = ComposeTokenizerJson(dir, "exaone35", "exaone-3.5/tokenizer_config.json");
    auto tok = Tokenizer::FromTokenizerJson(path);
    ExpectConformance(*tok, "exaone35");
    ExpectRoundTrip(*tok);
  }
  {
    SCOPED_TRACE("GGUF");
    ExpectConformance(*ViaGguf(dir, "exaone"), "exaone35");
  }
}

TEST(TokenizerConformance, Gpt2StyleWithAddedTokenFlags) {
  const std::string dir = SourcePath(kDir + "gpt2_style");
  {
    SCOPED_TRACE("tokenizer.json");
    ExpectConformance(*Tokenizer::FromTokenizerJson(dir + "/tokenizer.json"), "gpt2_style");
  }
  {
    SCOPED_TRACE("vocab.json + merges.txt");
    ExpectConformance(*Tokenizer::FromVocabMerges(dir), "gpt2_style");
  }
}

TEST(TokenizerConformance, Llama3StyleWithNfcAndTemplate) {
  auto tok = Tokenizer::FromTokenizerJson(SourcePath(kDir + "llama3_style/tokenizer.json"));
  ExpectConformance(*tok, "llama3_style");
}

TEST(TokenizerConformance, DigitRunsAndStringSplit) {
  auto tok = Tokenizer::FromTokenizerJson(SourcePath(kDir + "digits_style/tokenizer.json"));
  ExpectConformance(*tok, "digits_style");
  ExpectRoundTrip(*tok);
}

}  // namespace
}  // namespace exaone::tokenizer
