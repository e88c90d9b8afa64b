// Statements and the token stream, after jinja2 parser.py (subparse ... parse_assign_target).
#include <functional>

#include "template/parser.h"

namespace exaone::tmpl {
namespace {

// Whether a macro body mentions `name` (jinja2 find_undeclared): decides if the macro accepts
// caller, extra positional arguments (varargs) or extra keyword arguments (kwargs).
bool MentionsName(const Expr* e, const std::string& name) {
  if (!e) return false;
  if (e->kind == ExprKind::kName && e->name == name) return true;
  for (const auto& a : e->args) {
    if (MentionsName(a.get(), name)) return true;
  }
  for (const auto& [k, v] : e->kwargs) {
    if (MentionsName(v.get(), name)) return true;
  }
  return false;
}

bool MentionsName(const StmtList& body, const std::string& name) {
  for (const auto& s : body) {
    if (MentionsName(s->expr.get(), name) || MentionsName(s->cond.get(), name) ||
        MentionsName(s->filter.get(), name)) {
      return true;
    }
    for (const auto& v : s->values) {
      if (MentionsName(v.get(), name)) return true;
    }
    if (s->signature) {
      for (const auto& d : s->signature->defaults) {
        if (MentionsName(d.get(), name)) return true;
      }
    }
    if (s->body && MentionsName(*s->body, name)) return true;
    if (MentionsName(s->else_body, name)) return true;
  }
  return false;
}

}  // namespace

StmtList ParseTemplate(std::string_view source, const std::string& template_name) {
  return Parser(Tokenize(source, template_name), template_name).ParseAll();
}

Parser::Parser(std::vector<Token> tokens, const std::string& template_name)
    : tokens_(std::move(tokens)), name_(template_name) {}

Parser::DepthGuard::DepthGuard(Parser& p, const Token& at) : p_(p) {
  if (++p_.depth_ > kMaxDepth) {
    --p_.depth_;
    p_.FailAt(at, "template nested too deeply");
  }
}

StmtList Parser::ParseAll() {
  StmtList body = Subparse({}, false);
  if (Cur().type != TokenType::kEof) FailAt(Cur(), "unexpected " + Describe(Cur()));
  return body;
}

const Token& Parser::Next() {
  const Token& t = tokens_[pos_];
  if (pos_ + 1 < tokens_.size()) ++pos_;
  return t;
}

bool Parser::SkipOp(std::string_view op) {
  if (!Cur().IsOp(op)) return false;
  Next();
  return true;
}

bool Parser::SkipName(std::string_view name) {
  if (!Cur().IsName(name)) return false;
  Next();
  return true;
}

void Parser::ExpectOp(std::string_view op) {
  if (!Cur().IsOp(op)) {
    FailAt(Cur(), "expected token '" + std::string(op) + "', got " + Describe(Cur()));
  }
  Next();
}

std::string Parser::ExpectName() {
  if (Cur().type != TokenType::kName) FailAt(Cur(), "expected a name, got " + Describe(Cur()));
  return Next().text;
}

void Parser::ExpectType(TokenType type, const char* what) {
  if (Cur().type != type) {
    FailAt(Cur(), std::string("expected ") + what + ", got " + Describe(Cur()));
  }
  Next();
}

bool Parser::AtAny(EndRules names) const {
  for (std::string_view n : names) {
    if (Cur().IsName(n)) return true;
  }
  return false;
}

void Parser::FailAt(const Token& t, const std::string& msg) const {
  FailAt(t.pos, msg);
}

void Parser::UnsupportedAt(SourcePos pos, const std::string& what) const {
  throw exaone::Error(ErrorCode::kUnsupported,
                      FormatLocated(name_, pos, what + " is not supported"));
}

void Parser::FailAt(SourcePos pos, const std::string& msg) const {
  throw exaone::Error(ErrorCode::kBadConfig, FormatLocated(name_, pos, msg));
}

std::string Parser::Describe(const Token& t) {
  switch (t.type) {
    case TokenType::kEof:
      return "end of template";
    case TokenType::kBlockEnd:
      return "end of statement block";
    case TokenType::kVariableEnd:
      return "end of print statement";
    case TokenType::kBlockBegin:
      return "begin of statement block";
    case TokenType::kVariableBegin:
      return "begin of print statement";
    case TokenType::kData:
      return "template data";
    case TokenType::kString:
      return "string";
    case TokenType::kInteger:
      return "integer";
    case TokenType::kFloat:
      return "float";
    default:
      return "'" + t.text + "'";
  }
}

StmtPtr Parser::MakeStmt(StmtKind kind, SourcePos pos) {
  auto s = std::make_unique<Stmt>();
  s->kind = kind;
  s->pos = pos;
  return s;
}

StmtList Parser::Subparse(EndRules end_tokens, bool has_end) {
  StmtList body;
  while (Cur().type != TokenType::kEof) {
    const Token& t = Cur();
    if (t.type == TokenType::kData) {
      StmtPtr s = MakeStmt(StmtKind::kData, t.pos);
      s->text = Next().text;
      body.push_back(std::move(s));
    } else if (t.type == TokenType::kVariableBegin) {
      StmtPtr s = MakeStmt(StmtKind::kPrint, Next().pos);
      s->expr = ParseTuple(false, true, {}, false);
      ExpectType(TokenType::kVariableEnd, "end of print statement");
      body.push_back(std::move(s));
    } else if (t.type == TokenType::kBlockBegin) {
      Next();
      if (has_end && AtAny(end_tokens)) return body;
      body.push_back(ParseStatement());
      ExpectType(TokenType::kBlockEnd, "end of statement block");
    } else {
      FailAt(t, "unexpected " + Describe(t));
    }
  }
  return body;
}

StmtList Parser::ParseStatements(EndRules end_tokens, bool drop_needle) {
  DepthGuard guard(*this, Cur());
  SkipOp(":");
  ExpectType(TokenType::kBlockEnd, "end of statement block");
  const Token& start = Cur();
  StmtList result = Subparse(end_tokens, true);
  if (Cur().type == TokenType::kEof) {
    std::string tags;
    for (std::string_view n : end_tokens)
      tags += (tags.empty() ? "'" : " or '") + std::string(n) + "'";
    FailAt(start, "unexpected end of template; looking for " + tags);
  }
  if (drop_needle) Next();
  return result;
}

StmtPtr Parser::ParseStatement() {
  const Token& t = Cur();
  if (t.type != TokenType::kName) FailAt(t, "tag name expected");
  const std::string& tag = t.text;
  if (tag == "if") return ParseIf();
  if (tag == "for") return ParseFor();
  if (tag == "set") return ParseSet();
  if (tag == "macro") return ParseMacro();
  if (tag == "call") return ParseCallBlock();
  if (tag == "filter") return ParseFilterBlock();
  if (tag == "with") return ParseWith();
  if (tag == "print") return ParsePrint();
  if (tag == "generation") return ParseBody(StmtKind::kGeneration, "endgeneration");
  if (tag == "break" || tag == "continue") {
    if (loop_depth_ == 0) FailAt(t, "'" + tag + "' outside loop");
    return MakeStmt(tag == "break" ? StmtKind::kBreak : StmtKind::kContinue, Next().pos);
  }
  if (tag == "block" || tag == "extends" || tag == "include" || tag == "import" || tag == "from" ||
      tag == "autoescape" || tag == "raw" || tag == "do") {
    UnsupportedAt(t.pos, "the '" + tag + "' tag");
  }
  FailAt(t, "encountered unknown tag '" + tag + "'");
}

StmtPtr Parser::ParseIf() {
  StmtPtr node = MakeStmt(StmtKind::kIf, Next().pos);
  node->expr = ParseTuple(false, false, {}, false);
  node->body = std::make_shared<StmtList>(ParseStatements({"elif", "else", "endif"}, false));
  const Token& t = Next();
  if (t.IsName("elif")) {
    // An elif chain is a nested if in the else branch; it consumes the shared endif.
    --pos_;
    node->else_body.push_back(ParseIf());
    return node;
  }
  if (t.IsName("else")) node->else_body = ParseStatements({"endif"}, true);
  return node;
}

StmtPtr Parser::ParseFor() {
  StmtPtr node = MakeStmt(StmtKind::kFor, Next().pos);
  node->target = ParseAssignTarget(true, false, {"in"}, false);
  if (!SkipName("in")) FailAt(Cur(), "expected 'in', got " + Describe(Cur()));
  node->expr = ParseTuple(false, false, {"recursive"}, false);
  if (SkipName("if")) node->cond = ParseExpression();
  if (Cur().IsName("recursive")) UnsupportedAt(Cur().pos, "recursive loops");
  ++loop_depth_;
  node->body = std::make_shared<StmtList>(ParseStatements({"endfor", "else"}, false));
  --loop_depth_;
  if (Next().IsName("else")) node->else_body = ParseStatements({"endfor"}, true);
  return node;
}

StmtPtr Parser::ParseSet() {
  StmtPtr node = MakeStmt(StmtKind::kSet, Next().pos);
  node->target = ParseAssignTarget(true, false, {}, true);
  if (SkipOp("=")) {
    node->expr = ParseTuple(false, true, {}, false);
    return node;
  }
  node->kind = StmtKind::kSetBlock;
  node->filter = ParseFilter(nullptr, false);
  node->body = std::make_shared<StmtList>(ParseStatements({"endset"}, true));
  return node;
}

std::shared_ptr<MacroSignature> Parser::ParseSignature(bool required) {
  auto sig = std::make_shared<MacroSignature>();
  if (!required && !Cur().IsOp("(")) return sig;
  ExpectOp("(");
  while (!Cur().IsOp(")")) {
    if (!sig->params.empty()) ExpectOp(",");
    const Token& at = Cur();
    sig->params.push_back(ExpectName());
    if (SkipOp("=")) {
      sig->defaults.push_back(ParseExpression());
    } else if (!sig->defaults.empty()) {
      FailAt(at, "non-default argument follows default argument");
    }
  }
  ExpectOp(")");
  return sig;
}

StmtPtr Parser::ParseMacro() {
  StmtPtr node = MakeStmt(StmtKind::kMacro, Next().pos);
  node->name = ExpectName();
  node->signature = ParseSignature(true);
  const int saved_loops = loop_depth_;
  loop_depth_ = 0;
  node->body = std::make_shared<StmtList>(ParseStatements({"endmacro"}, true));
  loop_depth_ = saved_loops;
  MacroSignature& sig = *node->signature;
  sig.uses_caller = MentionsName(*node->body, "caller");
  sig.uses_varargs = MentionsName(*node->body, "varargs");
  sig.uses_kwargs = MentionsName(*node->body, "kwargs");
  return node;
}

StmtPtr Parser::ParseCallBlock() {
  StmtPtr node = MakeStmt(StmtKind::kCallBlock, Next().pos);
  node->signature = ParseSignature(false);
  const Token& at = Cur();
  node->expr = ParseExpression();
  if (node->expr->kind != ExprKind::kCall) FailAt(at, "expected call");
  const int saved_loops = loop_depth_;
  loop_depth_ = 0;
  node->body = std::make_shared<StmtList>(ParseStatements({"endcall"}, true));
  loop_depth_ = saved_loops;
  MacroSignature& sig = *node->signature;
  sig.uses_varargs = MentionsName(*node->body, "varargs");
  sig.uses_kwargs = MentionsName(*node->body, "kwargs");
  return node;
}

StmtPtr Parser::ParseFilterBlock() {
  StmtPtr node = MakeStmt(StmtKind::kFilterBlock, Next().pos);
  node->filter = ParseFilter(nullptr, true);
  node->body = std::make_shared<StmtList>(ParseStatements({"endfilter"}, true));
  return node;
}

StmtPtr Parser::ParseWith() {
  StmtPtr node = MakeStmt(StmtKind::kWith, Next().pos);
  while (Cur().type != TokenType::kBlockEnd) {
    if (!node->targets.empty()) ExpectOp(",");
    node->targets.push_back(ParseAssignTarget(true, false, {}, false));
    ExpectOp("=");
    node->values.push_back(ParseExpression());
  }
  node->body = std::make_shared<StmtList>(ParseStatements({"endwith"}, true));
  return node;
}

StmtPtr Parser::ParsePrint() {
  StmtPtr node = MakeStmt(StmtKind::kPrint, Next().pos);
  std::vector<ExprPtr> items;
  while (Cur().type != TokenType::kBlockEnd) {
    if (!items.empty()) ExpectOp(",");
    items.push_back(ParseExpression());
  }
  // {% print a, b %} writes each expression in turn, like a concatenation.
  node->expr = Finish(MakeExpr(ExprKind::kConcat, node->pos, std::move(items)));
  return node;
}

StmtPtr Parser::ParseBody(StmtKind kind, std::string_view end_tag) {
  StmtPtr node = MakeStmt(kind, Next().pos);
  const int saved_loops = loop_depth_;
  loop_depth_ = 0;
  node->body = std::make_shared<StmtList>(ParseStatements({end_tag}, true));
  loop_depth_ = saved_loops;
  return node;
}

Target Parser::ParseAssignTarget(bool with_tuple, bool name_only, EndRules extra_end,
                                 bool with_ns) {
  if (name_only) {
    Target t;
    t.pos = Cur().pos;
    t.name = ExpectName();
    return t;
  }
  ExprPtr e =
      with_tuple ? ParseTuple(true, true, extra_end, false, with_ns) : ParsePrimary(with_ns);
  return ToTarget(*e);
}

Target Parser::ToTarget(const Expr& e) const {
  Target t;
  t.pos = e.pos;
  if (e.kind == ExprKind::kName) {
    t.name = e.name;
    return t;
  }
  if (e.kind == ExprKind::kGetAttr && e.args[0]->kind == ExprKind::kName) {
    t.type = Target::Type::kNamespaceAttr;
    t.name = e.args[0]->name;
    t.attr = e.name;
    return t;
  }
  if (e.kind == ExprKind::kTuple) {
    t.type = Target::Type::kTuple;
    for (const auto& item : e.args) {
      Target sub = ToTarget(*item);
      if (sub.type == Target::Type::kNamespaceAttr) FailAt(item->pos, "can't assign to 'nsref'");
      t.items.push_back(std::move(sub));
    }
    return t;
  }
  FailAt(e.pos, "can't assign to this expression");
}

}  // namespace exaone::tmpl
