// Stop strings: a stop string split over several pieces is never shown, not even in part.
#include <gtest/gtest.h>

#include "runtime/stop.h"

namespace exaone::runtime {
namespace {

TEST(StopMatcher, StopStringSplitOverPiecesIsNeverShown) {
  StopMatcher m({"</answer>", "STOP"});
  std::string shown;
  for (const char* piece : {"The result", " is 4.", "</", "ans", "wer", "> and more"}) {
    shown += m.Push(piece);
    EXPECT_EQ(shown.find("</"), std::string::npos) << "after piece '" << piece << "'";
    if (m.stopped()) break;
  }
  EXPECT_TRUE(m.stopped());
  EXPECT_EQ(m.matched(), "</answer>");
  EXPECT_EQ(shown, "The result is 4.");
}

TEST(StopMatcher, AFalseStartIsReleased) {
  StopMatcher m({"</answer>"});
  std::string shown = m.Push("a </an");
  EXPECT_EQ(shown, "a ");    // "</an" might begin the stop string: held
  shown += m.Push("swers");  // "</answers" cannot: released
  EXPECT_FALSE(m.stopped());
  EXPECT_EQ(shown, "a </answers");
  StopMatcher m2({"</answer>"});
  std::string s2 = m2.Push("x </b");
  s2 += m2.Push("> y");
  s2 += m2.Flush();
  EXPECT_FALSE(m2.stopped());
  EXPECT_EQ(s2, "x </b> y");
}

TEST(StopMatcher, EarliestStopWins) {
  StopMatcher m({"bc", "ab"});
  EXPECT_EQ(m.Push("xxabc"), "xx");
  EXPECT_EQ(m.matched(), "ab");
}

TEST(StopMatcher, FlushReleasesAHeldPrefixAtTheEnd) {
  StopMatcher m({"STOP"});
  EXPECT_EQ(m.Push("go ST"), "go ");
  EXPECT_EQ(m.Flush(), "ST");
}

}  // namespace
}  // namespace exaone::runtime
