#include "template/operators.h"

#include <cmath>

#include "template/interpreter.h"
#include "template/py_format.h"

namespace exaone::tmpl {
namespace {

const char* OpSymbol(Op op) {
  switch (op) {
    case Op::kAdd:
      return "+";
    case Op::kSub:
      return "-";
    case Op::kMul:
      return "*";
    case Op::kDiv:
      return "/";
    case Op::kFloorDiv:
      return "//";
    case Op::kMod:
      return "%";
    case Op::kPow:
      return "**";
    case Op::kLt:
      return "<";
    case Op::kLe:
      return "<=";
    case Op::kGt:
      return ">";
    case Op::kGe:
      return ">=";
    default:
      return "?";
  }
}

[[noreturn]] void FailOperands(Op op, const Value& a, const Value& b) {
  Fail(std::string("unsupported operand type(s) for ") + OpSymbol(op) + ": '" + PyTypeName(a) +
       "' and '" + PyTypeName(b) + "'");
}

[[noreturn]] void FailOverflow() {
  Unsupported("integer arithmetic beyond 64 bits");
}

bool IsFloatOp(const Value& a, const Value& b) {
  return a.kind() == Kind::kFloat || b.kind() == Kind::kFloat;
}

// ref: CPython Objects/floatobject.c float_divmod / float_rem.
double FloatMod(double x, double y) {
  double mod = std::fmod(x, y);
  if (mod != 0) {
    if ((y < 0) != (mod < 0)) mod += y;
  } else {
    mod = std::copysign(0.0, y);
  }
  return mod;
}

double FloatFloorDiv(double x, double y) {
  double mod = std::fmod(x, y);
  double div = (x - mod) / y;
  if (mod != 0 && (y < 0) != (mod < 0)) div -= 1.0;
  if (div == 0) return std::copysign(0.0, x / y);
  double floordiv = std::floor(div);
  if (div - floordiv > 0.5) floordiv += 1.0;
  return floordiv;
}

Value Arithmetic(Op op, const Value& a, const Value& b) {
  if (IsFloatOp(a, b) || op == Op::kDiv) {
    const double x = a.AsFloat(), y = b.AsFloat();
    switch (op) {
      case Op::kAdd:
        return Value::Float(x + y);
      case Op::kSub:
        return Value::Float(x - y);
      case Op::kMul:
        return Value::Float(x * y);
      case Op::kDiv:
        if (y == 0) Fail("division by zero");
        return Value::Float(x / y);
      case Op::kFloorDiv:
        if (y == 0) Fail("float floor division by zero");
        return Value::Float(FloatFloorDiv(x, y));
      case Op::kMod:
        if (y == 0) Fail("float modulo");
        return Value::Float(FloatMod(x, y));
      case Op::kPow: {
        if (x == 0 && y < 0) Fail("0.0 cannot be raised to a negative power");
        if (x < 0 && std::isfinite(y) && y != std::floor(y)) {
          Unsupported("a negative number raised to a fractional power (complex result)");
        }
        const double r = std::pow(x, y);
        if (std::isinf(r) && std::isfinite(x) && std::isfinite(y))
          Fail("numerical result out of range");
        return Value::Float(r);
      }
      default:
        break;
    }
  }
  const int64_t x = a.AsInt(), y = b.AsInt();
  int64_t r = 0;
  switch (op) {
    case Op::kAdd:
      if (__builtin_add_overflow(x, y, &r)) FailOverflow();
      return Value::Int(r);
    case Op::kSub:
      if (__builtin_sub_overflow(x, y, &r)) FailOverflow();
      return Value::Int(r);
    case Op::kMul:
      if (__builtin_mul_overflow(x, y, &r)) FailOverflow();
      return Value::Int(r);
    case Op::kFloorDiv:
    case Op::kMod: {
      if (y == 0) Fail("integer division or modulo by zero");
      if (x == INT64_MIN && y == -1) FailOverflow();
      int64_t q = x / y, m = x % y;
      if (m != 0 && ((m < 0) != (y < 0))) {
        q -= 1;
        m += y;
      }
      return Value::Int(op == Op::kMod ? m : q);
    }
    case Op::kPow: {
      if (y < 0) {
        if (x == 0) Fail("0.0 cannot be raised to a negative power");
        return Value::Float(std::pow(static_cast<double>(x), static_cast<double>(y)));
      }
      int64_t result = 1, base = x, e = y;
      while (e > 0) {
        if (e & 1) {
          if (__builtin_mul_overflow(result, base, &result)) FailOverflow();
        }
        e >>= 1;
        if (e > 0 && __builtin_mul_overflow(base, base, &base)) FailOverflow();
      }
      return Value::Int(result);
    }
    default:
      break;
  }
  FailOperands(op, a, b);
}

// str * n, list * n, tuple * n.
Value Repeat(Interpreter& in, const Value& seq, int64_t n) {
  if (n < 0) n = 0;
  if (seq.IsString()) {
    const std::string& s = seq.AsStr();
    if (!s.empty() && static_cast<uint64_t>(n) > (uint64_t{1} << 40) / s.size()) {
      Fail("repeated string too large (render limit)");
    }
    in.Charge(s.size() * static_cast<size_t>(n));
    std::string out;
    out.reserve(s.size() * static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) out += s;
    return Value::Str(std::move(out), seq.IsSafe());
  }
  const std::vector<Value>& items = seq.Seq().items;
  if (!items.empty() && static_cast<uint64_t>(n) > (uint64_t{1} << 40) / items.size()) {
    Fail("repeated list too large (render limit)");
  }
  in.Charge(items.size() * static_cast<size_t>(n) * sizeof(Value));
  std::vector<Value> out;
  for (int64_t i = 0; i < n; ++i) out.insert(out.end(), items.begin(), items.end());
  return seq.kind() == Kind::kTuple ? Value::Tuple(std::move(out)) : Value::List(std::move(out));
}

bool IsPlainSeq(const Value& v, Kind kind) {
  return v.kind() == kind && v.Seq().flavor == SeqFlavor::kPlain;
}

Value Add(Interpreter& in, const Value& a, const Value& b) {
  if (a.IsString() && b.IsString()) {
    // Markup + str escapes the plain operand (markupsafe's __add__ / __radd__).
    const bool safe = a.IsSafe() || b.IsSafe();
    std::string left = safe && !a.IsSafe() ? HtmlEscape(a.AsStr()) : a.AsStr();
    left += safe && !b.IsSafe() ? HtmlEscape(b.AsStr()) : b.AsStr();
    return in.MakeStr(std::move(left), safe);
  }
  for (Kind k : {Kind::kList, Kind::kTuple}) {
    if (IsPlainSeq(a, k) && IsPlainSeq(b, k)) {
      std::vector<Value> items = a.Seq().items;
      items.insert(items.end(), b.Seq().items.begin(), b.Seq().items.end());
      in.Charge(items.size() * sizeof(Value));
      return k == Kind::kTuple ? Value::Tuple(std::move(items)) : Value::List(std::move(items));
    }
  }
  if (a.IsString() || b.IsString()) {
    const Value& other = a.IsString() ? b : a;
    Fail(std::string("can only concatenate str (not \"") + PyTypeName(other) + "\") to str");
  }
  FailOperands(Op::kAdd, a, b);
}

// Ordering of two values Python can order; throws TypeError otherwise.
bool Less(const Value& a, const Value& b, Op op) {
  if (a.IsUndefined()) FailUndefined(a);
  if (b.IsUndefined()) FailUndefined(b);
  auto apply = [op](auto x, auto y) {
    switch (op) {
      case Op::kLt:
        return x < y;
      case Op::kLe:
        return x <= y;
      case Op::kGt:
        return x > y;
      default:
        return x >= y;
    }
  };
  if (a.IsNumber() && b.IsNumber()) {
    if (!IsFloatOp(a, b)) return apply(a.AsInt(), b.AsInt());
    // long double holds every int64 exactly, so mixed comparisons are exact like Python's.
    auto widen = [](const Value& v) {
      return v.kind() == Kind::kFloat ? static_cast<long double>(v.AsFloat())
                                      : static_cast<long double>(v.AsInt());
    };
    return apply(widen(a), widen(b));
  }
  if (a.IsString() && b.IsString()) return apply(a.AsStr().compare(b.AsStr()), 0);
  for (Kind k : {Kind::kList, Kind::kTuple}) {
    if (IsPlainSeq(a, k) && IsPlainSeq(b, k)) {
      const auto& x = a.Seq().items;
      const auto& y = b.Seq().items;
      for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
        if (!PyEquals(x[i], y[i])) return Less(x[i], y[i], op);
      }
      return apply(x.size(), y.size());
    }
  }
  Fail(std::string("'") + OpSymbol(op) + "' not supported between instances of '" + PyTypeName(a) +
       "' and '" + PyTypeName(b) + "'");
}

}  // namespace

