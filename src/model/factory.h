// Loading a model from a path, and converting an HF folder to GGUF.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "base/dtype.h"
#include "model/arch.h"
#include "model/model.h"
#include "model/model_files.h"

namespace exaone::model {

struct LoadedModel {
  std::unique_ptr<ModelFiles> files;
  std::unique_ptr<TensorTable> tensors;
  std::unique_ptr<Model> model;
  const Architecture* arch = nullptr;
};

// Opens and validates a GGUF file or HF folder and binds the weights, used in place from the
// file image (mapped or read into huge pages, as options.residency says).
LoadedModel LoadModel(const std::string& path, const LoadOptions& options = {});

// Opens the files and reads the configuration only (for inspecting a folder without weights).
LoadedModel OpenModel(const std::string& path, Residency residency = Residency::kMap);

}  // namespace exaone::model
