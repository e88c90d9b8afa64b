// Byte-level context-free grammars: what constrained decoding compiles JSON, JSON Schema, regular
// expressions and choices into, and what GrammarMatcher runs.
//
// A grammar is a list of rules; a rule is a list of alternatives; an alternative is a sequence of
// elements, each either one byte out of a set or a whole rule. Text (JSON strings, patterns) is
// UTF-8, so a character class becomes alternatives of byte sequences (AddUtf8Range). Repetition
// is written with right-recursive rules (Star, Plus). A rule that could reach itself again
// without consuming a byte (left recursion, or a cycle of empty alternatives) is refused by
// Validate: the matcher could not finish expanding it.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace exaone::constrain {

struct ByteSet {
  std::array<uint64_t, 4> bits{};

  static ByteSet Of(uint8_t b);
  static ByteSet Range(uint8_t lo, uint8_t hi);
  static ByteSet Any();
  void Add(uint8_t b) { bits[b >> 6] |= uint64_t{1} << (b & 63); }
  void AddRange(uint8_t lo, uint8_t hi);
  void Remove(uint8_t b) { bits[b >> 6] &= ~(uint64_t{1} << (b & 63)); }
  bool Has(uint8_t b) const { return (bits[b >> 6] >> (b & 63)) & 1; }
  bool Empty() const { return (bits[0] | bits[1] | bits[2] | bits[3]) == 0; }
  bool operator==(const ByteSet& o) const { return bits == o.bits; }
};

struct Element {
  bool is_rule = false;
  uint32_t rule = 0;  // is_rule
  ByteSet bytes;      // !is_rule

  static Element Byte(uint8_t b);
  static Element Bytes(const ByteSet& s);
  static Element Ref(uint32_t rule);
};
using Sequence = std::vector<Element>;

class Grammar {
 public:
  // A new rule with no alternatives yet; returns its index.
  uint32_t NewRule(std::string name);
  void AddAlternative(uint32_t rule, Sequence seq);
  void set_root(uint32_t rule) { root_ = rule; }
  uint32_t root() const { return root_; }
  size_t size() const { return rules_.size(); }
  const std::vector<Sequence>& alternatives(uint32_t rule) const { return rules_[rule].alts; }
  const std::string& name(uint32_t rule) const { return rules_[rule].name; }

  // The bytes of `s`, one element each.
  static Sequence Literal(std::string_view s);
  // New rules: x* (any number of x), x+ (one or more), x? (at most one).
  uint32_t Star(const Sequence& x, std::string name);
  uint32_t Plus(const Sequence& x, std::string name);
  uint32_t Optional(const Sequence& x, std::string name);
  // Between min and max repetitions of x (max < 0: no limit), as a chain of optional rules.
  uint32_t Repeat(const Sequence& x, int64_t min, int64_t max, const std::string& name);
  // Adds to `rule` one alternative per well-formed UTF-8 encoding shape of the code points in
  // [lo, hi] (surrogates left out).
  void AddUtf8Range(uint32_t rule, uint32_t lo, uint32_t hi);

  // Throws Error (kInvalidArgument) naming the rule when a reference is out of range, a rule has
  // no alternatives, or a rule can reach itself without consuming a byte.
  void Validate() const;

 private:
  struct Rule {
    std::string name;
    std::vector<Sequence> alts;
  };
  std::vector<Rule> rules_;
  uint32_t root_ = 0;
};

}  // namespace exaone::constrain
