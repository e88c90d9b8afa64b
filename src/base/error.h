// Error handling for exaone.cpp.
//
// Two kinds of failure exist. Broken invariants inside the program are bugs: EXA_CHECK prints
// file:line and aborts, in every build type. Bad input (files, configs, requests) is expected:
// it raises exaone::Error carrying a code and a message that names what was wrong and where.
// Error is caught only at the boundary (CLI main, HTTP handler, foundry shard).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <utility>

namespace exaone {

enum class ErrorCode {
  kInvalidArgument,  // a flag or argument the user gave is wrong
  kNotFound,         // a file, tensor or key that must exist does not
  kBadFile,          // a model file is malformed (GGUF, safetensors)
  kBadConfig,        // config.json or metadata is inconsistent or unsupported
  kUnsupported,      // well-formed but not something we implement
  kIo,               // the operating system refused a read or write
};

const char* ErrorCodeName(ErrorCode code);

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, std::string message)
      : std::runtime_error(std::move(message)), code_(code) {}
  ErrorCode code() const { return code_; }

 private:
  ErrorCode code_;
};

[[noreturn]] void CheckFailed(const char* file, int line, const char* expr, const char* msg);

}  // namespace exaone

// Always-on invariant check (not for validating input: use exaone::Error for that).
#define EXA_CHECK(cond)                                                     \
  do {                                                                      \
    if (!(cond)) ::exaone::CheckFailed(__FILE__, __LINE__, #cond, nullptr); \
  } while (0)
#define EXA_CHECK_MSG(cond, msg)                                          \
  do {                                                                    \
    if (!(cond)) ::exaone::CheckFailed(__FILE__, __LINE__, #cond, (msg)); \
  } while (0)
