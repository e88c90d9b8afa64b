#include "constrain/structured.h"

#include <set>

#include "base/error.h"

namespace exaone::constrain {
namespace {

Sequence Concat(Sequence a, const Sequence& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

uint32_t CompileChoice(Grammar& g, const std::vector<std::string>& choices) {
  if (choices.empty())
    throw Error(ErrorCode::kInvalidArgument, "a choice needs at least one string");
  const uint32_t rule = g.NewRule("choice");
  std::set<std::string> seen;
  for (size_t i = 0; i < choices.size(); ++i) {
    if (choices[i].empty()) {
      throw Error(ErrorCode::kInvalidArgument,
                  "choice " + std::to_string(i) + " is empty (the output cannot be nothing)");
    }
    if (seen.insert(choices[i]).second) g.AddAlternative(rule, Grammar::Literal(choices[i]));
  }
  return rule;
}

std::shared_ptr<Grammar> ChoiceGrammar(const std::vector<std::string>& choices) {
  auto g = std::make_shared<Grammar>();
  const uint32_t root = CompileChoice(*g, choices);
  return Finish(std::move(g), root);
}

uint32_t CompileToolCalls(Grammar& g, const std::vector<ToolSchema>& tools, bool several,
                          std::string_view open_tag, std::string_view close_tag) {
  if (tools.empty()) throw Error(ErrorCode::kInvalidArgument, "tool calls need at least one tool");
  const uint32_t call = g.NewRule("tool_call");
  for (const ToolSchema& t : tools) {
    uint32_t args = 0;
    try {
      args = t.parameters ? CompileJsonSchema(g, *t.parameters) : CompileAnyJsonObject(g);
    } catch (const Error& e) {
      throw Error(ErrorCode::kInvalidArgument,
                  "the parameters of tool '" + t.name + "': " + std::string(e.what()));
    }
    // The name as the template writes JSON (no ASCII escaping).
    const std::string name = nlohmann::json(t.name).dump(-1, ' ', false);
    Sequence seq = Concat(Grammar::Literal(open_tag),
                          Grammar::Literal("{\"name\": " + name + ", \"arguments\": "));
    seq.push_back(Element::Ref(args));
    seq = Concat(std::move(seq), Grammar::Literal("}"));
    seq = Concat(std::move(seq), Grammar::Literal(close_tag));
    g.AddAlternative(call, std::move(seq));
  }
  if (!several) return call;
  const uint32_t more = g.Star(Concat(Grammar::Literal("\n"), {Element::Ref(call)}), "more_calls");
  const uint32_t calls = g.NewRule("tool_calls");
  g.AddAlternative(calls, {Element::Ref(call), Element::Ref(more)});
  return calls;
}

uint32_t CompileAfterReasoning(Grammar& g, uint32_t answer, std::string_view close) {
  if (close.empty()) throw Error(ErrorCode::kInvalidArgument, "an empty end-of-reasoning tag");
  const size_t n = close.size();
  // State i: the last i bytes of the text are close's first i bytes (a string-matching
  // automaton, so the text never holds `close` before its end).
  std::vector<uint32_t> state(n);
  for (size_t i = 0; i < n; ++i) state[i] = g.NewRule("reasoning_" + std::to_string(i));
  const uint32_t tail = g.NewRule("answer_after_reasoning");
  g.AddAlternative(tail, Concat(Grammar::Literal("\n\n"), {Element::Ref(answer)}));
  // Longest prefix of close that is a suffix of (close[0, i) + b).
  auto next = [&](size_t i, uint8_t b) {
    std::string s(close.substr(0, i));
    s.push_back(static_cast<char>(b));
    for (size_t k = std::min(s.size(), n); k > 0; --k) {
      if (s.compare(s.size() - k, k, close.substr(0, k)) == 0) return k;
    }
    return size_t{0};
  };
  for (size_t i = 0; i < n; ++i) {
    std::vector<ByteSet> to(n);
    for (int b = 0; b < 256; ++b) {
      const size_t j = next(i, static_cast<uint8_t>(b));
      if (j == n) {
        g.AddAlternative(state[i], {Element::Byte(static_cast<uint8_t>(b)), Element::Ref(tail)});
      } else {
        to[j].Add(static_cast<uint8_t>(b));
      }
    }
    for (size_t j = 0; j < n; ++j) {
      if (!to[j].Empty())
        g.AddAlternative(state[i], {Element::Bytes(to[j]), Element::Ref(state[j])});
    }
  }
  return state[0];
}

std::shared_ptr<Grammar> Finish(std::shared_ptr<Grammar> g, uint32_t root) {
  g->set_root(root);
  g->Validate();
  return g;
}

}  // namespace exaone::constrain
