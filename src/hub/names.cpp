#include "hub/names.h"

#include <algorithm>
#include <cctype>

#include "base/error.h"
#include "hub/hub.h"

namespace exaone::hub {
namespace {

constexpr size_t kMaxRepoIdLength = 96;

bool IsNamePart(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (!std::isalnum(u) && c != '-' && c != '_' && c != '.') return false;
  }
  const auto first = static_cast<unsigned char>(s.front());
  const auto last = static_cast<unsigned char>(s.back());
  return (std::isalnum(first) || s.front() == '_') && (std::isalnum(last) || s.back() == '_');
}

}  // namespace

bool IsValidRepoId(const std::string& repo) {
  const size_t slash = repo.find('/');
  if (slash == std::string::npos || repo.size() > kMaxRepoIdLength) return false;
  if (repo.find("--") != std::string::npos || repo.find("..") != std::string::npos) return false;
  return IsNamePart(repo.substr(0, slash)) && IsNamePart(repo.substr(slash + 1));
}

bool IsSafeRelativePath(const std::string& path) {
  if (path.empty() || path.front() == '/') return false;
  size_t start = 0;
  while (true) {
    const size_t slash = path.find('/', start);
    const std::string part = path.substr(start, slash == std::string::npos ? slash : slash - start);
    if (part.empty() || part == "." || part == "..") return false;
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  for (char c : path) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == '\\') return false;
  }
  return true;
}

bool IsCommitHash(const std::string& s) {
  if (s.size() != 40) return false;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c)) && (c < 'a' || c > 'f')) return false;
  }
  return true;
}

bool IsSafeEtag(const std::string& etag) {
  if (etag.empty() || etag.size() > 128) return false;
  for (char c : etag) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  }
  return true;
}

std::string NormalizeEtag(std::string etag) {
  if (etag.rfind("W/", 0) == 0) etag.erase(0, 2);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  return etag;
}

std::string RepoFolderName(const std::string& repo) {
  std::string out = "models--";
  for (char c : repo) {
    if (c == '/') {
      out += "--";
    } else {
      out += c;
    }
  }
  return out;
}

std::string ToLower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::optional<RepoRef> ParseRepoRef(const std::string& arg) {
  // Paths people type for local files are never repository references, even when they do not
  // exist: that keeps a typo in a file name from turning into a download.
  if (arg.empty() || arg.front() == '/' || arg.front() == '.' || arg.front() == '~') {
    return std::nullopt;
  }
  const size_t colon = arg.find(':');
  RepoRef ref{arg.substr(0, colon), colon == std::string::npos ? "" : arg.substr(colon + 1)};
  if (std::count(ref.repo.begin(), ref.repo.end(), '/') != 1) return std::nullopt;
  const std::string lower = ToLower(ref.repo);
  for (const char* ext : {".gguf", ".safetensors", ".json", ".bin"}) {
    const std::string e = ext;
    if (lower.size() > e.size() && lower.compare(lower.size() - e.size(), e.size(), e) == 0) {
      return std::nullopt;
    }
  }
  if (!IsValidRepoId(ref.repo)) {
    throw Error(ErrorCode::kInvalidArgument,
                "\"" + ref.repo + "\" is neither an existing file nor a valid repository id " +
                    "(org/name: letters, digits, '-', '_', '.')");
  }
  if (colon != std::string::npos && (ref.quant.empty() || !IsSafeRelativePath(ref.quant) ||
                                     ref.quant.find(':') != std::string::npos)) {
    throw Error(ErrorCode::kInvalidArgument,
                "\"" + arg + "\": the part after ':' must be a quantization like Q4_K_M");
  }
  return ref;
}

}  // namespace exaone::hub
