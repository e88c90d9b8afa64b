#include "model/factory.h"

#include "base/error.h"

namespace exaone::model {

std::optional<std::string> MapLayerName(
    const std::string& name, const std::string& prefix,
    const std::vector<std::pair<std::string, std::string>>& map) {
  if (name.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
  size_t i = prefix.size(), j = i;
  while (j < name.size() && j - i < 6 && name[j] >= '0' && name[j] <= '9') ++j;
  if (j == i || j >= name.size() || name[j] != '.') return std::nullopt;
  const std::string layer = name.substr(i, j - i);
  const std::string suffix = name.substr(j + 1);
  for (const auto& [from, to] : map) {
    if (suffix == from) return "blk." + layer + "." + to;
  }
  return std::nullopt;
}

const Architecture& FindArchitecture(const ModelFiles& files) {
  for (const Architecture* a :
       {&Exaone4Architecture(), &ExaoneArchitecture(), &LlamaArchitecture()}) {
    const char* name = files.format == SourceFormat::kGguf ? a->gguf_name : a->hf_model_type;
    if (files.arch == name) return *a;
  }
  throw Error(ErrorCode::kUnsupported, files.path + ": architecture '" + files.arch +
                                           "' is not supported (exaone4, exaone and llama are)");
}

LoadedModel OpenModel(const std::string& path, Residency residency) {
  LoadedModel m;
  m.files = OpenModelFiles(path, residency);
  m.arch = &FindArchitecture(*m.files);
  if (m.files->format == SourceFormat::kGguf) {
    m.tensors =
        std::make_unique<TensorTable>(TensorTable::FromGguf(m.files->gguf->contents(), path));
  } else {
    m.tensors = std::make_unique<TensorTable>(
        TensorTable::FromSafetensors(*m.files->st, m.arch->hf_names, path));
  }
  return m;
}

LoadedModel LoadModel(const std::string& path, const LoadOptions& options) {
  LoadedModel m = OpenModel(path, options.residency);
  if (options.repack && m.files->gguf && m.files->gguf->loaded()) {
    m.files->gguf->Edit([&](uint8_t* image) { m.tensors->InterleaveMatrices(image); });
  }
  m.model = m.arch->load(*m.files, *m.tensors, options);
  return m;
}

}  // namespace exaone::model
