#include <cstdio>
#include <cstring>
#include <memory>

#include "base/error.h"
#include "io/gguf.h"

namespace exaone::io {
namespace {

class Out {
 public:
  explicit Out(const std::string& path) : path_(path), f_(std::fopen(path.c_str(), "wb")) {
    if (!f_) throw Error(ErrorCode::kIo, path + ": cannot create");
  }
  ~Out() {
    if (f_) std::fclose(f_);
  }
  void Bytes(const void* p, size_t n) {
    if (n && std::fwrite(p, 1, n, f_) != n) throw Error(ErrorCode::kIo, path_ + ": write failed");
    pos_ += n;
  }
  template <typename T>
  void Put(T v) {
    Bytes(&v, sizeof v);
  }
  void String(const std::string& s) {
    Put<uint64_t>(s.size());
    Bytes(s.data(), s.size());
  }
  void PadTo(uint64_t alignment) {
    static const uint8_t zeros[256] = {};
    while (pos_ % alignment != 0) {
      uint64_t n = std::min<uint64_t>(alignment - pos_ % alignment, sizeof zeros);
      Bytes(zeros, n);
    }
  }
  void Close() {
    if (std::fclose(f_) != 0) {
      f_ = nullptr;
      throw Error(ErrorCode::kIo, path_ + ": write failed");
    }
    f_ = nullptr;
  }

 private:
  std::string path_;
  FILE* f_;
  uint64_t pos_ = 0;
};

void PutValue(Out& o, const GgufValue& v) {
  switch (v.type) {
    case GgufType::kU8:
      o.Put<uint8_t>(static_cast<uint8_t>(v.u));
      break;
    case GgufType::kI8:
      o.Put<int8_t>(static_cast<int8_t>(v.i));
      break;
    case GgufType::kU16:
      o.Put<uint16_t>(static_cast<uint16_t>(v.u));
      break;
    case GgufType::kI16:
      o.Put<int16_t>(static_cast<int16_t>(v.i));
      break;
    case GgufType::kU32:
      o.Put<uint32_t>(static_cast<uint32_t>(v.u));
      break;
    case GgufType::kI32:
      o.Put<int32_t>(static_cast<int32_t>(v.i));
      break;
    case GgufType::kF32:
      o.Put<float>(static_cast<float>(v.f));
      break;
    case GgufType::kBool:
      o.Put<uint8_t>(v.u ? 1 : 0);
      break;
    case GgufType::kString:
      o.String(v.str);
      break;
    case GgufType::kU64:
      o.Put<uint64_t>(v.u);
      break;
    case GgufType::kI64:
      o.Put<int64_t>(v.i);
      break;
    case GgufType::kF64:
      o.Put<double>(v.f);
      break;
    case GgufType::kArray:
      o.Put<uint32_t>(static_cast<uint32_t>(v.elem_type));
      o.Put<uint64_t>(v.ArraySize());
      for (size_t k = 0; k < v.ArraySize(); ++k) PutValue(o, v.Item(k));
      break;
  }
}

}  // namespace

void GgufWriter::Set(const std::string& key, GgufValue value) {
  for (auto& kv : metadata_) {
    if (kv.first == key) {
      kv.second = std::move(value);
      return;
    }
  }
  metadata_.emplace_back(key, std::move(value));
}

void GgufWriter::AddTensor(const std::string& name, DType type, std::vector<uint64_t> ne,
                           Filler fill) {
  EXA_CHECK(!ne.empty() && ne.size() <= 4);
  uint64_t rows = 1;
  for (size_t d = 1; d < ne.size(); ++d) rows *= ne[d];
  auto bytes = DTypeBytes(type, ne[0], rows);
  if (!bytes) {
    throw Error(ErrorCode::kInvalidArgument, "tensor '" + name + "': row of " +
                                                 std::to_string(ne[0]) + " elements cannot be " +
                                                 DTypeName(type));
  }
  tensors_.push_back({name, type, std::move(ne), *bytes, std::move(fill)});
}

void GgufWriter::Write(const std::string& path,
                       const std::function<void(size_t, size_t)>& progress) const {
  const std::string tmp = path + ".partial";
  try {
    Out o(tmp);
    o.Bytes("GGUF", 4);
    o.Put<uint32_t>(3);
    o.Put<uint64_t>(tensors_.size());
    bool has_alignment = false;
    for (const auto& kv : metadata_) has_alignment |= kv.first == "general.alignment";
    o.Put<uint64_t>(metadata_.size() + (has_alignment || alignment_ == 32 ? 0 : 1));
    for (const auto& [key, value] : metadata_) {
      o.String(key);
      o.Put<uint32_t>(static_cast<uint32_t>(value.type));
      PutValue(o, value);
    }
    if (!has_alignment && alignment_ != 32) {
      o.String("general.alignment");
      o.Put<uint32_t>(static_cast<uint32_t>(GgufType::kU32));
      o.Put<uint32_t>(alignment_);
    }
    uint64_t offset = 0;
    for (const auto& t : tensors_) {
      o.String(t.name);
      o.Put<uint32_t>(static_cast<uint32_t>(t.ne.size()));
      for (uint64_t n : t.ne) o.Put<uint64_t>(n);
      o.Put<uint32_t>(static_cast<uint32_t>(t.type));
      o.Put<uint64_t>(offset);
      offset += (t.nbytes + alignment_ - 1) / alignment_ * alignment_;
    }
    o.PadTo(alignment_);
    std::vector<uint8_t> buf;
    for (size_t k = 0; k < tensors_.size(); ++k) {
      const auto& t = tensors_[k];
      buf.assign(t.nbytes, 0);
      t.fill(buf.data());
      o.Bytes(buf.data(), buf.size());
      o.PadTo(alignment_);
      if (progress) progress(k + 1, tensors_.size());
    }
    o.Close();
  } catch (...) {
    std::remove(tmp.c_str());
    throw;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw Error(ErrorCode::kIo, path + ": cannot rename the finished file into place");
  }
}

}  // namespace exaone::io
