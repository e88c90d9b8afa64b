// Grammars for the shapes structured output takes around a value: a choice among strings, tool
// calls in EXAONE's format, and reasoning that comes before the constrained answer.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "constrain/grammar.h"
#include "constrain/json_schema.h"

namespace exaone::constrain {

// Exactly one of `choices` (non-empty strings, at least one). Throws Error otherwise.
uint32_t CompileChoice(Grammar& g, const std::vector<std::string>& choices);
std::shared_ptr<Grammar> ChoiceGrammar(const std::vector<std::string>& choices);

struct ToolSchema {
  std::string name;
  const SchemaJson* parameters = nullptr;  // null: any JSON object
};

// Tool calls as EXAONE writes them: `<tool_call>{"name": "NAME", "arguments": ARGS}</tool_call>`
// (the name as JSON, ARGS a value of that tool's parameters schema), one, or with `several` one
// or more separated by newlines. Errors in a tool's schema name the tool.
uint32_t CompileToolCalls(Grammar& g, const std::vector<ToolSchema>& tools, bool several,
                          std::string_view open_tag = "<tool_call>",
                          std::string_view close_tag = "</tool_call>");

// Reasoning first: any text that does not contain `close` (the end-of-reasoning tag), then
// `close`, a blank line, and a sentence of `answer`.
uint32_t CompileAfterReasoning(Grammar& g, uint32_t answer, std::string_view close);

// Sets `root`, validates and hands the grammar over.
std::shared_ptr<Grammar> Finish(std::shared_ptr<Grammar> g, uint32_t root);

}  // namespace exaone::constrain
