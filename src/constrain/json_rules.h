// The rules of plain JSON values, built into a grammar on demand (each shared rule once): what
// the JSON Schema compiler assembles schemas from, and AnyJsonGrammar (json_schema.h).
//
// Shape of the output (so a model cannot run on in one place): whitespace between tokens is at
// most one space, or one newline and up to 20 spaces; integer parts and fractions have at most 19
// digits and exponents at most two (every number a finite double); strings are well-formed UTF-8
// with JSON's escapes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "constrain/grammar.h"

namespace exaone::constrain {

constexpr int kMaxDigits = 19;

class JsonRules {
 public:
  explicit JsonRules(Grammar& g) : g_(g) {}

  uint32_t Ws();
  // One JSON string character: a code point >= 0x20 other than '"' and '\', or an escape.
  uint32_t StringChar();
  // A string of min .. max characters (max < 0: no limit).
  uint32_t String(int64_t min = 0, int64_t max = -1);
  uint32_t Number();
  // Integers in [lo, hi] (either side may be open; an open top means 19 digits at most); "-0" too
  // when 0 is in range and `negative_zero`.
  uint32_t Integer(std::optional<int64_t> lo, std::optional<int64_t> hi, bool negative_zero = true);
  // Numbers in [lo, hi] with integer bounds (lo <= hi when both are given), no exponent.
  uint32_t BoundedNumber(std::optional<int64_t> lo, std::optional<int64_t> hi);
  uint32_t AnyValue();
  // Any JSON object (members of any value).
  uint32_t AnyObject();

 private:
  uint32_t Fraction(bool zeros_only);
  void SameLength(const std::string& a, const std::string& b, Sequence prefix,
                  std::vector<Sequence>& out);
  void AddUintRange(uint32_t rule, uint64_t lo, std::optional<uint64_t> hi);

  Grammar& g_;
  std::optional<uint32_t> ws_, char_, any_string_, number_, integer_, any_, any_object_;
};

}  // namespace exaone::constrain
