// jinja2's builtin tests (`x is defined`, `x is divisibleby 3`, ...). ref: jinja2/tests.py.
// Several follow Python's duck typing to surprising answers that templates may rely on:
// an Undefined is a sequence, iterable and callable; True is a number; a dict is a sequence.
#include <unordered_map>

#include "template/builtins.h"
#include "template/call_args.h"
#include "template/interpreter.h"
#include "template/operators.h"
#include "template/py_format.h"
#include "template/unicode.h"

namespace exaone::tmpl {
namespace {

bool NoArgs(const char* name, const CallArgs& args) {
  BoundArgs a(name, args, {});
  return true;
}

bool Modulo(Interpreter& in, const Value& v, const Value& divisor, int64_t expect) {
  return PyEquals(BinaryOp(in, Op::kMod, v, divisor), Value::Int(expect));
}

bool Odd(Interpreter& in, const Value& v, CallArgs& a) {
  return NoArgs("odd", a) && Modulo(in, v, Value::Int(2), 1);
}
bool Even(Interpreter& in, const Value& v, CallArgs& a) {
  return NoArgs("even", a) && Modulo(in, v, Value::Int(2), 0);
}
bool DivisibleBy(Interpreter& in, const Value& v, CallArgs& args) {
  BoundArgs a("divisibleby", args, {"num"}, 1);
  return Modulo(in, v, a.Get(0), 0);
}

bool Defined(Interpreter&, const Value& v, CallArgs& a) {
  return NoArgs("defined", a) && !v.IsUndefined();
}
bool Undefined(Interpreter&, const Value& v, CallArgs& a) {
  return NoArgs("undefined", a) && v.IsUndefined();
}
bool None(Interpreter&, const Value& v, CallArgs& a) {
  return NoArgs("none", a) && v.IsNone();
}
bool Boolean(Interpreter&, const Value& v, CallArgs& a) {
  return NoArgs("boolean", a) && v.kind() == Kind::kBool;
}
bool False(Interpreter&, const Value& v, CallArgs& a) {
  return NoArgs("false", a) && v.kind() == Kind::kBool && !v.AsBool();
}
bool True(Interpreter&, const Value& v, CallArgs& a) {
  return NoArgs("true", a) && v.kind() == Kind::kBool && v.AsBool();
}
bool Integer(Interpreter&, const Value& v, CallArgs& a) {
  return NoArgs("integer", a) && v.kind() == Kind::kInt;
}
bool Float(Interpreter&, const Value& v, CallArgs& a) {
  return NoArgs("float", a) && v.kind() == Kind::kFloat;
}
bool Number(Interpreter&, const Value& v, CallArgs& a) {
  return NoArgs("number", a) && v.IsNumber();
}
bool String(Interpreter&, const Value& v, CallArgs& a) {
  return NoArgs("string", a) && v.IsString();
}
bool Mapping(Interpreter&, const Value& v, CallArgs& a) {
  return NoArgs("mapping", a) && v.IsDict();
}
bool Escaped(Interpreter&, const Value& v, CallArgs& a) {
  return NoArgs("escaped", a) && v.IsSafe();
}

bool Lower(Interpreter&, const Value& v, CallArgs& a) {
  return NoArgs("lower", a) && PyIsLower(ToU32(PyStr(v)));
}
bool Upper(Interpreter&, const Value& v, CallArgs& a) {
  return NoArgs("upper", a) && PyIsUpper(ToU32(PyStr(v)));
}

// test_sequence: len(value) and value.__getitem__ both work.
bool Sequence(Interpreter&, const Value& v, CallArgs& a) {
  NoArgs("sequence", a);
  switch (v.kind()) {
    case Kind::kUndefined:
    case Kind::kString:
    case Kind::kDict:
      return true;
    case Kind::kList:
    case Kind::kTuple:
      return v.Seq().flavor == SeqFlavor::kPlain || v.Seq().flavor == SeqFlavor::kRange;
    default:
      return false;
  }
}

bool Iterable(Interpreter&, const Value& v, CallArgs& a) {
  NoArgs("iterable", a);
  switch (v.kind()) {
    case Kind::kUndefined:
    case Kind::kString:
    case Kind::kList:
    case Kind::kTuple:
    case Kind::kDict:
    case Kind::kLoop:
      return true;
    default:
      return false;
  }
}

bool Callable(Interpreter&, const Value& v, CallArgs& a) {
  NoArgs("callable", a);
  return v.kind() == Kind::kFunction || v.IsUndefined() || v.kind() == Kind::kLoop;
}

// `is sameas` is Python's `is`: exact for None, booleans and shared objects; for equal numbers
// and strings the answer depends on CPython's object caching, which this engine cannot mirror.
bool SameAs(Interpreter&, const Value& v, CallArgs& args) {
  BoundArgs a("sameas", args, {"other"}, 1);
  const Value& other = a.Get(0);
  if (v.kind() != other.kind()) return false;
  switch (v.kind()) {
    case Kind::kNone:
      return true;
    case Kind::kBool:
      return v.AsBool() == other.AsBool();
    case Kind::kInt:
    case Kind::kFloat:
    case Kind::kString:
      if (v.object() && v.object() == other.object()) return true;
      if (!PyEquals(v, other)) return false;
      Unsupported("'is sameas' on equal numbers or strings");
    default:
      return v.object() == other.object();
  }
}

bool In(Interpreter& in, const Value& v, CallArgs& args) {
  BoundArgs a("in", args, {"seq"}, 1);
  return Contains(in, a.Get(0), v);
}

template <Op op>
bool CompareTest(Interpreter& in, const Value& v, CallArgs& args) {
  BoundArgs a("compare", args, {"other"}, 1);
  return Compare(in, op, v, a.Get(0));
}

bool IsFilter(Interpreter&, const Value& v, CallArgs& a) {
  NoArgs("filter", a);
  return v.IsString() && FindFilter(v.AsStr()) != nullptr;
}

bool IsTest(Interpreter&, const Value& v, CallArgs& a) {
  NoArgs("test", a);
  return v.IsString() && FindTest(v.AsStr()) != nullptr;
}

const std::unordered_map<std::string_view, TestFn>& Tests() {
  static const auto* table = new std::unordered_map<std::string_view, TestFn>{
      {"odd", Odd},
      {"even", Even},
      {"divisibleby", DivisibleBy},
      {"defined", Defined},
      {"undefined", Undefined},
      {"filter", IsFilter},
      {"test", IsTest},
      {"none", None},
      {"boolean", Boolean},
      {"false", False},
      {"true", True},
      {"integer", Integer},
      {"float", Float},
      {"lower", Lower},
      {"upper", Upper},
      {"string", String},
      {"mapping", Mapping},
      {"number", Number},
      {"sequence", Sequence},
      {"iterable", Iterable},
      {"callable", Callable},
      {"sameas", SameAs},
      {"escaped", Escaped},
      {"in", In},
      {"==", CompareTest<Op::kEq>},
      {"eq", CompareTest<Op::kEq>},
      {"equalto", CompareTest<Op::kEq>},
      {"!=", CompareTest<Op::kNe>},
      {"ne", CompareTest<Op::kNe>},
      {">", CompareTest<Op::kGt>},
      {"gt", CompareTest<Op::kGt>},
      {"greaterthan", CompareTest<Op::kGt>},
      {"ge", CompareTest<Op::kGe>},
      {">=", CompareTest<Op::kGe>},
      {"<", CompareTest<Op::kLt>},
      {"lt", CompareTest<Op::kLt>},
      {"lessthan", CompareTest<Op::kLt>},
      {"<=", CompareTest<Op::kLe>},
      {"le", CompareTest<Op::kLe>},
  };
  return *table;
}

}  // namespace

TestFn FindTest(std::string_view name) {
  auto it = Tests().find(name);
  return it == Tests().end() ? nullptr : it->second;
}

bool Interpreter::CallTest(const std::string& name, const Value& input, CallArgs& args) {
  const TestFn fn = FindTest(name);
  if (!fn) Fail("no test named '" + name + "'");
  return fn(*this, input, args);
}

}  // namespace exaone::tmpl
