// Python's operators over template values: arithmetic with int/float/bool promotion and floor
// semantics, string and list concatenation and repetition (with Markup escaping), ordering and
// membership. Failures throw PendingError worded like Python's TypeError / ZeroDivisionError.
#pragma once

#include "template/ast.h"
#include "template/value.h"

namespace exaone::tmpl {

class Interpreter;

Value BinaryOp(Interpreter& in, Op op, const Value& a, const Value& b);
Value UnaryOp(Op op, const Value& a);
// ==, !=, <, <=, >, >=, in, not in.
bool Compare(Interpreter& in, Op op, const Value& a, const Value& b);
bool PyLess(const Value& a, const Value& b);  // a < b, for sorting; TypeError for mixed types
bool Contains(Interpreter& in, const Value& container, const Value& item);

// Raises jinja2's UndefinedError for a value that was used but is undefined.
[[noreturn]] void FailUndefined(const Value& undefined);

}  // namespace exaone::tmpl
