// GGUF parsing. Every read goes through Cursor, which checks the bytes remaining first.
#include <algorithm>
#include <cstring>
#include <limits>

#include "base/error.h"
#include "base/utf8.h"
#include "io/gguf.h"

namespace exaone::io {
namespace {

constexpr uint32_t kMaxDims = 4;   // GGML_MAX_DIMS
constexpr int kMaxArrayDepth = 8;  // arrays of arrays nest at most this deep
constexpr uint64_t kMaxStringBytes = 1ull << 30;
// Array items across the whole file. Each costs 8 to 100 bytes in memory however small it is
// on disk, so a hostile file must not be able to ask for more than a few GiB; real tokenizer
// arrays hold a few hundred thousand items.
constexpr uint64_t kMaxArrayItems = 1ull << 25;

class Cursor {
 public:
  Cursor(const uint8_t* data, size_t size, const std::string& what)
      : data_(data), size_(size), what_(what) {}

  size_t pos() const { return pos_; }
  // Counts array items against kMaxArrayItems.
  void CountItems(uint64_t n, const std::string& key, size_t at) {
    items_ += n;
    if (items_ > kMaxArrayItems) {
      Fail("key '" + key + "': metadata arrays hold more than " + std::to_string(kMaxArrayItems) +
               " items in total",
           at);
    }
  }
  size_t remaining() const { return size_ - pos_; }

  [[noreturn]] void Fail(const std::string& msg, size_t at) const {
    throw Error(ErrorCode::kBadFile, what_ + ": offset " + std::to_string(at) + ": " + msg);
  }
  [[noreturn]] void Fail(const std::string& msg) const { Fail(msg, pos_); }

  void Need(uint64_t n, const char* what) const {
    if (n > remaining()) {
      Fail(std::string("truncated: ") + what + " needs " + std::to_string(n) + " bytes, file has " +
           std::to_string(remaining()) + " left");
    }
  }

