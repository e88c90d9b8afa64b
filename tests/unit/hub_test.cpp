// The hub module's pure parts: reference parsing, path safety, quantization matching and file
// selection, digests, and ResolveModel on a hand-made cache (no network: the endpoint is a port
// nothing listens on, so any request would fail the test).
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>

#include "base/error.h"
#include "hub/digest.h"
#include "hub/hub.h"
#include "hub/names.h"
#include "hub/select.h"
#include "test_util.h"

namespace exaone::hub {
namespace {

using testing::TempDir;

TEST(HubRef, ParsesRepositoryAndQuant) {
  auto r = ParseRepoRef("LGAI-EXAONE/EXAONE-4.0-1.2B-GGUF:Q4_K_M");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->repo, "LGAI-EXAONE/EXAONE-4.0-1.2B-GGUF");
  EXPECT_EQ(r->quant, "Q4_K_M");
  r = ParseRepoRef("LGAI-EXAONE/EXAONE-4.0-1.2B");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->quant, "");
}

TEST(HubRef, PathsAreNotReferences) {
  for (const char* arg : {"model.gguf", "./org/name", "/abs/org/name", "~/org/name",
                          "dir/model.gguf", "dir/model.safetensors", "a/b/c", ""}) {
    EXPECT_FALSE(ParseRepoRef(arg)) << arg;
  }
}

TEST(HubRef, InvalidRepositoryIdsAreErrors) {
  for (const char* arg : {"org/na me", "org/-name", "org/na--me", "org/na..me",
                          "org/name:", "org/name:../x", "org/name:a:b"}) {
    EXPECT_THROW(ParseRepoRef(arg), Error) << arg;
  }
}

TEST(HubNames, SafeRelativePaths) {
  EXPECT_TRUE(IsSafeRelativePath("model.gguf"));
  EXPECT_TRUE(IsSafeRelativePath("Q4_K_M/part-00001-of-00002.gguf"));
  EXPECT_TRUE(IsSafeRelativePath("refs/pr/1"));
  for (const char* p :
       {"", "/etc/passwd", "../x", "a/../b", "a//b", "a/./b", "a/", "a\\b", "a\nb"}) {
    EXPECT_FALSE(IsSafeRelativePath(p)) << p;
  }
}

TEST(HubNames, EtagsAndFolders) {
  EXPECT_EQ(NormalizeEtag("W/\"abc\""), "abc");
  EXPECT_EQ(NormalizeEtag("\"abc\""), "abc");
  EXPECT_FALSE(IsSafeEtag("../x"));
  EXPECT_FALSE(IsSafeEtag(""));
  EXPECT_EQ(RepoFolderName("org/name"), "models--org--name");
}

TEST(HubSelect, QuantTagsMatchOnTokenBoundaries) {
  EXPECT_TRUE(ContainsQuantTag("EXAONE-4.0-1.2B-Q4_K_M.gguf", "q4_k_m"));
  EXPECT_TRUE(ContainsQuantTag("llama-2-7b.Q4_K_M.gguf", "Q4_K_M"));
  EXPECT_TRUE(ContainsQuantTag("Q4_K_M/model-00001-of-00002.gguf", "Q4_K_M"));
  EXPECT_FALSE(ContainsQuantTag("model-Q4_K_M.gguf", "Q4_K"));
  EXPECT_TRUE(ContainsQuantTag("model_Q4_K_M.gguf", "Q4_K_M"));
  EXPECT_FALSE(ContainsQuantTag("model-IQ4_XS.gguf", "Q4_XS"));
  EXPECT_FALSE(ContainsQuantTag("model-Q8_0_L.gguf", "Q8_0"));
}

