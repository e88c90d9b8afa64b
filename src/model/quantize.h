// `exaone quantize`: a GGUF (F32/F16/BF16 weights) or a Hugging Face folder to a GGUF whose
// weight matrices are block-quantized, choosing each tensor's type with llama-quantize's rules
// (the Q4_K_M, Q3_K_L... mixes), so the files match what users get from llama.cpp.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/dtype.h"
#include "io/gguf.h"

namespace exaone::model {

// A target as llama-quantize names it: "Q4_K_M", "Q8_0", "F16"...
struct QuantFileType {
  const char* name;
  uint32_t file_type;  // general.file_type (llama.cpp's llama_ftype)
  DType base;          // the type of most weight matrices
};

// The targets `exaone quantize` writes, in the order `--help` lists them.
const std::vector<QuantFileType>& QuantFileTypes();
// Case-insensitive; also takes llama-quantize's aliases (Q4_K = Q4_K_M, Q3_K = Q3_K_M,
// Q5_K = Q5_K_M) and file_type numbers. Throws Error(kInvalidArgument) naming the choices.
QuantFileType ParseQuantFileType(const std::string& name);

// What the type rules look at.
struct QuantModelInfo {
  std::string arch;  // general.architecture
  int64_t n_layer = 0;
  int64_t n_head = 0;
  int64_t n_head_kv = 0;
  int64_t n_expert = 0;
};

struct QuantTensorInfo {
  std::string name;
  std::vector<uint64_t> ne;  // GGML order
  DType type = DType::kF32;  // as stored in the input
};

struct QuantTypeOptions {
  bool pure = false;                          // one type for every weight matrix
  std::optional<DType> output_type;           // output.weight (and tied token_embd)
  std::optional<DType> token_embedding_type;  // token_embd.weight
};

struct QuantTypeChoice {
  DType type = DType::kF32;
  bool quantizable = false;  // a weight matrix (false: 1-D tensors, norms... keep their type)
  bool fallback = false;     // the row length did not fit the chosen type; a fallback was used
};

// One choice per tensor (same order as `tensors`), llama-quantize's rules for the targets above.
std::vector<QuantTypeChoice> ChooseQuantTypes(const QuantModelInfo& model,
                                              const std::vector<QuantTensorInfo>& tensors,
                                              const QuantFileType& target,
                                              const QuantTypeOptions& options);

struct QuantizedTensor {
  std::string name;
  std::vector<uint64_t> ne;
  DType from = DType::kF32;
  DType to = DType::kF32;
  bool fallback = false;
  uint64_t in_bytes = 0;
  uint64_t out_bytes = 0;
};

// Reported before (done = false) and after (done = true) each tensor is written.
struct QuantizeProgress {
  size_t index = 0;  // 0-based
  size_t total = 0;
  const QuantizedTensor* tensor = nullptr;
  bool done = false;
  uint64_t in_bytes_done = 0;  // input tensor bytes finished so far
  double seconds = 0;          // since writing started
};

struct QuantizeOptions {
  std::string type;  // a QuantFileType name
  int threads = 0;   // 0: one per core
  bool dry_run = false;
  QuantTypeOptions types;
  std::function<void(const QuantizeProgress&)> progress;
  // For a Hugging Face folder: adds the tokenizer metadata, as `exaone convert` does; returns
  // false when the folder has none.
  std::function<bool(const std::string& hf_dir, const std::string& arch, io::GgufWriter& w)>
      add_tokenizer;
};

struct QuantizeResult {
  std::string arch;
  QuantFileType target{};
  std::vector<QuantizedTensor> tensors;  // in file order
  uint64_t in_file_bytes = 0;
  uint64_t in_tensor_bytes = 0;
  uint64_t out_tensor_bytes = 0;
  uint64_t out_file_bytes = 0;  // 0 for a dry run
  uint64_t elements = 0;        // weights in all tensors
  size_t n_fallback = 0;
  bool from_folder = false;
  bool tokenizer = false;  // folder input: tokenizer found
  double seconds = 0;
};

// Writes `out_path` (through out_path.partial, renamed when complete; nothing on error). A dry
// run only chooses the types.
QuantizeResult Quantize(const std::string& in_path, const std::string& out_path,
                        const QuantizeOptions& options);

}  // namespace exaone::model
