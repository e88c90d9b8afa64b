// Expressions, after jinja2 parser.py (parse_expression ... parse_test).
#include <algorithm>

#include "template/builtins.h"
#include "template/parser.h"

namespace exaone::tmpl {

ExprPtr Parser::MakeExpr(ExprKind kind, SourcePos pos, std::vector<ExprPtr> args) {
  auto e = std::make_unique<Expr>();
  e->kind = kind;
  e->pos = pos;
  e->args = std::move(args);
  return e;
}

ExprPtr Parser::Finish(ExprPtr e) {
  int depth = 0;
  bool constant = true;
  for (const auto& a : e->args) {
    if (a) depth = std::max(depth, a->depth);
    constant = constant && (!a || a->constant);
  }
  for (const auto& [k, v] : e->kwargs) {
    depth = std::max(depth, v->depth);
    constant = constant && v->constant;
  }
  e->depth = depth + 1;
  if (e->depth > kMaxDepth) FailAt(e->pos, "expression nested too deeply");
  // ref: jinja2 nodes.*.as_const. Names and calls (in a sandbox) never fold; filters fold unless
  // they need the render context; and, or, if-else and comparisons evaluate only what they need,
  // so their first operand decides whether folding is worth trying.
  const auto& a = e->args;
  switch (e->kind) {
    case ExprKind::kConst:
      e->constant = true;
      break;
    case ExprKind::kName:
    case ExprKind::kCall:
      e->constant = false;
      break;
    case ExprKind::kFilter: {
      static const std::string_view kContextFilters[] = {"map",        "select",     "reject",
                                                         "selectattr", "rejectattr", "random"};
      bool context_filter = false;
      for (std::string_view f : kContextFilters) context_filter = context_filter || f == e->name;
      e->constant = constant && a[0] && !context_filter && FindFilter(e->name) != nullptr;
      break;
    }
    case ExprKind::kBinary:
      e->constant = (e->op == Op::kAnd || e->op == Op::kOr) ? a[0]->constant : constant;
      break;
    case ExprKind::kCondExpr:
      e->constant = a[0]->constant;
      break;
    case ExprKind::kCompare:
      e->constant = a[0]->constant && a[1]->constant;
      break;
    default:
      e->constant = constant;
  }
  return e;
}

ExprPtr Parser::ParseExpression(bool with_condexpr) {
  DepthGuard guard(*this, Cur());
  return with_condexpr ? ParseCondExpr() : ParseOr();
}

ExprPtr Parser::ParseCondExpr() {
  ExprPtr expr1 = ParseOr();
  while (Cur().IsName("if")) {
    const SourcePos pos = Next().pos;
    ExprPtr expr2 = ParseOr();
    ExprPtr expr3;
    if (SkipName("else")) expr3 = ParseCondExpr();
    std::vector<ExprPtr> args;
    args.push_back(std::move(expr2));
    args.push_back(std::move(expr1));
    args.push_back(std::move(expr3));
    expr1 = Finish(MakeExpr(ExprKind::kCondExpr, pos, std::move(args)));
  }
  return expr1;
}

ExprPtr Parser::ParseOr() {
  ExprPtr left = ParseAnd();
  while (Cur().IsName("or")) {
    const SourcePos pos = Next().pos;
    std::vector<ExprPtr> args;
    args.push_back(std::move(left));
    args.push_back(ParseAnd());
    left = MakeExpr(ExprKind::kBinary, pos, std::move(args));
    left->op = Op::kOr;
    left = Finish(std::move(left));
  }
  return left;
}

ExprPtr Parser::ParseAnd() {
  ExprPtr left = ParseNot();
  while (Cur().IsName("and")) {
    const SourcePos pos = Next().pos;
    std::vector<ExprPtr> args;
    args.push_back(std::move(left));
    args.push_back(ParseNot());
    left = MakeExpr(ExprKind::kBinary, pos, std::move(args));
    left->op = Op::kAnd;
    left = Finish(std::move(left));
  }
  return left;
}

ExprPtr Parser::ParseNot() {
  if (Cur().IsName("not")) {
    DepthGuard guard(*this, Cur());
    const SourcePos pos = Next().pos;
    std::vector<ExprPtr> args;
    args.push_back(ParseNot());
    ExprPtr e = MakeExpr(ExprKind::kUnary, pos, std::move(args));
    e->op = Op::kNot;
    return Finish(std::move(e));
  }
  return ParseCompare();
}

ExprPtr Parser::ParseCompare() {
  const SourcePos pos = Cur().pos;
  ExprPtr expr = ParseMath1();
  std::vector<ExprPtr> args;
  std::vector<Op> ops;
  while (true) {
    const Token& t = Cur();
    static const std::pair<std::string_view, Op> kCompareOps[] = {
        {"==", Op::kEq}, {"!=", Op::kNe}, {"<", Op::kLt},
        {"<=", Op::kLe}, {">", Op::kGt},  {">=", Op::kGe},
    };
    const auto* found = std::find_if(std::begin(kCompareOps), std::end(kCompareOps),
                                     [&](const auto& p) { return t.IsOp(p.first); });
    if (found != std::end(kCompareOps)) {
      Next();
      ops.push_back(found->second);
    } else if (t.IsName("in")) {
      Next();
      ops.push_back(Op::kIn);
    } else if (t.IsName("not") && Look().IsName("in")) {
      Next();
      Next();
      ops.push_back(Op::kNotIn);
    } else {
      break;
    }
    if (args.empty()) args.push_back(std::move(expr));
    args.push_back(ParseMath1());
  }
  if (ops.empty()) return expr;
  ExprPtr e = MakeExpr(ExprKind::kCompare, pos, std::move(args));
  e->ops = std::move(ops);
  return Finish(std::move(e));
}

ExprPtr Parser::ParseMath1() {
  ExprPtr left = ParseConcat();
  while (Cur().IsOp("+") || Cur().IsOp("-")) {
    const Op op = Cur().IsOp("+") ? Op::kAdd : Op::kSub;
    const SourcePos pos = Next().pos;
    std::vector<ExprPtr> args;
    args.push_back(std::move(left));
    args.push_back(ParseConcat());
    left = MakeExpr(ExprKind::kBinary, pos, std::move(args));
    left->op = op;
    left = Finish(std::move(left));
  }
  return left;
}

ExprPtr Parser::ParseConcat() {
  const SourcePos pos = Cur().pos;
  std::vector<ExprPtr> args;
  args.push_back(ParseMath2());
  while (Cur().IsOp("~")) {
    Next();
    args.push_back(ParseMath2());
  }
  if (args.size() == 1) return std::move(args[0]);
  return Finish(MakeExpr(ExprKind::kConcat, pos, std::move(args)));
}

ExprPtr Parser::ParseMath2() {
  ExprPtr left = ParsePow();
  while (true) {
    const Token& t = Cur();
    Op op;
    if (t.IsOp("*")) {
      op = Op::kMul;
    } else if (t.IsOp("/")) {
      op = Op::kDiv;
    } else if (t.IsOp("//")) {
      op = Op::kFloorDiv;
    } else if (t.IsOp("%")) {
      op = Op::kMod;
    } else {
      break;
    }
    const SourcePos pos = Next().pos;
    std::vector<ExprPtr> args;
    args.push_back(std::move(left));
    args.push_back(ParsePow());
    left = MakeExpr(ExprKind::kBinary, pos, std::move(args));
    left->op = op;
    left = Finish(std::move(left));
  }
  return left;
}

ExprPtr Parser::ParsePow() {
  ExprPtr left = ParseUnary(true);
  while (Cur().IsOp("**")) {
    const SourcePos pos = Next().pos;
    std::vector<ExprPtr> args;
    args.push_back(std::move(left));
    args.push_back(ParseUnary(true));
    left = MakeExpr(ExprKind::kBinary, pos, std::move(args));
    left->op = Op::kPow;
    left = Finish(std::move(left));
  }
  return left;
}

ExprPtr Parser::ParseUnary(bool with_filter) {
  DepthGuard guard(*this, Cur());
  ExprPtr node;
  if (Cur().IsOp("-") || Cur().IsOp("+")) {
    const Op op = Cur().IsOp("-") ? Op::kNeg : Op::kPos;
    const SourcePos pos = Next().pos;
    std::vector<ExprPtr> args;
    args.push_back(ParseUnary(false));
    node = MakeExpr(ExprKind::kUnary, pos, std::move(args));
    node->op = op;
    node = Finish(std::move(node));
  } else {
    node = ParsePrimary();
  }
  node = ParsePostfix(std::move(node));
  if (with_filter) node = ParseFilterExpr(std::move(node));
  return node;
}

ExprPtr Parser::ParsePrimary(bool with_namespace) {
  const Token& t = Cur();
  const SourcePos pos = t.pos;
  ExprPtr node;
  switch (t.type) {
    case TokenType::kName: {
      const std::string name = Next().text;
      node = MakeExpr(ExprKind::kConst, pos);
      if (name == "true" || name == "True" || name == "false" || name == "False") {
        node->value = Value::Bool(name == "true" || name == "True");
      } else if (name == "none" || name == "None") {
        node->value = Value::None();
      } else if (with_namespace && Cur().IsOp(".")) {
        // A namespace attribute as an assignment target: kGetAttr over kName.
        Next();
        ExprPtr base = MakeExpr(ExprKind::kName, pos);
        base->name = name;
        std::vector<ExprPtr> args;
        args.push_back(std::move(base));
        node = MakeExpr(ExprKind::kGetAttr, pos, std::move(args));
        node->name = ExpectName();
      } else {
        node->kind = ExprKind::kName;
        node->name = name;
      }
      break;
    }
    case TokenType::kString: {
      std::string buf;
      while (Cur().type == TokenType::kString) buf += Next().text;
      node = MakeExpr(ExprKind::kConst, pos);
      node->value = Value::Str(std::move(buf));
      break;
    }
    case TokenType::kInteger:
      node = MakeExpr(ExprKind::kConst, pos);
      node->value = Value::Int(Next().int_value);
      break;
    case TokenType::kFloat:
      node = MakeExpr(ExprKind::kConst, pos);
      node->value = Value::Float(Next().float_value);
      break;
    case TokenType::kOperator:
      if (t.IsOp("(")) {
        Next();
        node = ParseTuple(false, true, {}, true);
        ExpectOp(")");
        break;
      }
      if (t.IsOp("[")) return ParseList();
      if (t.IsOp("{")) return ParseDict();
      [[fallthrough]];
    default:
      FailAt(t, "unexpected " + Describe(t));
  }
  return Finish(std::move(node));
}

bool Parser::IsTupleEnd(EndRules extra_end) const {
  const Token& t = Cur();
  if (t.type == TokenType::kVariableEnd || t.type == TokenType::kBlockEnd || t.IsOp(")")) {
    return true;
  }
  return AtAny(extra_end);
}

ExprPtr Parser::ParseTuple(bool simplified, bool with_condexpr, EndRules extra_end,
                           bool explicit_parens, bool with_namespace) {
  const SourcePos pos = Cur().pos;
  std::vector<ExprPtr> args;
  bool is_tuple = false;
  while (true) {
    if (!args.empty()) ExpectOp(",");
    if (IsTupleEnd(extra_end)) break;
    args.push_back(simplified ? ParsePrimary(with_namespace) : ParseExpression(with_condexpr));
    if (Cur().IsOp(",")) {
      is_tuple = true;
    } else {
      break;
    }
  }
  if (!is_tuple) {
    if (!args.empty()) return std::move(args[0]);
    if (!explicit_parens) FailAt(Cur(), "expected an expression, got " + Describe(Cur()));
  }
  return Finish(MakeExpr(ExprKind::kTuple, pos, std::move(args)));
}

ExprPtr Parser::ParseList() {
  const SourcePos pos = Cur().pos;
  ExpectOp("[");
  std::vector<ExprPtr> items;
  while (!Cur().IsOp("]")) {
    if (!items.empty()) ExpectOp(",");
    if (Cur().IsOp("]")) break;
    items.push_back(ParseExpression());
  }
  ExpectOp("]");
  return Finish(MakeExpr(ExprKind::kList, pos, std::move(items)));
}

ExprPtr Parser::ParseDict() {
  const SourcePos pos = Cur().pos;
  ExpectOp("{");
  std::vector<ExprPtr> items;
  while (!Cur().IsOp("}")) {
    if (!items.empty()) ExpectOp(",");
    if (Cur().IsOp("}")) break;
    items.push_back(ParseExpression());
    ExpectOp(":");
    items.push_back(ParseExpression());
  }
  ExpectOp("}");
  return Finish(MakeExpr(ExprKind::kDict, pos, std::move(items)));
}

ExprPtr Parser::ParsePostfix(ExprPtr node) {
  while (true) {
    if (Cur().IsOp(".") || Cur().IsOp("[")) {
      node = ParseSubscript(std::move(node));
    } else if (Cur().IsOp("(")) {
      node = ParseCall(std::move(node));
    } else {
      return node;
    }
  }
}

ExprPtr Parser::ParseFilterExpr(ExprPtr node) {
  while (true) {
    if (Cur().IsOp("|")) {
      node = ParseFilter(std::move(node), false);
    } else if (Cur().IsName("is")) {
      node = ParseTest(std::move(node));
    } else if (Cur().IsOp("(")) {
      node = ParseCall(std::move(node));
    } else {
      return node;
    }
  }
}

ExprPtr Parser::ParseSubscript(ExprPtr node) {
  const Token& t = Next();
  const SourcePos pos = t.pos;
  std::vector<ExprPtr> args;
  args.push_back(std::move(node));
  if (t.IsOp(".")) {
    const Token& attr = Next();
    if (attr.type == TokenType::kName) {
      ExprPtr e = MakeExpr(ExprKind::kGetAttr, pos, std::move(args));
      e->name = attr.text;
      return Finish(std::move(e));
    }
    if (attr.type != TokenType::kInteger) FailAt(attr, "expected name or number");
    ExprPtr index = MakeExpr(ExprKind::kConst, attr.pos);
    index->value = Value::Int(attr.int_value);
    args.push_back(std::move(index));
    return Finish(MakeExpr(ExprKind::kGetItem, pos, std::move(args)));
  }
  std::vector<ExprPtr> subs;
  while (!Cur().IsOp("]")) {
    if (!subs.empty()) ExpectOp(",");
    subs.push_back(ParseSubscribed());
  }
  ExpectOp("]");
  if (subs.size() == 1) {
    args.push_back(std::move(subs[0]));
  } else {
    args.push_back(Finish(MakeExpr(ExprKind::kTuple, pos, std::move(subs))));
  }
  return Finish(MakeExpr(ExprKind::kGetItem, pos, std::move(args)));
}

ExprPtr Parser::ParseSubscribed() {
  const SourcePos pos = Cur().pos;
  std::vector<ExprPtr> args;
  if (Cur().IsOp(":")) {
    Next();
    args.push_back(nullptr);
  } else {
    ExprPtr node = ParseExpression();
    if (!Cur().IsOp(":")) return node;
    Next();
    args.push_back(std::move(node));
  }
  if (Cur().IsOp(":") || Cur().IsOp("]") || Cur().IsOp(",")) {
    args.push_back(nullptr);
  } else {
    args.push_back(ParseExpression());
  }
  if (Cur().IsOp(":")) {
    Next();
    if (Cur().IsOp("]") || Cur().IsOp(",")) {
      args.push_back(nullptr);
    } else {
      args.push_back(ParseExpression());
    }
  } else {
    args.push_back(nullptr);
  }
  return Finish(MakeExpr(ExprKind::kSlice, pos, std::move(args)));
}

void Parser::ParseCallArgs(Expr& call) {
  const Token open = Cur();
  ExpectOp("(");
  bool require_comma = false;
  while (!Cur().IsOp(")")) {
    if (require_comma) {
      ExpectOp(",");
      if (Cur().IsOp(")")) break;  // trailing comma
    }
    if (Cur().IsOp("*") || Cur().IsOp("**")) {
      UnsupportedAt(Cur().pos, "*args and **kwargs in calls");
    }
    if (Cur().type == TokenType::kName && Look().IsOp("=")) {
      std::string key = Next().text;
      Next();
      call.kwargs.emplace_back(std::move(key), ParseExpression());
    } else {
      if (!call.kwargs.empty()) FailAt(open, "invalid syntax for function call expression");
      call.args.push_back(ParseExpression());
    }
    require_comma = true;
  }
  ExpectOp(")");
}

ExprPtr Parser::ParseCall(ExprPtr node) {
  const SourcePos pos = node->pos;  // errors point at what is called, not at "("
  std::vector<ExprPtr> args;
  args.push_back(std::move(node));
  ExprPtr call = MakeExpr(ExprKind::kCall, pos, std::move(args));
  ParseCallArgs(*call);
  return Finish(std::move(call));
}

ExprPtr Parser::ParseFilter(ExprPtr node, bool start_inline) {
  while (Cur().IsOp("|") || start_inline) {
    if (!start_inline) Next();
    const SourcePos pos = Cur().pos;
    std::string name = ExpectName();
    while (Cur().IsOp(".")) {
      Next();
      name += '.';
      name += ExpectName();
    }
    std::vector<ExprPtr> args;
    args.push_back(std::move(node));
    ExprPtr f = MakeExpr(ExprKind::kFilter, pos, std::move(args));
    f->name = std::move(name);
    if (Cur().IsOp("(")) ParseCallArgs(*f);
    node = Finish(std::move(f));
    start_inline = false;
  }
  return node;
}

ExprPtr Parser::ParseTest(ExprPtr node) {
  const SourcePos pos = Next().pos;  // "is"
  const bool negated = SkipName("not");
  std::string name = ExpectName();
  while (Cur().IsOp(".")) {
    Next();
    name += "." + ExpectName();
  }
  std::vector<ExprPtr> args;
  args.push_back(std::move(node));
  ExprPtr test = MakeExpr(ExprKind::kTest, pos, std::move(args));
  test->name = std::move(name);
  const Token& t = Cur();
  if (t.IsOp("(")) {
    ParseCallArgs(*test);
  } else if ((t.type == TokenType::kName || t.type == TokenType::kString ||
              t.type == TokenType::kInteger || t.type == TokenType::kFloat || t.IsOp("(") ||
              t.IsOp("[") || t.IsOp("{")) &&
             !t.IsName("else") && !t.IsName("or") && !t.IsName("and")) {
    if (t.IsName("is")) FailAt(t, "you cannot chain multiple tests with is");
    test->args.push_back(ParsePostfix(ParsePrimary()));
  }
  test = Finish(std::move(test));
  if (!negated) return test;
  std::vector<ExprPtr> not_args;
  not_args.push_back(std::move(test));
  ExprPtr e = MakeExpr(ExprKind::kUnary, pos, std::move(not_args));
  e->op = Op::kNot;
  return Finish(std::move(e));
}

}  // namespace exaone::tmpl
