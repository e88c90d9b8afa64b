// Executes a parsed template against a set of variables, with jinja2's scoping rules:
// - a for loop body gets a fresh scope every iteration (sets inside do not survive it);
// - if blocks share the enclosing scope; macros, call blocks, with blocks get their own;
// - macros see the scope they were defined in (late-bound, like Python closures);
// - names resolve through the scopes, then the render variables, then the globals.
//
// The interpreter also enforces the limits that make hostile templates fail cleanly (RenderLimits).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "template/ast.h"
#include "template/value.h"

namespace exaone::tmpl {

struct RenderLimits {
  size_t max_output_bytes = size_t{64} << 20;
  // Bytes of strings and list slots created while rendering, all told: bounds time and memory
  // for templates that build ever larger values in loops.
  size_t max_work_bytes = size_t{1} << 30;
  uint64_t max_loop_iterations = 1000000;
  int max_call_depth = 100;  // nested macro calls
};

// One live instance of a frame (FrameInfo): a for-loop iteration, a macro call, the template.
// `vars` holds the frame's variables that have a value; a declared name absent from it is
// "missing" and reads as Undefined.
struct Scope {
  std::shared_ptr<Scope> parent;
  const FrameInfo* frame = nullptr;
  std::unordered_map<std::string, Value> vars;
};

using Variables = std::unordered_map<std::string, Value>;

class Interpreter {
 public:
  Interpreter(const std::string& template_name, const RenderLimits& limits, Variables variables);
  ~Interpreter();
  Interpreter(const Interpreter&) = delete;
  Interpreter& operator=(const Interpreter&) = delete;

  std::string Render(const StmtList& body, const FrameInfo& root);
  // Evaluates a constant expression the way jinja2 folds it at compile time (slices leniently).
  Value EvalConstant(const Expr& e);

  // Services for filters, tests, methods and globals (they throw PendingError on failure).
  Value Call(const Value& callee, CallArgs& args);
  Value CallFilter(const std::string& name, const Value& input, CallArgs& args);
  bool CallTest(const std::string& name, const Value& input, CallArgs& args);
  Value GetAttr(const Value& obj, const std::string& name);      // obj.name (sandboxed getattr)
  Value GetAttrOnly(const Value& obj, const std::string& name);  // no fallback to obj[name]
  Value GetItem(const Value& obj, const Value& key);             // obj[key] (sandboxed getitem)
  // obj[start:stop:step]. Failures raise, except for `folded` (constant) expressions, which
  // jinja2 evaluates through the sandbox's getitem and so turn into Undefined.
  Value GetSlice(const Value& obj, const Value& start, const Value& stop, const Value& step,
                 bool folded = false);
  std::vector<Value> Iterate(const Value& v);       // list(iter(v)); consumes generators
  Value MakeStr(std::string s, bool safe = false);  // charges the work budget
  Value MakeList(std::vector<Value> items, SeqFlavor flavor = SeqFlavor::kPlain);
  void Charge(size_t bytes);
  void CountIteration();
  Value NewNamespace(std::shared_ptr<DictObj> attrs);

 private:
  enum class Flow { kNormal, kBreak, kContinue };
  class ScopeSwap;
  class OutputCapture;

  Flow Exec(const StmtList& body);
  Flow ExecStmt(const Stmt& s);
  Flow ExecFor(const Stmt& s);
  void ExecSetBlock(const Stmt& s);
  void ExecMacro(const Stmt& s);
  void ExecCallBlock(const Stmt& s);
  Flow ExecWith(const Stmt& s);
  void Assign(const Target& t, const Value& v);
  void Write(std::string_view text);
  Flow CaptureBody(const Stmt& s, std::string* text);  // the body in its frame, own output
  // Enters `frame` below `parent`, initialising its variables as jinja2 does (LoadKind).
  std::shared_ptr<Scope> NewScope(const FrameInfo* frame, std::shared_ptr<Scope> parent);
  std::shared_ptr<Scope> NewScope(const FrameInfo* frame) { return NewScope(frame, scope_); }
  bool Resolve(const std::string& name, Value* out) const;  // render variables, then globals
  Value CallMacro(const Stmt& def, const std::weak_ptr<Scope>& closure, CallArgs& args,
                  const std::string& name);
  std::shared_ptr<Scope> BindMacroArgs(const Stmt& def, std::shared_ptr<Scope> parent,
                                       CallArgs& args, const std::string& name);

  Value Eval(const Expr& e);
  Value EvalPrinted(const Expr& e);
  Value EvalInner(const Expr& e);
  Value EvalCompare(const Expr& e);
  Value EvalGetItem(const Expr& e);
  Value EvalCall(const Expr& e);
  Value EvalFilter(const Expr& e, const Value* block_input);
  CallArgs EvalArgs(const Expr& e, size_t first);
  Value Lookup(const std::string& name);
  [[noreturn]] void Raise(SourcePos pos, ErrorCode code, const std::string& msg) const;

  const std::string& name_;
  const RenderLimits limits_;
  const Variables variables_;
  std::shared_ptr<Scope> scope_;
  std::string* out_ = nullptr;
  size_t output_bytes_ = 0;
  size_t work_bytes_ = 0;
  uint64_t iterations_ = 0;
  int call_depth_ = 0;
  bool folding_ = false;  // evaluating a constant expression (see fold.cpp)
  // Namespaces are the only mutable objects, so the only way to build reference cycles; they are
  // emptied when rendering ends so that every value is freed.
  std::vector<std::weak_ptr<DictObj>> namespaces_;
};

// Enters a scope for the lifetime of the object.
class Interpreter::ScopeSwap {
 public:
  ScopeSwap(Interpreter& in, std::shared_ptr<Scope> scope) : in_(in), saved_(std::move(in.scope_)) {
    in_.scope_ = std::move(scope);
  }
  ~ScopeSwap() { in_.scope_ = std::move(saved_); }

 private:
  Interpreter& in_;
  std::shared_ptr<Scope> saved_;
};

// Sends output to a buffer of its own for the lifetime of the object (macros, set/filter blocks).
class Interpreter::OutputCapture {
 public:
  explicit OutputCapture(Interpreter& in) : in_(in), saved_(in.out_) { in_.out_ = &text_; }
  ~OutputCapture() { in_.out_ = saved_; }
  std::string& text() { return text_; }

 private:
  Interpreter& in_;
  std::string* saved_;
  std::string text_;
};

}  // namespace exaone::tmpl
