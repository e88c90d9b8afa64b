#include "model/convert.h"

#include <cstring>

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

ConvertResult ConvertToGguf(const std::string& hf_dir, const std::string& out_path,
                            const ConvertOptions& options) {
  if (options.type != DType::kF32 && options.type != DType::kF16 && options.type != DType::kBF16) {
    throw Error(ErrorCode::kInvalidArgument, "convert writes f32, f16 or bf16");
  }
  LoadedModel m = LoadModel(hf_dir);  // validates config, names and shapes before writing
  if (m.files->format != SourceFormat::kHuggingFace) {
    throw Error(ErrorCode::kInvalidArgument,
                hf_dir + ": convert reads a Hugging Face folder (config.json + safetensors)");
  }
  ExportPlan plan = m.arch->plan_export(*m.files, *m.tensors);
  io::GgufWriter w;
  using V = io::GgufValue;
  w.Set("general.architecture", V::String(m.arch->gguf_name));
  w.Set("general.name", V::String(BaseName(hf_dir)));
  w.Set("general.file_type", V::U32(FileType(options.type)));
  w.Set("general.quantization_version", V::U32(2));
  for (auto& [k, v] : plan.metadata) w.Set(k, v);
  ConvertResult result;
  result.arch = m.arch->gguf_name;
  if (options.add_tokenizer) result.tokenizer = options.add_tokenizer(hf_dir, result.arch, w);

  for (const ExportTensor& e : plan.tensors) {
    if (!e.source) {
      const std::vector<float>& values = e.generated;
      w.AddTensor(e.name, DType::kF32, {values.size()}, [values](uint8_t* dst) {
        std::memcpy(dst, values.data(), values.size() * sizeof(float));
      });
      continue;
    }
    const TensorRef* t = e.source;
    if (!kernels::MatMulSupports(t->dtype)) {
      throw Error(ErrorCode::kUnsupported, hf_dir + ": tensor '" + t->file_name + "' has type " +
                                               DTypeName(t->dtype) + ", not F32, F16 or BF16");
    }
    const uint64_t cols = t->shape.back();
    const uint64_t rows = t->elements() / cols;
    const DType out = t->shape.size() == 1 ? DType::kF32 : options.type;
    std::vector<uint64_t> ne(t->shape.rbegin(), t->shape.rend());
    const size_t in_elem = GetDTypeInfo(t->dtype).block_bytes;
    const size_t out_elem = GetDTypeInfo(out).block_bytes;
    std::vector<uint32_t> order = e.row_order;
    w.AddTensor(e.name, out, ne, [t, rows, cols, out, in_elem, out_elem, order](uint8_t* dst) {
      std::vector<float> row(cols);
      for (uint64_t r = 0; r < rows; ++r) {
        const uint64_t src_row = order.empty() ? r : order[r];
        kernels::ToFloat(t->dtype, t->data + src_row * cols * in_elem, cols, row.data());
        ConvertRow(row.data(), cols, out, dst + r * cols * out_elem);
      }
    });
  }
  w.Write(out_path, options.progress);
  result.n_tensors = plan.tensors.size();
  result.n_metadata = plan.metadata.size() + 4;
  return result;
}

}  // namespace exaone::model
