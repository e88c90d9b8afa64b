// Chat-template conformance: every conversation in tests/fixtures/templates/<template>.jsonl must
// render byte for byte as jinja2 rendered it with Hugging Face's settings (expected strings made by
// tools/make_template_fixtures.py), and must raise where jinja2 raised.
//
// The EXAONE templates are read from ../shared/exaone/templates and are not part of the repository;
// those tests skip when it is absent. The ChatML template is ours and always runs.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "base/error.h"
#include "template/chat_template.h"
#include "test_util.h"

namespace exaone::tmpl {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Shows where two renders first differ, with a little context, escaped.
std::string FirstDifference(const std::string& want, const std::string& got) {
  size_t i = 0;
  while (i < want.size() && i < got.size() && want[i] == got[i]) ++i;
  const size_t from = i > 40 ? i - 40 : 0;
  auto show = [&](const std::string& s) {
    std::string out;
    for (char c : s.substr(from, 100)) out += c == '\n' ? std::string("\\n") : std::string(1, c);
    return out;
  };
  return "first difference at byte " + std::to_string(i) + "\n  want: " + show(want) +
         "\n  got:  " + show(got);
}

struct Outcome {
  int cases = 0, errors = 0;
};

Outcome RunFixtures(const std::string& name, const std::string& template_path) {
  Outcome outcome;
  const ChatTemplate chat = ChatTemplate::Parse(ReadAll(template_path), name);
  std::ifstream lines(testing::SourcePath("tests/fixtures/templates/" + name + ".jsonl"));
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    const Json row = Json::parse(line);
    const std::string label = row["case"].get<std::string>();
    ++outcome.cases;
    if (row.contains("error")) {
      ++outcome.errors;
      const std::string message = row["message"].get<std::string>();
      try {
        RenderConversation(chat, row["context"]);
        ADD_FAILURE() << name << " " << label << ": jinja2 raised " << message << ", we did not";
      } catch (const exaone::Error& e) {
        // raise_exception() messages must come through unchanged.
        const std::string prefix = "TemplateError: ";
        if (message.rfind(prefix, 0) == 0) {
          EXPECT_NE(std::string(e.what()).find(message.substr(prefix.size())), std::string::npos)
              << name << " " << label << ": " << e.what();
        }
      }
      continue;
    }
    const std::string want = row["expected"].get<std::string>();
    try {
      const std::string got = RenderConversation(chat, row["context"]);
      EXPECT_EQ(got, want) << name << " " << label << ": " << FirstDifference(want, got);
    } catch (const exaone::Error& e) {
      ADD_FAILURE() << name << " " << label << ": unexpected error: " << e.what();
    }
  }
  return outcome;
}

void RunShared(const std::string& name) {
  const std::string path = testing::SharedPath("exaone/templates/" + name + ".jinja");
  if (!testing::PathExists(path)) {
    GTEST_SKIP() << path << " is absent (../shared is not part of the repository)";
  }
  const Outcome o = RunFixtures(name, path);
  EXPECT_GE(o.cases, 240) << "the fixture should cover the whole conversation matrix";
  std::printf("%s: %d cases (%d expected errors)\n", name.c_str(), o.cases, o.errors);
}

TEST(TemplateConformance, Exaone35) {
  RunShared("exaone-3.5");
}
TEST(TemplateConformance, ExaoneDeep) {
  RunShared("exaone-deep");
}
TEST(TemplateConformance, Exaone40) {
  RunShared("exaone-4.0");
}
TEST(TemplateConformance, Exaone45) {
  RunShared("exaone-4.5");
}

TEST(TemplateConformance, ChatML) {
  const Outcome o =
      RunFixtures("chatml", testing::SourcePath("tests/fixtures/templates/chatml.jinja"));
  EXPECT_GE(o.cases, 240);
  std::printf("chatml: %d cases (%d expected errors)\n", o.cases, o.errors);
}

}  // namespace
}  // namespace exaone::tmpl
