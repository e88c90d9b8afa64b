// The values a template computes with, modelled on the Python objects jinja2 works with.
//
// Python semantics matter for byte-identical output: 1 == 1.0 == True, `/` on ints gives a float,
// printing a list shows repr() of its items, dict keys keep insertion order, Undefined prints as an
// empty string. Containers are shared by reference (like Python objects); Hugging Face renders in
// an immutable sandbox, so only namespace() objects are ever mutated after creation.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace exaone::tmpl {

class Value;
class Interpreter;
struct ListObj;
class DictObj;
struct CallArgs;
struct FunctionObj;
struct LoopObj;

enum class Kind : uint8_t {
  kUndefined,
  kNone,
  kBool,
  kInt,
  kFloat,
  kString,
  kList,
  kTuple,
  kDict,
  kNamespace,
  kFunction,
  kLoop,
};

// Python has several list-like types that print and behave differently from list.
enum class SeqFlavor : uint8_t {
  kPlain,      // list or tuple
  kRange,      // range(...): prints as "range(0, 3)"
  kKeys,       // dict.keys(): "dict_keys([...])", not subscriptable
  kValues,     // dict.values()
  kItems,      // dict.items()
  kGenerator,  // a filter's lazy result (map, select, ...): single use, cannot be printed
};

enum class FunctionKind : uint8_t { kMacro, kBuiltin, kMethod };

class Value {
 public:
  Value() = default;  // Undefined with no hint
  static Value Undefined(std::string hint);
  static Value None();
  static Value Bool(bool b);
  static Value Int(int64_t i);
  static Value Float(double d);
  static Value Str(std::string s, bool safe = false);
  static Value List(std::vector<Value> items, SeqFlavor flavor = SeqFlavor::kPlain);
  static Value Tuple(std::vector<Value> items);
  static Value Seq(std::shared_ptr<ListObj> obj, Kind kind);
  static Value Dict(std::shared_ptr<DictObj> obj);
  static Value Namespace(std::shared_ptr<DictObj> obj);
  static Value Function(FunctionKind kind, std::string name,
                        std::function<Value(Interpreter&, CallArgs&)> fn);
  static Value Loop(std::shared_ptr<LoopObj> obj);

  Kind kind() const { return kind_; }
  bool IsUndefined() const { return kind_ == Kind::kUndefined; }
  bool IsNone() const { return kind_ == Kind::kNone; }
  bool IsString() const { return kind_ == Kind::kString; }
  bool IsInt() const { return kind_ == Kind::kInt; }  // not bool
  bool IsNumber() const {
    return kind_ == Kind::kInt || kind_ == Kind::kFloat || kind_ == Kind::kBool;
  }
  bool IsSeq() const { return kind_ == Kind::kList || kind_ == Kind::kTuple; }
  bool IsDict() const { return kind_ == Kind::kDict; }

  bool AsBool() const { return bool_; }   // kBool
  int64_t AsInt() const { return int_; }  // kInt and kBool (as 0/1)
  double AsFloat() const;                 // any number
  const std::string& AsStr() const;       // kString; the hint for kUndefined
  bool IsSafe() const { return safe_; }   // a Markup string (|safe, |tojson|safe, ...)
  ListObj& Seq() const;                   // kList, kTuple
  DictObj& Dict() const;                  // kDict, kNamespace
  FunctionObj& Function() const;          // kFunction
  LoopObj& Loop() const;                  // kLoop
  const std::shared_ptr<void>& object() const { return obj_; }
  bool IsFlavor(SeqFlavor f) const;

 private:
  Kind kind_ = Kind::kUndefined;
  bool bool_ = false;
  bool safe_ = false;
  int64_t int_ = 0;
  double float_ = 0;
  std::shared_ptr<void> obj_;  // std::string, ListObj, DictObj, FunctionObj or LoopObj
};

struct ListObj {
  std::vector<Value> items;
  // How deeply lists, tuples and dicts nest inside this one (1 when none do). Value::Seq refuses
  // to build anything deeper than kMaxNesting, so recursive algorithms and destructors stay
  // shallow.
  int depth = 1;
  SeqFlavor flavor = SeqFlavor::kPlain;
  int64_t range_start = 0, range_stop = 0, range_step = 1;  // kRange, for repr()
  size_t consumed = 0;                                      // kGenerator: items already taken
};

// An insertion-ordered Python dict. String keys are indexed; other keys (ints, floats, tuples,
// None) are rare in templates and found by a linear scan with Python equality.
class DictObj {
 public:
  const Value* Find(const Value& key) const;
  const Value* FindStr(std::string_view key) const;
  // Inserts or replaces (keeping the position of an existing equal key). Throws PendingError
  // when the dict would nest deeper than kMaxNesting (namespaces do not count: see ContainerDepth).
  void Set(const Value& key, Value value);
  size_t size() const { return entries_.size(); }
  const std::vector<std::pair<Value, Value>>& entries() const { return entries_; }
  int depth() const { return depth_; }
  void Clear();

 private:
  std::vector<std::pair<Value, Value>> entries_;
  int depth_ = 1;
  std::unordered_map<std::string, size_t> str_index_;
};

struct CallArgs {
  std::vector<Value> pos;
  std::vector<std::pair<std::string, Value>> kw;
};

struct FunctionObj {
  FunctionKind kind = FunctionKind::kBuiltin;
  std::string name;
  std::function<Value(Interpreter&, CallArgs&)> call;
};

// The `loop` variable of a for loop; one object per loop, advanced in place like jinja2's.
struct LoopObj {
  std::shared_ptr<const std::vector<Value>> items;
  size_t index0 = 0;
  std::vector<Value> last_changed;  // loop.changed() state
  bool changed_called = false;
};

inline bool Value::IsFlavor(SeqFlavor f) const {
  return IsSeq() && Seq().flavor == f;
}

// Nesting depth of lists, tuples and dicts (0 for anything else, namespaces included: they are
// the only mutable objects and are emptied when a render ends, which breaks their chains).
int ContainerDepth(const Value& v);

// Python's type(x).__name__, for error messages ("'int' object is not iterable").
const char* PyTypeName(const Value& v);

bool Truthy(const Value& v);                    // Python bool(x)
bool PyEquals(const Value& a, const Value& b);  // Python ==
bool IsHashable(const Value& v);                // usable as a dict key or set member
size_t PyLen(const Value& v, bool* ok);         // len(x); *ok false when x has no len()

}  // namespace exaone::tmpl
