// What a Hugging Face chat template can call by name: the globals (range, dict, namespace,
// raise_exception, strftime_now), the filters and the tests. Each table lists every name jinja2
// knows; names this engine does not implement raise kUnsupported when used, never a wrong result.
#pragma once

#include <string>
#include <string_view>

#include "template/value.h"

namespace exaone::tmpl {

class Interpreter;

using FilterFn = Value (*)(Interpreter& in, const Value& input, CallArgs& args);
using TestFn = bool (*)(Interpreter& in, const Value& input, CallArgs& args);

bool LookupGlobal(const std::string& name, Value* out);
FilterFn FindFilter(std::string_view name);  // nullptr when jinja2 has no such filter
TestFn FindTest(std::string_view name);      // nullptr when jinja2 has no such test

// Filters over sequences (filters_seq.cpp), registered in the filter table.
Value FilterMap(Interpreter& in, const Value& v, CallArgs& args);
Value FilterSelect(Interpreter& in, const Value& v, CallArgs& args);
Value FilterReject(Interpreter& in, const Value& v, CallArgs& args);
Value FilterSelectAttr(Interpreter& in, const Value& v, CallArgs& args);
Value FilterRejectAttr(Interpreter& in, const Value& v, CallArgs& args);
Value FilterSort(Interpreter& in, const Value& v, CallArgs& args);
Value FilterDictSort(Interpreter& in, const Value& v, CallArgs& args);
Value FilterUnique(Interpreter& in, const Value& v, CallArgs& args);
Value FilterMin(Interpreter& in, const Value& v, CallArgs& args);
Value FilterMax(Interpreter& in, const Value& v, CallArgs& args);
Value FilterSum(Interpreter& in, const Value& v, CallArgs& args);
Value FilterBatch(Interpreter& in, const Value& v, CallArgs& args);
Value FilterJoin(Interpreter& in, const Value& v, CallArgs& args);
Value FilterFirst(Interpreter& in, const Value& v, CallArgs& args);
Value FilterLast(Interpreter& in, const Value& v, CallArgs& args);
Value FilterReverse(Interpreter& in, const Value& v, CallArgs& args);
Value FilterItems(Interpreter& in, const Value& v, CallArgs& args);
Value FilterList(Interpreter& in, const Value& v, CallArgs& args);

}  // namespace exaone::tmpl
