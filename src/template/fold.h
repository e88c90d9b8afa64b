// Constant folding with jinja2's semantics (see fold.cpp).
#pragma once

#include <string>

#include "template/ast.h"

namespace exaone::tmpl {

// Replaces every constant expression whose value jinja2 would fold by that value.
void FoldConstants(StmtList& body, const std::string& template_name);

}  // namespace exaone::tmpl