  template <typename T>
  T Read(const char* what) {
    Need(sizeof(T), what);
    T v;
    std::memcpy(&v, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }

  std::string ReadString(const char* what) {
    size_t at = pos_;
    uint64_t len = Read<uint64_t>(what);
    if (len > kMaxStringBytes) {
      Fail(std::string(what) + " length " + std::to_string(len) + " is absurd", at);
    }
    Need(len, what);
    std::string s(reinterpret_cast<const char*>(data_ + pos_), len);
    pos_ += len;
    return s;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  uint64_t items_ = 0;
  const std::string& what_;
};

size_t ScalarSize(GgufType t) {
  switch (t) {
    case GgufType::kU8:
    case GgufType::kI8:
    case GgufType::kBool:
      return 1;
    case GgufType::kU16:
    case GgufType::kI16:
      return 2;
    case GgufType::kU32:
    case GgufType::kI32:
    case GgufType::kF32:
      return 4;
    case GgufType::kU64:
    case GgufType::kI64:
    case GgufType::kF64:
      return 8;
    case GgufType::kString:
      return 8;  // at least the length field
    case GgufType::kArray:
      return 12;  // at least the element type and count
  }
  return 0;
}

bool KnownType(uint32_t t) {
  return t <= static_cast<uint32_t>(GgufType::kF64);
}

GgufValue ReadValue(Cursor& c, GgufType type, const std::string& key, int depth) {
  GgufValue v;
  v.type = type;
  switch (type) {
    case GgufType::kU8:
      v.u = c.Read<uint8_t>("u8 value");
      break;
    case GgufType::kI8:
      v.i = c.Read<int8_t>("i8 value");
      break;
    case GgufType::kU16:
      v.u = c.Read<uint16_t>("u16 value");
      break;
    case GgufType::kI16:
      v.i = c.Read<int16_t>("i16 value");
      break;
    case GgufType::kU32:
      v.u = c.Read<uint32_t>("u32 value");
      break;
    case GgufType::kI32:
      v.i = c.Read<int32_t>("i32 value");
      break;
    case GgufType::kF32:
      v.f = c.Read<float>("f32 value");
      break;
    case GgufType::kBool: {
      size_t at = c.pos();
      uint8_t b = c.Read<uint8_t>("bool value");
      if (b > 1)
        c.Fail("key '" + key + "': bool value " + std::to_string(b) + " is not 0 or 1", at);
      v.u = b;
      break;
    }
    case GgufType::kString:
      v.str = c.ReadString("string value");
      break;
    case GgufType::kU64:
      v.u = c.Read<uint64_t>("u64 value");
      break;
    case GgufType::kI64:
      v.i = c.Read<int64_t>("i64 value");
      break;
    case GgufType::kF64:
      v.f = c.Read<double>("f64 value");
      break;
    case GgufType::kArray: {
      size_t at = c.pos();
      if (depth >= kMaxArrayDepth) c.Fail("key '" + key + "': arrays nested too deeply", at);
      uint32_t elem = c.Read<uint32_t>("array element type");
      if (!KnownType(elem)) {
        c.Fail("key '" + key + "': unknown array element type " + std::to_string(elem), at);
      }
      uint64_t count = c.Read<uint64_t>("array length");
      v.elem_type = static_cast<GgufType>(elem);
      if (count > c.remaining() / ScalarSize(v.elem_type)) {
        c.Fail("key '" + key + "': array of " + std::to_string(count) +
                   " elements cannot fit in the " + std::to_string(c.remaining()) + " bytes left",
               at);
      }
      c.CountItems(count, key, at);
      for (uint64_t k = 0; k < count; ++k) v.Append(ReadValue(c, v.elem_type, key, depth + 1));
      break;
    }
  }
  return v;
}

void CheckName(const Cursor& c, const std::string& name, const char* what, size_t at) {
  if (name.empty()) c.Fail(std::string(what) + " is empty", at);
  size_t bad = FindInvalidUtf8(name);
  if (bad != std::string::npos) {
    c.Fail(std::string(what) + " is not valid UTF-8 (byte " + std::to_string(bad) + ")", at);
  }
}

GgufTensorInfo ReadTensorInfo(Cursor& c) {
  GgufTensorInfo t;
  size_t at = c.pos();
  t.name = c.ReadString("tensor name");
  CheckName(c, t.name, "tensor name", at);
  const std::string who = "tensor '" + t.name + "'";
  uint32_t n_dims = c.Read<uint32_t>("tensor dimension count");
  if (n_dims == 0 || n_dims > kMaxDims) {
    c.Fail(who + ": " + std::to_string(n_dims) + " dimensions (must be 1 to 4)", at);
  }
  uint64_t elements = 1;
  for (uint32_t d = 0; d < n_dims; ++d) {
    uint64_t n = c.Read<uint64_t>("tensor dimension");
    if (n == 0 || n > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      c.Fail(who + ": dimension " + std::to_string(d) + " is " + std::to_string(n), at);
    }
    if (__builtin_mul_overflow(elements, n, &elements) ||
        elements > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      c.Fail(who + ": element count overflows", at);
    }
    t.ne.push_back(n);
  }
  uint32_t type = c.Read<uint32_t>("tensor type");
  auto info = LookupDType(type);
  if (!info) c.Fail(who + ": unknown tensor type " + std::to_string(type), at);
  t.type = static_cast<DType>(type);
  if (t.ne[0] % info->block != 0) {
    c.Fail(who + ": row of " + std::to_string(t.ne[0]) + " elements is not a whole number of " +
               info->name + " blocks of " + std::to_string(info->block),
           at);
  }
  auto bytes = DTypeBytes(t.type, t.ne[0], elements / t.ne[0]);
  if (!bytes) c.Fail(who + ": byte size overflows", at);
  t.nbytes = *bytes;
  t.offset = c.Read<uint64_t>("tensor offset");
  return t;
}

}  // namespace

GgufContents ParseGguf(const uint8_t* bytes, size_t size, const std::string& what) {
  Cursor c(bytes, size, what);
  GgufContents g;
  c.Need(4, "magic");
  if (std::memcmp(bytes, "GGUF", 4) != 0) c.Fail("bad magic: not a GGUF file", 0);
  c.Read<uint32_t>("magic");
  g.version = c.Read<uint32_t>("version");
  if (g.version != 2 && g.version != 3) {
    c.Fail("unsupported GGUF version " + std::to_string(g.version) + " (2 and 3 are read)", 4);
  }
  uint64_t n_tensors = c.Read<uint64_t>("tensor count");
  uint64_t n_kv = c.Read<uint64_t>("metadata count");
  // A key/value needs at least 8 (key length) + 1 (key) + 4 (type) + 1 bytes; a tensor info
  // needs 8 + 1 + 4 + 8 + 4 + 8.
  if (n_kv > c.remaining() / 14) {
    c.Fail("metadata count " + std::to_string(n_kv) + " cannot fit in the file", 16);
  }
  if (n_tensors > c.remaining() / 33) {
    c.Fail("tensor count " + std::to_string(n_tensors) + " cannot fit in the file", 8);
  }

  std::map<std::string, size_t> key_index;
  for (uint64_t k = 0; k < n_kv; ++k) {
    size_t at = c.pos();
    std::string key = c.ReadString("metadata key");
    CheckName(c, key, "metadata key", at);
    if (key_index.count(key)) c.Fail("duplicate metadata key '" + key + "'", at);
    size_t type_at = c.pos();
    uint32_t type = c.Read<uint32_t>("metadata type");
    if (!KnownType(type)) {
      c.Fail("key '" + key + "': unknown value type " + std::to_string(type), type_at);
    }
    GgufValue v = ReadValue(c, static_cast<GgufType>(type), key, 0);
    key_index[key] = g.metadata.size();
    g.metadata.emplace_back(std::move(key), std::move(v));
  }

  if (auto it = key_index.find("general.alignment"); it != key_index.end()) {
    const GgufValue& a = g.metadata[it->second].second;
    if (a.type != GgufType::kU32) {
      c.Fail(std::string("general.alignment must be u32, found ") + GgufTypeName(a.type), 0);
    }
    if (a.u == 0 || (a.u & (a.u - 1)) != 0) {
      c.Fail("general.alignment " + std::to_string(a.u) + " is not a power of two", 0);
    }
    g.alignment = static_cast<uint32_t>(a.u);
  }

  std::map<std::string, size_t> tensor_index;
  for (uint64_t k = 0; k < n_tensors; ++k) {
    size_t at = c.pos();
    GgufTensorInfo t = ReadTensorInfo(c);
    if (tensor_index.count(t.name)) c.Fail("duplicate tensor '" + t.name + "'", at);
    if (t.offset % g.alignment != 0) {
      c.Fail("tensor '" + t.name + "': offset " + std::to_string(t.offset) +
                 " is not a multiple of the alignment " + std::to_string(g.alignment),
             at);
    }
    tensor_index[t.name] = g.tensors.size();
    g.tensors.push_back(std::move(t));
  }

  uint64_t data_offset = (c.pos() + g.alignment - 1) / g.alignment * g.alignment;
  if (data_offset > size) {
    if (!g.tensors.empty()) c.Fail("truncated: no data section after the tensor infos");
    data_offset = size;
  }
  g.data_offset = data_offset;
  uint64_t data_size = size - data_offset;

  // Bounds, then overlap: sort by offset and require each tensor to end before the next starts.
  std::vector<const GgufTensorInfo*> order;
  for (auto& t : g.tensors) {
    uint64_t end;
    if (__builtin_add_overflow(t.offset, t.nbytes, &end) || end > data_size) {
      c.Fail("tensor '" + t.name + "': data [" + std::to_string(t.offset) + ", " +
                 std::to_string(t.offset) + "+" + std::to_string(t.nbytes) +
                 ") runs past the end of the data section (" + std::to_string(data_size) +
                 " bytes)",
             data_offset);
    }
    t.data = bytes + data_offset + t.offset;
    order.push_back(&t);
  }
  std::sort(order.begin(), order.end(),
            [](const GgufTensorInfo* a, const GgufTensorInfo* b) { return a->offset < b->offset; });
  for (size_t k = 1; k < order.size(); ++k) {
    if (order[k - 1]->offset + order[k - 1]->nbytes > order[k]->offset) {
      c.Fail("tensors '" + order[k - 1]->name + "' and '" + order[k]->name + "' overlap",
             data_offset + order[k]->offset);
    }
  }
  return g;
}

const GgufValue* GgufContents::Find(const std::string& key) const {
  for (const auto& kv : metadata) {
    if (kv.first == key) return &kv.second;
  }
  return nullptr;
}

const GgufTensorInfo* GgufContents::FindTensor(const std::string& name) const {
  for (const auto& t : tensors) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

GgufFile::GgufFile(const std::string& path, Residency residency)
    : file_(path, residency), contents_(ParseGguf(file_.data(), file_.size(), path)) {}

}  // namespace exaone::io
