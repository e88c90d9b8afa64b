// Reasoning / answer split: decided by the prompt, correct whatever the token boundaries.
#include <gtest/gtest.h>

#include "runtime/reasoning.h"

namespace exaone::runtime {
namespace {

struct Split {
  std::string reasoning, content;
};

Split SplitAll(bool open, const std::vector<std::string>& pieces, ReasoningTags tags = {}) {
  ReasoningSplitter s(tags, open);
  Split out;
  for (const auto& p : pieces) {
    auto r = s.Push(p);
    EXPECT_EQ(r.reasoning.find('<'), std::string::npos) << "tag leaked into reasoning";
    out.reasoning += r.reasoning;
    out.content += r.content;
  }
  auto r = s.Flush();
  out.reasoning += r.reasoning;
  out.content += r.content;
  return out;
}

TEST(Reasoning, PromptDecidesWhetherReasoningIsOpen) {
  // EXAONE 4.0 generation prompts (SPEC §5.3): thinking on leaves <think> open; off closes it.
  EXPECT_TRUE(PromptOpensReasoning("[|assistant|]\n<think>\n", {}));
  EXPECT_FALSE(PromptOpensReasoning("[|assistant|]\n<think>\n\n</think>\n\n", {}));
  EXPECT_FALSE(PromptOpensReasoning("[|user|]\nhi[|endofturn|]\n[|assistant|]", {}));
  EXPECT_EQ(TagsForTemplate("...<thought>\\n...").open, "<thought>");
}

TEST(Reasoning, EveryTokenBoundaryGivesTheSameSplit) {
  const std::string out = "Let me think.\nStep 1</think>\n\nThe answer is 4.";
  for (size_t cut1 = 0; cut1 <= out.size(); ++cut1) {
    for (size_t cut2 = cut1; cut2 <= out.size(); cut2 += 3) {
      Split s =
          SplitAll(true, {out.substr(0, cut1), out.substr(cut1, cut2 - cut1), out.substr(cut2)});
      ASSERT_EQ(s.reasoning, "Let me think.\nStep 1") << cut1 << " " << cut2;
      // The blank line after the closing tag belongs to neither part.
      ASSERT_EQ(s.content, "The answer is 4.") << cut1 << " " << cut2;
    }
  }
}

TEST(Reasoning, ThinkingOffMeansNothingIsReasoning) {
  Split s = SplitAll(false, {"<think>", "x</think>", "answer"});
  EXPECT_EQ(s.reasoning, "");
  EXPECT_EQ(s.content, "<think>x</think>answer");
}

TEST(Reasoning, OnlyBlanksAfterTheTagAreDropped) {
  EXPECT_EQ(SplitAll(true, {"r</think>", "\n", " \n"}).content, "");
  EXPECT_EQ(SplitAll(true, {"r</think>\n", "\n<tool_call>", "\n x"}).content, "<tool_call>\n x");
  EXPECT_EQ(SplitAll(false, {"\n\nanswer"}).content, "\n\nanswer");
}

TEST(Reasoning, UnfinishedReasoningStaysReasoning) {
  Split s = SplitAll(true, {"still thinking </thi"});
  EXPECT_EQ(s.reasoning, "still thinking </thi");
  EXPECT_EQ(s.content, "");
}

TEST(Reasoning, DeepUsesThoughtTags) {
  Split s = SplitAll(true, {"hmm</tho", "ught>\nok"}, {"<thought>", "</thought>"});
  EXPECT_EQ(s.reasoning, "hmm");
  EXPECT_EQ(s.content, "ok");
}

}  // namespace
}  // namespace exaone::runtime
