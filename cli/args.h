// A small command-line parser: positional arguments and --flag [value] options, with errors
// that name the flag.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/dtype.h"
#include "base/mapped_file.h"

namespace exaone::cli {

class Args {
 public:
  // `flags` take no value, `options` take one. Anything else starting with '-' is an error.
  Args(int argc, char** argv, const std::set<std::string>& flags,
       const std::set<std::string>& options);

  const std::vector<std::string>& positional() const { return positional_; }
  bool Flag(const std::string& name) const { return flags_.count(name) > 0; }
  std::optional<std::string> Option(const std::string& name) const;  // the last one given
  std::vector<std::string> Options(const std::string& name) const;   // every one, in order
  int64_t IntOption(const std::string& name, int64_t fallback, int64_t lo, int64_t hi) const;
  // Requires exactly `n` positional arguments, named in `usage` for the error.
  void ExpectPositional(size_t min, size_t max, const std::string& usage) const;

 private:
  std::vector<std::string> positional_;
  std::set<std::string> flags_;
  std::map<std::string, std::vector<std::string>> options_;
};

// --cache-type f32|f16 when given (throws a usage error for anything else).
std::optional<DType> CacheTypeOption(const Args& args);

// --mmap (keep the weight files memory-mapped) or --no-mmap (read them into huge-page memory);
// kAuto when neither is given. Both at once is a usage error.
Residency ResidencyOption(const Args& args);

// Parses "1,2,3" into ids; throws Error naming the bad element.
std::vector<int32_t> ParseIdList(const std::string& s);
std::string HumanBytes(uint64_t bytes);

}  // namespace exaone::cli
