// Attribute access, subscripts, slices and iteration with the semantics of Hugging Face's
// ImmutableSandboxedEnvironment: `a.b` tries the attribute then the item, `a[b]` the item then
// the attribute, failures give Undefined (which only errors when used), underscore attributes are
// unsafe, and methods that mutate lists or dicts are unavailable.
#include <algorithm>
#include <optional>

#include "template/interpreter.h"
#include "template/methods.h"
#include "template/operators.h"
#include "template/py_format.h"
#include "template/unicode.h"

namespace exaone::tmpl {
namespace {

// jinja2 runtime.object_type_repr, used in "'dict object' has no attribute 'x'".
std::string ObjectTypeRepr(const Value& v) {
  if (v.IsNone()) return "None";
  return std::string(PyTypeName(v)) + " object";
}

Value MissingAttribute(const Value& obj, const std::string& name) {
  return Value::Undefined("'" + ObjectTypeRepr(obj) + "' has no attribute '" + name + "'");
}

bool LoopAttribute(const Value& loop_value, const std::string& name, Value* out) {
  LoopObj& loop = loop_value.Loop();
  const auto& items = *loop.items;
  const int64_t length = static_cast<int64_t>(items.size());
  const int64_t i = static_cast<int64_t>(loop.index0);
  if (name == "index") {
    *out = Value::Int(i + 1);
  } else if (name == "index0") {
    *out = Value::Int(i);
  } else if (name == "revindex") {
    *out = Value::Int(length - i);
  } else if (name == "revindex0") {
    *out = Value::Int(length - i - 1);
  } else if (name == "first") {
    *out = Value::Bool(i == 0);
  } else if (name == "last") {
    *out = Value::Bool(i == length - 1);
  } else if (name == "length") {
    *out = Value::Int(length);
  } else if (name == "depth") {
    *out = Value::Int(1);
  } else if (name == "depth0") {
    *out = Value::Int(0);
  } else if (name == "previtem") {
    *out = i > 0 ? items[i - 1] : Value::Undefined("there is no previous item");
  } else if (name == "nextitem") {
    *out = i + 1 < length ? items[i + 1] : Value::Undefined("there is no next item");
  } else if (name == "cycle") {
    *out =
        Value::Function(FunctionKind::kBuiltin, "cycle", [loop_value](Interpreter&, CallArgs& a) {
          if (!a.kw.empty()) Fail("cycle() takes no keyword arguments");
          if (a.pos.empty()) Fail("no items for cycling given");
          return a.pos[loop_value.Loop().index0 % a.pos.size()];
        });
  } else if (name == "changed") {
    *out =
        Value::Function(FunctionKind::kBuiltin, "changed", [loop_value](Interpreter&, CallArgs& a) {
          if (!a.kw.empty()) Fail("changed() takes no keyword arguments");
          LoopObj& l = loop_value.Loop();
          const bool same =
              l.changed_called && PyEquals(Value::Tuple(l.last_changed), Value::Tuple(a.pos));
          l.changed_called = true;
          l.last_changed = a.pos;
          return Value::Bool(!same);
        });
  } else {
    return false;
  }
  return true;
}

// Python's getattr(obj, name) for the values a template can hold.
bool Attribute(Interpreter& in, const Value& obj, const std::string& name, Value* out) {
  if (name.size() > 4 && name.compare(0, 2, "__") == 0 &&
      name.compare(name.size() - 2, 2, "__") == 0) {
    // Python internals exist on every object, and the sandbox hides them all.
    *out = Value::Undefined("access to attribute '" + name + "' of '" + PyTypeName(obj) +
                            "' object is unsafe.");
    return true;
  }
  switch (obj.kind()) {
    case Kind::kNamespace:
      if (const Value* v = obj.Dict().FindStr(name)) {
        *out = *v;
        return true;
      }
      return false;
    case Kind::kLoop:
      return LoopAttribute(obj, name, out);
    case Kind::kFunction:
      if (obj.Function().kind == FunctionKind::kMacro &&
          (name == "name" || name == "arguments" || name == "defaults" || name == "caller" ||
           name == "catch_kwargs" || name == "catch_varargs")) {
        Unsupported("the macro attribute '" + name + "'");
      }
      return false;
    default:
      return LookupMethod(in, obj, name, out);
  }
}

// Python's obj[key]; false for what Python raises as TypeError or LookupError.
bool Item(Interpreter& in, const Value& obj, const Value& key, Value* out) {
  switch (obj.kind()) {
    case Kind::kDict:
      if (!IsHashable(key)) return false;
      if (const Value* v = obj.Dict().Find(key)) {
        *out = *v;
        return true;
      }
      return false;
    case Kind::kString: {
      if (key.kind() != Kind::kInt && key.kind() != Kind::kBool) return false;
      const std::string& s = obj.AsStr();
      const std::u32string cps = IsAscii(s) ? std::u32string() : ToU32(s);
      const int64_t len = static_cast<int64_t>(IsAscii(s) ? s.size() : cps.size());
      int64_t i = key.AsInt();
      if (i < 0) i += len;
      if (i < 0 || i >= len) return false;
      std::string ch;
      if (cps.empty()) {
        ch = s.substr(static_cast<size_t>(i), 1);
      } else {
        AppendUtf8(ch, cps[static_cast<size_t>(i)]);
      }
      *out = Value::Str(std::move(ch), obj.IsSafe());
      return true;
    }
    case Kind::kList:
    case Kind::kTuple: {
      const ListObj& l = obj.Seq();
      if (l.flavor != SeqFlavor::kPlain && l.flavor != SeqFlavor::kRange) return false;
      if (key.kind() != Kind::kInt && key.kind() != Kind::kBool) return false;
      const int64_t len = static_cast<int64_t>(l.items.size());
      int64_t i = key.AsInt();
      if (i < 0) i += len;
      if (i < 0 || i >= len) return false;
      *out = l.items[static_cast<size_t>(i)];
      return true;
    }
    default:
      (void)in;
      return false;
  }
}

struct SliceIndices {
  int64_t start, stop, step, count;
};

// ref: CPython PySlice_GetIndicesEx. nullopt when a bound is not an integer or None (TypeError).
std::optional<SliceIndices> ComputeSlice(int64_t length, const Value& start_v, const Value& stop_v,
                                         const Value& step_v) {
  auto as_int = [](const Value& v, std::optional<int64_t>* out) {
    if (v.IsNone()) return true;
    if (v.kind() != Kind::kInt && v.kind() != Kind::kBool) return false;
    *out = v.AsInt();
    return true;
  };
  std::optional<int64_t> start, stop, step;
  if (!as_int(start_v, &start) || !as_int(stop_v, &stop) || !as_int(step_v, &step)) {
    return std::nullopt;
  }
  const int64_t st = step.value_or(1);
  if (st == 0) Fail("slice step cannot be zero");
  const int64_t lower = st < 0 ? -1 : 0;
  const int64_t upper = st < 0 ? length - 1 : length;
  auto clamp = [&](std::optional<int64_t> v, int64_t fallback) {
    if (!v) return fallback;
    int64_t x = *v;
    if (x < 0) {
      x = x < -length ? lower : x + length;
      return std::max(x, lower);
    }
    return std::min(x, upper);
  };
  SliceIndices s;
  s.step = st;
  s.start = clamp(start, st < 0 ? upper : lower);
  s.stop = clamp(stop, st < 0 ? lower : upper);
  if (st > 0) {
    s.count = s.start < s.stop ? (s.stop - s.start - 1) / st + 1 : 0;
  } else {
    s.count = s.stop < s.start ? (s.start - s.stop - 1) / (-st) + 1 : 0;
  }
  return s;
}

}  // namespace

Value Interpreter::GetAttr(const Value& obj, const std::string& name) {
  if (obj.IsUndefined()) FailUndefined(obj);
  Value out;
  if (Attribute(*this, obj, name, &out)) return out;
  if (Item(*this, obj, Value::Str(name), &out)) return out;
  return MissingAttribute(obj, name);
}

Value Interpreter::GetAttrOnly(const Value& obj, const std::string& name) {
  if (obj.IsUndefined()) FailUndefined(obj);
  Value out;
  if (Attribute(*this, obj, name, &out)) return out;
  return MissingAttribute(obj, name);
}

Value Interpreter::GetItem(const Value& obj, const Value& key) {
  if (obj.IsUndefined()) FailUndefined(obj);
  Value out;
  if (Item(*this, obj, key, &out)) return out;
  if (key.IsString() && Attribute(*this, obj, key.AsStr(), &out)) return out;
  if (key.IsString()) return MissingAttribute(obj, key.AsStr());
  return Value::Undefined("'" + ObjectTypeRepr(obj) + "' has no element " + PyRepr(key));
}

Value Interpreter::GetSlice(const Value& obj, const Value& start, const Value& stop,
                            const Value& step, bool folded) {
  if (obj.IsUndefined()) FailUndefined(obj);
  auto type_error = [folded](const std::string& msg) {
    if (!folded) Fail(msg);
    return Value::Undefined(msg);
  };
  const bool seq = obj.IsSeq() &&
                   (obj.Seq().flavor == SeqFlavor::kPlain || obj.Seq().flavor == SeqFlavor::kRange);
  // jinja2 compiles slices to plain Python subscripts, bypassing the sandbox's getitem, so
  // every failure here is an error rather than an Undefined.
  if (obj.IsDict()) return type_error("unhashable type: 'slice'");
  if (!obj.IsString() && !seq) {
    return type_error(std::string("'") + PyTypeName(obj) + "' object is not subscriptable");
  }
  if (obj.IsString()) {
    const std::u32string cps = ToU32(obj.AsStr());
    auto s = ComputeSlice(static_cast<int64_t>(cps.size()), start, stop, step);
    if (!s) return type_error("slice indices must be integers or None or have an __index__ method");
    std::u32string out;
    for (int64_t i = 0, j = s->start; i < s->count; ++i, j += s->step) {
      out.push_back(cps[static_cast<size_t>(j)]);
    }
    return MakeStr(ToUtf8(out), obj.IsSafe());
  }
  const ListObj& l = obj.Seq();
  auto s = ComputeSlice(static_cast<int64_t>(l.items.size()), start, stop, step);
  if (!s) return type_error("slice indices must be integers or None or have an __index__ method");
  std::vector<Value> items;
  for (int64_t i = 0, j = s->start; i < s->count; ++i, j += s->step) {
    items.push_back(l.items[static_cast<size_t>(j)]);
  }
  if (obj.kind() == Kind::kTuple) return Value::Tuple(std::move(items));
  Value result = MakeList(std::move(items), l.flavor);
  if (l.flavor == SeqFlavor::kRange) {
    // ref: CPython rangeobject.c compute_slice: the slice maps back onto the range's arithmetic.
    ListObj& r = result.Seq();
    r.range_start = l.range_start + s->start * l.range_step;
    r.range_stop = l.range_start + s->stop * l.range_step;
    r.range_step = l.range_step * s->step;
  }
  return result;
}

std::vector<Value> Interpreter::Iterate(const Value& v) {
  switch (v.kind()) {
    case Kind::kUndefined:
      return {};
    case Kind::kString: {
      std::vector<Value> chars;
      for (char32_t c : ToU32(v.AsStr())) {
        std::string ch;
        AppendUtf8(ch, c);
        chars.push_back(Value::Str(std::move(ch)));
      }
      Charge(chars.size() * sizeof(Value));
      return chars;
    }
    case Kind::kList:
    case Kind::kTuple: {
      ListObj& l = v.Seq();
      if (l.flavor == SeqFlavor::kGenerator) {
        std::vector<Value> rest(l.items.begin() + static_cast<std::ptrdiff_t>(l.consumed),
                                l.items.end());
        l.consumed = l.items.size();
        return rest;
      }
      return l.items;
    }
    case Kind::kDict: {
      std::vector<Value> keys;
      for (const auto& [k, unused] : v.Dict().entries()) keys.push_back(k);
      return keys;
    }
    case Kind::kLoop:
      Unsupported("iterating over a loop object");
    default:
      Fail(std::string("'") + PyTypeName(v) + "' object is not iterable");
  }
}

}  // namespace exaone::tmpl
