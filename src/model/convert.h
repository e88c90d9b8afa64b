// `exaone convert`: a Hugging Face folder to a GGUF file with llama.cpp's names.
#pragma once

#include <functional>
#include <string>

#include "base/dtype.h"
#include "io/gguf.h"

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

ConvertResult ConvertToGguf(const std::string& hf_dir, const std::string& out_path,
                            const ConvertOptions& options);

}  // namespace exaone::model
