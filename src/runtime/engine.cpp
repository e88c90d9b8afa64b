#include "runtime/engine.h"

#include <algorithm>

#include "base/error.h"
#include "base/mapped_file.h"
#include "io/json.h"

namespace exaone::runtime {
namespace {

// eos_token_id is an int or a list of ints in config.json and generation_config.json.
void AddIds(const io::JsonView& root, const char* key, std::vector<int32_t>& out) {
  if (!root.Has(key)) return;
  io::JsonView v = root.At(key);
  if (v.json().is_array()) {
    for (size_t i = 0; i < v.Size(); ++i) out.push_back(static_cast<int32_t>(v.At(i).Int()));
  } else {
    out.push_back(static_cast<int32_t>(v.Int()));
  }
}

std::vector<int32_t> EosIds(const model::ModelFiles& files, const tokenizer::Tokenizer* tok) {
  std::vector<int32_t> ids;
  if (files.format == model::SourceFormat::kHuggingFace) {
    const std::string gen = files.path + "/generation_config.json";
    if (FileExists(gen)) {
      io::Json j = io::ReadJsonFile(gen);
      AddIds(io::JsonView(j, gen), "eos_token_id", ids);
    }
    AddIds(files.ConfigView(), "eos_token_id", ids);
  }
  if (tok && tok->eos_id) ids.push_back(*tok->eos_id);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

bool HasTokenizer(const model::ModelFiles& files) {
  if (files.format == model::SourceFormat::kGguf) {
    return files.gguf->contents().Find("tokenizer.ggml.model") != nullptr;
  }
  return FileExists(files.path + "/tokenizer.json") ||
         (FileExists(files.path + "/vocab.json") && FileExists(files.path + "/merges.txt"));
}

}  // namespace

std::unique_ptr<Engine> Engine::Load(const std::string& path, int threads, Residency residency) {
  auto e = std::make_unique<Engine>();
  model::LoadOptions options;
  options.residency = residency;
  e->model = model::LoadModel(path, options);
  if (HasTokenizer(*e->model.files)) {
    if (e->model.files->format == model::SourceFormat::kGguf) {
      e->tokenizer = tokenizer::Tokenizer::FromGguf(e->model.files->gguf->contents(), path);
    } else {
      e->tokenizer = tokenizer::Tokenizer::Load(path);
    }
  }
  e->eos_ids = EosIds(*e->model.files, e->tokenizer.get());
  e->pool = std::make_unique<ThreadPool>(threads);
  return e;
}

}  // namespace exaone::runtime
