// Binding call arguments to a Python-style signature, shared by filters, tests, methods and
// globals: positional parameters in order, then keywords, with Python's TypeErrors for too many,
// unknown or repeated arguments.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "template/errors.h"
#include "template/value.h"

namespace exaone::tmpl {

class BoundArgs {
 public:
  // `required` leading parameters must be given. With `positional_only` (most of Python's str
  // methods) keyword arguments are a TypeError.
  BoundArgs(std::string_view function, const CallArgs& args,
            std::initializer_list<std::string_view> params, size_t required = 0,
            bool positional_only = false)
      : function_(function), values_(params.size()), given_(params.size(), false) {
    if (args.pos.size() > params.size()) {
      Fail(std::string(function) + "() takes at most " + std::to_string(params.size()) +
           " argument(s) (" + std::to_string(args.pos.size()) + " given)");
    }
    for (size_t i = 0; i < args.pos.size(); ++i) {
      values_[i] = args.pos[i];
      given_[i] = true;
    }
    if (positional_only && !args.kw.empty()) {
      Fail(std::string(function) + "() takes no keyword arguments");
    }
    for (const auto& [key, value] : args.kw) {
      size_t i = 0;
      for (std::string_view p : params) {
        if (p == key) break;
        ++i;
      }
      if (i == params.size()) {
        Fail(std::string(function) + "() got an unexpected keyword argument '" + key + "'");
      }
      if (given_[i]) {
        Fail(std::string(function) + "() got multiple values for argument '" + key + "'");
      }
      values_[i] = value;
      given_[i] = true;
    }
    for (size_t i = 0; i < required; ++i) {
      if (!given_[i]) {
        Fail(std::string(function) + "() missing required argument '" +
             std::string(params.begin()[i]) + "'");
      }
    }
  }

  bool Has(size_t i) const { return given_[i]; }
  const Value& Get(size_t i) const { return values_[i]; }
  Value Or(size_t i, Value fallback) const { return given_[i] ? values_[i] : std::move(fallback); }

  // An integer argument (bool counts, as Python's __index__ does); `fallback` when absent.
  int64_t Int(size_t i, int64_t fallback) const {
    if (!given_[i]) return fallback;
    const Value& v = values_[i];
    if (v.kind() != Kind::kInt && v.kind() != Kind::kBool) {
      Fail(std::string("'") + PyTypeName(v) + "' object cannot be interpreted as an integer");
    }
    return v.AsInt();
  }

  // A string argument; absent or None gives `fallback` when `none_ok`.
  const std::string* Str(size_t i, bool none_ok = true) const {
    if (!given_[i] || (none_ok && values_[i].IsNone())) return nullptr;
    if (!values_[i].IsString()) {
      Fail(std::string(function_) + "() argument must be str, not " + PyTypeName(values_[i]));
    }
    return &values_[i].AsStr();
  }

 private:
  std::string_view function_;
  std::vector<Value> values_;
  std::vector<bool> given_;
};

}  // namespace exaone::tmpl