void FailUndefined(const Value& undefined) {
  const std::string& hint = undefined.AsStr();
  Fail(hint.empty() ? "undefined value" : hint);
}

Value BinaryOp(Interpreter& in, Op op, const Value& a, const Value& b) {
  if (op == Op::kMod && a.IsString()) Unsupported("printf-style formatting with %");
  if (a.IsUndefined()) FailUndefined(a);
  if (b.IsUndefined()) FailUndefined(b);
  if (a.IsNumber() && b.IsNumber()) return Arithmetic(op, a, b);
  if (op == Op::kAdd) return Add(in, a, b);
  if (op == Op::kMul) {
    const bool a_seq = a.IsString() || IsPlainSeq(a, Kind::kList) || IsPlainSeq(a, Kind::kTuple);
    const bool b_seq = b.IsString() || IsPlainSeq(b, Kind::kList) || IsPlainSeq(b, Kind::kTuple);
    if (a_seq && (b.kind() == Kind::kInt || b.kind() == Kind::kBool))
      return Repeat(in, a, b.AsInt());
    if (b_seq && (a.kind() == Kind::kInt || a.kind() == Kind::kBool))
      return Repeat(in, b, a.AsInt());
  }
  FailOperands(op, a, b);
}

Value UnaryOp(Op op, const Value& a) {
  if (op == Op::kNot) return Value::Bool(!Truthy(a));
  if (a.IsUndefined()) FailUndefined(a);
  if (!a.IsNumber()) {
    Fail(std::string("bad operand type for unary ") + (op == Op::kNeg ? "-" : "+") + ": '" +
         PyTypeName(a) + "'");
  }
  if (a.kind() == Kind::kFloat) return Value::Float(op == Op::kNeg ? -a.AsFloat() : a.AsFloat());
  if (op == Op::kPos) return Value::Int(a.AsInt());
  if (a.AsInt() == INT64_MIN) FailOverflow();
  return Value::Int(-a.AsInt());
}

