// Opening what the user points at: a GGUF file or a Hugging Face folder (config.json +
// safetensors). Gives the architecture name, the raw configuration and the tensor table.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "io/gguf.h"
#include "io/json.h"
#include "io/safetensors.h"
#include "model/tensor_source.h"

namespace exaone::model {

enum class SourceFormat { kGguf, kHuggingFace };

// Typed access to GGUF metadata with errors that name the file and key.
class GgufMeta {
 public:
  GgufMeta(const io::GgufContents& g, std::string what) : g_(g), what_(std::move(what)) {}
  const io::GgufValue* Find(const std::string& key) const { return g_.Find(key); }
  int64_t Int(const std::string& key) const;
  std::optional<int64_t> IntOpt(const std::string& key) const;
  double Number(const std::string& key) const;
  std::optional<double> NumberOpt(const std::string& key) const;
  std::optional<std::string> StringOpt(const std::string& key) const;
  // An array of bools, or nullopt when the key is absent.
  std::optional<std::vector<bool>> BoolArrayOpt(const std::string& key) const;
  [[noreturn]] void Fail(const std::string& key, const std::string& msg) const;

 private:
  const io::GgufContents& g_;
  std::string what_;
};

struct ModelFiles {
  SourceFormat format = SourceFormat::kGguf;
  std::string path;
  std::string arch;  // HF model_type or GGUF general.architecture
  uint64_t file_bytes = 0;
  std::unique_ptr<io::GgufFile> gguf;      // kGguf
  std::unique_ptr<io::SafetensorsSet> st;  // kHuggingFace
  io::Json config;                         // kHuggingFace: config.json
  std::string config_path;

  io::JsonView ConfigView() const { return io::JsonView(config, config_path); }
  GgufMeta Meta() const { return GgufMeta(gguf->contents(), path); }
  std::string ArchKey(const std::string& suffix) const { return arch + "." + suffix; }
  // Whether the weights were read into memory (Residency::kLoad) rather than mapped.
  bool weights_loaded() const { return gguf ? gguf->loaded() : st && st->loaded(); }
};

// Opens a GGUF file or an HF folder; validates the container format but not the model.
std::unique_ptr<ModelFiles> OpenModelFiles(const std::string& path,
                                           Residency residency = Residency::kMap);

}  // namespace exaone::model