TEST(HubSelect, AvailableQuants) {
  const std::vector<std::string> files = {"EXAONE-4.0-1.2B-Q4_K_M.gguf",
                                          "EXAONE-4.0-1.2B-BF16.gguf",
                                          "llama-2-7b.Q8_0.gguf",
                                          "big-IQ2_XXS-00001-of-00002.gguf",
                                          "big-IQ2_XXS-00002-of-00002.gguf",
                                          "mmproj-EXAONE-F16.gguf",
                                          "README.md"};
  EXPECT_EQ(AvailableQuants(files),
            (std::vector<std::string>{"BF16", "IQ2_XXS", "Q4_K_M", "Q8_0"}));
}

TEST(HubSelect, PicksTheQuantAndEverySplitPart) {
  const std::vector<std::string> files = {"m-Q4_K_M-00002-of-00002.gguf",
                                          "m-Q4_K_M-00001-of-00002.gguf", "m-Q8_0.gguf",
                                          "mmproj-m-Q4_K_M.gguf"};
  Selection s = SelectFiles(files, "q4_k_m", "org/m");
  EXPECT_EQ(s.kind, ModelKind::kGguf);
  EXPECT_EQ(s.files, (std::vector<std::string>{"m-Q4_K_M-00001-of-00002.gguf",
                                               "m-Q4_K_M-00002-of-00002.gguf"}));
  EXPECT_EQ(s.entry, "m-Q4_K_M-00001-of-00002.gguf");
  s = SelectFiles(files, "m-Q8_0.gguf", "org/m");
  EXPECT_EQ(s.files, std::vector<std::string>{"m-Q8_0.gguf"});
}

TEST(HubSelect, MissingSplitPartIsAnError) {
  EXPECT_THROW(SelectFiles({"m-Q4_K_M-00001-of-00003.gguf", "m-Q4_K_M-00002-of-00003.gguf"},
                           "Q4_K_M", "org/m"),
               Error);
}

TEST(HubSelect, UnknownQuantListsTheAvailableOnes) {
  try {
    SelectFiles({"m-Q4_K_M.gguf", "m-Q8_0.gguf"}, "Q2_K", "org/m");
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("Q2_K"), std::string::npos) << msg;
    EXPECT_NE(msg.find("Q4_K_M, Q8_0"), std::string::npos) << msg;
  }
}

TEST(HubSelect, AmbiguousMatchAsksForAFileName) {
  EXPECT_THROW(SelectFiles({"a-Q4_K_M.gguf", "b-Q4_K_M.gguf"}, "Q4_K_M", "org/m"), Error);
}

TEST(HubSelect, DefaultsForGgufOnlyRepositories) {
  Selection s = SelectFiles({"m-Q8_0.gguf", "m-Q4_K_M.gguf", "README.md"}, "", "org/m");
  EXPECT_EQ(s.entry, "m-Q4_K_M.gguf");
  EXPECT_TRUE(s.quant_defaulted);
  // A single model needs no default.
  s = SelectFiles({"m-Q8_0.gguf"}, "", "org/m");
  EXPECT_EQ(s.entry, "m-Q8_0.gguf");
  EXPECT_THROW(SelectFiles({"m-Q8_0.gguf", "m-F16.gguf"}, "", "org/m"), Error);
  EXPECT_THROW(SelectFiles({"README.md"}, "", "org/m"), Error);
}

TEST(HubSelect, HfFolderTakesTheFilesLoadingNeeds) {
  const std::vector<std::string> files = {"config.json",
                                          "model-00002-of-00002.safetensors",
                                          "model-00001-of-00002.safetensors",
                                          "model.safetensors.index.json",
                                          "tokenizer.json",
                                          "README.md",
                                          "onnx/model.onnx",
                                          "original/consolidated.safetensors",
                                          "m-Q4_K_M.gguf",
                                          "merges.txt",
                                          "vocab.json"};
  Selection s = SelectFiles(files, "", "org/m");
  EXPECT_EQ(s.kind, ModelKind::kHfFolder);
  EXPECT_EQ(s.files, (std::vector<std::string>{"config.json", "model.safetensors.index.json",
                                               "tokenizer.json", "vocab.json", "merges.txt",
                                               "model-00001-of-00002.safetensors",
                                               "model-00002-of-00002.safetensors"}));
  // With a quant, the GGUF of the same repository.
  EXPECT_EQ(SelectFiles(files, "Q4_K_M", "org/m").entry, "m-Q4_K_M.gguf");
}

