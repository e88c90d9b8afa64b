// The registry of architectures: how each is recognised, loaded and exported to GGUF.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "io/gguf.h"
#include "model/model.h"
#include "model/model_files.h"
#include "model/tensor_source.h"

namespace exaone::model {

// A tensor to write when converting: a checkpoint tensor (optionally with its rows reordered) or
// values the converter generates (rope_freqs).
struct ExportTensor {
  std::string name;
  const TensorRef* source = nullptr;  // null for generated tensors
  std::vector<uint32_t> row_order;    // empty: rows as stored
  std::vector<float> generated;       // when source is null (written as F32)
};

struct ExportPlan {
  std::vector<std::pair<std::string, io::GgufValue>> metadata;
  std::vector<ExportTensor> tensors;
};

// Options for loading. `adjust_attention` may change the per-layer attention kinds and the
// window after the config is read: ablation experiments (and the tests that prove a wrong
// window or misplaced RoPE is caught) use it. Only architectures with hybrid attention call it.
struct LoadOptions {
  std::function<void(std::vector<LayerAttention>& layers, int64_t& sliding_window)>
      adjust_attention;
  // How the weight files are held: mapped, or read into huge-page memory (see MappedFile).
  Residency residency = Residency::kAuto;
  // Whether weights read into memory may be rewritten into the layouts the kernels prefer
  // (TensorTable::InterleaveMatrices). Mapped files are never rewritten.
  bool repack = true;
};

struct Architecture {
  const char* hf_model_type;  // config.json model_type
  const char* gguf_name;      // general.architecture
  NameMap hf_names;           // checkpoint name -> canonical GGUF name
  std::unique_ptr<Model> (*load)(const ModelFiles& files, const TensorTable& tensors,
                                 const LoadOptions& options);
  // The summary from the configuration alone (no weights are bound or checked).
  ModelSummary (*describe)(const ModelFiles& files, const TensorTable& tensors);
  ExportPlan (*plan_export)(const ModelFiles& files, const TensorTable& tensors);
};

// Looks an architecture up by HF model_type or GGUF architecture name; throws kUnsupported.
const Architecture& FindArchitecture(const ModelFiles& files);

const Architecture& Exaone4Architecture();
const Architecture& ExaoneArchitecture();
const Architecture& LlamaArchitecture();

// Helpers the architectures share for HF names of the form "<prefix>N.<suffix>".
std::optional<std::string> MapLayerName(
    const std::string& name, const std::string& prefix,
    const std::vector<std::pair<std::string, std::string>>& map);

}  // namespace exaone::model
