// Python attributes of the builtin types a template holds: str, list, tuple, dict, range, the
// dict views and numbers. Methods come back bound to their object, ready to call.
#pragma once

#include <string>

#include "template/value.h"

namespace exaone::tmpl {

class Interpreter;

// Sets *out and returns true when Python's getattr(obj, name) succeeds. Methods that mutate a
// list or dict exist in Python but Hugging Face's immutable sandbox hides them: *out is then an
// Undefined that fails when called. Python methods this engine does not implement are bound
// functions that raise kUnsupported when called.
bool LookupMethod(Interpreter& in, const Value& obj, const std::string& name, Value* out);

// str methods (string_methods.cpp).
bool LookupStrMethod(const Value& self, const std::string& name, Value* out);

}  // namespace exaone::tmpl
