// The parsed form of a template: expression and statement trees mirroring jinja2's nodes.
//
// One struct per tree (Expr, Stmt) with a kind tag keeps the evaluator a pair of switches; the
// comment on each kind says which fields it uses. Every node records its depth, so a hostile
// template cannot build a tree deep enough to overflow the stack while it is evaluated or freed.
#pragma once

#include <memory>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "template/errors.h"
#include "template/value.h"

namespace exaone::tmpl {

enum class ExprKind : uint8_t {
  kConst,     // value
  kName,      // name
  kList,      // args: items
  kTuple,     // args: items
  kDict,      // args: key0, value0, key1, value1, ...
  kGetAttr,   // args[0] . name
  kGetItem,   // args[0] [ args[1] ]
  kSlice,     // args: start, stop, step (each may be null); only as a kGetItem index
  kCall,      // args[0] ( args[1..] , kwargs )
  kFilter,    // args[0] | name ( args[1..], kwargs ); args[0] null for filter blocks
  kTest,      // args[0] is name ( args[1..], kwargs )
  kUnary,     // op args[0]: kNeg, kPos, kNot
  kBinary,    // args[0] op args[1]: arithmetic, kAnd, kOr
  kConcat,    // args joined with ~
  kCompare,   // args[0] ops[0] args[1] ops[1] args[2] ...
  kCondExpr,  // args[1] if args[0] else args[2] (args[2] may be null)
};

enum class Op : uint8_t {
  kAdd,
  kSub,
  kMul,
  kDiv,
  kFloorDiv,
  kMod,
  kPow,
  kNeg,
  kPos,
  kNot,
  kAnd,
  kOr,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kIn,
  kNotIn,
};

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  ExprKind kind = ExprKind::kConst;
  SourcePos pos;
  int depth = 1;
  // Whether jinja2 may fold this expression at compile time (see fold.cpp): no names or calls
  // among the operands it evaluates. `a and b` can fold with a name in b if a is falsy, so this
  // only says "worth trying"; evaluation decides.
  bool constant = false;
  Op op = Op::kAdd;
  std::vector<Op> ops;  // kCompare
  Value value;          // kConst
  std::string name;
  std::vector<ExprPtr> args;
  std::vector<std::pair<std::string, ExprPtr>> kwargs;
};

// An assignment target: a name, a tuple of targets (unpacking), or namespace.attr.
struct Target {
  enum class Type : uint8_t { kName, kTuple, kNamespaceAttr };
  Type type = Type::kName;
  SourcePos pos;
  std::string name;
  std::string attr;
  std::vector<Target> items;
};

enum class StmtKind : uint8_t {
  kData,         // text
  kPrint,        // {{ expr }}
  kIf,           // expr, body, else_body (elif is a nested kIf in else_body)
  kFor,          // target in expr [if cond], body, else_body
  kSet,          // target = expr
  kSetBlock,     // target, body, optional filter (a kFilter chain with a null input)
  kMacro,        // name(params = defaults), body
  kCallBlock,    // call: a kCall expr, params/defaults for caller(), body
  kFilterBlock,  // filter, body
  kWith,         // targets = values, body
  kGeneration,   // body (Hugging Face's {% generation %}: renders like a call block)
  kBreak,
  kContinue,
};

// How a frame's variable starts out each time the frame is entered (jinja2 idtracking.py):
// a parameter is bound by the construct (loop target, macro argument); kResolve reads the render
// variables and globals; kAlias copies the enclosing frame's variable of that name; kUndefined
// starts missing. A name read in a frame is the variable of the nearest frame declaring it.
enum class LoadKind : uint8_t { kParameter, kResolve, kAlias, kUndefined };

// The variables one frame declares (filled in by AnalyzeScopes, symbols.cpp).
struct FrameInfo {
  std::vector<std::pair<std::string, LoadKind>> loads;
  std::unordered_set<std::string> refs;
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using StmtList = std::vector<StmtPtr>;

struct MacroSignature {
  std::vector<std::string> params;
  std::vector<ExprPtr> defaults;  // for the last defaults.size() params
  bool uses_caller = false, uses_varargs = false, uses_kwargs = false;
};

struct Stmt {
  StmtKind kind = StmtKind::kData;
  SourcePos pos;
  std::string text;  // kData
  std::string name;  // kMacro
  ExprPtr expr;
  ExprPtr cond;    // kFor's filter
  ExprPtr filter;  // kSetBlock, kFilterBlock
  Target target;
  std::vector<Target> targets;                // kWith
  std::vector<ExprPtr> values;                // kWith
  std::shared_ptr<MacroSignature> signature;  // kMacro, kCallBlock (shared with closures)
  std::shared_ptr<StmtList> body;             // shared: macros keep their body alive
  StmtList else_body;
  // Frames (jinja2's scopes): of the body (kFor, kMacro, kCallBlock, kSetBlock, kFilterBlock,
  // kWith, kGeneration), of a for loop's else branch, and of its `if` filter.
  std::shared_ptr<FrameInfo> frame, else_frame, test_frame;
};

}  // namespace exaone::tmpl
