// The tensors of a checkpoint under one naming scheme (GGUF's), whichever file they came from.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/dtype.h"
#include "io/gguf.h"
#include "io/safetensors.h"
#include "kernels/matmul.h"

namespace exaone::model {

struct TensorRef {
  std::string name;       // canonical (GGUF) name, e.g. "blk.0.attn_q.weight"
  std::string file_name;  // the name in the file it came from
  DType dtype = DType::kF32;
  std::vector<uint64_t> shape;  // row-major, outermost first (GGUF's ne reversed)
  const uint8_t* data = nullptr;
  uint64_t nbytes = 0;
  // The rows were rewritten into the 8-row interleaved layout (InterleaveMatrices).
  bool interleaved = false;
  uint64_t elements() const;
};

std::string FormatShape(const std::vector<uint64_t>& shape);

// Maps a checkpoint tensor name to its canonical name; nullopt for tensors the model ignores.
using NameMap = std::function<std::optional<std::string>(const std::string&)>;

class TensorTable {
 public:
  static TensorTable FromGguf(const io::GgufContents& g, const std::string& what);
  static TensorTable FromSafetensors(const io::SafetensorsSet& s, const NameMap& map,
                                     const std::string& what);

  const TensorRef* Find(const std::string& name) const;
  const std::vector<TensorRef>& all() const { return tensors_; }
  const std::vector<std::string>& ignored() const { return ignored_; }

  // Fetches a required tensor and checks its shape; throws Error naming the tensor otherwise.
  const TensorRef& Require(const std::string& name, const std::vector<uint64_t>& shape) const;
  // A required 2-D matrix usable by MatMul.
  kernels::WeightView Matrix(const std::string& name, uint64_t rows, uint64_t cols) const;
  // Rewrites, in `image` (the writable image all tensors point into), every matrix that
  // multiplies faster in the 8-row interleaved layout (kernels::PrefersInterleaved), and marks it
  // so that Matrix() hands out interleaved views. Returns how many were rewritten.
  size_t InterleaveMatrices(uint8_t* image);
  // A required 1-D vector (norm weight), converted to float32.
  std::vector<float> Vector(const std::string& name, uint64_t n) const;

 private:
  void Add(TensorRef t);
  std::string what_;
  std::vector<TensorRef> tensors_;
  std::map<std::string, size_t> index_;
  std::vector<std::string> ignored_;
};

}  // namespace exaone::model
