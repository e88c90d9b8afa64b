#include "template/value.h"

#include <algorithm>

#include "base/error.h"
#include "template/errors.h"
#include "template/unicode.h"

namespace exaone::tmpl {

Value Value::Undefined(std::string hint) {
  Value v;
  v.obj_ = std::make_shared<std::string>(std::move(hint));
  return v;
}

Value Value::None() {
  Value v;
  v.kind_ = Kind::kNone;
  return v;
}

Value Value::Bool(bool b) {
  Value v;
  v.kind_ = Kind::kBool;
  v.bool_ = b;
  v.int_ = b ? 1 : 0;
  return v;
}

Value Value::Int(int64_t i) {
  Value v;
  v.kind_ = Kind::kInt;
  v.int_ = i;
  return v;
}

Value Value::Float(double d) {
  Value v;
  v.kind_ = Kind::kFloat;
  v.float_ = d;
  return v;
}

Value Value::Str(std::string s, bool safe) {
  Value v;
  v.kind_ = Kind::kString;
  v.safe_ = safe;
  v.obj_ = std::make_shared<std::string>(std::move(s));
  return v;
}

Value Value::List(std::vector<Value> items, SeqFlavor flavor) {
  auto obj = std::make_shared<ListObj>();
  obj->items = std::move(items);
  obj->flavor = flavor;
  return Seq(std::move(obj), Kind::kList);
}

Value Value::Tuple(std::vector<Value> items) {
  auto obj = std::make_shared<ListObj>();
  obj->items = std::move(items);
  return Seq(std::move(obj), Kind::kTuple);
}

Value Value::Seq(std::shared_ptr<ListObj> obj, Kind kind) {
  EXA_CHECK(kind == Kind::kList || kind == Kind::kTuple);
  int depth = 0;
  for (const Value& item : obj->items) depth = std::max(depth, ContainerDepth(item));
  obj->depth = depth + 1;
  if (obj->depth > kMaxNesting) Fail("values nested too deeply");
  Value v;
  v.kind_ = kind;
  v.obj_ = std::move(obj);
  return v;
}

Value Value::Dict(std::shared_ptr<DictObj> obj) {
  Value v;
  v.kind_ = Kind::kDict;
  v.obj_ = std::move(obj);
  return v;
}

Value Value::Namespace(std::shared_ptr<DictObj> obj) {
  Value v;
  v.kind_ = Kind::kNamespace;
  v.obj_ = std::move(obj);
  return v;
}

Value Value::Function(FunctionKind kind, std::string name,
                      std::function<Value(Interpreter&, CallArgs&)> fn) {
  auto obj = std::make_shared<FunctionObj>();
  obj->kind = kind;
  obj->name = std::move(name);
  obj->call = std::move(fn);
  Value v;
  v.kind_ = Kind::kFunction;
  v.obj_ = std::move(obj);
  return v;
}

Value Value::Loop(std::shared_ptr<LoopObj> obj) {
  Value v;
  v.kind_ = Kind::kLoop;
  v.obj_ = std::move(obj);
  return v;
}

double Value::AsFloat() const {
  return kind_ == Kind::kFloat ? float_ : static_cast<double>(int_);
}

const std::string& Value::AsStr() const {
  static const std::string kEmpty;
  if (!obj_ || (kind_ != Kind::kString && kind_ != Kind::kUndefined)) return kEmpty;
  return *static_cast<const std::string*>(obj_.get());
}

ListObj& Value::Seq() const {
  EXA_CHECK(IsSeq());
  return *static_cast<ListObj*>(obj_.get());
}

DictObj& Value::Dict() const {
  EXA_CHECK(kind_ == Kind::kDict || kind_ == Kind::kNamespace);
  return *static_cast<DictObj*>(obj_.get());
}

FunctionObj& Value::Function() const {
  EXA_CHECK(kind_ == Kind::kFunction);
  return *static_cast<FunctionObj*>(obj_.get());
}

LoopObj& Value::Loop() const {
  EXA_CHECK(kind_ == Kind::kLoop);
  return *static_cast<LoopObj*>(obj_.get());
}

const Value* DictObj::Find(const Value& key) const {
  if (key.IsString()) return FindStr(key.AsStr());
  for (const auto& [k, v] : entries_) {
    if (!k.IsString() && PyEquals(k, key)) return &v;
  }
  return nullptr;
}

const Value* DictObj::FindStr(std::string_view key) const {
  auto it = str_index_.find(std::string(key));
  return it == str_index_.end() ? nullptr : &entries_[it->second].second;
}

int ContainerDepth(const Value& v) {
  switch (v.kind()) {
    case Kind::kList:
    case Kind::kTuple:
      return v.Seq().depth;
    case Kind::kDict:
      return v.Dict().depth();
    default:
      return 0;
  }
}

void DictObj::Set(const Value& key, Value value) {
  const int depth = 1 + std::max(ContainerDepth(key), ContainerDepth(value));
  if (depth > kMaxNesting) Fail("values nested too deeply");
  depth_ = std::max(depth_, depth);
  if (key.IsString()) {
    auto [it, inserted] = str_index_.emplace(key.AsStr(), entries_.size());
    if (!inserted) {
      entries_[it->second].second = std::move(value);
      return;
    }
    entries_.emplace_back(key, std::move(value));
    return;
  }
  for (auto& [k, v] : entries_) {
    if (!k.IsString() && PyEquals(k, key)) {
      v = std::move(value);
      return;
    }
  }
  entries_.emplace_back(key, std::move(value));
}

void DictObj::Clear() {
  entries_.clear();
  str_index_.clear();
}

const char* PyTypeName(const Value& v) {
  switch (v.kind()) {
    case Kind::kUndefined:
      return "Undefined";
    case Kind::kNone:
      return "NoneType";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kFloat:
      return "float";
    case Kind::kString:
      return v.IsSafe() ? "Markup" : "str";
    case Kind::kList:
      switch (v.Seq().flavor) {
        case SeqFlavor::kRange:
          return "range";
        case SeqFlavor::kKeys:
          return "dict_keys";
        case SeqFlavor::kValues:
          return "dict_values";
        case SeqFlavor::kItems:
          return "dict_items";
        case SeqFlavor::kGenerator:
          return "generator";
        case SeqFlavor::kPlain:
          return "list";
      }
      return "list";
    case Kind::kTuple:
      return "tuple";
    case Kind::kDict:
      return "dict";
    case Kind::kNamespace:
      return "Namespace";
    case Kind::kFunction:
      return v.Function().kind == FunctionKind::kMacro ? "Macro" : "function";
    case Kind::kLoop:
      return "LoopContext";
  }
  return "object";
}

bool Truthy(const Value& v) {
  switch (v.kind()) {
    case Kind::kUndefined:
    case Kind::kNone:
      return false;
    case Kind::kBool:
    case Kind::kInt:
      return v.AsInt() != 0;
    case Kind::kFloat:
      return v.AsFloat() != 0.0;
    case Kind::kString:
      return !v.AsStr().empty();
    case Kind::kList:
    case Kind::kTuple: {
      const ListObj& l = v.Seq();
      // A generator object is always true in Python, even when it will yield nothing.
      if (l.flavor == SeqFlavor::kGenerator) return true;
      return !l.items.empty();
    }
    case Kind::kDict:
      return v.Dict().size() > 0;
    case Kind::kNamespace:
    case Kind::kFunction:
    case Kind::kLoop:
      return true;
  }
  return true;
}

bool PyEquals(const Value& a, const Value& b) {
  if (a.IsNumber() && b.IsNumber()) {
    if (a.kind() == Kind::kFloat || b.kind() == Kind::kFloat) return a.AsFloat() == b.AsFloat();
    return a.AsInt() == b.AsInt();
  }
  if (a.kind() != b.kind()) {
    // list == tuple is False in Python; every other cross-kind pair is unequal too.
    return false;
  }
  switch (a.kind()) {
    case Kind::kUndefined:
    case Kind::kNone:
      return true;
    case Kind::kString:
      return a.AsStr() == b.AsStr();
    case Kind::kList:
    case Kind::kTuple: {
      const ListObj& x = a.Seq();
      const ListObj& y = b.Seq();
      if (&x == &y) return true;
      // range, list and the dict views are different types: never equal to each other.
      if (x.flavor != y.flavor || x.items.size() != y.items.size()) return false;
      if (x.flavor == SeqFlavor::kGenerator || x.flavor == SeqFlavor::kValues) return false;
      if (x.flavor == SeqFlavor::kKeys || x.flavor == SeqFlavor::kItems) {
        for (const Value& item : x.items) {  // views compare as sets
          bool found = false;
          for (const Value& other : y.items) found = found || PyEquals(item, other);
          if (!found) return false;
        }
        return true;
      }
      for (size_t i = 0; i < x.items.size(); ++i) {
        if (!PyEquals(x.items[i], y.items[i])) return false;
      }
      return true;
    }
    case Kind::kDict: {
      const DictObj& x = a.Dict();
      const DictObj& y = b.Dict();
      if (x.size() != y.size()) return false;
      for (const auto& [k, v] : x.entries()) {
        const Value* other = y.Find(k);
        if (!other || !PyEquals(v, *other)) return false;
      }
      return true;
    }
    default:
      return a.object() == b.object();  // identity, as for Python objects without __eq__
  }
}

bool IsHashable(const Value& v) {
  switch (v.kind()) {
    case Kind::kList:
    case Kind::kDict:
    case Kind::kNamespace:
      return false;
    case Kind::kTuple:
      for (const Value& item : v.Seq().items) {
        if (!IsHashable(item)) return false;
      }
      return true;
    default:
      return true;
  }
}

size_t PyLen(const Value& v, bool* ok) {
  *ok = true;
  switch (v.kind()) {
    case Kind::kUndefined:
      return 0;  // jinja2's Undefined defines __len__ as 0
    case Kind::kString:
      return CodepointCount(v.AsStr());
    case Kind::kList:
    case Kind::kTuple:
      if (v.Seq().flavor == SeqFlavor::kGenerator) break;
      return v.Seq().items.size();
    case Kind::kDict:
      return v.Dict().size();
    default:
      break;
  }
  *ok = false;
  return 0;
}

}  // namespace exaone::tmpl
