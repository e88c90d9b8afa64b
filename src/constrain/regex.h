// Regular expressions as grammars: `exaone run --regex` (the whole output matches) and JSON
// Schema's `pattern` (a JSON string whose value contains a match, unless anchored).
//
// The syntax is ECMAScript's, as JSON Schema specifies, without what is not regular or not
// decidable here: literals and escapes (\d \D \w \W \s \S \n \t \r \f \v \0 \xHH \uHHHH and
// escaped metacharacters), classes [a-z] and [^...], `.` (any character but line terminators),
// groups ( ) and (?: ), alternation |, quantifiers * + ? {n} {n,} {n,m} (lazy forms too, same
// language), ^ at the very start and $ at the very end. Backreferences, lookaround, word
// boundaries, named groups and anchors elsewhere are errors that say which and where.
#pragma once

#include <memory>
#include <string_view>

#include "constrain/grammar.h"

namespace exaone::constrain {

enum class RegexText {
  kRaw,         // the characters themselves, as UTF-8
  kJsonString,  // inside a JSON string: '"', '\' and control characters written as escapes
};

// Adds rules for `pattern` to `g` and returns the one whose sentences are the texts that match:
// in full, or with `search`, texts that contain a match (the pattern's ^ and $ still anchor).
// Throws Error (kInvalidArgument) with the position for what is not supported.
uint32_t CompileRegex(Grammar& g, std::string_view pattern, RegexText text, bool search);

// A grammar of the texts matching `pattern` in full.
std::shared_ptr<Grammar> RegexGrammar(std::string_view pattern);

}  // namespace exaone::constrain
