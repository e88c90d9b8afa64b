// `exaone template MODEL CONVERSATION.json`, run as a user would: the prompt on stdout with no
// newline added, one-line errors with exit code 1, usage errors with 2. The expected prompt is a
// jinja2 rendering from the conformance fixtures.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "io/gguf.h"
#include "template/chat_template.h"
#include "test_util.h"

namespace exaone::tmpl {
namespace {

struct CliRun {
  int code = -1;
  std::string out, err;
};

std::string ReadAll(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

CliRun Exaone(const std::string& args, const testing::TempDir& dir) {
  const std::string err_path = dir.File("stderr.txt");
  const std::string cmd = std::string(EXAONE_BINARY) + " template " + args + " 2>" + err_path;
  CliRun r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.err = ReadAll(err_path);
  return r;
}

// The first non-error case of the ChatML fixture: its conversation and jinja2's rendering.
std::pair<Json, std::string> FixtureCase() {
  std::ifstream lines(testing::SourcePath("tests/fixtures/templates/chatml.jsonl"));
  std::string line;
  while (std::getline(lines, line)) {
    Json row = Json::parse(line);
    if (row.contains("expected") && row["context"].contains("tools")) {
      return {row["context"], row["expected"].get<std::string>()};
    }
  }
  ADD_FAILURE() << "no case with tools in chatml.jsonl";
  return {};
}

TEST(TemplateCli, RendersHuggingFaceFolderExactly) {
  testing::TempDir dir;
  const auto [conversation, expected] = FixtureCase();
  testing::WriteFile(dir.File("chat_template.jinja"),
                     ReadAll(testing::SourcePath("tests/fixtures/templates/chatml.jinja")));
  testing::WriteFile(dir.File("conversation.json"), conversation.dump());
  const CliRun r = Exaone(dir.path() + " " + dir.File("conversation.json"), dir);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, expected);  // byte for byte, no newline added
  EXPECT_EQ(r.err, "");
}

TEST(TemplateCli, ReadsTokenizerConfigAndSpecialTokens) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("tokenizer_config.json"),
                     R"({"bos_token": "<s>", "eos_token": {"content": "</s>"},)"
                     R"( "chat_template": "{{ bos_token }}{% for m in messages %}{{ m.content }})"
                     R"({% endfor %}{{ eos_token if add_generation_prompt }}"})");
  testing::WriteFile(
      dir.File("c.json"),
      R"({"messages": [{"role": "user", "content": "안녕"}], "add_generation_prompt": true})");
  const CliRun r = Exaone(dir.path() + " " + dir.File("c.json"), dir);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "<s>안녕</s>");
}

TEST(TemplateCli, ReadsGgufMetadata) {
  testing::TempDir dir;
  io::GgufWriter w;
  w.Set("general.architecture", io::GgufValue::String("exaone4"));
  w.Set("tokenizer.chat_template",
        io::GgufValue::String("{{ bos_token }}|{{ messages[0].content }}|{{ enable_thinking }}"));
  w.Set("tokenizer.ggml.tokens",
        io::GgufValue::Array(io::GgufType::kString,
                             {io::GgufValue::String("[PAD]"), io::GgufValue::String("[BOS]")}));
  w.Set("tokenizer.ggml.bos_token_id", io::GgufValue::U32(1));
  w.Write(dir.File("m.gguf"));
  testing::WriteFile(
      dir.File("c.json"),
      R"({"messages": [{"role": "user", "content": "hi"}], "enable_thinking": false})");
  const CliRun r = Exaone(dir.File("m.gguf") + " " + dir.File("c.json"), dir);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "[BOS]|hi|False");
}

TEST(TemplateCli, ErrorsAreOneLineWithExitCodes) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("chat_template.jinja"),
                     "line one\n{{ raise_exception('bad role:\\n' ~ messages[0].role) }}");
  testing::WriteFile(dir.File("c.json"), R"({"messages": [{"role": "narrator", "content": ""}]})");
  testing::WriteFile(dir.File("broken.json"), R"({"messages": [)");
  CliRun r = Exaone(dir.path() + " " + dir.File("c.json"), dir);
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("template line 2, column 4: bad role:\\nnarrator"), std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "one line: " << r.err;

  r = Exaone(dir.path() + " " + dir.File("broken.json"), dir);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("broken.json"), std::string::npos) << r.err;

  r = Exaone(dir.File("missing") + " " + dir.File("c.json"), dir);
  EXPECT_EQ(r.code, 1);
  r = Exaone(dir.path(), dir);
  EXPECT_EQ(r.code, 2) << r.err;
  r = Exaone(dir.path() + " " + dir.File("c.json") + " --nope", dir);
  EXPECT_EQ(r.code, 2) << r.err;
}

}  // namespace
}  // namespace exaone::tmpl