TEST(HubDigest, KnownValues) {
  Digest sha(DigestKind::kSha256, 3);
  sha.Update("abc", 3);
  EXPECT_EQ(sha.HexFinal(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // `git hash-object` of "Hello, World!".
  Digest git(DigestKind::kGitBlob, 13);
  git.Update("Hello, World!", 13);
  EXPECT_EQ(git.HexFinal(), "b45ef6fec89518d314f546fd6c3025367b721684");
}

// A cache holding org/m at `commit` with m-Q4_K_M.gguf, laid out as huggingface_hub does.
std::string MakeCache(const TempDir& dir, const std::string& commit) {
  namespace fs = std::filesystem;
  const std::string repo = dir.path() + "/hub/models--org--m";
  fs::create_directories(repo + "/refs");
  fs::create_directories(repo + "/blobs");
  fs::create_directories(repo + "/snapshots/" + commit);
  testing::WriteFile(repo + "/refs/main", commit);
  testing::WriteFile(repo + "/blobs/abc123", "GGUF");
  fs::create_symlink("../../blobs/abc123", repo + "/snapshots/" + commit + "/m-Q4_K_M.gguf");
  return repo + "/snapshots/" + commit + "/m-Q4_K_M.gguf";
}

PullOptions NoNetwork(const TempDir& dir, bool offline) {
  PullOptions opts;
  opts.quiet = true;
  opts.env = HubEnv{"http://127.0.0.1:1", "", dir.path() + "/hub", offline, 1};
  return opts;
}

TEST(HubResolve, ExistingPathsPassThrough) {
  TempDir dir;
  testing::WriteFile(dir.File("x.gguf"), "GGUF");
  EXPECT_EQ(ResolveModel(dir.File("x.gguf"), NoNetwork(dir, true)), dir.File("x.gguf"));
  EXPECT_EQ(ResolveModel(dir.path(), NoNetwork(dir, true)), dir.path());
  EXPECT_THROW(ResolveModel(dir.File("missing.gguf"), NoNetwork(dir, true)), Error);
}

TEST(HubResolve, CachedModelNeedsNoNetwork) {
  TempDir dir;
  const std::string commit(40, 'a');
  const std::string path = MakeCache(dir, commit);
  EXPECT_EQ(ResolveModel("org/m:Q4_K_M", NoNetwork(dir, false)), path);
  EXPECT_EQ(ResolveModel("org/m", NoNetwork(dir, true)), path);
  PullOptions by_commit = NoNetwork(dir, true);
  by_commit.revision = commit;
  EXPECT_EQ(ResolveModel("org/m:Q4_K_M", by_commit), path);
}

TEST(HubResolve, OfflineWithoutCacheSaysHowToPassAFile) {
  TempDir dir;
  MakeCache(dir, std::string(40, 'a'));
  for (const char* ref : {"org/other:Q4_K_M", "org/m:Q8_0"}) {
    try {
      ResolveModel(ref, NoNetwork(dir, true));
      FAIL() << "no error for " << ref;
    } catch (const Error& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find("HF_HUB_OFFLINE"), std::string::npos) << msg;
      EXPECT_NE(msg.find("local .gguf file"), std::string::npos) << msg;
    }
  }
}

TEST(HubResolve, BrokenSnapshotLinkIsNotACachedModel) {
  TempDir dir;
  MakeCache(dir, std::string(40, 'a'));
  std::filesystem::remove(dir.path() + "/hub/models--org--m/blobs/abc123");
  EXPECT_THROW(ResolveModel("org/m:Q4_K_M", NoNetwork(dir, true)), Error);
}

}  // namespace
}  // namespace exaone::hub
