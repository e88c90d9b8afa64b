#include "model/convert.h"

#include <cstring>
#include <memory>

#include "base/error.h"
#include "base/half.h"
#include "kernels/matmul.h"
#include "model/factory.h"

namespace exaone::model {
namespace {

// ref: llama.h llama_ftype.
uint32_t FileType(DType t) {
  switch (t) {
    case DType::kF32:
      return 0;
    case DType::kF16:
      return 1;
    case DType::kBF16:
      return 32;
    default:
      return 0;
  }
}

void ConvertRow(const float* src, size_t n, DType to, uint8_t* dst) {
  switch (to) {
    case DType::kF32:
      std::memcpy(dst, src, n * sizeof(float));
      return;
    case DType::kF16:
      for (size_t i = 0; i < n; ++i) {
        uint16_t h = F32ToF16(src[i]);
        std::memcpy(dst + 2 * i, &h, 2);
      }
      return;
    case DType::kBF16:
      for (size_t i = 0; i < n; ++i) {
        uint16_t h = F32ToBf16(src[i]);
        std::memcpy(dst + 2 * i, &h, 2);
      }
      return;
    default:
      EXA_CHECK_MSG(false, "ConvertRow: unsupported output type");
  }
}

std::string BaseName(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

ConversionSource OpenConversion(const std::string& hf_dir, uint32_t file_type) {
  ConversionSource src;
  // Validates config, names and shapes before writing. The tensors are read once, in order, so
  // the files stay mapped (a copy in memory would only cost memory).
  LoadOptions options;
  options.residency = Residency::kMap;
  src.model = LoadModel(hf_dir, options);
  const LoadedModel& m = src.model;
  if (m.files->format != SourceFormat::kHuggingFace) {
    throw Error(ErrorCode::kInvalidArgument,
                hf_dir + ": convert reads a Hugging Face folder (config.json + safetensors)");
  }
  ExportPlan plan = m.arch->plan_export(*m.files, *m.tensors);
  using V = io::GgufValue;
  src.arch = m.arch->gguf_name;
  src.metadata.emplace_back("general.architecture", V::String(src.arch));
  src.metadata.emplace_back("general.name", V::String(BaseName(hf_dir)));
  src.metadata.emplace_back("general.file_type", V::U32(file_type));
  src.metadata.emplace_back("general.quantization_version", V::U32(2));
  for (auto& kv : plan.metadata) src.metadata.push_back(std::move(kv));

  for (ExportTensor& e : plan.tensors) {
    ConversionTensor c;
    c.name = e.name;
    if (!e.source) {
      auto values = std::make_shared<const std::vector<float>>(std::move(e.generated));
      c.ne = {values->size()};
      c.read_rows = [values](uint64_t first, uint64_t count, float* out) {
        EXA_CHECK(first == 0 && count == 1);
        std::memcpy(out, values->data(), values->size() * sizeof(float));
      };
      src.tensors.push_back(std::move(c));
      continue;
    }
    const TensorRef* t = e.source;
    if (t->dtype != DType::kF32 && t->dtype != DType::kF16 && t->dtype != DType::kBF16) {
      throw Error(ErrorCode::kUnsupported, hf_dir + ": tensor '" + t->file_name + "' has type " +
                                               DTypeName(t->dtype) + ", not F32, F16 or BF16");
    }
    c.source_type = t->dtype;
    c.ne.assign(t->shape.rbegin(), t->shape.rend());
    const uint64_t cols = t->shape.back();
    const uint64_t rows = t->elements() / cols;
    const size_t in_elem = GetDTypeInfo(t->dtype).block_bytes;
    auto order = std::make_shared<const std::vector<uint32_t>>(std::move(e.row_order));
    EXA_CHECK(order->empty() || order->size() == rows);
    c.read_rows = [t, rows, cols, in_elem, order](uint64_t first, uint64_t count, float* out) {
      EXA_CHECK(first <= rows && count <= rows - first);
      for (uint64_t r = first; r < first + count; ++r) {
        const uint64_t src_row = order->empty() ? r : (*order)[r];
        kernels::ToFloat(t->dtype, t->data + src_row * cols * in_elem, cols,
                         out + (r - first) * cols);
      }
    };
    src.tensors.push_back(std::move(c));
  }
  return src;
}

ConvertResult ConvertToGguf(const std::string& hf_dir, const std::string& out_path,
                            const ConvertOptions& options) {
  if (options.type != DType::kF32 && options.type != DType::kF16 && options.type != DType::kBF16) {
    throw Error(ErrorCode::kInvalidArgument, "convert writes f32, f16 or bf16");
  }
  ConversionSource src = OpenConversion(hf_dir, FileType(options.type));
  io::GgufWriter w;
  for (const auto& [k, v] : src.metadata) w.Set(k, v);
  ConvertResult result;
  result.arch = src.arch;
  if (options.add_tokenizer) result.tokenizer = options.add_tokenizer(hf_dir, result.arch, w);

  for (const ConversionTensor& c : src.tensors) {
    const DType out = c.ne.size() == 1 ? DType::kF32 : options.type;
    const uint64_t cols = c.ne[0];
    uint64_t rows = 1;
    for (size_t d = 1; d < c.ne.size(); ++d) rows *= c.ne[d];
    const size_t out_elem = GetDTypeInfo(out).block_bytes;
    const auto& read_rows = c.read_rows;
    w.AddTensor(c.name, out, c.ne, [read_rows, rows, cols, out, out_elem](uint8_t* dst) {
      std::vector<float> row(cols);
      for (uint64_t r = 0; r < rows; ++r) {
        read_rows(r, 1, row.data());
        ConvertRow(row.data(), cols, out, dst + r * cols * out_elem);
      }
    });
  }
  w.Write(out_path, options.progress);
  result.n_tensors = src.tensors.size();
  result.n_metadata = src.metadata.size();
  return result;
}

}  // namespace exaone::model
