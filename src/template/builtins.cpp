// The global functions of Hugging Face's chat template environment.
#include "template/builtins.h"

#include <cmath>
#include <ctime>

#include "template/call_args.h"
#include "template/interpreter.h"
#include "template/py_format.h"

namespace exaone::tmpl {
namespace {

// ref: jinja2 sandbox.MAX_RANGE: the sandbox refuses longer ranges.
constexpr int64_t kMaxRange = 100000;

Value Range(Interpreter& in, CallArgs& args) {
  if (!args.kw.empty()) Fail("range() takes no keyword arguments");
  if (args.pos.empty() || args.pos.size() > 3) {
    Fail("range expected at most 3 arguments, got " + std::to_string(args.pos.size()));
  }
  std::vector<int64_t> n;
  for (const Value& v : args.pos) {
    if (v.kind() != Kind::kInt && v.kind() != Kind::kBool) {
      Fail(std::string("'") + PyTypeName(v) + "' object cannot be interpreted as an integer");
    }
    n.push_back(v.AsInt());
  }
  const int64_t start = n.size() == 1 ? 0 : n[0];
  const int64_t stop = n.size() == 1 ? n[0] : n[1];
  const int64_t step = n.size() == 3 ? n[2] : 1;
  if (step == 0) Fail("range() arg 3 must not be zero");
  // Length computed in long double: start/stop/step may be anywhere in int64.
  const long double span =
      step > 0 ? static_cast<long double>(stop) - start : static_cast<long double>(start) - stop;
  const long double abs_step = step > 0 ? step : -static_cast<long double>(step);
  const long double len = span <= 0 ? 0 : std::floor((span - 1) / abs_step) + 1;
  if (len > kMaxRange) {
    Fail("Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).");
  }
  std::vector<Value> items;
  for (int64_t i = 0, v = start; i < static_cast<int64_t>(len); ++i, v += step) {
    items.push_back(Value::Int(v));
  }
  Value r = in.MakeList(std::move(items), SeqFlavor::kRange);
  r.Seq().range_start = start;
  r.Seq().range_stop = stop;
  r.Seq().range_step = step;
  return r;
}

// dict(*args, **kwargs): from a mapping or an iterable of pairs, then keywords.
std::shared_ptr<DictObj> BuildDict(Interpreter& in, CallArgs& args, const char* fn) {
  if (args.pos.size() > 1) {
    Fail(std::string(fn) + " expected at most 1 argument, got " + std::to_string(args.pos.size()));
  }
  auto d = std::make_shared<DictObj>();
  if (!args.pos.empty()) {
    const Value& src = args.pos[0];
    if (src.kind() == Kind::kDict) {
      for (const auto& [k, v] : src.Dict().entries()) d->Set(k, v);
    } else {
      size_t i = 0;
      for (const Value& pair : in.Iterate(src)) {
        std::vector<Value> kv = in.Iterate(pair);
        if (kv.size() != 2) {
          Fail("dictionary update sequence element #" + std::to_string(i) + " has length " +
               std::to_string(kv.size()) + "; 2 is required");
        }
        if (!IsHashable(kv[0])) Fail(std::string("unhashable type: '") + PyTypeName(kv[0]) + "'");
        d->Set(kv[0], kv[1]);
        ++i;
      }
    }
  }
  for (auto& [k, v] : args.kw) d->Set(Value::Str(k), v);
  in.Charge(d->size() * 2 * sizeof(Value));
  return d;
}

Value Namespace(Interpreter& in, CallArgs& args) {
  auto attrs = BuildDict(in, args, "namespace");
  for (const auto& [k, v] : attrs->entries()) {
    if (k.IsString() && !k.AsStr().empty() && k.AsStr()[0] == '_') {
      // Hugging Face's TemplateNamespace rejects underscore-prefixed attributes.
      Fail("chat templates cannot store underscore-prefixed attributes on a namespace, but got " +
           PyStrRepr(k.AsStr()));
    }
  }
  return in.NewNamespace(std::move(attrs));
}

Value RaiseException(Interpreter&, CallArgs& args) {
  BoundArgs a("raise_exception", args, {"message"}, 1);
  Fail(PyStr(a.Get(0)));
}

// datetime.now().strftime(fmt): C strftime plus the directives Python handles itself.
Value StrftimeNow(Interpreter& in, CallArgs& args) {
  BoundArgs a("strftime_now", args, {"format"}, 1);
  const std::string* fmt = a.Str(0, false);
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  std::tm tm{};
  localtime_r(&ts.tv_sec, &tm);
  std::string expanded;
  for (size_t i = 0; i < fmt->size(); ++i) {
    if ((*fmt)[i] == '%' && i + 1 < fmt->size()) {
      const char d = (*fmt)[i + 1];
      if (d == 'f') {
        char us[32];
        std::snprintf(us, sizeof us, "%06ld", static_cast<long>(ts.tv_nsec / 1000));
        expanded += us;
        ++i;
        continue;
      }
      if (d == 'z' || d == 'Z') {  // a naive datetime has no zone: both print as ""
        ++i;
        continue;
      }
      expanded += (*fmt)[i];
      expanded += d;
      ++i;
      continue;
    }
    expanded += (*fmt)[i];
  }
  std::string out(expanded.size() * 4 + 64, '\0');
  const size_t n =
      expanded.empty() ? 0 : std::strftime(out.data(), out.size(), expanded.c_str(), &tm);
  out.resize(n);
  return in.MakeStr(std::move(out));
}

Value Unimplemented(const std::string& name) {
  return Value::Function(FunctionKind::kBuiltin, name, [name](Interpreter&, CallArgs&) -> Value {
    Unsupported("the global '" + name + "'");
  });
}

}  // namespace

bool LookupGlobal(const std::string& name, Value* out) {
  if (name == "range") {
    *out = Value::Function(FunctionKind::kBuiltin, name, Range);
  } else if (name == "dict") {
    *out = Value::Function(FunctionKind::kBuiltin, name, [](Interpreter& in, CallArgs& a) {
      return Value::Dict(BuildDict(in, a, "dict"));
    });
  } else if (name == "namespace") {
    *out = Value::Function(FunctionKind::kBuiltin, name, Namespace);
  } else if (name == "raise_exception") {
    *out = Value::Function(FunctionKind::kBuiltin, name, RaiseException);
  } else if (name == "strftime_now") {
    *out = Value::Function(FunctionKind::kBuiltin, name, StrftimeNow);
  } else if (name == "lipsum" || name == "cycler" || name == "joiner") {
    *out = Unimplemented(name);
  } else {
    return false;
  }
  return true;
}

}  // namespace exaone::tmpl
