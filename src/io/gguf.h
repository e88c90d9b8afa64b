// GGUF (v2, v3) reading over a memory map, and writing.
//
// ref: ggml/docs/gguf.md. A file is: magic "GGUF", version, tensor count, metadata count,
// metadata key/values, tensor infos, padding to `general.alignment`, tensor data. Every count,
// length, offset and size read from the file is checked against the bytes that remain before it
// is used, so a hostile file gives an Error naming the problem and its byte offset, never a crash.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/dtype.h"
#include "base/mapped_file.h"

namespace exaone::io {

enum class GgufType : uint32_t {
  kU8 = 0,
  kI8 = 1,
  kU16 = 2,
  kI16 = 3,
  kU32 = 4,
  kI32 = 5,
  kF32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kU64 = 10,
  kI64 = 11,
  kF64 = 12,
};

const char* GgufTypeName(GgufType t);

// One metadata value. Scalars live in the field matching their type. Arrays keep their items
// compactly by element type (a tokenizer's vocabulary and merges are a few hundred thousand
// items): numbers and bools as 8-byte words in `words`, strings in `strings`, arrays in
// `nested`. ArraySize() and Item() read any of them.
struct GgufValue {
  GgufType type = GgufType::kU32;
  uint64_t u = 0;  // kU8..kU64 and kBool
  int64_t i = 0;   // kI8..kI64
  double f = 0;    // kF32, kF64
  std::string str;
  GgufType elem_type = GgufType::kU32;  // kArray
  std::vector<uint64_t> words;          // kArray of numbers/bools: u, or i or f's bits
  std::vector<std::string> strings;     // kArray of kString
  std::vector<GgufValue> nested;        // kArray of kArray

  static GgufValue U32(uint32_t v);
  static GgufValue U64(uint64_t v);
  static GgufValue I32(int32_t v);
  static GgufValue F32(float v);
  static GgufValue Bool(bool v);
  static GgufValue String(std::string v);
  static GgufValue Array(GgufType elem, std::vector<GgufValue> items);

  // Number of items of an array (0 for a scalar), and item k as a value of elem_type.
  size_t ArraySize() const;
  GgufValue Item(size_t k) const;
  // Appends `item` (of elem_type) to this array.
  void Append(GgufValue item);

  bool IsInteger() const;
  bool IsFloat() const { return type == GgufType::kF32 || type == GgufType::kF64; }
  // Value as a signed integer; nullopt if not an integer type or out of int64 range.
  std::optional<int64_t> AsInt() const;
  std::optional<double> AsNumber() const;            // integers and floats
  std::string ToString(size_t max_items = 8) const;  // short human-readable form
};

struct GgufTensorInfo {
  std::string name;
  std::vector<uint64_t> ne;  // GGML order: ne[0] is the innermost (contiguous) dimension
  DType type = DType::kF32;
  uint64_t offset = 0;  // relative to the data section
  uint64_t nbytes = 0;
  const uint8_t* data = nullptr;
};

struct GgufContents {
  uint32_t version = 0;
  uint32_t alignment = 32;
  uint64_t data_offset = 0;  // absolute file offset of the data section
  std::vector<std::pair<std::string, GgufValue>> metadata;  // in file order
  std::vector<GgufTensorInfo> tensors;                      // in file order

  const GgufValue* Find(const std::string& key) const;
  const GgufTensorInfo* FindTensor(const std::string& name) const;
};

// Parses a GGUF image held in memory. `what` names it in error messages (usually the path).
// Tensor `data` pointers point into `bytes`, which must outlive the result.
GgufContents ParseGguf(const uint8_t* bytes, size_t size, const std::string& what);

// A GGUF file mapped (or read) into memory.
class GgufFile {
 public:
  explicit GgufFile(const std::string& path, Residency residency = Residency::kMap);
  const GgufContents& contents() const { return contents_; }
  const std::string& path() const { return file_.path(); }
  uint64_t file_size() const { return file_.size(); }
  bool loaded() const { return file_.loaded(); }  // read into memory rather than mapped
  // Rewrites the image in place (loaded files only; see MappedFile::Edit).
  void Edit(const std::function<void(uint8_t* image)>& edit) { file_.Edit(edit); }

 private:
  MappedFile file_;
  GgufContents contents_;
};

// Writes GGUF v3. Tensor data is produced on demand while writing, so converting a large model
// needs one tensor's worth of memory, not the whole model.
class GgufWriter {
 public:
  using Filler = std::function<void(uint8_t* dst)>;

  explicit GgufWriter(uint32_t alignment = 32) : alignment_(alignment) {}
  void Set(const std::string& key, GgufValue value);  // replaces an existing key
  // `ne` in GGML order. The filler writes exactly the tensor's byte size into dst.
  void AddTensor(const std::string& name, DType type, std::vector<uint64_t> ne, Filler fill);
  // Writes to `path` through a temporary file renamed into place on success.
  void Write(const std::string& path,
             const std::function<void(size_t done, size_t total)>& progress = nullptr) const;

 private:
  struct PendingTensor {
    std::string name;
    DType type;
    std::vector<uint64_t> ne;
    uint64_t nbytes;
    Filler fill;
  };
  uint32_t alignment_;
  std::vector<std::pair<std::string, GgufValue>> metadata_;
  std::vector<PendingTensor> tensors_;
};

}  // namespace exaone::io
