// Expression evaluation.
#include "template/builtins.h"
#include "template/interpreter.h"
#include "template/operators.h"
#include "template/py_format.h"

namespace exaone::tmpl {

Value Interpreter::Eval(const Expr& e) {
  try {
    return EvalInner(e);
  } catch (const PendingError& err) {
    Raise(e.pos, err.code(), err.what());
  }
}

Value Interpreter::EvalConstant(const Expr& e) {
  const bool saved = folding_;
  folding_ = true;
  struct Restore {
    bool& flag;
    bool saved;
    ~Restore() { flag = saved; }
  } restore{folding_, saved};
  if (!scope_) {
    static const FrameInfo kEmptyFrame;
    scope_ = NewScope(&kEmptyFrame, nullptr);
  }
  return Eval(e);
}

Value Interpreter::EvalInner(const Expr& e) {
  switch (e.kind) {
    case ExprKind::kConst:
      return e.value;
    case ExprKind::kName:
      if (folding_) Fail("not constant");
      return Lookup(e.name);
    case ExprKind::kList:
    case ExprKind::kTuple: {
      std::vector<Value> items;
      items.reserve(e.args.size());
      for (const ExprPtr& a : e.args) items.push_back(Eval(*a));
      Charge(items.size() * sizeof(Value));
      return e.kind == ExprKind::kList ? Value::List(std::move(items))
                                       : Value::Tuple(std::move(items));
    }
    case ExprKind::kDict: {
      auto d = std::make_shared<DictObj>();
      for (size_t i = 0; i + 1 < e.args.size(); i += 2) {
        Value key = Eval(*e.args[i]);
        Value value = Eval(*e.args[i + 1]);
        if (!IsHashable(key)) Fail(std::string("unhashable type: '") + PyTypeName(key) + "'");
        d->Set(key, std::move(value));
      }
      Charge(d->size() * 2 * sizeof(Value));
      return Value::Dict(std::move(d));
    }
    case ExprKind::kGetAttr:
      return GetAttr(Eval(*e.args[0]), e.name);
    case ExprKind::kGetItem:
      return EvalGetItem(e);
    case ExprKind::kSlice:
      Unsupported("a slice inside a tuple subscript");
    case ExprKind::kCall:
      if (folding_) Fail("not constant");
      return EvalCall(e);
    case ExprKind::kFilter:
      return EvalFilter(e, nullptr);
    case ExprKind::kTest: {
      if (folding_ && !FindTest(e.name)) Fail("not constant");
      const Value v = Eval(*e.args[0]);
      CallArgs args = EvalArgs(e, 1);
      return Value::Bool(CallTest(e.name, v, args));
    }
    case ExprKind::kUnary:
      return UnaryOp(e.op, Eval(*e.args[0]));
    case ExprKind::kBinary: {
      Value left = Eval(*e.args[0]);
      if (e.op == Op::kAnd) return Truthy(left) ? Eval(*e.args[1]) : left;
      if (e.op == Op::kOr) return Truthy(left) ? left : Eval(*e.args[1]);
      return BinaryOp(*this, e.op, left, Eval(*e.args[1]));
    }
    case ExprKind::kConcat: {
      // jinja2 joins with str() of each operand; Markup does not survive `~`.
      std::string out;
      for (const ExprPtr& a : e.args) out += PyStr(Eval(*a));
      return MakeStr(std::move(out));
    }
    case ExprKind::kCompare:
      return EvalCompare(e);
    case ExprKind::kCondExpr:
      if (Truthy(Eval(*e.args[0]))) return Eval(*e.args[1]);
      if (e.args[2]) return Eval(*e.args[2]);
      if (folding_) Fail("not constant");
      return Value::Undefined(
          "the inline if-expression evaluated to false and no else section was defined");
  }
  return Value();
}

Value Interpreter::EvalCompare(const Expr& e) {
  // a < b < c is (a < b) and (b < c), evaluating b once and stopping at the first false.
  Value left = Eval(*e.args[0]);
  for (size_t i = 0; i < e.ops.size(); ++i) {
    Value right = Eval(*e.args[i + 1]);
    if (!Compare(*this, e.ops[i], left, right)) return Value::Bool(false);
    left = std::move(right);
  }
  return Value::Bool(true);
}

Value Interpreter::EvalGetItem(const Expr& e) {
  const Value obj = Eval(*e.args[0]);
  const Expr& index = *e.args[1];
  if (index.kind != ExprKind::kSlice) return GetItem(obj, Eval(index));
  Value parts[3];
  for (int i = 0; i < 3; ++i) {
    parts[i] = index.args[i] ? Eval(*index.args[i]) : Value::None();
  }
  return GetSlice(obj, parts[0], parts[1], parts[2], folding_);
}

CallArgs Interpreter::EvalArgs(const Expr& e, size_t first) {
  CallArgs args;
  for (size_t i = first; i < e.args.size(); ++i) args.pos.push_back(Eval(*e.args[i]));
  for (const auto& [key, value] : e.kwargs) {
    for (const auto& [seen, unused] : args.kw) {
      if (seen == key) Fail("keyword argument repeated: " + key);
    }
    args.kw.emplace_back(key, Eval(*value));
  }
  return args;
}

Value Interpreter::EvalCall(const Expr& e) {
  const Value callee = Eval(*e.args[0]);
  CallArgs args = EvalArgs(e, 1);
  return Call(callee, args);
}

Value Interpreter::EvalFilter(const Expr& e, const Value* block_input) {
  if (folding_ && !e.constant) Fail("not constant");  // a context filter, or no input
  try {
    Value input;
    if (!e.args[0]) {
      input = *block_input;  // the innermost filter of a filter block or set block
    } else if (e.args[0]->kind == ExprKind::kFilter && block_input) {
      input = EvalFilter(*e.args[0], block_input);
    } else {
      input = Eval(*e.args[0]);
    }
    CallArgs args = EvalArgs(e, 1);
    return CallFilter(e.name, input, args);
  } catch (const PendingError& err) {
    Raise(e.pos, err.code(), err.what());
  }
}

// The variable of the nearest frame that declares `name` (see symbols.h); names no frame
// declares come from the render variables and globals.
Value Interpreter::Lookup(const std::string& name) {
  for (const Scope* s = scope_.get(); s; s = s->parent.get()) {
    auto it = s->vars.find(name);
    if (s->frame->refs.count(name)) {
      return it != s->vars.end() ? it->second : Value::Undefined("'" + name + "' is undefined");
    }
    if (it != s->vars.end()) return it->second;
  }
  Value v;
  if (Resolve(name, &v)) return v;
  return Value::Undefined("'" + name + "' is undefined");
}

Value Interpreter::Call(const Value& callee, CallArgs& args) {
  switch (callee.kind()) {
    case Kind::kFunction: {
      // Copy the function object: a macro may replace the variable that held it while running.
      const auto fn = callee.Function().call;
      return fn(*this, args);
    }
    case Kind::kUndefined:
      FailUndefined(callee);
    case Kind::kLoop:
      Unsupported("recursive loops (calling loop)");
    default:
      Fail(std::string("'") + PyTypeName(callee) + "' object is not callable");
  }
}

}  // namespace exaone::tmpl
