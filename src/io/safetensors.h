// safetensors reading: a single file or a sharded folder (model.safetensors.index.json).
//
// ref: huggingface/safetensors README. Layout: u64 little-endian header length N, N bytes of JSON
// {name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}}, then the
// data. Offsets are relative to the end of the header. Every field is checked before use.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/dtype.h"
#include "base/mapped_file.h"

namespace exaone::io {

struct SafetensorsTensor {
  std::string name;
  std::string dtype_name;  // as written in the header, e.g. "BF16"
  DType dtype = DType::kF32;
  std::vector<uint64_t> shape;  // row-major, outermost first
  uint64_t begin = 0, end = 0;  // relative to the data section
  const uint8_t* data = nullptr;
};

struct SafetensorsHeader {
  uint64_t data_offset = 0;  // absolute offset of the data section
  std::vector<SafetensorsTensor> tensors;
  std::map<std::string, std::string> metadata;
};

// Parses a safetensors image held in memory; `what` names it in errors. Data pointers point into
// `bytes`. Tensors whose dtype we cannot compute with (e.g. I64, F8_E4M3) are an error naming it.
SafetensorsHeader ParseSafetensors(const uint8_t* bytes, size_t size, const std::string& what);

// All tensors of a checkpoint, from one file or from every shard listed by an index.
class SafetensorsSet {
 public:
  // `dir` holds model.safetensors or model.safetensors.index.json (+ shards).
  static std::unique_ptr<SafetensorsSet> OpenDir(const std::string& dir,
                                                 Residency residency = Residency::kMap);
  static std::unique_ptr<SafetensorsSet> OpenFile(const std::string& path,
                                                  Residency residency = Residency::kMap);

  const SafetensorsTensor* Find(const std::string& name) const;
  const std::vector<const SafetensorsTensor*>& tensors() const { return order_; }
  uint64_t total_file_bytes() const;
  // Whether every shard was read into memory rather than mapped.
  bool loaded() const;
  const std::vector<std::string>& files() const { return paths_; }

 private:
  void AddFile(const std::string& path, Residency residency);

  std::vector<std::unique_ptr<MappedFile>> files_;
  std::vector<std::string> paths_;
  std::vector<std::unique_ptr<SafetensorsHeader>> headers_;
  std::map<std::string, const SafetensorsTensor*> by_name_;
  std::vector<const SafetensorsTensor*> order_;
};

}  // namespace exaone::io
