// Splits template source into tokens exactly as jinja2's lexer does with Hugging Face's settings
// (trim_blocks, lstrip_blocks, keep_trailing_newline off).
//
// The whitespace rules, which decide most of a chat template's output bytes:
// - "\r\n" and "\r" become "\n", and one trailing newline of the source is dropped.
// - {%- / {{- / {#- strip all whitespace before the tag; -%} / -}} / -#} all whitespace after it.
// - lstrip_blocks: whitespace between a line start and {% or {# is removed (not before {{),
//   unless the tag opens with {%+.
// - trim_blocks: one newline directly after %} or #} is removed, unless the tag closes with +%}.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "template/errors.h"

namespace exaone::tmpl {

enum class TokenType : uint8_t {
  kData,
  kVariableBegin,
  kVariableEnd,
  kBlockBegin,
  kBlockEnd,
  kName,
  kString,
  kInteger,
  kFloat,
  kOperator,
  kEof,
};

struct Token {
  TokenType type = TokenType::kEof;
  std::string text;  // data, name, operator, or the decoded value of a string literal
  int64_t int_value = 0;
  double float_value = 0;
  SourcePos pos;

  bool Is(TokenType t, std::string_view s) const { return type == t && text == s; }
  bool IsName(std::string_view s) const { return Is(TokenType::kName, s); }
  bool IsOp(std::string_view s) const { return Is(TokenType::kOperator, s); }
};

// Throws exaone::Error naming the line and column of the first lexical error.
std::vector<Token> Tokenize(std::string_view source, const std::string& template_name);

// Python's "unicode-escape" decoding of a string literal body, as jinja2 applies it.
// Throws PendingError on a malformed escape.
std::string DecodeStringLiteral(std::string_view body);

}  // namespace exaone::tmpl
