// `exaone convert`: a Hugging Face folder to a GGUF file with llama.cpp's names.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "base/dtype.h"
#include "io/gguf.h"
#include "model/factory.h"

namespace exaone::model {

struct ConvertOptions {
  DType type = DType::kF16;  // F32, F16 or BF16 for matrices; 1-D tensors stay F32
  std::function<void(size_t done, size_t total)> progress;
  // Adds tokenizer metadata from the folder; returns false when the folder has no tokenizer.
  std::function<bool(const std::string& hf_dir, const std::string& arch, io::GgufWriter& w)>
      add_tokenizer;
};

struct ConvertResult {
  std::string arch;
  size_t n_tensors = 0;
  size_t n_metadata = 0;
  bool tokenizer = false;
};

// What `exaone convert` writes for a folder, before any tensor data is read: the metadata
// (general.* first, then the architecture's keys; the tokenizer is added separately) and the
// tensors, each with a reader of float32 rows. `exaone quantize` starts from the same view.
struct ConversionTensor {
  std::string name;                 // GGUF name
  std::vector<uint64_t> ne;         // GGML order
  DType source_type = DType::kF32;  // checkpoint dtype; F32 for generated tensors
  // Writes rows [first, first + count) as float32 (count * ne[0] values); safe to call from
  // several threads at once.
  std::function<void(uint64_t first, uint64_t count, float* out)> read_rows;
};

struct ConversionSource {
  LoadedModel model;  // owns the mapped files the readers point into
  std::string arch;   // general.architecture
  std::vector<std::pair<std::string, io::GgufValue>> metadata;
  std::vector<ConversionTensor> tensors;
};

// Validates the folder (config, names, shapes, dtypes); `file_type` is general.file_type.
ConversionSource OpenConversion(const std::string& hf_dir, uint32_t file_type);

ConvertResult ConvertToGguf(const std::string& hf_dir, const std::string& out_path,
                            const ConvertOptions& options);

}  // namespace exaone::model
