#include "constrain/matcher.h"

#include <algorithm>
#include <map>

#include "base/error.h"

namespace exaone::constrain {
namespace {

void SortUnique(std::vector<int32_t>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

// Expansion deeper than this means a grammar Validate() would have refused.
constexpr int kMaxExpandDepth = 100000;

}  // namespace

size_t GrammarMatcher::NodeHash::operator()(const Node& n) const {
  uint64_t h = n.rule;
  h = h * 0x9E3779B97F4A7C15ull + n.alt;
  h = h * 0x9E3779B97F4A7C15ull + n.pos;
  h = h * 0x9E3779B97F4A7C15ull + static_cast<uint32_t>(n.parent);
  return static_cast<size_t>(h ^ (h >> 29));
}

GrammarMatcher::GrammarMatcher(std::shared_ptr<const Grammar> grammar) : g_(std::move(grammar)) {
  EXA_CHECK(g_ != nullptr && g_->root() < g_->size());
  nodes_.push_back({UINT32_MAX, 0, 0, -1});  // kAccept
}

int32_t GrammarMatcher::Intern(const Node& n) {
  auto [it, added] = ids_.try_emplace(n, static_cast<int32_t>(nodes_.size()));
  if (added) nodes_.push_back(n);
  return it->second;
}

void GrammarMatcher::Expand(int32_t node, std::vector<int32_t>& out, int depth) {
  EXA_CHECK_MSG(depth < kMaxExpandDepth, "grammar expansion does not end (left recursion)");
  if (node == kAccept) {
    out.push_back(kAccept);
    return;
  }
  const Node n = nodes_[node];
  const Sequence& seq = g_->alternatives(n.rule)[n.alt];
  if (n.pos == seq.size()) {
    Expand(n.parent < 0 ? kAccept : n.parent, out, depth + 1);
    return;
  }
  const Element& e = seq[n.pos];
  if (!e.is_rule) {
    out.push_back(node);
    return;
  }
  // A reference at the end of an alternative continues straight with the parent (a tail
  // call), so right-recursive repetition keeps its stack depth.
  const int32_t cont =
      n.pos + 1 == seq.size() ? n.parent : Intern({n.rule, n.alt, n.pos + 1, n.parent});
  const size_t alts = g_->alternatives(e.rule).size();
  for (size_t a = 0; a < alts; ++a) {
    Expand(Intern({e.rule, static_cast<uint32_t>(a), 0, cont}), out, depth + 1);
  }
}

const std::vector<int32_t>& GrammarMatcher::Closure(int32_t node) {
  auto it = closure_.find(node);
  if (it != closure_.end()) return it->second;
  std::vector<int32_t> out;
  Expand(node, out, 0);
  SortUnique(out);
  return closure_.emplace(node, std::move(out)).first->second;
}

const std::vector<int32_t>& GrammarMatcher::Step(int32_t node, uint8_t byte) {
  const uint64_t key = (static_cast<uint64_t>(node) << 8) | byte;
  auto it = step_.find(key);
  if (it != step_.end()) return it->second;
  std::vector<int32_t> out;
  const Node n = nodes_[node];
  const Element& e = g_->alternatives(n.rule)[n.alt][n.pos];
  if (e.bytes.Has(byte)) out = Closure(Intern({n.rule, n.alt, n.pos + 1, n.parent}));
  return step_.emplace(key, std::move(out)).first->second;
}

State GrammarMatcher::Initial() {
  std::vector<int32_t> out;
  const size_t alts = g_->alternatives(g_->root()).size();
  for (size_t a = 0; a < alts; ++a) {
    const std::vector<int32_t>& c = Closure(Intern({g_->root(), static_cast<uint32_t>(a), 0, -1}));
    out.insert(out.end(), c.begin(), c.end());
  }
  SortUnique(out);
  return out;
}

State GrammarMatcher::Advance(const State& s, uint8_t byte) {
  State out;
  for (int32_t node : s) {
    if (node == kAccept) continue;
    const std::vector<int32_t>& next = Step(node, byte);
    out.insert(out.end(), next.begin(), next.end());
  }
  SortUnique(out);
  return out;
}

ByteSet GrammarMatcher::NextBytes(const State& s) const {
  ByteSet out;
  for (int32_t node : s) {
    if (node == kAccept) continue;
    const Node& n = nodes_[node];
    const ByteSet& b = g_->alternatives(n.rule)[n.alt][n.pos].bytes;
    for (int i = 0; i < 4; ++i) out.bits[i] |= b.bits[i];
  }
  return out;
}

size_t GrammarMatcher::StateHash::operator()(const State& s) const {
  uint64_t h = s.size();
  for (int32_t v : s) h = (h ^ static_cast<uint32_t>(v)) * 0x100000001B3ull;
  return static_cast<size_t>(h ^ (h >> 31));
}

namespace {
constexpr int32_t kUnknown = -2;
}  // namespace

GrammarMatcher::StateId GrammarMatcher::InternState(const State& s) {
  if (s.empty()) return kDead;
  auto [it, added] = state_ids_.try_emplace(s, static_cast<StateId>(states_.size()));
  if (added) {
    states_.push_back(s);
    next_.resize(next_.size() + 256, kUnknown);
    next_bytes_.push_back(NextBytes(s));
  }
  return it->second;
}

GrammarMatcher::StateId GrammarMatcher::Next(StateId id, uint8_t byte) {
  if (id < 0) return kDead;
  const size_t slot = static_cast<size_t>(id) * 256 + byte;
  if (next_[slot] != kUnknown) return next_[slot];
  StateId to = kDead;
  if (next_bytes_[static_cast<size_t>(id)].Has(byte)) {
    // Copy: Intern may grow states_.
    const State from = states_[static_cast<size_t>(id)];
    to = InternState(Advance(from, byte));
  }
  next_[slot] = to;
  return to;
}

State GrammarMatcher::Advance(const State& s, const std::string& bytes) {
  State cur = s;
  for (char c : bytes) {
    cur = Advance(cur, static_cast<uint8_t>(c));
    if (cur.empty()) break;
  }
  return cur;
}

VocabTrie::VocabTrie(const std::vector<std::string>& tokens) : vocab_size_(tokens.size()) {
  // Build with maps, then flatten breadth-first into arrays.
  struct Build {
    std::map<uint8_t, int32_t> children;
    std::vector<int32_t> ends;
  };
  std::vector<Build> b(1);
  for (size_t t = 0; t < tokens.size(); ++t) {
    if (tokens[t].empty()) continue;
    int32_t at = 0;
    for (char c : tokens[t]) {
      const auto byte = static_cast<uint8_t>(c);
      auto it = b[at].children.find(byte);
      if (it == b[at].children.end()) {
        b.push_back({});
        it = b[at].children.emplace(byte, static_cast<int32_t>(b.size() - 1)).first;
      }
      at = it->second;
    }
    b[at].ends.push_back(static_cast<int32_t>(t));
  }
  nodes_.resize(b.size());
  for (size_t i = 0; i < b.size(); ++i) {
    nodes_[i].first_edge = static_cast<uint32_t>(edges_.size());
    nodes_[i].n_edges = static_cast<uint32_t>(b[i].children.size());
    for (const auto& [byte, child] : b[i].children) edges_.push_back({byte, child});
    nodes_[i].first_token = static_cast<uint32_t>(tokens_.size());
    nodes_[i].n_tokens = static_cast<uint32_t>(b[i].ends.size());
    tokens_.insert(tokens_.end(), b[i].ends.begin(), b[i].ends.end());
  }
}

void AllowedTokens(GrammarMatcher& m, GrammarMatcher::StateId s, const VocabTrie& vocab,
                   std::vector<uint64_t>& mask) {
  mask.assign((vocab.vocab_size() + 63) / 64, 0);
  if (s == GrammarMatcher::kDead) return;
  const auto& nodes = vocab.nodes();
  const auto& edges = vocab.edges();
  const auto& tokens = vocab.tokens();
  std::vector<std::pair<int32_t, GrammarMatcher::StateId>> work = {{0, s}};
  while (!work.empty()) {
    const auto [trie, state] = work.back();
    work.pop_back();
    const VocabTrie::TrieNode& tn = nodes[static_cast<size_t>(trie)];
    for (uint32_t e = tn.first_edge; e < tn.first_edge + tn.n_edges; ++e) {
      const GrammarMatcher::StateId next = m.Next(state, edges[e].byte);
      if (next == GrammarMatcher::kDead) continue;
      const VocabTrie::TrieNode& child = nodes[static_cast<size_t>(edges[e].child)];
      for (uint32_t k = child.first_token; k < child.first_token + child.n_tokens; ++k) {
        const auto t = static_cast<size_t>(tokens[k]);
        mask[t >> 6] |= uint64_t{1} << (t & 63);
      }
      if (child.n_edges > 0) work.emplace_back(edges[e].child, next);
    }
  }
}

}  // namespace exaone::constrain
