// Statement execution: output, control flow, assignment, macros and their scopes.
#include "template/interpreter.h"

#include "template/builtins.h"
#include "template/py_format.h"

namespace exaone::tmpl {

std::string FormatLocated(const std::string& template_name, SourcePos pos,
                          const std::string& message) {
  std::string out = template_name.empty() ? "" : template_name + ": ";
  return out + "template line " + std::to_string(pos.line) + ", column " +
         std::to_string(pos.column) + ": " + message;
}

Interpreter::Interpreter(const std::string& template_name, const RenderLimits& limits,
                         Variables variables)
    : name_(template_name), limits_(limits), variables_(std::move(variables)) {}

Interpreter::~Interpreter() {
  // Hold every namespace first, so that emptying one never frees a chain of others recursively.
  std::vector<std::shared_ptr<DictObj>> alive;
  for (auto& weak : namespaces_) {
    if (auto ns = weak.lock()) alive.push_back(std::move(ns));
  }
  for (auto& ns : alive) ns->Clear();
}

std::string Interpreter::Render(const StmtList& body, const FrameInfo& root) {
  std::string out;
  out_ = &out;
  scope_ = NewScope(&root, nullptr);
  Exec(body);
  out_ = nullptr;
  return out;
}

void Interpreter::Raise(SourcePos pos, ErrorCode code, const std::string& msg) const {
  throw exaone::Error(code, FormatLocated(name_, pos, msg));
}

void Interpreter::Charge(size_t bytes) {
  work_bytes_ += bytes;
  if (work_bytes_ > limits_.max_work_bytes) {
    Fail("the template built more than " + std::to_string(limits_.max_work_bytes) +
         " bytes of values (render limit)");
  }
}

void Interpreter::CountIteration() {
  if (++iterations_ > limits_.max_loop_iterations) {
    Fail("more than " + std::to_string(limits_.max_loop_iterations) +
         " loop iterations (render limit)");
  }
}

Value Interpreter::MakeStr(std::string s, bool safe) {
  Charge(s.size());
  return Value::Str(std::move(s), safe);
}

Value Interpreter::MakeList(std::vector<Value> items, SeqFlavor flavor) {
  Charge(items.size() * sizeof(Value));
  return Value::List(std::move(items), flavor);
}

Value Interpreter::NewNamespace(std::shared_ptr<DictObj> attrs) {
  Charge(64);
  namespaces_.push_back(attrs);
  return Value::Namespace(std::move(attrs));
}

void Interpreter::Write(std::string_view text) {
  output_bytes_ += text.size();
  if (output_bytes_ > limits_.max_output_bytes) {
    Fail("output larger than " + std::to_string(limits_.max_output_bytes) +
         " bytes (render limit)");
  }
  out_->append(text);
}

// jinja2 prints an expression it can evaluate at compile time as that constant (compiler
// _output_child_to_const), slices included; anything else is evaluated when rendering.
Value Interpreter::EvalPrinted(const Expr& e) {
  if (e.constant) {
    try {
      return EvalConstant(e);
    } catch (const exaone::Error&) {
      // Not constant after all, or it raises: evaluate it as jinja2's generated code would.
    }
  }
  return Eval(e);
}

Interpreter::Flow Interpreter::Exec(const StmtList& body) {
  for (const StmtPtr& s : body) {
    const Flow flow = ExecStmt(*s);
    if (flow != Flow::kNormal) return flow;
  }
  return Flow::kNormal;
}

Interpreter::Flow Interpreter::CaptureBody(const Stmt& s, std::string* text) {
  OutputCapture capture(*this);
  ScopeSwap swap(*this, NewScope(s.frame.get()));
  const Flow flow = Exec(*s.body);
  *text = std::move(capture.text());
  return flow;
}

bool Interpreter::Resolve(const std::string& name, Value* out) const {
  auto it = variables_.find(name);
  if (it != variables_.end()) {
    *out = it->second;
    return true;
  }
  return LookupGlobal(name, out);
}

std::shared_ptr<Scope> Interpreter::NewScope(const FrameInfo* frame,
                                             std::shared_ptr<Scope> parent) {
  auto scope = std::make_shared<Scope>();
  scope->frame = frame;
  for (const auto& [name, kind] : frame->loads) {
    Value v;
    if (kind == LoadKind::kResolve && Resolve(name, &v)) {
      scope->vars[name] = std::move(v);
    } else if (kind == LoadKind::kAlias) {
      // The value the enclosing frame's variable has now (jinja2 copies it on entry).
      for (const Scope* p = parent.get(); p; p = p->parent.get()) {
        if (!p->frame->refs.count(name)) continue;
        auto it = p->vars.find(name);
        if (it != p->vars.end()) scope->vars[name] = it->second;
        break;
      }
    }
  }
  scope->parent = std::move(parent);
  return scope;
}

Interpreter::Flow Interpreter::ExecStmt(const Stmt& s) {
  try {
    switch (s.kind) {
      case StmtKind::kData:
        Write(s.text);
        return Flow::kNormal;
      case StmtKind::kPrint:
        Write(PyStr(EvalPrinted(*s.expr)));
        return Flow::kNormal;
      case StmtKind::kIf:
        return Truthy(Eval(*s.expr)) ? Exec(*s.body) : Exec(s.else_body);
      case StmtKind::kFor:
        return ExecFor(s);
      case StmtKind::kSet:
        Assign(s.target, Eval(*s.expr));
        return Flow::kNormal;
      case StmtKind::kSetBlock:
      case StmtKind::kFilterBlock: {
        std::string text;
        const Flow flow = CaptureBody(s, &text);
        if (flow != Flow::kNormal) return flow;  // break/continue drop the block, as in jinja2
        Value value = Value::Str(std::move(text));
        if (s.filter) value = EvalFilter(*s.filter, &value);
        if (s.kind == StmtKind::kSetBlock) {
          Assign(s.target, value);
        } else {
          Write(PyStr(value));
        }
        return Flow::kNormal;
      }
      case StmtKind::kMacro:
        ExecMacro(s);
        return Flow::kNormal;
      case StmtKind::kCallBlock:
        ExecCallBlock(s);
        return Flow::kNormal;
      case StmtKind::kWith:
        return ExecWith(s);
      case StmtKind::kGeneration: {
        std::string text;
        CaptureBody(s, &text);
        Write(text);
        return Flow::kNormal;
      }
      case StmtKind::kBreak:
        return Flow::kBreak;
      case StmtKind::kContinue:
        return Flow::kContinue;
    }
  } catch (const PendingError& e) {
    Raise(s.pos, e.code(), e.what());
  }
  return Flow::kNormal;
}

Interpreter::Flow Interpreter::ExecFor(const Stmt& s) {
  std::vector<Value> items = Iterate(Eval(*s.expr));
  if (s.cond) {
    // `for x in xs if cond` filters before the loop starts, so loop.length counts kept items.
    std::vector<Value> kept;
    for (Value& item : items) {
      CountIteration();
      ScopeSwap swap(*this, NewScope(s.test_frame.get()));
      Assign(s.target, item);
      if (Truthy(Eval(*s.cond))) kept.push_back(std::move(item));
    }
    items = std::move(kept);
  }
  Charge(items.size() * sizeof(Value));
  auto loop = std::make_shared<LoopObj>();
  loop->items = std::make_shared<const std::vector<Value>>(std::move(items));
  const Value loop_value = Value::Loop(loop);
  // ref: jinja2 compiler.visit_For: the else branch runs unless some iteration reached the end
  // of the body; an iteration left by break or continue does not count.
  bool completed = false;
  for (size_t i = 0; i < loop->items->size(); ++i) {
    CountIteration();
    loop->index0 = i;
    ScopeSwap swap(*this, NewScope(s.frame.get()));
    scope_->vars["loop"] = loop_value;
    Assign(s.target, (*loop->items)[i]);
    const Flow flow = Exec(*s.body);
    if (flow == Flow::kBreak) break;
    completed = completed || flow == Flow::kNormal;
  }
  if (completed || s.else_body.empty()) return Flow::kNormal;
  ScopeSwap swap(*this, NewScope(s.else_frame.get()));
  return Exec(s.else_body);  // a break in the else branch belongs to an outer loop
}

Interpreter::Flow Interpreter::ExecWith(const Stmt& s) {
  // Values are evaluated in the enclosing scope, then bound in the new one.
  std::vector<Value> values;
  for (const ExprPtr& v : s.values) values.push_back(Eval(*v));
  ScopeSwap swap(*this, NewScope(s.frame.get()));
  for (size_t i = 0; i < values.size(); ++i) Assign(s.targets[i], values[i]);
  return Exec(*s.body);
}

void Interpreter::Assign(const Target& t, const Value& v) {
  switch (t.type) {
    case Target::Type::kName:
      scope_->vars[t.name] = v;
      return;
    case Target::Type::kTuple: {
      std::vector<Value> items = Iterate(v);
      if (items.size() < t.items.size()) {
        Fail("not enough values to unpack (expected " + std::to_string(t.items.size()) + ", got " +
             std::to_string(items.size()) + ")");
      }
      if (items.size() > t.items.size()) {
        Fail("too many values to unpack (expected " + std::to_string(t.items.size()) + ")");
      }
      for (size_t i = 0; i < items.size(); ++i) Assign(t.items[i], items[i]);
      return;
    }
    case Target::Type::kNamespaceAttr: {
      const Value ns = Lookup(t.name);
      if (ns.kind() != Kind::kNamespace) Fail("cannot assign attribute on non-namespace object");
      // Hugging Face's TemplateNamespace refuses underscore-prefixed attributes.
      if (!t.attr.empty() && t.attr[0] == '_') {
        Fail("chat templates cannot store underscore-prefixed attributes on a namespace");
      }
      ns.Dict().Set(Value::Str(t.attr), v);
      return;
    }
  }
}

}  // namespace exaone::tmpl
