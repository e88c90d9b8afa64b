// Runs a Grammar over bytes, and from that computes which tokens of a vocabulary may come next.
//
// The matcher keeps the set of parse stacks the input so far can be in, as ids of immutable,
// shared stack nodes: a node is a position in one alternative of one rule (the next element to
// match) and the node to continue with once that alternative is done. Nodes are interned, so
// equal stacks have equal ids, a state (the sorted ids of the stacks whose top is a byte set,
// plus kAccept when the input so far is a whole sentence) compares cheaply, and what one byte
// does to one node is computed once and remembered.
//
// The allowed tokens at a state come from a walk of the vocabulary's byte trie: a subtree is
// entered only while some stack survives its bytes, so tokens sharing a prefix share the work.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "constrain/grammar.h"

namespace exaone::constrain {

using State = std::vector<int32_t>;  // sorted node ids; empty: no way forward

class GrammarMatcher {
 public:
  static constexpr int32_t kAccept = 0;  // the node that stands for "input complete"

  // `grammar` must pass Validate().
  explicit GrammarMatcher(std::shared_ptr<const Grammar> grammar);

  State Initial();
  // The state after one more byte (empty when the byte cannot come next).
  State Advance(const State& s, uint8_t byte);
  // Advances over every byte of `bytes`; empty as soon as one cannot come.
  State Advance(const State& s, const std::string& bytes);
  static bool Accepting(const State& s) { return !s.empty() && s.front() == kAccept; }
  // The bytes that can come next at `s`.
  ByteSet NextBytes(const State& s) const;

  // States as small integers, with their transitions remembered: a lazily built automaton, so
  // walking the vocabulary trie from a state seen before costs one table lookup per byte.
  using StateId = int32_t;
  static constexpr StateId kDead = -1;
  StateId InternState(const State& s);
  const State& state(StateId id) const { return states_[static_cast<size_t>(id)]; }
  StateId Next(StateId id, uint8_t byte);
  size_t states() const { return states_.size(); }
  size_t nodes() const { return nodes_.size(); }

 private:
  struct Node {
    uint32_t rule, alt, pos;
    int32_t parent;  // the node to continue with when this alternative ends; -1: the root's end
  };
  struct NodeHash {
    size_t operator()(const Node& n) const;
  };
  struct NodeEq {
    bool operator()(const Node& a, const Node& b) const {
      return a.rule == b.rule && a.alt == b.alt && a.pos == b.pos && a.parent == b.parent;
    }
  };
  int32_t Intern(const Node& n);
  // The nodes `node` stands for once rule references at its top are expanded: nodes whose top
  // is a byte set, or kAccept.
  const std::vector<int32_t>& Closure(int32_t node);
  void Expand(int32_t node, std::vector<int32_t>& out, int depth);
  // The closure after `byte` from a node whose top is a byte set (empty when not in the set).
  const std::vector<int32_t>& Step(int32_t node, uint8_t byte);

  std::shared_ptr<const Grammar> g_;
  std::vector<Node> nodes_;
  std::unordered_map<Node, int32_t, NodeHash, NodeEq> ids_;
  std::unordered_map<int32_t, std::vector<int32_t>> closure_;
  std::unordered_map<uint64_t, std::vector<int32_t>> step_;

  struct StateHash {
    size_t operator()(const State& s) const;
  };
  std::vector<State> states_;
  std::unordered_map<State, StateId, StateHash> state_ids_;
  std::vector<int32_t> next_;  // [state * 256 + byte]: next state, kDead, or kUnknown
  std::vector<ByteSet> next_bytes_;
};

// The byte strings of a vocabulary as a trie. A token with no bytes (a control token that is not
// text) is in no node: grammars never allow it.
class VocabTrie {
 public:
  explicit VocabTrie(const std::vector<std::string>& tokens);
  size_t vocab_size() const { return vocab_size_; }

  struct Edge {
    uint8_t byte;
    int32_t child;
  };
  struct TrieNode {
    uint32_t first_edge = 0, n_edges = 0;    // edges_[first_edge ..], ascending bytes
    uint32_t first_token = 0, n_tokens = 0;  // tokens_[first_token ..] end here
  };
  const std::vector<TrieNode>& nodes() const { return nodes_; }
  const std::vector<Edge>& edges() const { return edges_; }
  const std::vector<int32_t>& tokens() const { return tokens_; }

 private:
  size_t vocab_size_;
  std::vector<TrieNode> nodes_;  // node 0 is the root (the empty string)
  std::vector<Edge> edges_;
  std::vector<int32_t> tokens_;
};

// Bit t of `mask` (vocab_size bits, in 64-bit words) set when token t's bytes can come next at
// state `s`. Tokens without bytes stay clear.
void AllowedTokens(GrammarMatcher& m, GrammarMatcher::StateId s, const VocabTrie& vocab,
                   std::vector<uint64_t>& mask);
inline void AllowedTokens(GrammarMatcher& m, const State& s, const VocabTrie& vocab,
                          std::vector<uint64_t>& mask) {
  AllowedTokens(m, m.InternState(s), vocab, mask);
}

}  // namespace exaone::constrain
