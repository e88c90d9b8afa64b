#include "constrain/grammar.h"

#include <functional>

#include "base/error.h"

namespace exaone::constrain {

ByteSet ByteSet::Of(uint8_t b) {
  ByteSet s;
  s.Add(b);
  return s;
}

ByteSet ByteSet::Range(uint8_t lo, uint8_t hi) {
  ByteSet s;
  s.AddRange(lo, hi);
  return s;
}

ByteSet ByteSet::Any() {
  return Range(0, 255);
}

void ByteSet::AddRange(uint8_t lo, uint8_t hi) {
  for (int b = lo; b <= hi; ++b) Add(static_cast<uint8_t>(b));
}

Element Element::Byte(uint8_t b) {
  return Bytes(ByteSet::Of(b));
}

Element Element::Bytes(const ByteSet& s) {
  Element e;
  e.bytes = s;
  return e;
}

Element Element::Ref(uint32_t rule) {
  Element e;
  e.is_rule = true;
  e.rule = rule;
  return e;
}

uint32_t Grammar::NewRule(std::string name) {
  rules_.push_back({std::move(name), {}});
  return static_cast<uint32_t>(rules_.size() - 1);
}

void Grammar::AddAlternative(uint32_t rule, Sequence seq) {
  EXA_CHECK(rule < rules_.size());
  rules_[rule].alts.push_back(std::move(seq));
}

Sequence Grammar::Literal(std::string_view s) {
  Sequence seq;
  for (char c : s) seq.push_back(Element::Byte(static_cast<uint8_t>(c)));
  return seq;
}

uint32_t Grammar::Star(const Sequence& x, std::string name) {
  const uint32_t r = NewRule(std::move(name));
  Sequence more = x;
  more.push_back(Element::Ref(r));
  AddAlternative(r, std::move(more));
  AddAlternative(r, {});
  return r;
}

uint32_t Grammar::Plus(const Sequence& x, std::string name) {
  const uint32_t star = Star(x, name + "*");
  const uint32_t r = NewRule(std::move(name));
  Sequence seq = x;
  seq.push_back(Element::Ref(star));
  AddAlternative(r, std::move(seq));
  return r;
}

uint32_t Grammar::Optional(const Sequence& x, std::string name) {
  const uint32_t r = NewRule(std::move(name));
  AddAlternative(r, x);
  AddAlternative(r, {});
  return r;
}

uint32_t Grammar::Repeat(const Sequence& x, int64_t min, int64_t max, const std::string& name) {
  uint32_t tail;
  if (max < 0) {
    tail = Star(x, name + "*");
  } else {
    tail = NewRule(name + "-end");
    AddAlternative(tail, {});
    for (int64_t i = min; i < max; ++i) {
      const uint32_t r = NewRule(name + "?");
      Sequence seq = x;
      seq.push_back(Element::Ref(tail));
      AddAlternative(r, std::move(seq));
      AddAlternative(r, {});
      tail = r;
    }
  }
  const uint32_t r = NewRule(name);
  Sequence seq;
  for (int64_t i = 0; i < min; ++i) seq.insert(seq.end(), x.begin(), x.end());
  seq.push_back(Element::Ref(tail));
  AddAlternative(r, std::move(seq));
  return r;
}

namespace {

int Utf8Length(uint32_t cp) {
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

void Encode(uint32_t cp, uint8_t* out) {
  switch (Utf8Length(cp)) {
    case 1:
      out[0] = static_cast<uint8_t>(cp);
      break;
    case 2:
      out[0] = static_cast<uint8_t>(0xC0 | (cp >> 6));
      out[1] = static_cast<uint8_t>(0x80 | (cp & 0x3F));
      break;
    case 3:
      out[0] = static_cast<uint8_t>(0xE0 | (cp >> 12));
      out[1] = static_cast<uint8_t>(0x80 | ((cp >> 6) & 0x3F));
      out[2] = static_cast<uint8_t>(0x80 | (cp & 0x3F));
      break;
    default:
      out[0] = static_cast<uint8_t>(0xF0 | (cp >> 18));
      out[1] = static_cast<uint8_t>(0x80 | ((cp >> 12) & 0x3F));
      out[2] = static_cast<uint8_t>(0x80 | ((cp >> 6) & 0x3F));
      out[3] = static_cast<uint8_t>(0x80 | (cp & 0x3F));
  }
}

}  // namespace

void Grammar::AddUtf8Range(uint32_t rule, uint32_t lo, uint32_t hi) {
  if (hi > 0x10FFFF) hi = 0x10FFFF;
  if (lo > hi) return;
  // Surrogates are not characters.
  if (lo <= 0xDFFF && hi >= 0xD800) {
    if (lo < 0xD800) AddUtf8Range(rule, lo, 0xD7FF);
    if (hi > 0xDFFF) AddUtf8Range(rule, 0xE000, hi);
    return;
  }
  // One encoding length at a time.
  for (uint32_t edge : {0x7Fu, 0x7FFu, 0xFFFFu}) {
    if (lo <= edge && hi > edge) {
      AddUtf8Range(rule, lo, edge);
      AddUtf8Range(rule, edge + 1, hi);
      return;
    }
  }
  // Split until every continuation byte spans a whole range: then the encodings of lo and hi
  // bound each byte independently.
  const int n = Utf8Length(lo);
  for (int i = 1; i < n; ++i) {
    const uint32_t m = (uint32_t{1} << (6 * i)) - 1;
    if ((lo & ~m) != (hi & ~m)) {
      if ((lo & m) != 0) {
        AddUtf8Range(rule, lo, lo | m);
        AddUtf8Range(rule, (lo | m) + 1, hi);
        return;
      }
      if ((hi & m) != m) {
        AddUtf8Range(rule, lo, (hi & ~m) - 1);
        AddUtf8Range(rule, hi & ~m, hi);
        return;
      }
    }
  }
  uint8_t a[4], b[4];
  Encode(lo, a);
  Encode(hi, b);
  Sequence seq;
  for (int i = 0; i < n; ++i) seq.push_back(Element::Bytes(ByteSet::Range(a[i], b[i])));
  AddAlternative(rule, std::move(seq));
}

void Grammar::Validate() const {
  const size_t n = rules_.size();
  if (root_ >= n) throw Error(ErrorCode::kInvalidArgument, "grammar: no root rule");
  for (size_t r = 0; r < n; ++r) {
    if (rules_[r].alts.empty()) {
      throw Error(ErrorCode::kInvalidArgument,
                  "grammar: rule '" + rules_[r].name + "' has no alternatives");
    }
    for (const Sequence& seq : rules_[r].alts) {
      for (const Element& e : seq) {
        if (e.is_rule && e.rule >= n) {
          throw Error(ErrorCode::kInvalidArgument,
                      "grammar: rule '" + rules_[r].name + "' refers to a missing rule");
        }
      }
    }
  }
  // Which rules can match the empty string (fixed point).
  std::vector<bool> nullable(n, false);
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t r = 0; r < n; ++r) {
      if (nullable[r]) continue;
      for (const Sequence& seq : rules_[r].alts) {
        bool all = true;
        for (const Element& e : seq) all = all && e.is_rule && nullable[e.rule];
        if (all) {
          nullable[r] = changed = true;
          break;
        }
      }
    }
  }
  // Edges r -> s when s can come first in r (after nullable rules only); a cycle is left
  // recursion.
  std::vector<std::vector<uint32_t>> first(n);
  for (size_t r = 0; r < n; ++r) {
    for (const Sequence& seq : rules_[r].alts) {
      for (const Element& e : seq) {
        if (!e.is_rule) break;
        first[r].push_back(e.rule);
        if (!nullable[e.rule]) break;
      }
    }
  }
  std::vector<int> mark(n, 0);  // 0 new, 1 on the path, 2 done
  std::function<void(uint32_t)> visit = [&](uint32_t r) {
    mark[r] = 1;
    for (uint32_t s : first[r]) {
      if (mark[s] == 1) {
        throw Error(ErrorCode::kInvalidArgument,
                    "grammar: rule '" + rules_[s].name +
                        "' can reach itself without consuming input (left recursion)");
      }
      if (mark[s] == 0) visit(s);
    }
    mark[r] = 2;
  };
  for (size_t r = 0; r < n; ++r) {
    if (mark[r] == 0) visit(static_cast<uint32_t>(r));
  }
}

}  // namespace exaone::constrain
