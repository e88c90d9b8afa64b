// Regular expressions compiled to grammars, against std::regex (ECMAScript) as the reference:
// for each pattern, every string over a small alphabet up to a length is accepted by the grammar
// exactly when std::regex_match (full) or std::regex_search (search) says it matches. Then the
// JSON-string form (escapes for '"', '\' and controls) and the errors for what is not supported.
// GCC 12 warns of a maybe-uninitialized member deep inside libstdc++'s <regex> when built with
// the sanitizers; the reference matcher is the standard library's, so the warning is not ours.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <gtest/gtest.h>

#include <functional>
#include <regex>
#include <string>

#include "base/error.h"
#include "constrain/matcher.h"
#include "constrain/regex.h"

namespace exaone::constrain {
namespace {

bool Accepts(GrammarMatcher& m, const std::string& text) {
  return GrammarMatcher::Accepting(m.Advance(m.Initial(), text));
}

void ForAllStrings(const std::string& alphabet, size_t max_len,
                   const std::function<void(const std::string&)>& f) {
  std::string s;
  std::function<void()> rec = [&] {
    f(s);
    if (s.size() == max_len) return;
    for (char c : alphabet) {
      s.push_back(c);
      rec();
      s.pop_back();
    }
  };
  rec();
}

struct Case {
  const char* pattern;
  const char* alphabet;
};

const Case kCases[] = {{"a|bc", "abc"},         {"(ab)*c?", "abc"},    {"a{2,3}b{0,1}", "ab"},
                       {"[a-c]+x", "abcx"},     {"[^ab]c", "abcx"},    {"\\d{2}-\\d", "019-a"},
                       {"(a|b)+(?:c|)", "abc"}, {"x.y", "xy\n-"},      {"\\w\\W\\s", "a_ -\t"},
                       {"a{2,}", "ab"},         {"[\\d.]+e?", "0.9e"}, {"(a|ab)(c|bcd)", "abcd"},
                       {"^ab$", "ab"},          {"a*?b+?", "ab"},      {"[-a]z", "-az"},
                       {"\\.\\*", ".*a"},       {"[\\]\\\\]", "]\\a"}, {"a{0}b", "ab"}};

TEST(Regex, FullMatchAgreesWithStdRegex) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.pattern);
    GrammarMatcher m(RegexGrammar(c.pattern));
    const std::regex re(c.pattern, std::regex::ECMAScript);
    int count = 0;
    ForAllStrings(c.alphabet, 5, [&](const std::string& s) {
      ++count;
      ASSERT_EQ(Accepts(m, s), std::regex_match(s, re)) << "'" << s << "'";
    });
    EXPECT_GT(count, 60);
  }
}

TEST(Regex, SearchAgreesWithStdRegex) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.pattern);
    auto g = std::make_shared<Grammar>();
    g->set_root(CompileRegex(*g, c.pattern, RegexText::kRaw, true));
    g->Validate();
    GrammarMatcher m(g);
    const std::regex re(c.pattern, std::regex::ECMAScript);
    ForAllStrings(c.alphabet, 4, [&](const std::string& s) {
      ASSERT_EQ(Accepts(m, s), std::regex_search(s, re)) << "'" << s << "'";
    });
  }
}

TEST(Regex, NonAsciiAndJsonStringForms) {
  GrammarMatcher m(RegexGrammar("[가-힣]{2}\\u00e9"));
  EXPECT_TRUE(Accepts(m, "한글é"));
  EXPECT_FALSE(Accepts(m, "한é"));
  auto g = std::make_shared<Grammar>();
  g->set_root(CompileRegex(*g, "a\"b\\\\c\\nd.", RegexText::kJsonString, false));
  g->Validate();
  GrammarMatcher j(g);
  // The value a"b\c<newline>d<any>, written inside a JSON string.
  EXPECT_TRUE(Accepts(j, "a\\\"b\\\\c\\nd!"));
  EXPECT_TRUE(Accepts(j, "a\\\"b\\\\c\\nd\\\""));  // '.' taking '"', escaped
  EXPECT_FALSE(Accepts(j, "a\"b\\\\c\\nd!"));      // a raw quote would end the string
  EXPECT_FALSE(Accepts(j, "a\\\"b\\\\c\nd!"));     // a raw newline is not JSON
}

TEST(Regex, UnsupportedSyntaxIsAnErrorWithThePosition) {
  for (const char* bad : {"(a)\\1", "(?=a)b", "(?<n>a)", "a\\bc", "a^b", "a$b", "*a", "a{3,2}",
                          "[b-a]", "(ab", "ab)", "[ab", "a\\", "\\p{L}", "a{2000}"}) {
    EXPECT_THROW((void)RegexGrammar(bad), Error) << bad;
  }
  try {
    (void)RegexGrammar("ab(?=c)");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("at 3"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace exaone::constrain
