// Attributes of list, tuple, dict, range, dict views, generators and numbers.
#include "template/methods.h"

#include "template/call_args.h"
#include "template/interpreter.h"

namespace exaone::tmpl {
namespace {

using Fn = std::function<Value(Interpreter&, CallArgs&)>;

Value Bound(const std::string& name, Fn fn) {
  return Value::Function(FunctionKind::kMethod, name, std::move(fn));
}

// ref: jinja2 sandbox._mutable_spec; ImmutableSandboxedEnvironment.is_safe_attribute.
Value UnsafeMutator(const Value& obj, const std::string& name) {
  return Value::Undefined("access to attribute '" + name + "' of '" + PyTypeName(obj) +
                          "' object is unsafe.");
}

Value UnimplementedMethod(const Value& obj, const std::string& name) {
  const std::string what = std::string(PyTypeName(obj)) + "." + name;
  return Bound(name, [what](Interpreter&, CallArgs&) -> Value { Unsupported(what + "()"); });
}

bool OneOf(const std::string& name, std::initializer_list<std::string_view> names) {
  for (std::string_view n : names) {
    if (n == name) return true;
  }
  return false;
}

int64_t IndexOf(const std::vector<Value>& items, const CallArgs& args, const char* fn) {
  BoundArgs a(fn, args, {"value", "start", "stop"}, 1, true);
  const int64_t len = static_cast<int64_t>(items.size());
  int64_t start = a.Int(1, 0), stop = a.Int(2, len);
  if (start < 0) start = std::max<int64_t>(start + len, 0);
  if (stop < 0) stop = std::max<int64_t>(stop + len, 0);
  for (int64_t i = start; i < std::min(stop, len); ++i) {
    if (PyEquals(items[static_cast<size_t>(i)], a.Get(0))) return i;
  }
  Fail(std::string(fn) + "(x): x not in sequence");
}

bool SeqMethod(const Value& obj, const std::string& name, Value* out) {
  const ListObj& l = obj.Seq();
  switch (l.flavor) {
    case SeqFlavor::kGenerator:
      if (OneOf(name, {"send", "throw", "close", "gi_code", "gi_frame", "gi_running",
                       "gi_yieldfrom", "gi_suspended"})) {
        *out = UnimplementedMethod(obj, name);
        return true;
      }
      return false;
    case SeqFlavor::kKeys:
    case SeqFlavor::kValues:
    case SeqFlavor::kItems:
      if (OneOf(name, {"mapping", "isdisjoint"})) {
        *out = UnimplementedMethod(obj, name);
        return true;
      }
      return false;
    case SeqFlavor::kRange:
      if (name == "start" || name == "stop" || name == "step") {
        *out = Value::Int(name == "start"  ? l.range_start
                          : name == "stop" ? l.range_stop
                                           : l.range_step);
        return true;
      }
      break;
    case SeqFlavor::kPlain:
      break;
  }
  const bool is_list = obj.kind() == Kind::kList && l.flavor == SeqFlavor::kPlain;
  if (is_list &&
      OneOf(name, {"append", "clear", "extend", "insert", "pop", "remove", "reverse", "sort"})) {
    *out = UnsafeMutator(obj, name);
    return true;
  }
  if (name == "count") {
    *out = Bound(name, [obj](Interpreter&, CallArgs& args) {
      BoundArgs a("count", args, {"value"}, 1, true);
      int64_t n = 0;
      for (const Value& v : obj.Seq().items) n += PyEquals(v, a.Get(0)) ? 1 : 0;
      return Value::Int(n);
    });
    return true;
  }
  if (name == "index") {
    *out = Bound(name, [obj](Interpreter&, CallArgs& args) {
      return Value::Int(IndexOf(obj.Seq().items, args, "index"));
    });
    return true;
  }
  if (is_list && name == "copy") {
    *out = Bound(name, [obj](Interpreter& in, CallArgs& args) {
      BoundArgs a("copy", args, {}, 0, true);
      return in.MakeList(obj.Seq().items);
    });
    return true;
  }
  return false;
}

bool DictMethod(const Value& obj, const std::string& name, Value* out) {
  if (OneOf(name, {"clear", "pop", "popitem", "setdefault", "update"})) {
    *out = UnsafeMutator(obj, name);
    return true;
  }
  if (name == "fromkeys") {
    *out = UnimplementedMethod(obj, name);
    return true;
  }
  if (name == "get") {
    *out = Bound(name, [obj](Interpreter&, CallArgs& args) {
      BoundArgs a("get", args, {"key", "default"}, 1, true);
      if (!IsHashable(a.Get(0))) {
        Fail(std::string("unhashable type: '") + PyTypeName(a.Get(0)) + "'");
      }
      const Value* v = obj.Dict().Find(a.Get(0));
      return v ? *v : a.Or(1, Value::None());
    });
    return true;
  }
  const SeqFlavor flavor = name == "keys"     ? SeqFlavor::kKeys
                           : name == "values" ? SeqFlavor::kValues
                           : name == "items"  ? SeqFlavor::kItems
                                              : SeqFlavor::kPlain;
  if (flavor != SeqFlavor::kPlain) {
    *out = Bound(name, [obj, flavor](Interpreter& in, CallArgs& args) {
      BoundArgs a(PyTypeName(obj), args, {}, 0, true);
      std::vector<Value> items;
      for (const auto& [k, v] : obj.Dict().entries()) {
        items.push_back(flavor == SeqFlavor::kKeys     ? k
                        : flavor == SeqFlavor::kValues ? v
                                                       : Value::Tuple({k, v}));
      }
      return in.MakeList(std::move(items), flavor);
    });
    return true;
  }
  if (name == "copy") {
    *out = Bound(name, [obj](Interpreter& in, CallArgs& args) {
      BoundArgs a("copy", args, {}, 0, true);
      auto copy = std::make_shared<DictObj>(obj.Dict());
      in.Charge(copy->size() * 2 * sizeof(Value));
      return Value::Dict(std::move(copy));
    });
    return true;
  }
  return false;
}

}  // namespace

bool LookupMethod(Interpreter& in, const Value& obj, const std::string& name, Value* out) {
  (void)in;
  switch (obj.kind()) {
    case Kind::kString:
      return LookupStrMethod(obj, name, out);
    case Kind::kList:
    case Kind::kTuple:
      return SeqMethod(obj, name, out);
    case Kind::kDict:
      return DictMethod(obj, name, out);
    case Kind::kBool:
    case Kind::kInt:
    case Kind::kFloat:
      if (OneOf(name,
                {"real", "imag", "numerator", "denominator", "conjugate", "bit_length", "bit_count",
                 "as_integer_ratio", "to_bytes", "from_bytes", "is_integer", "hex", "fromhex"})) {
        *out = UnimplementedMethod(obj, name);
        return true;
      }
      return false;
    default:
      return false;
  }
}

}  // namespace exaone::tmpl
