// jinja2 decides statically, per frame, which variable a name refers to and what it holds when
// the frame is entered. The results show in output: a name assigned at the top level *after* a
// loop that reads it is undefined inside that loop, even when the render variables define it;
// a `set` inside a loop body starts each iteration from the enclosing value. This pass replays
// jinja2's idtracking over the parsed template and stores a FrameInfo on every frame.
#pragma once

#include <memory>

#include "template/ast.h"

namespace exaone::tmpl {

// Fills the frames of every statement in `body` and returns the template's root frame.
std::shared_ptr<FrameInfo> AnalyzeScopes(StmtList& body);

}  // namespace exaone::tmpl
