#include "io/safetensors.h"

#include <algorithm>
#include <cstring>

#include "base/error.h"
#include "io/json.h"

namespace exaone::io {
namespace {

constexpr uint64_t kMaxHeaderBytes = 100ull << 20;  // the reference implementation's limit

struct DtypeName {
  const char* name;
  DType dtype;
};
// Element types we can hold. Others (U8, BOOL, F8_*) are valid safetensors but not model weights
// we compute with; they are rejected by name.
constexpr DtypeName kDtypes[] = {
    {"F32", DType::kF32}, {"F16", DType::kF16}, {"BF16", DType::kBF16}, {"F64", DType::kF64},
    {"I8", DType::kI8},   {"I16", DType::kI16}, {"I32", DType::kI32},   {"I64", DType::kI64},
};
constexpr const char* kKnownUnsupported[] = {"U8",  "BOOL",    "U16",     "U32",
                                             "U64", "F8_E4M3", "F8_E5M2", "F8_E8M0",
                                             "F4",  "F6_E2M3", "F6_E3M2", "C64"};

[[noreturn]] void Fail(const std::string& what, const std::string& msg) {
  throw Error(ErrorCode::kBadFile, what + ": " + msg);
}

}  // namespace

SafetensorsHeader ParseSafetensors(const uint8_t* bytes, size_t size, const std::string& what) {
  if (size < 8) Fail(what, "truncated: " + std::to_string(size) + " bytes, no header length");
  uint64_t n;
  std::memcpy(&n, bytes, 8);
  if (n > kMaxHeaderBytes) {
    Fail(what, "header length " + std::to_string(n) + " exceeds the 100 MiB limit");
  }
  if (n > size - 8) {
    Fail(what, "truncated: header of " + std::to_string(n) + " bytes but the file has " +
                   std::to_string(size - 8) + " after the length");
  }
  SafetensorsHeader h;
  h.data_offset = 8 + n;
  const uint64_t data_size = size - h.data_offset;
  Json j = ParseJsonStrict(std::string_view(reinterpret_cast<const char*>(bytes + 8), n),
                           what + " header");
  if (!j.is_object()) Fail(what, "header is not a JSON object");
  JsonView root(j, what + " header");
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& name = it.key();
    if (name == "__metadata__") {
      if (!it->is_object()) Fail(what, "__metadata__ is not an object");
      for (auto m = it->begin(); m != it->end(); ++m) {
        if (!m->is_string()) Fail(what, "__metadata__." + m.key() + " is not a string");
        h.metadata[m.key()] = m->get<std::string>();
      }
      continue;
    }
    JsonView t = root.At(name);
    if (!it->is_object()) t.Fail("tensor entry is not an object");
    SafetensorsTensor st;
    st.name = name;
    st.dtype_name = t.String("dtype");
    bool found = false;
    for (const auto& d : kDtypes) {
      if (st.dtype_name == d.name) {
        st.dtype = d.dtype;
        found = true;
      }
    }
    if (!found) {
      for (const char* u : kKnownUnsupported) {
        if (st.dtype_name == u) t.Fail("dtype " + st.dtype_name + " is not supported");
      }
      t.Fail("unknown dtype \"" + st.dtype_name + "\"");
    }
    JsonView shape = t.At("shape");
    uint64_t elements = 1;
    for (size_t d = 0; d < shape.Size(); ++d) {
      int64_t dim = shape.At(d).Int();
      if (dim < 0) shape.At(d).Fail("negative dimension");
      if (__builtin_mul_overflow(elements, static_cast<uint64_t>(dim), &elements)) {
        shape.Fail("element count overflows");
      }
      st.shape.push_back(static_cast<uint64_t>(dim));
    }
    JsonView offsets = t.At("data_offsets");
    if (offsets.Size() != 2) offsets.Fail("must hold exactly [begin, end]");
    int64_t b = offsets.At(0).Int(), e = offsets.At(1).Int();
    if (b < 0 || e < b) offsets.Fail("begin and end out of order");
    st.begin = static_cast<uint64_t>(b);
    st.end = static_cast<uint64_t>(e);
    if (st.end > data_size) {
      offsets.Fail("end " + std::to_string(st.end) + " is past the data section (" +
                   std::to_string(data_size) + " bytes)");
    }
    auto expected = DTypeBytes(st.dtype, 1, elements);
    if (!expected || *expected != st.end - st.begin) {
      offsets.Fail("holds " + std::to_string(st.end - st.begin) + " bytes but shape and dtype " +
                   st.dtype_name + " need " + (expected ? std::to_string(*expected) : "too many"));
    }
    uint32_t elem = GetDTypeInfo(st.dtype).block_bytes;
    if ((h.data_offset + st.begin) % elem != 0) {
      offsets.Fail("data at file offset " + std::to_string(h.data_offset + st.begin) +
                   " is misaligned for " + st.dtype_name);
    }
    st.data = bytes + h.data_offset + st.begin;
    h.tensors.push_back(std::move(st));
  }
  std::vector<const SafetensorsTensor*> order;
  for (const auto& t : h.tensors) order.push_back(&t);
  std::sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->begin < b->begin; });
  for (size_t k = 1; k < order.size(); ++k) {
    if (order[k - 1]->end > order[k]->begin) {
      Fail(what, "tensors '" + order[k - 1]->name + "' and '" + order[k]->name + "' overlap");
    }
  }
  return h;
}

