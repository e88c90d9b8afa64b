// A recursive-descent parser following jinja2's parser.py function by function, so that operator
// precedence and its quirks match: `-2**2` is 4, `not x is defined` is `not (x is defined)`,
// `{% if a, b %}` tests a tuple, adjacent string literals concatenate.
//
// Statements (parser_stmt.cpp) and expressions (parser_expr.cpp) share this class.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "template/ast.h"
#include "template/lexer.h"

namespace exaone::tmpl {

// Parses a whole template. Throws exaone::Error naming "template line L, column C".
StmtList ParseTemplate(std::string_view source, const std::string& template_name);

class Parser {
 public:
  Parser(std::vector<Token> tokens, const std::string& template_name);
  StmtList ParseAll();

  // Deeper nesting of expressions or statements is an error (see ast.h).
  static constexpr int kMaxDepth = 200;

 private:
  using EndRules = std::initializer_list<std::string_view>;

  // Token stream.
  const Token& Cur() const { return tokens_[pos_]; }
  const Token& Look() const { return tokens_[pos_ + 1 < tokens_.size() ? pos_ + 1 : pos_]; }
  const Token& Next();
  bool SkipOp(std::string_view op);
  bool SkipName(std::string_view name);
  void ExpectOp(std::string_view op);
  std::string ExpectName();
  void ExpectType(TokenType type, const char* what);
  bool AtAny(EndRules names) const;
  [[noreturn]] void FailAt(const Token& t, const std::string& msg) const;
  [[noreturn]] void FailAt(SourcePos pos, const std::string& msg) const;
  [[noreturn]] void UnsupportedAt(SourcePos pos, const std::string& what) const;
  static std::string Describe(const Token& t);

  // Statements (parser_stmt.cpp).
  StmtList Subparse(EndRules end_tokens, bool has_end);
  StmtPtr ParseStatement();
  StmtList ParseStatements(EndRules end_tokens, bool drop_needle);
  StmtPtr ParseIf();
  StmtPtr ParseFor();
  StmtPtr ParseSet();
  StmtPtr ParseMacro();
  StmtPtr ParseCallBlock();
  StmtPtr ParseFilterBlock();
  StmtPtr ParseWith();
  StmtPtr ParsePrint();
  StmtPtr ParseBody(StmtKind kind, std::string_view end_tag);
  std::shared_ptr<MacroSignature> ParseSignature(bool required);
  Target ParseAssignTarget(bool with_tuple, bool name_only, EndRules extra_end, bool with_ns);
  Target ToTarget(const Expr& e) const;
  StmtPtr MakeStmt(StmtKind kind, SourcePos pos);

  // Expressions (parser_expr.cpp).
  ExprPtr ParseExpression(bool with_condexpr = true);
  ExprPtr ParseCondExpr();
  ExprPtr ParseOr();
  ExprPtr ParseAnd();
  ExprPtr ParseNot();
  ExprPtr ParseCompare();
  ExprPtr ParseMath1();
  ExprPtr ParseConcat();
  ExprPtr ParseMath2();
  ExprPtr ParsePow();
  ExprPtr ParseUnary(bool with_filter);
  ExprPtr ParsePrimary(bool with_namespace = false);
  ExprPtr ParseTuple(bool simplified, bool with_condexpr, EndRules extra_end, bool explicit_parens,
                     bool with_namespace = false);
  ExprPtr ParseList();
  ExprPtr ParseDict();
  ExprPtr ParsePostfix(ExprPtr node);
  ExprPtr ParseFilterExpr(ExprPtr node);
  ExprPtr ParseSubscript(ExprPtr node);
  ExprPtr ParseSubscribed();
  void ParseCallArgs(Expr& call);
  ExprPtr ParseCall(ExprPtr node);
  ExprPtr ParseFilter(ExprPtr node, bool start_inline);
  ExprPtr ParseTest(ExprPtr node);
  bool IsTupleEnd(EndRules extra_end) const;
  ExprPtr MakeExpr(ExprKind kind, SourcePos pos, std::vector<ExprPtr> args = {});
  ExprPtr Finish(ExprPtr e);  // computes depth, enforces kMaxDepth

  // Recursion guard shared by statements and expressions.
  struct DepthGuard {
    DepthGuard(Parser& p, const Token& at);
    ~DepthGuard() { --p_.depth_; }
    Parser& p_;
  };

  std::vector<Token> tokens_;
  size_t pos_ = 0;
  const std::string& name_;
  int depth_ = 0;
  int loop_depth_ = 0;  // break/continue are only valid inside a for loop of the same macro
};

}  // namespace exaone::tmpl
