// How the template engine reports failures.
//
// Code deep inside the engine (a filter, a string method, Python formatting) does not know where in
// the template it was called from. It throws PendingError; the interpreter catches it at the
// innermost expression or statement being evaluated and rethrows exaone::Error naming
// "template line L, column C". PendingError never leaves the library.
#pragma once

#include <stdexcept>
#include <string>

#include "base/error.h"

// GCC 12 reports -Wrestrict inside libstdc++ for `"literal" + std::string&&` when inlined
// (https://gcc.gnu.org/bugzilla/show_bug.cgi?id=105651), a false positive this module's error
// messages trigger everywhere.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

namespace exaone::tmpl {

struct SourcePos {
  int line = 0;
  int column = 0;
};

class PendingError : public std::runtime_error {
 public:
  PendingError(ErrorCode code, const std::string& message)
      : std::runtime_error(message), code_(code) {}
  ErrorCode code() const { return code_; }

 private:
  ErrorCode code_;
};

// What jinja2 would raise as TypeError, ValueError, UndefinedError, ...: the template or its input
// is wrong. kBadConfig, because the CLI maps kInvalidArgument to a usage error.
[[noreturn]] inline void Fail(const std::string& message) {
  throw PendingError(ErrorCode::kBadConfig, message);
}
// Something jinja2 does that this engine deliberately does not (rather than rendering it wrongly).
[[noreturn]] inline void Unsupported(const std::string& message) {
  throw PendingError(ErrorCode::kUnsupported, message + " is not supported");
}

// "NAME: template line L, column C: MESSAGE" (NAME omitted when empty).
std::string FormatLocated(const std::string& template_name, SourcePos pos,
                          const std::string& message);

// Containers nested deeper than this (lists in lists, ...) are an error: every algorithm over
// values recurses, and Python would hit its recursion limit long before.
constexpr int kMaxNesting = 512;

}  // namespace exaone::tmpl
