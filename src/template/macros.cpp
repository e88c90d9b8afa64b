// Macros and call blocks: definition (a closure over the defining scope), argument binding with
// jinja2's rules, and the caller() of a {% call %} block.
#include "template/interpreter.h"
#include "template/py_format.h"

namespace exaone::tmpl {

void Interpreter::ExecMacro(const Stmt& s) {
  // A weak reference: the scope may hold the macro, and a strong one would be a cycle.
  std::weak_ptr<Scope> closure = scope_;
  const Stmt* def = &s;
  scope_->vars[s.name] =
      Value::Function(FunctionKind::kMacro, s.name, [def, closure](Interpreter& in, CallArgs& a) {
        return in.CallMacro(*def, closure, a, def->name);
      });
}

void Interpreter::ExecCallBlock(const Stmt& s) {
  std::weak_ptr<Scope> closure = scope_;
  const Stmt* def = &s;
  Value caller =
      Value::Function(FunctionKind::kMacro, "caller", [def, closure](Interpreter& in, CallArgs& a) {
        return in.CallMacro(*def, closure, a, "caller");
      });
  const Expr& call = *s.expr;
  const Value callee = Eval(*call.args[0]);
  CallArgs args = EvalArgs(call, 1);
  args.kw.emplace_back("caller", std::move(caller));
  Value result;
  try {
    result = Call(callee, args);
  } catch (const PendingError& e) {
    Raise(call.pos, e.code(), e.what());
  }
  Write(PyStr(result));
}

// ref: jinja2 runtime.Macro.__call__: positional arguments first, then keywords for the
// remaining parameters; caller, varargs and kwargs only when the body mentions them.
std::shared_ptr<Scope> Interpreter::BindMacroArgs(const Stmt& def, std::shared_ptr<Scope> parent,
                                                  CallArgs& args, const std::string& name) {
  const MacroSignature& sig = *def.signature;
  const size_t nparams = sig.params.size();
  std::shared_ptr<Scope> scope = NewScope(def.frame.get(), std::move(parent));
  for (size_t i = 0; i < nparams && i < args.pos.size(); ++i) {
    scope->vars[sig.params[i]] = args.pos[i];
  }
  auto take_kw = [&args](const std::string& key, Value* out) {
    for (auto it = args.kw.begin(); it != args.kw.end(); ++it) {
      if (it->first == key) {
        *out = std::move(it->second);
        args.kw.erase(it);
        return true;
      }
    }
    return false;
  };
  bool found_caller = false;
  for (size_t i = args.pos.size(); i < nparams; ++i) {
    Value v;
    if (take_kw(sig.params[i], &v)) scope->vars[sig.params[i]] = std::move(v);
    if (sig.params[i] == "caller") found_caller = true;
  }
  if (args.pos.size() >= nparams) {
    for (const auto& p : sig.params) found_caller = found_caller || p == "caller";
  }
  if (sig.uses_caller && !found_caller) {
    Value caller;
    if (!take_kw("caller", &caller)) caller = Value::Undefined("No caller defined");
    scope->vars["caller"] = std::move(caller);
  }
  if (sig.uses_kwargs) {
    auto kw = std::make_shared<DictObj>();
    for (auto& [k, v] : args.kw) kw->Set(Value::Str(k), std::move(v));
    scope->vars["kwargs"] = Value::Dict(std::move(kw));
  } else if (!args.kw.empty()) {
    Fail("macro '" + name + "' takes no keyword argument '" + args.kw[0].first + "'");
  }
  if (sig.uses_varargs) {
    std::vector<Value> rest;
    for (size_t i = nparams; i < args.pos.size(); ++i) rest.push_back(args.pos[i]);
    scope->vars["varargs"] = Value::Tuple(std::move(rest));
  } else if (args.pos.size() > nparams) {
    Fail("macro '" + name + "' takes not more than " + std::to_string(nparams) + " argument(s)");
  }
  return scope;
}

Value Interpreter::CallMacro(const Stmt& def, const std::weak_ptr<Scope>& closure, CallArgs& args,
                             const std::string& name) {
  std::shared_ptr<Scope> parent = closure.lock();
  if (!parent) Unsupported("calling macro '" + name + "' after its defining scope ended");
  if (call_depth_ >= limits_.max_call_depth) Fail("maximum macro recursion depth exceeded");
  std::shared_ptr<Scope> scope = BindMacroArgs(def, std::move(parent), args, name);
  ++call_depth_;
  struct DepthRestore {
    int& depth;
    ~DepthRestore() { --depth; }
  } restore{call_depth_};
  ScopeSwap swap(*this, scope);
  // Missing parameters take their defaults, evaluated inside the macro so that a default may
  // use an earlier parameter; without a default they are undefined.
  const MacroSignature& sig = *def.signature;
  const size_t nparams = sig.params.size();
  const size_t first_default = nparams - sig.defaults.size();
  for (size_t i = 0; i < nparams; ++i) {
    if (scope->vars.count(sig.params[i])) continue;
    scope->vars[sig.params[i]] =
        i >= first_default ? Eval(*sig.defaults[i - first_default])
                           : Value::Undefined("parameter '" + sig.params[i] + "' was not provided");
  }
  OutputCapture capture(*this);
  Exec(*def.body);
  return MakeStr(std::move(capture.text()));
}

}  // namespace exaone::tmpl
