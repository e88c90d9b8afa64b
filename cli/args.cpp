#include "args.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "base/error.h"

namespace exaone::cli {

Args::Args(int argc, char** argv, const std::set<std::string>& flags,
           const std::set<std::string>& options) {
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    if (a.size() > 1 && a[0] == '-' && !(a.size() > 1 && (isdigit(a[1])))) {
      std::string value;
      bool has_value = false;
      if (size_t eq = a.find('='); eq != std::string::npos) {
        value = a.substr(eq + 1);
        a = a.substr(0, eq);
        has_value = true;
      }
      if (flags.count(a)) {
        if (has_value) throw Error(ErrorCode::kInvalidArgument, a + " takes no value");
        flags_.insert(a);
      } else if (options.count(a)) {
        if (!has_value) {
          if (i + 1 >= argc) throw Error(ErrorCode::kInvalidArgument, a + " needs a value");
          value = argv[++i];
        }
        options_[a].push_back(value);
      } else {
        throw Error(ErrorCode::kInvalidArgument, "unknown option " + a);
      }
    } else {
      positional_.push_back(a);
    }
  }
}

std::optional<std::string> Args::Option(const std::string& name) const {
  auto it = options_.find(name);
  if (it == options_.end()) return std::nullopt;
  return it->second.back();
}

std::vector<std::string> Args::Options(const std::string& name) const {
  auto it = options_.find(name);
  return it == options_.end() ? std::vector<std::string>{} : it->second;
}

int64_t Args::IntOption(const std::string& name, int64_t fallback, int64_t lo, int64_t hi) const {
  auto v = Option(name);
  if (!v) return fallback;
  errno = 0;
  char* end = nullptr;
  long long n = std::strtoll(v->c_str(), &end, 10);
  if (v->empty() || *end != '\0' || errno == ERANGE || n < lo || n > hi) {
    throw Error(ErrorCode::kInvalidArgument, name + " must be an integer in [" +
                                                 std::to_string(lo) + ", " + std::to_string(hi) +
                                                 "], got \"" + *v + "\"");
  }
  return n;
}

void Args::ExpectPositional(size_t min, size_t max, const std::string& usage) const {
  if (positional_.size() < min || positional_.size() > max) {
    throw Error(ErrorCode::kInvalidArgument, "usage: " + usage);
  }
}

std::vector<int32_t> ParseIdList(const std::string& s) {
  std::vector<int32_t> ids;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    std::string item =
        s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    errno = 0;
    char* end = nullptr;
    long long v = std::strtoll(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || errno == ERANGE || v < 0 || v > INT32_MAX) {
      throw Error(ErrorCode::kInvalidArgument, "--ids: element " + std::to_string(ids.size()) +
                                                   " (\"" + item + "\") is not a token id");
    }
    ids.push_back(static_cast<int32_t>(v));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return ids;
}

std::string HumanBytes(uint64_t bytes) {
  char buf[32];
  if (bytes >= (1ull << 30)) {
    std::snprintf(buf, sizeof buf, "%.2f GiB", bytes / double(1ull << 30));
  } else if (bytes >= (1ull << 20)) {
    std::snprintf(buf, sizeof buf, "%.2f MiB", bytes / double(1ull << 20));
  } else if (bytes >= 1024) {
    std::snprintf(buf, sizeof buf, "%.1f KiB", bytes / 1024.0);
  } else {
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  }
  return buf;
}

std::optional<DType> CacheTypeOption(const Args& args) {
  auto v = args.Option("--cache-type");
  if (!v) return std::nullopt;
  if (*v == "f32" || *v == "F32") return DType::kF32;
  if (*v == "f16" || *v == "F16") return DType::kF16;
  throw Error(ErrorCode::kInvalidArgument, "--cache-type: expected f32 or f16, got '" + *v + "'");
}

Residency ResidencyOption(const Args& args) {
  const bool map = args.Flag("--mmap"), load = args.Flag("--no-mmap");
  if (map && load) {
    throw Error(ErrorCode::kInvalidArgument, "--mmap and --no-mmap cannot be given together");
  }
  return map ? Residency::kMap : load ? Residency::kLoad : Residency::kAuto;
}

}  // namespace exaone::cli
