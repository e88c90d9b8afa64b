// jinja2's filters over sequences. map, select, reject, selectattr, rejectattr, unique, items,
// batch and reverse return generators in Python: printing one is an error here (Python would
// print an object address), iterating it works once, and it is always true.
//
// Unlike Python these filters run eagerly, when the filter is applied rather than when the
// generator is consumed; the values are the same because templates cannot mutate their inputs.
#include <algorithm>
#include <functional>
#include <unordered_map>

#include "template/builtins.h"
#include "template/call_args.h"
#include "template/interpreter.h"
#include "template/operators.h"
#include "template/py_format.h"
#include "template/unicode.h"

namespace exaone::tmpl {
namespace {

using Getter = std::function<Value(const Value&)>;

Value LowerIfString(Interpreter& in, const Value& v) {
  if (!v.IsString()) return v;
  return in.MakeStr(ToUtf8(PyLower(ToU32(v.AsStr()))), v.IsSafe());
}

// ref: jinja2 filters._prepare_attribute_parts: "a.0.b" looks up a, then item 0, then b.
std::vector<Value> AttributeParts(const Value& attribute) {
  std::vector<Value> parts;
  if (attribute.IsNone() || attribute.IsUndefined()) return parts;
  if (!attribute.IsString()) return {attribute};
  const std::string& s = attribute.AsStr();
  size_t start = 0;
  while (true) {
    const size_t dot = s.find('.', start);
    std::string part = s.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    const bool digits = !part.empty() && std::all_of(part.begin(), part.end(),
                                                     [](char c) { return c >= '0' && c <= '9'; });
    if (digits && part.size() < 19) {
      parts.push_back(Value::Int(std::stoll(part)));
    } else if (digits) {
      Unsupported("integers beyond 64 bits");
    } else {
      parts.push_back(Value::Str(std::move(part)));
    }
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return parts;
}

// ref: jinja2 filters.make_attrgetter.
Getter AttrGetter(Interpreter& in, const Value& attribute, bool ignore_case, Value fallback) {
  std::vector<Value> parts = AttributeParts(attribute);
  return [&in, parts, ignore_case, fallback](const Value& item) {
    Value v = item;
    for (const Value& part : parts) {
      v = in.GetItem(v, part);
      if (!fallback.IsNone() && v.IsUndefined()) v = fallback;
    }
    return ignore_case ? LowerIfString(in, v) : v;
  };
}

// ref: jinja2 filters.make_multi_attrgetter: "a,b" compares by a, then b.
Getter MultiAttrGetter(Interpreter& in, const Value& attribute, bool ignore_case) {
  std::vector<Getter> getters;
  if (attribute.IsString()) {
    const std::string& s = attribute.AsStr();
    size_t start = 0;
    while (true) {
      const size_t comma = s.find(',', start);
      getters.push_back(
          AttrGetter(in,
                     Value::Str(s.substr(
                         start, comma == std::string::npos ? std::string::npos : comma - start)),
                     ignore_case, Value::None()));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  } else {
    getters.push_back(AttrGetter(in, attribute, ignore_case, Value::None()));
  }
  return [getters](const Value& item) {
    std::vector<Value> keys;
    for (const Getter& g : getters) keys.push_back(g(item));
    return Value::List(std::move(keys));
  };
}

Value Generator(Interpreter& in, std::vector<Value> items) {
  return in.MakeList(std::move(items), SeqFlavor::kGenerator);
}

// ref: jinja2 filters.prepare_select_or_reject / select_or_reject.
Value SelectOrReject(Interpreter& in, const Value& v, CallArgs& args, bool select, bool attr) {
  if (!Truthy(v)) return Generator(in, {});
  size_t off = 0;
  Getter transform = [](const Value& x) { return x; };
  if (attr) {
    if (args.pos.empty()) Fail("Missing parameter for attribute name");
    transform = AttrGetter(in, args.pos[0], false, Value::None());
    off = 1;
  }
  std::function<bool(const Value&)> test;
  if (args.pos.size() > off) {
    const std::string name = PyStr(args.pos[off]);
    CallArgs test_args;
    test_args.pos.assign(args.pos.begin() + static_cast<std::ptrdiff_t>(off) + 1, args.pos.end());
    test_args.kw = args.kw;
    test = [&in, name, test_args](const Value& x) mutable {
      CallArgs a = test_args;
      return in.CallTest(name, x, a);
    };
  } else {
    test = [](const Value& x) { return Truthy(x); };
  }
  std::vector<Value> out;
  for (const Value& item : in.Iterate(v)) {
    in.CountIteration();
    if (test(transform(item)) == select) out.push_back(item);
  }
  return Generator(in, std::move(out));
}

template <typename Less>
void StableSort(std::vector<std::pair<Value, Value>>& keyed, bool reverse, Less less) {
  std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& x, const auto& y) {
    return reverse ? less(y.first, x.first) : less(x.first, y.first);
  });
}

size_t HashValue(const Value& v) {
  switch (v.kind()) {
    case Kind::kString:
      return std::hash<std::string>()(v.AsStr());
    case Kind::kBool:
    case Kind::kInt:
    case Kind::kFloat:
      return std::hash<double>()(v.AsFloat());  // equal numbers hash alike, as in Python
    case Kind::kTuple: {
      size_t h = 0x345678;
      for (const Value& item : v.Seq().items) h = h * 1000003 ^ HashValue(item);
      return h;
    }
    default:
      return static_cast<size_t>(v.kind());
  }
}

Value MinMax(Interpreter& in, const Value& v, CallArgs& args, bool max) {
  BoundArgs a(max ? "max" : "min", args, {"case_sensitive", "attribute"});
  std::vector<Value> items = in.Iterate(v);
  if (items.empty()) return Value::Undefined("No aggregated item, sequence was empty.");
  const bool ignore_case = !(a.Has(0) && Truthy(a.Get(0)));
  Getter key = AttrGetter(in, a.Or(1, Value::None()), ignore_case, Value::None());
  size_t best = 0;
  Value best_key = key(items[0]);
  for (size_t i = 1; i < items.size(); ++i) {
    Value k = key(items[i]);
    if (Compare(in, max ? Op::kGt : Op::kLt, k, best_key)) {
      best = i;
      best_key = std::move(k);
    }
  }
  return items[best];
}

}  // namespace

Value FilterMap(Interpreter& in, const Value& v, CallArgs& args) {
  if (!Truthy(v)) return Generator(in, {});
  Getter fn;
  bool by_attribute = false;
  for (const auto& [k, unused] : args.kw) by_attribute = by_attribute || k == "attribute";
  if (args.pos.empty() && by_attribute) {
    Value attribute, fallback = Value::None();
    for (const auto& [k, val] : args.kw) {
      if (k == "attribute") {
        attribute = val;
      } else if (k == "default") {
        fallback = val;
      } else {
        Fail("Unexpected keyword argument '" + k + "'");
      }
    }
    fn = AttrGetter(in, attribute, false, fallback);
  } else {
    if (args.pos.empty()) Fail("map requires a filter argument");
    const std::string name = PyStr(args.pos[0]);
    CallArgs rest;
    rest.pos.assign(args.pos.begin() + 1, args.pos.end());
    rest.kw = args.kw;
    fn = [&in, name, rest](const Value& item) {
      CallArgs a = rest;
      return in.CallFilter(name, item, a);
    };
  }
  std::vector<Value> out;
  for (const Value& item : in.Iterate(v)) {
    in.CountIteration();
    out.push_back(fn(item));
  }
  return Generator(in, std::move(out));
}

Value FilterSelect(Interpreter& in, const Value& v, CallArgs& a) {
  return SelectOrReject(in, v, a, true, false);
}
Value FilterReject(Interpreter& in, const Value& v, CallArgs& a) {
  return SelectOrReject(in, v, a, false, false);
}
Value FilterSelectAttr(Interpreter& in, const Value& v, CallArgs& a) {
  return SelectOrReject(in, v, a, true, true);
}
Value FilterRejectAttr(Interpreter& in, const Value& v, CallArgs& a) {
  return SelectOrReject(in, v, a, false, true);
}

Value FilterSort(Interpreter& in, const Value& v, CallArgs& args) {
  BoundArgs a("sort", args, {"reverse", "case_sensitive", "attribute"});
  const bool reverse = a.Has(0) && Truthy(a.Get(0));
  const bool ignore_case = !(a.Has(1) && Truthy(a.Get(1)));
  Getter key = MultiAttrGetter(in, a.Or(2, Value::None()), ignore_case);
  std::vector<std::pair<Value, Value>> keyed;
  for (const Value& item : in.Iterate(v)) keyed.emplace_back(key(item), item);
  StableSort(keyed, reverse, PyLess);
  std::vector<Value> out;
  for (auto& [k, item] : keyed) out.push_back(std::move(item));
  return in.MakeList(std::move(out));
}

Value FilterDictSort(Interpreter& in, const Value& v, CallArgs& args) {
  BoundArgs a("dictsort", args, {"case_sensitive", "by", "reverse"});
  if (v.IsUndefined()) FailUndefined(v);
  if (v.kind() != Kind::kDict)
    Fail(std::string("'") + PyTypeName(v) + "' object has no attribute 'items'");
  const bool ignore_case = !(a.Has(0) && Truthy(a.Get(0)));
  const std::string by = a.Has(1) ? PyStr(a.Get(1)) : "key";
  if (by != "key" && by != "value") Fail("You can only sort by either \"key\" or \"value\"");
  const bool reverse = a.Has(2) && Truthy(a.Get(2));
  std::vector<std::pair<Value, Value>> keyed;
  for (const auto& [k, val] : v.Dict().entries()) {
    const Value& sort_key = by == "key" ? k : val;
    keyed.emplace_back(ignore_case ? LowerIfString(in, sort_key) : sort_key,
                       Value::Tuple({k, val}));
  }
  StableSort(keyed, reverse, PyLess);
  std::vector<Value> out;
  for (auto& [k, item] : keyed) out.push_back(std::move(item));
  return in.MakeList(std::move(out));
}

Value FilterUnique(Interpreter& in, const Value& v, CallArgs& args) {
  BoundArgs a("unique", args, {"case_sensitive", "attribute"});
  const bool ignore_case = !(a.Has(0) && Truthy(a.Get(0)));
  Getter key = AttrGetter(in, a.Or(1, Value::None()), ignore_case, Value::None());
  std::unordered_map<size_t, std::vector<Value>> seen;
  std::vector<Value> out;
  for (const Value& item : in.Iterate(v)) {
    in.CountIteration();
    Value k = key(item);
    if (!IsHashable(k)) Fail(std::string("unhashable type: '") + PyTypeName(k) + "'");
    std::vector<Value>& bucket = seen[HashValue(k)];
    if (std::any_of(bucket.begin(), bucket.end(), [&](const Value& s) { return PyEquals(s, k); })) {
      continue;
    }
    bucket.push_back(std::move(k));
    out.push_back(item);
  }
  return Generator(in, std::move(out));
}

Value FilterMin(Interpreter& in, const Value& v, CallArgs& a) {
  return MinMax(in, v, a, false);
}
Value FilterMax(Interpreter& in, const Value& v, CallArgs& a) {
  return MinMax(in, v, a, true);
}

Value FilterSum(Interpreter& in, const Value& v, CallArgs& args) {
  BoundArgs a("sum", args, {"attribute", "start"});
  Value total = a.Or(1, Value::Int(0));
  if (total.IsString()) Fail("sum() can't sum strings [use ''.join(seq) instead]");
  Getter key = AttrGetter(in, a.Or(0, Value::None()), false, Value::None());
  for (const Value& item : in.Iterate(v)) total = BinaryOp(in, Op::kAdd, total, key(item));
  return total;
}

Value FilterBatch(Interpreter& in, const Value& v, CallArgs& args) {
  BoundArgs a("batch", args, {"linecount", "fill_with"}, 1);
  const int64_t linecount = a.Int(0, 0);
  const Value fill = a.Or(1, Value::None());
  std::vector<Value> out, tmp;
  for (const Value& item : in.Iterate(v)) {
    in.CountIteration();
    if (static_cast<int64_t>(tmp.size()) == linecount) {
      out.push_back(in.MakeList(std::move(tmp)));
      tmp.clear();
    }
    tmp.push_back(item);
  }
  if (!tmp.empty()) {
    if (!fill.IsNone()) {
      while (static_cast<int64_t>(tmp.size()) < linecount) {
        in.CountIteration();
        tmp.push_back(fill);
      }
    }
    out.push_back(in.MakeList(std::move(tmp)));
  }
  return Generator(in, std::move(out));
}

Value FilterJoin(Interpreter& in, const Value& v, CallArgs& args) {
  BoundArgs a("join", args, {"d", "attribute"});
  const std::string sep = a.Has(0) ? PyStr(a.Get(0)) : "";
  Getter key = AttrGetter(in, a.Or(1, Value::None()), false, Value::None());
  std::string out;
  bool first = true;
  for (const Value& item : in.Iterate(v)) {
    if (!first) out += sep;
    first = false;
    out += PyStr(a.Has(1) ? key(item) : item);
    in.Charge(sep.size());
  }
  return in.MakeStr(std::move(out));
}

Value FilterFirst(Interpreter& in, const Value& v, CallArgs& args) {
  BoundArgs a("first", args, {});
  if (v.IsFlavor(SeqFlavor::kGenerator)) {
    ListObj& g = v.Seq();
    if (g.consumed < g.items.size()) return g.items[g.consumed++];
  } else {
    std::vector<Value> items = in.Iterate(v);
    if (!items.empty()) return items.front();
  }
  return Value::Undefined("No first item, sequence was empty.");
}

Value FilterLast(Interpreter& in, const Value& v, CallArgs& args) {
  BoundArgs a("last", args, {});
  if (v.IsFlavor(SeqFlavor::kGenerator)) Fail("'generator' object is not reversible");
  if (!v.IsUndefined() && !v.IsString() && !v.IsSeq() && !v.IsDict()) {
    Fail(std::string("'") + PyTypeName(v) + "' object is not reversible");
  }
  std::vector<Value> items = in.Iterate(v);
  if (items.empty()) return Value::Undefined("No last item, sequence was empty.");
  return items.back();
}

Value FilterReverse(Interpreter& in, const Value& v, CallArgs& args) {
  BoundArgs a("reverse", args, {});
  if (v.IsString()) {
    std::u32string s = ToU32(v.AsStr());
    std::reverse(s.begin(), s.end());
    return in.MakeStr(ToUtf8(s), v.IsSafe());
  }
  if (!v.IsUndefined() && !v.IsSeq() && !v.IsDict()) Fail("argument must be iterable");
  const bool generator = v.IsFlavor(SeqFlavor::kGenerator);
  std::vector<Value> items = in.Iterate(v);
  std::reverse(items.begin(), items.end());
  // reversed() gives an iterator; a generator is not reversible and is listed first instead.
  return generator ? in.MakeList(std::move(items)) : Generator(in, std::move(items));
}

Value FilterItems(Interpreter& in, const Value& v, CallArgs& args) {
  BoundArgs a("items", args, {});
  if (v.IsUndefined()) return Generator(in, {});
  if (v.kind() != Kind::kDict) Fail("Can only get item pairs from a mapping.");
  std::vector<Value> out;
  for (const auto& [k, val] : v.Dict().entries()) out.push_back(Value::Tuple({k, val}));
  return Generator(in, std::move(out));
}

Value FilterList(Interpreter& in, const Value& v, CallArgs& args) {
  BoundArgs a("list", args, {});
  return in.MakeList(in.Iterate(v));
}

}  // namespace exaone::tmpl
