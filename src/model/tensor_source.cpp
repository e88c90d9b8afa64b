#include "model/tensor_source.h"

#include <algorithm>
#include <atomic>
#include <thread>

#include "base/error.h"
#include "kernels/quant/interleave.h"

namespace exaone::model {

uint64_t TensorRef::elements() const {
  uint64_t n = 1;
  for (uint64_t d : shape) n *= d;
  return n;
}

std::string FormatShape(const std::vector<uint64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

void TensorTable::Add(TensorRef t) {
  if (index_.count(t.name)) {
    throw Error(ErrorCode::kBadFile, what_ + ": tensors '" + tensors_[index_[t.name]].file_name +
                                         "' and '" + t.file_name + "' are the same weight '" +
                                         t.name + "'");
  }
  index_[t.name] = tensors_.size();
  tensors_.push_back(std::move(t));
}

TensorTable TensorTable::FromGguf(const io::GgufContents& g, const std::string& what) {
  TensorTable table;
  table.what_ = what;
  for (const auto& t : g.tensors) {
    TensorRef r;
    r.name = t.name;
    r.file_name = t.name;
    r.dtype = t.type;
    r.shape.assign(t.ne.rbegin(), t.ne.rend());
    r.data = t.data;
    r.nbytes = t.nbytes;
    table.Add(std::move(r));
  }
  return table;
}

TensorTable TensorTable::FromSafetensors(const io::SafetensorsSet& s, const NameMap& map,
                                         const std::string& what) {
  TensorTable table;
  table.what_ = what;
  for (const auto* t : s.tensors()) {
    auto name = map(t->name);
    if (!name) {
      table.ignored_.push_back(t->name);
      continue;
    }
    TensorRef r;
    r.name = *name;
    r.file_name = t->name;
    r.dtype = t->dtype;
    r.shape = t->shape;
    r.data = t->data;
    r.nbytes = t->end - t->begin;
    table.Add(std::move(r));
  }
  return table;
}

const TensorRef* TensorTable::Find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

const TensorRef& TensorTable::Require(const std::string& name,
                                      const std::vector<uint64_t>& shape) const {
  const TensorRef* t = Find(name);
  if (!t) throw Error(ErrorCode::kBadFile, what_ + ": missing tensor '" + name + "'");
  if (t->shape != shape) {
    throw Error(ErrorCode::kBadConfig, what_ + ": tensor '" + t->file_name + "' has shape " +
                                           FormatShape(t->shape) + " but the config implies " +
                                           FormatShape(shape));
  }
  return *t;
}

kernels::WeightView TensorTable::Matrix(const std::string& name, uint64_t rows,
                                        uint64_t cols) const {
  const TensorRef& t = Require(name, {rows, cols});
  if (!kernels::MatMulSupports(t.dtype)) {
    throw Error(ErrorCode::kUnsupported, what_ + ": tensor '" + t.file_name + "' has type " +
                                             DTypeName(t.dtype) +
                                             ", which matrix products do not support");
  }
  if (cols % GetDTypeInfo(t.dtype).block != 0) {
    throw Error(ErrorCode::kBadFile, what_ + ": tensor '" + t.file_name + "' has rows of " +
                                         std::to_string(cols) + " values, not a whole number of " +
                                         DTypeName(t.dtype) + " blocks");
  }
  return kernels::WeightView{t.dtype, t.data, rows, cols, t.interleaved};
}

size_t TensorTable::InterleaveMatrices(uint8_t* image) {
  std::vector<TensorRef*> picked;
  for (TensorRef& t : tensors_) {
    if (t.shape.size() != 2 || t.interleaved) continue;
    const kernels::WeightView view{t.dtype, t.data, t.shape[0], t.shape[1]};
    if (kernels::PrefersInterleaved(view)) picked.push_back(&t);
  }
  // The rewrite reads and writes each byte once; threads share the tensors.
  const size_t n_threads =
      std::min<size_t>(picked.size(), std::max(1u, std::thread::hardware_concurrency()));
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < picked.size(); i = next++) {
      TensorRef& t = *picked[i];
      kernels::quant::Interleave8(t.dtype, image + (t.data - image), t.shape[0], t.shape[1]);
    }
  };
  std::vector<std::thread> threads;
  for (size_t i = 1; i < n_threads; ++i) threads.emplace_back(work);
  work();
  for (std::thread& th : threads) th.join();
  for (TensorRef* t : picked) t->interleaved = true;
  return picked.size();
}

std::vector<float> TensorTable::Vector(const std::string& name, uint64_t n) const {
  const TensorRef& t = Require(name, {n});
  if (t.dtype != DType::kF32 && t.dtype != DType::kF16 && t.dtype != DType::kBF16) {
    throw Error(ErrorCode::kUnsupported, what_ + ": tensor '" + t.file_name + "' has type " +
                                             DTypeName(t.dtype) + ", expected F32, F16 or BF16");
  }
  std::vector<float> v(n);
  kernels::ToFloat(t.dtype, t.data, n, v.data());
  return v;
}

}  // namespace exaone::model
