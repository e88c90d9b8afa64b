#include "hub/select.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>
#include <set>

#include "base/error.h"
#include "hub/names.h"

namespace exaone::hub {
namespace {

constexpr const char* kDefaultQuant = "Q4_K_M";

// Files of an HF model folder that loading, tokenizing and chatting need; weights come from
// every top-level *.safetensors.
constexpr const char* kHfFolderFiles[] = {
    "config.json",    "generation_config.json",  "model.safetensors.index.json",
    "tokenizer.json", "tokenizer_config.json",   "vocab.json",
    "merges.txt",     "special_tokens_map.json", "chat_template.jinja",
};

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string BaseName(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool IsGguf(const std::string& path) {
  return EndsWith(ToLower(path), ".gguf");
}

// Vision projectors ship beside the language model in GGUF repositories; they are not a model.
bool IsProjector(const std::string& path) {
  return ToLower(BaseName(path)).rfind("mmproj", 0) == 0;
}

// Parses llama.cpp's split naming "<prefix>-00001-of-00003.gguf" into its parts.
struct SplitName {
  std::string prefix;
  int index = 0;
  int count = 0;
};

bool ParseSplit(const std::string& path, SplitName* out) {
  static constexpr size_t kSuffix = sizeof("-00001-of-00003.gguf") - 1;
  if (path.size() <= kSuffix || !IsGguf(path)) return false;
  const std::string tail = path.substr(path.size() - kSuffix);
  auto digits = [&](size_t at) {
    for (size_t i = at; i < at + 5; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(tail[i]))) return false;
    }
    return true;
  };
  if (tail[0] != '-' || !digits(1) || tail.compare(6, 4, "-of-") != 0 || !digits(10)) return false;
  out->prefix = path.substr(0, path.size() - kSuffix);
  out->index = std::atoi(tail.substr(1, 5).c_str());
  out->count = std::atoi(tail.substr(10, 5).c_str());
  return out->index >= 1 && out->index <= out->count;
}

// A quantization-like token: Q4_K_M, IQ2_XXS, TQ1_0, F16, BF16, F32, MXFP4...
bool LooksLikeQuant(const std::string& token) {
  const std::string t = ToLower(token);
  auto digit_after = [&](size_t n) {
    return t.size() > n && std::isdigit(static_cast<unsigned char>(t[n]));
  };
  if (t == "f16" || t == "f32" || t == "bf16" || t == "fp16" || t == "fp32") return true;
  if (t.rfind("mxfp", 0) == 0) return true;
  return (t[0] == 'q' && digit_after(1)) ||
         ((t.rfind("iq", 0) == 0 || t.rfind("tq", 0) == 0) && digit_after(2));
}

std::string QuantOf(const std::string& path) {
  SplitName split;
  std::string stem = ParseSplit(path, &split) ? split.prefix : path.substr(0, path.size() - 5);
  stem = BaseName(stem);
  // Scan "-" / "." separated tokens from the end: the quant is usually the last one.
  size_t end = stem.size();
  while (end > 0) {
    const size_t sep = stem.find_last_of("-.", end - 1);
    const size_t begin = sep == std::string::npos ? 0 : sep + 1;
    const std::string token = stem.substr(begin, end - begin);
    if (!token.empty() && LooksLikeQuant(token)) return token;
    if (sep == std::string::npos) break;
    end = sep;
  }
  return BaseName(path);
}

// Groups .gguf files into models: a single file, or all parts of one split file.
struct GgufModel {
  std::vector<std::string> files;  // sorted; the first is the entry point
  std::string missing;             // non-empty when a split file lacks parts
};

std::vector<GgufModel> GroupGguf(const std::vector<std::string>& paths) {
  std::map<std::string, std::vector<std::string>> groups;
  std::map<std::string, int> counts;
  for (const auto& p : paths) {
    SplitName split;
    if (ParseSplit(p, &split)) {
      groups[split.prefix + "/split"].push_back(p);
      counts[split.prefix + "/split"] = split.count;
    } else {
      groups[p].push_back(p);
    }
  }
  std::vector<GgufModel> out;
  for (auto& [key, files] : groups) {
    std::sort(files.begin(), files.end());
    GgufModel m{files, ""};
    if (counts.count(key) && static_cast<int>(files.size()) != counts[key]) {
      m.missing = std::to_string(files.size()) + " of " + std::to_string(counts[key]) + " parts";
    }
    out.push_back(std::move(m));
  }
  return out;
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

Selection FromModel(const GgufModel& m, const std::string& quant, bool defaulted,
                    const std::string& repo) {
  if (!m.missing.empty()) {
    throw Error(ErrorCode::kNotFound,
                repo + ": split file " + m.files.front() + " is incomplete (" + m.missing + ")");
  }
  return Selection{ModelKind::kGguf, m.files, m.files.front(), quant, defaulted};
}

Selection SelectGguf(const std::vector<std::string>& ggufs, const std::string& quant,
                     bool defaulted, const std::string& repo) {
  std::vector<std::string> matching;
  for (const auto& f : ggufs) {
    // A tag ending in .gguf names the file itself, for repositories whose names defeat matching.
    const bool match = EndsWith(ToLower(quant), ".gguf")
                           ? ToLower(f) == ToLower(quant) || ToLower(BaseName(f)) == ToLower(quant)
                           : ContainsQuantTag(f, quant);
    if (match) matching.push_back(f);
  }
  const std::vector<GgufModel> models = GroupGguf(matching);
  if (models.empty()) {
    throw Error(ErrorCode::kNotFound, repo + " has no .gguf file for quantization " + quant +
                                          (defaulted ? " (the default)" : "") +
                                          "; available: " + Join(AvailableQuants(ggufs)) +
                                          " (pull " + repo + ":QUANT)");
  }
  if (models.size() > 1) {
    std::vector<std::string> names;
    for (const auto& m : models) names.push_back(m.files.front());
    throw Error(ErrorCode::kInvalidArgument, repo + ": several files match " + quant + ": " +
                                                 Join(names) + "; name one as " + repo +
                                                 ":FILE.gguf");
  }
  return FromModel(models[0], quant, defaulted, repo);
}

}  // namespace

bool ContainsQuantTag(const std::string& name, const std::string& tag) {
  const std::string n = ToLower(name), t = ToLower(tag);
  if (t.empty()) return false;
  for (size_t pos = n.find(t); pos != std::string::npos; pos = n.find(t, pos + 1)) {
    const size_t end = pos + t.size();
    const bool before = pos == 0 || std::string_view("-._/").find(n[pos - 1]) != std::string::npos;
    const bool after = end == n.size() || std::string_view("-./").find(n[end]) != std::string::npos;
    if (before && after) return true;
  }
  return false;
}

std::vector<std::string> AvailableQuants(const std::vector<std::string>& repo_files) {
  std::set<std::string> quants;
  for (const auto& f : repo_files) {
    if (IsGguf(f) && !IsProjector(f)) quants.insert(QuantOf(f));
  }
  return {quants.begin(), quants.end()};
}

Selection SelectFiles(const std::vector<std::string>& repo_files, const std::string& quant,
                      const std::string& repo) {
  std::vector<std::string> ggufs, safetensors;
  bool has_config = false;
  for (const auto& f : repo_files) {
    if (IsGguf(f) && !IsProjector(f)) ggufs.push_back(f);
    if (f.find('/') != std::string::npos) continue;  // folder files are top-level only
    if (f == "config.json") has_config = true;
    if (EndsWith(f, ".safetensors")) safetensors.push_back(f);
  }
  if (!quant.empty()) {
    if (ggufs.empty()) {
      throw Error(ErrorCode::kNotFound, repo + " has no .gguf files, so no quantization " + quant +
                                            " (pull " + repo + " without ':" + quant +
                                            "' for its safetensors)");
    }
    return SelectGguf(ggufs, quant, false, repo);
  }
  if (has_config && !safetensors.empty()) {
    Selection s{ModelKind::kHfFolder, {}, "", "", false};
    const std::set<std::string> present(repo_files.begin(), repo_files.end());
    for (const char* f : kHfFolderFiles) {
      if (present.count(f)) s.files.push_back(f);
    }
    std::sort(safetensors.begin(), safetensors.end());
    s.files.insert(s.files.end(), safetensors.begin(), safetensors.end());
    return s;
  }
  if (ggufs.empty()) {
    throw Error(ErrorCode::kNotFound,
                repo + " has neither .gguf files nor config.json with *.safetensors");
  }
  // One model in the repository needs no choice; otherwise the usual default.
  const std::vector<GgufModel> all = GroupGguf(ggufs);
  if (all.size() == 1) return FromModel(all[0], QuantOf(all[0].files.front()), true, repo);
  return SelectGguf(ggufs, kDefaultQuant, true, repo);
}

}  // namespace exaone::hub
