// Constant folding, as jinja2's optimizer does it (ref: jinja2/optimizer.py, nodes.*.as_const,
// compiler.has_safe_repr). It is not an optimisation here but a matter of semantics: a constant
// expression is evaluated at compile time, where slices go through the sandbox's getitem, so
// `({'a': 1})[1:]|length` is 0 where a runtime slice of a dict raises.
#include "template/fold.h"

#include "template/interpreter.h"

namespace exaone::tmpl {
namespace {

// compiler.has_safe_repr: the values a folded constant may hold.
bool HasSafeRepr(const Value& v, int depth = 0) {
  if (depth > kMaxNesting) return false;
  switch (v.kind()) {
    case Kind::kNone:
    case Kind::kBool:
    case Kind::kInt:
    case Kind::kFloat:
    case Kind::kString:
      return true;
    case Kind::kList:
    case Kind::kTuple: {
      const ListObj& l = v.Seq();
      if (l.flavor == SeqFlavor::kRange) return true;
      if (l.flavor != SeqFlavor::kPlain) return false;
      for (const Value& item : l.items) {
        if (!HasSafeRepr(item, depth + 1)) return false;
      }
      return true;
    }
    case Kind::kDict:
      for (const auto& [k, val] : v.Dict().entries()) {
        if (!HasSafeRepr(k, depth + 1) || !HasSafeRepr(val, depth + 1)) return false;
      }
      return true;
    default:
      return false;
  }
}

class Folder {
 public:
  explicit Folder(Interpreter& in) : in_(in) {}

  // Folds bottom-up: children first, then the node from its (folded) children.
  void Expr(ExprPtr& e) {
    if (!e) return;
    for (ExprPtr& a : e->args) Expr(a);
    for (auto& [k, v] : e->kwargs) Expr(v);
    if (!e->constant || e->kind == ExprKind::kConst || e->kind == ExprKind::kSlice) return;
    Value v;
    try {
      v = in_.EvalConstant(*e);
    } catch (const exaone::Error&) {
      return;  // jinja2's Impossible: evaluated (and raised) at render time instead
    }
    if (!HasSafeRepr(v)) return;
    auto folded = std::make_unique<tmpl::Expr>();
    folded->kind = ExprKind::kConst;
    folded->pos = e->pos;
    folded->constant = true;
    folded->value = std::move(v);
    e = std::move(folded);
  }

  void Stmts(StmtList& body) {
    for (StmtPtr& s : body) {
      Expr(s->expr);
      Expr(s->cond);
      Expr(s->filter);
      for (ExprPtr& v : s->values) Expr(v);
      if (s->signature) {
        for (ExprPtr& d : s->signature->defaults) Expr(d);
      }
      if (s->body) Stmts(*s->body);
      Stmts(s->else_body);
    }
  }

 private:
  Interpreter& in_;
};

}  // namespace

void FoldConstants(StmtList& body, const std::string& template_name) {
  // Folding must stay cheap for hostile templates: an expression that would exceed these
  // limits is simply left for render time, where the real limits apply.
  RenderLimits limits;
  limits.max_output_bytes = 1 << 20;
  limits.max_work_bytes = 1 << 20;
  limits.max_loop_iterations = 10000;
  Interpreter in(template_name, limits, {});
  Folder(in).Stmts(body);
}

}  // namespace exaone::tmpl