void SafetensorsSet::AddFile(const std::string& path, Residency residency) {
  files_.push_back(std::make_unique<MappedFile>(path, residency));
  const MappedFile& f = *files_.back();
  headers_.push_back(
      std::make_unique<SafetensorsHeader>(ParseSafetensors(f.data(), f.size(), path)));
  paths_.push_back(path);
  for (const auto& t : headers_.back()->tensors) {
    if (!by_name_.emplace(t.name, &t).second) {
      throw Error(ErrorCode::kBadFile,
                  path + ": tensor '" + t.name + "' also appears in another shard");
    }
    order_.push_back(&t);
  }
}

std::unique_ptr<SafetensorsSet> SafetensorsSet::OpenFile(const std::string& path,
                                                         Residency residency) {
  auto set = std::unique_ptr<SafetensorsSet>(new SafetensorsSet());
  set->AddFile(path, residency);
  return set;
}

std::unique_ptr<SafetensorsSet> SafetensorsSet::OpenDir(const std::string& dir,
                                                        Residency residency) {
  const std::string index_path = dir + "/model.safetensors.index.json";
  const std::string single = dir + "/model.safetensors";
  if (!FileExists(index_path)) {
    if (!FileExists(single)) {
      throw Error(ErrorCode::kNotFound,
                  dir + ": no model.safetensors or model.safetensors.index.json");
    }
    return OpenFile(single, residency);
  }
  Json j = ReadJsonFile(index_path);
  JsonView root(j, index_path);
  JsonView map = root.At("weight_map");
  if (!map.json().is_object()) map.Fail("expected an object");
  std::vector<std::string> shards;
  for (auto it = map.json().begin(); it != map.json().end(); ++it) {
    JsonView entry = map.At(it.key());
    std::string file = entry.String();
    // Shards must sit beside the index: no directories, no way out of the model folder.
    if (file.empty() || file.find('/') != std::string::npos || file == "." || file == "..") {
      entry.Fail("shard name \"" + file + "\" is not a plain file name");
    }
    if (std::find(shards.begin(), shards.end(), file) == shards.end()) shards.push_back(file);
  }
  auto set = std::unique_ptr<SafetensorsSet>(new SafetensorsSet());
  for (const auto& s : shards) set->AddFile(dir + "/" + s, residency);
  for (auto it = map.json().begin(); it != map.json().end(); ++it) {
    auto found = set->by_name_.find(it.key());
    const std::string shard = dir + "/" + it->get<std::string>();
    if (found == set->by_name_.end()) {
      map.At(it.key()).Fail("tensor is not in " + shard);
    }
  }
  return set;
}

const SafetensorsTensor* SafetensorsSet::Find(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

uint64_t SafetensorsSet::total_file_bytes() const {
  uint64_t total = 0;
  for (const auto& f : files_) total += f->size();
  return total;
}

bool SafetensorsSet::loaded() const {
  for (const auto& f : files_) {
    if (!f->loaded()) return false;
  }
  return !files_.empty();
}

}  // namespace exaone::io