bool Compare(Interpreter& in, Op op, const Value& a, const Value& b) {
  switch (op) {
    case Op::kEq:
      return PyEquals(a, b);
    case Op::kNe:
      return !PyEquals(a, b);
    case Op::kIn:
      return Contains(in, b, a);
    case Op::kNotIn:
      return !Contains(in, b, a);
    default:
      return Less(a, b, op);
  }
}

bool PyLess(const Value& a, const Value& b) {
  return Less(a, b, Op::kLt);
}

bool Contains(Interpreter& in, const Value& container, const Value& item) {
  switch (container.kind()) {
    case Kind::kUndefined:
      return false;  // iterating an Undefined yields nothing
    case Kind::kString:
      if (!item.IsString()) {
        Fail(std::string("'in <string>' requires string as left operand, not ") + PyTypeName(item));
      }
      return container.AsStr().find(item.AsStr()) != std::string::npos;
    case Kind::kList:
    case Kind::kTuple: {
      ListObj& l = container.Seq();
      if (l.flavor == SeqFlavor::kGenerator) {
        // `in` consumes a generator up to the first match.
        while (l.consumed < l.items.size()) {
          if (PyEquals(l.items[l.consumed++], item)) return true;
        }
        return false;
      }
      for (const Value& v : l.items) {
        if (PyEquals(v, item)) return true;
      }
      return false;
    }
    case Kind::kDict:
      if (!IsHashable(item)) Fail(std::string("unhashable type: '") + PyTypeName(item) + "'");
      return container.Dict().Find(item) != nullptr;
    default:
      (void)in;
      Fail(std::string("argument of type '") + PyTypeName(container) + "' is not iterable");
  }
}

}  // namespace exaone::tmpl
