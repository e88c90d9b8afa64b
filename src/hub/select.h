// Which files of a repository make up the model a reference asks for: the .gguf file(s) of one
// quantization, or the files of a Hugging Face model folder. Works on a listing from the hub as
// well as on a snapshot folder in the cache, so online and offline pick the same files.
#pragma once

#include <string>
#include <vector>

namespace exaone::hub {

enum class ModelKind { kGguf, kHfFolder };

struct Selection {
  ModelKind kind = ModelKind::kGguf;
  std::vector<std::string> files;  // repository paths, in download order
  std::string entry;             // the .gguf to open (first part of a split file); "" for a folder
  std::string quant;             // the quantization picked, for messages
  bool quant_defaulted = false;  // no quant was asked for and we chose one
};

// Throws Error(kNotFound) when nothing matches, naming the quantizations that exist.
Selection SelectFiles(const std::vector<std::string>& repo_files, const std::string& quant,
                      const std::string& repo);

// The quantization tags of the .gguf files, sorted and unique ("Q4_K_M", "Q8_0", "BF16").
std::vector<std::string> AvailableQuants(const std::vector<std::string>& repo_files);

// Whether `name` contains `tag` on token boundaries, ignoring case: "m-Q4_K_M.gguf" contains
// "q4_k_m" but not "Q4_K", and "m-IQ4_XS.gguf" does not contain "Q4_XS". A tag may follow '-',
// '.', '_' or '/' and be followed by '-', '.' or '/' (quant names contain '_' themselves).
bool ContainsQuantTag(const std::string& name, const std::string& tag);

}  // namespace exaone::hub
