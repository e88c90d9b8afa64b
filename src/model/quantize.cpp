#include "model/quantize.h"

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "base/error.h"
#include "base/half.h"
#include "base/mapped_file.h"
#include "base/thread_pool.h"
#include "kernels/matmul.h"
#include "kernels/quant/format.h"
#include "model/arch.h"
#include "model/convert.h"
#include "model/hparams.h"
#include "model/model_files.h"

namespace exaone::model {
namespace {

// ref: llama.h llama_ftype, tools/quantize QUANT_OPTIONS (names, aliases).
const std::vector<QuantFileType> kFileTypes = {
    {"F32", 0, DType::kF32},        {"F16", 1, DType::kF16},      {"BF16", 32, DType::kBF16},
    {"Q8_0", 7, DType::kQ8_0},      {"Q4_0", 2, DType::kQ4_0},    {"Q4_1", 3, DType::kQ4_1},
    {"Q5_0", 8, DType::kQ5_0},      {"Q5_1", 9, DType::kQ5_1},    {"IQ4_NL", 25, DType::kIQ4_NL},
    {"IQ4_XS", 30, DType::kIQ4_XS}, {"Q2_K", 10, DType::kQ2_K},   {"Q3_K_S", 11, DType::kQ3_K},
    {"Q3_K_M", 12, DType::kQ3_K},   {"Q3_K_L", 13, DType::kQ3_K}, {"Q4_K_S", 14, DType::kQ4_K},
    {"Q4_K_M", 15, DType::kQ4_K},   {"Q5_K_S", 16, DType::kQ5_K}, {"Q5_K_M", 17, DType::kQ5_K},
    {"Q6_K", 18, DType::kQ6_K},
};

// llama_ftype values of the mixes the rules below distinguish.
enum FileTypeId : uint32_t {
  kFtQ2_K = 10,
  kFtQ3_K_M = 12,
  kFtQ3_K_L = 13,
  kFtQ4_K_S = 14,
  kFtQ4_K_M = 15,
  kFtQ5_K_M = 17,
  kFtIQ4_NL = 25,
  kFtIQ4_XS = 30,
};

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

bool IsFloatType(DType t) {
  return t == DType::kF32 || t == DType::kF16 || t == DType::kBF16;
}

uint32_t BlockOf(DType t) {
  return GetDTypeInfo(t).block;
}

// ref: llama-quant.cpp tensor_category / tensor_get_category (substring tests, in this order).
enum class Category {
  kTokenEmbd,
  kAttnQ,
  kAttnV,
  kAttnK,
  kAttnQkv,
  kAttnKvB,
  kAttnOutput,
  kFfnUp,
  kFfnGate,
  kFfnDown,
  kOutput,
  kOther,
};

bool Contains(const std::string& s, const char* part) {
  return s.find(part) != std::string::npos;
}

Category CategoryOf(const std::string& name) {
  if (name == "output.weight") return Category::kOutput;
  if (name == "token_embd.weight" || name == "per_layer_token_embd.weight") {
    return Category::kTokenEmbd;
  }
  if (Contains(name, "attn_qkv.weight")) return Category::kAttnQkv;
  if (Contains(name, "attn_kv_b.weight")) return Category::kAttnKvB;
  if (Contains(name, "attn_v.weight")) return Category::kAttnV;
  if (Contains(name, "attn_k.weight")) return Category::kAttnK;
  if (Contains(name, "attn_q.weight")) return Category::kAttnQ;
  if (Contains(name, "attn_output.weight")) return Category::kAttnOutput;
  if (Contains(name, "ffn_up")) return Category::kFfnUp;
  if (Contains(name, "ffn_gate")) return Category::kFfnGate;
  if (Contains(name, "ffn_down")) return Category::kFfnDown;
  return Category::kOther;
}

bool IsAttnVLike(Category c) {
  return c == Category::kAttnV || c == Category::kAttnQkv || c == Category::kAttnKvB;
}

// GGML's dimension count: trailing dimensions of size 1 do not count.
size_t NDims(const std::vector<uint64_t>& ne) {
  size_t n = 1;
  for (size_t d = 0; d < ne.size(); ++d) {
    if (ne[d] != 1) n = d + 1;
  }
  return n;
}

// ref: llama-quant.cpp tensor_allows_quantization: 2-D (or 3-D) weights except norms and the
// small tables llama.cpp keeps as they are.
bool AllowsQuantization(const QuantTensorInfo& t) {
  if (NDims(t.ne) < 2) return false;
  const std::string& n = t.name;
  const std::string suffix = "weight";
  if (n.size() < suffix.size() || n.compare(n.size() - suffix.size(), suffix.size(), suffix)) {
    return false;
  }
  static const char* const kKeep[] = {"_norm.weight",
                                      "ffn_gate_inp.weight",
                                      "ffn_gate_tid2eid.weight",
                                      "altup",
                                      "laurel",
                                      "per_layer_model_proj",
                                      "ssm_conv1d",
                                      "shortconv.conv.weight",
                                      "attn_rel_b.weight",
                                      ".position_embd",
                                      ".rel_pos",
                                      ".patch_embd",
                                      ".patch_merger"};
  for (const char* k : kKeep) {
    if (Contains(n, k)) return false;
  }
  return n != "position_embd.weight" && n != "token_types.weight";
}

// "blk.N." -> N, else -1 (llama.cpp's weight order sorts by this, then by name).
int LayerOf(const std::string& name) {
  if (name.compare(0, 4, "blk.") != 0) return -1;
  const char* p = name.c_str() + 4;
  if (!std::isdigit(static_cast<unsigned char>(*p)) && *p != '-' && *p != '+') return -1;
  char* end = nullptr;
  const long v = std::strtol(p, &end, 10);
  if (end == p || v < -1000000 || v > 1000000) return -1;
  return static_cast<int>(v);
}

bool UseMoreBits(int64_t i, int64_t n) {
  return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2;
}

// ref: llama-quant.cpp tensor_type_fallback. llama.cpp has no fallback for the 32-value types
// (it stops with an error); those rows are written as F16 here, as llama.cpp does when even
// its fallback does not fit.
DType Fallback(DType t, uint64_t ncols, bool* used) {
  if (ncols % BlockOf(t) == 0) return t;
  *used = true;
  DType r;
  switch (t) {
    case DType::kIQ4_XS:
      r = DType::kIQ4_NL;
      break;
    case DType::kQ2_K:
    case DType::kQ3_K:
      r = DType::kQ4_0;
      break;
    case DType::kQ4_K:
      r = DType::kQ5_0;
      break;
    case DType::kQ5_K:
      r = DType::kQ5_1;
      break;
    case DType::kQ6_K:
      r = DType::kQ8_0;
      break;
    default:
      r = DType::kF16;
      break;
  }
  return ncols % BlockOf(r) == 0 ? r : DType::kF16;
}

struct RuleState {
  const QuantModelInfo& model;
  uint32_t ftype;
  bool tied = true;  // no output.weight: token_embd is the output matrix too
  int64_t n_attention_wv = 0;
  int64_t i_attention_wv = 0;
  int64_t n_ffn_down = 0;
  int64_t i_ffn_down = 0;
  int64_t gqa = 0;
  bool is_70b = false;
};

// ref: llama-quant.cpp llama_tensor_get_type_impl, for the targets in kFileTypes and the
// dense architectures exaone.cpp runs (the MoE, Falcon and IQ1/IQ2/IQ3 branches never apply).
DType MixType(RuleState& s, DType t, const QuantTensorInfo& tensor, Category cat,
              const QuantTypeOptions& options) {
  const uint32_t ft = s.ftype;
  if (cat == Category::kOutput || (s.tied && cat == Category::kTokenEmbd)) {
    if (options.output_type) return *options.output_type;
    if (tensor.ne[0] % BlockOf(t) != 0) return DType::kQ8_0;
    return t == DType::kQ8_0 ? t : DType::kQ6_K;
  }
  if (IsAttnVLike(cat)) {
    if (ft == kFtQ2_K) {
      t = s.gqa >= 4 ? DType::kQ4_K : DType::kQ3_K;
    } else if (ft == kFtQ3_K_M) {
      t = s.i_attention_wv < 2 ? DType::kQ5_K : DType::kQ4_K;
    } else if (ft == kFtQ3_K_L) {
      t = DType::kQ5_K;
    } else if ((ft == kFtIQ4_NL || ft == kFtIQ4_XS) && s.gqa >= 4) {
      t = DType::kQ5_K;
    } else if ((ft == kFtQ4_K_M || ft == kFtQ5_K_M) &&
               UseMoreBits(s.i_attention_wv, s.n_attention_wv)) {
      t = DType::kQ6_K;
    } else if (ft == kFtQ4_K_S && s.i_attention_wv < 4) {
      t = DType::kQ5_K;
    }
    // Llama 2/3 70B: 8 query heads share each attn_v, which is small; more bits cost little.
    if (s.is_70b && (t == DType::kQ3_K || t == DType::kQ4_K)) t = DType::kQ5_K;
    ++s.i_attention_wv;
    return t;
  }
  if (cat == Category::kFfnDown) {
    const int64_t i = s.i_ffn_down, n = s.n_ffn_down;
    if (ft == kFtQ2_K) {
      t = DType::kQ3_K;
    } else if (ft == kFtQ3_K_M) {
      t = i < n / 16 ? DType::kQ5_K : DType::kQ4_K;
    } else if (ft == kFtQ3_K_L) {
      t = DType::kQ5_K;
    } else if (ft == kFtQ4_K_M) {
      if (UseMoreBits(i, n)) t = DType::kQ6_K;
    } else if (i < n / 8 && (ft == kFtIQ4_NL || ft == kFtIQ4_XS)) {
      t = DType::kQ5_K;  // without an importance matrix
    } else if (ft == kFtQ5_K_M && UseMoreBits(i, n)) {
      t = DType::kQ6_K;
    } else if (ft == kFtQ4_K_S && i < n / 8) {
      t = DType::kQ5_K;
    }
    ++s.i_ffn_down;
    return t;
  }
  if (cat == Category::kAttnOutput) {
    if (ft == kFtQ2_K) {
      t = DType::kQ3_K;
    } else if (ft == kFtQ3_K_M) {
      t = DType::kQ4_K;
    } else if (ft == kFtQ3_K_L) {
      t = DType::kQ5_K;
    }
    return t;
  }
  return t;
}

int64_t MetaInt(const std::vector<std::pair<std::string, io::GgufValue>>& meta,
                const std::string& key, const std::string& what, std::optional<int64_t> fallback) {
  for (const auto& [k, v] : meta) {
    if (k != key) continue;
    // Per-layer arrays (head counts of some models): the first layer's value.
    const io::GgufValue item = v.type == io::GgufType::kArray && v.ArraySize() > 0 ? v.Item(0) : v;
    auto i = item.AsInt();
    if (!i) {
      throw Error(ErrorCode::kBadConfig, what + ": metadata '" + key + "': expected an integer");
    }
    return *i;
  }
  if (!fallback) throw Error(ErrorCode::kBadConfig, what + ": metadata '" + key + "' missing");
  return *fallback;
}

QuantModelInfo ModelInfo(const std::string& arch,
                         const std::vector<std::pair<std::string, io::GgufValue>>& meta,
                         const std::string& what) {
  QuantModelInfo m;
  m.arch = arch;
  m.n_layer = MetaInt(meta, arch + ".block_count", what, std::nullopt);
  m.n_head = MetaInt(meta, arch + ".attention.head_count", what, std::nullopt);
  m.n_head_kv = MetaInt(meta, arch + ".attention.head_count_kv", what, m.n_head);
  m.n_expert = MetaInt(meta, arch + ".expert_count", what, 0);
  CheckRange(what, "block_count", m.n_layer, 1, kMaxLayers);
  CheckRange(what, "attention.head_count", m.n_head, 1, kMaxHeads);
  CheckRange(what, "attention.head_count_kv", m.n_head_kv, 1, kMaxHeads);
  CheckRange(what, "expert_count", m.n_expert, 0, 1 << 16);
  return m;
}

void EncodeRow(DType to, const float* x, size_t n, uint8_t* dst) {
  switch (to) {
    case DType::kF32:
      std::memcpy(dst, x, n * sizeof(float));
      return;
    case DType::kF16:
      for (size_t i = 0; i < n; ++i) {
        const uint16_t h = F32ToF16(x[i]);
        std::memcpy(dst + 2 * i, &h, 2);
      }
      return;
    case DType::kBF16:
      for (size_t i = 0; i < n; ++i) {
        const uint16_t h = F32ToBf16(x[i]);
        std::memcpy(dst + 2 * i, &h, 2);
      }
      return;
    default:
      kernels::quant::QuantizeRow(to, x, n, dst);
  }
}

bool CanWrite(DType t) {
  return IsFloatType(t) || kernels::quant::CanQuantize(t);
}

// One input tensor, from either kind of source.
struct SourceTensor {
  QuantTensorInfo info;
  const uint8_t* raw = nullptr;  // GGUF input: the stored bytes
  uint64_t raw_bytes = 0;
  std::function<void(uint64_t first, uint64_t count, float* out)> read_rows;  // null: raw only
};

uint64_t RowsOf(const std::vector<uint64_t>& ne) {
  uint64_t rows = 1;
  for (size_t d = 1; d < ne.size(); ++d) rows *= ne[d];
  return rows;
}

}  // namespace

const std::vector<QuantFileType>& QuantFileTypes() {
  return kFileTypes;
}

QuantFileType ParseQuantFileType(const std::string& name) {
  std::string up = Upper(name);
  if (up == "Q3_K") up = "Q3_K_M";
  if (up == "Q4_K") up = "Q4_K_M";
  if (up == "Q5_K") up = "Q5_K_M";
  for (const QuantFileType& t : kFileTypes) {
    if (up == t.name) return t;
  }
  if (!up.empty() && up.size() <= 3 &&
      std::all_of(up.begin(), up.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    const unsigned long n = std::strtoul(up.c_str(), nullptr, 10);
    for (const QuantFileType& t : kFileTypes) {
      if (t.file_type == n) return t;
    }
  }
  std::string msg = "unknown quantization type \"" + name + "\"";
  if (up == "Q2_K_S") {
    msg = "Q2_K_S needs an importance matrix, which exaone quantize does not take";
  } else {
    msg += "; choose one of";
    for (const QuantFileType& t : kFileTypes) msg += std::string(" ") + t.name;
  }
  throw Error(ErrorCode::kInvalidArgument, msg);
}

std::vector<QuantTypeChoice> ChooseQuantTypes(const QuantModelInfo& model,
                                              const std::vector<QuantTensorInfo>& tensors,
                                              const QuantFileType& target,
                                              const QuantTypeOptions& options) {
  RuleState s{model, target.file_type};
  s.gqa = model.n_head_kv > 0 ? model.n_head / model.n_head_kv : 0;
  s.is_70b = model.arch == "llama" && model.n_layer == 80 && model.n_head != model.n_head_kv;
  s.n_ffn_down = model.n_layer;
  for (const QuantTensorInfo& t : tensors) {
    const Category c = CategoryOf(t.name);
    if (IsAttnVLike(c)) ++s.n_attention_wv;
    if (c == Category::kOutput) s.tied = false;
  }
  // llama.cpp visits the tensors sorted by layer (non-layer tensors first), then by name; the
  // per-layer counters above count in that order.
  std::vector<size_t> order(tensors.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::vector<int> layer(tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) layer[i] = LayerOf(tensors[i].name);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (layer[a] != layer[b]) return layer[a] < layer[b];
    return tensors[a].name < tensors[b].name;
  });

  const bool quantized_target = !IsFloatType(target.base);
  std::vector<QuantTypeChoice> out(tensors.size());
  for (size_t i : order) {
    const QuantTensorInfo& t = tensors[i];
    QuantTypeChoice& choice = out[i];
    choice.type = t.type;
    choice.quantizable = AllowsQuantization(t);
    if (!choice.quantizable) continue;
    const Category c = CategoryOf(t.name);
    if (options.token_embedding_type && c == Category::kTokenEmbd) {
      choice.type = *options.token_embedding_type;
      continue;
    }
    if (options.output_type && c == Category::kOutput) {
      choice.type = *options.output_type;
      continue;
    }
    DType type = target.base;
    if (quantized_target) {
      if (!options.pure) type = MixType(s, type, t, c, options);
      type = Fallback(type, t.ne[0], &choice.fallback);
    }
    choice.type = type;
  }
  return out;
}

QuantizeResult Quantize(const std::string& in_path, const std::string& out_path,
                        const QuantizeOptions& options) {
  QuantizeResult result;
  result.target = ParseQuantFileType(options.type);
  for (const std::optional<DType>& t :
       {options.types.output_type, options.types.token_embedding_type}) {
    if (t && !options.dry_run && !CanWrite(*t)) {
      throw Error(ErrorCode::kUnsupported,
                  std::string("cannot write tensors of type ") + DTypeName(*t));
    }
  }
  if (!options.dry_run && IsDirectory(out_path)) {
    throw Error(ErrorCode::kInvalidArgument, out_path + ": is a directory");
  }

  // The input as metadata + tensors, whichever kind it is.
  std::unique_ptr<ModelFiles> files;
  std::unique_ptr<ConversionSource> folder;
  std::vector<std::pair<std::string, io::GgufValue>> metadata;
  std::vector<SourceTensor> sources;
  uint32_t alignment = 32;
  if (IsDirectory(in_path)) {
    result.from_folder = true;
    folder = std::make_unique<ConversionSource>(OpenConversion(in_path, result.target.file_type));
    result.arch = folder->arch;
    result.in_file_bytes = folder->model.files->file_bytes;
    metadata = folder->metadata;
    for (const ConversionTensor& c : folder->tensors) {
      SourceTensor s;
      s.info = {c.name, c.ne, c.source_type};
      s.read_rows = c.read_rows;
      sources.push_back(std::move(s));
    }
  } else {
    files = OpenModelFiles(in_path);
    FindArchitecture(*files);  // one of the architectures exaone.cpp runs
    const io::GgufContents& g = files->gguf->contents();
    if (const io::GgufValue* v = g.Find("split.count"); v && v->AsInt().value_or(1) > 1) {
      throw Error(ErrorCode::kUnsupported,
                  in_path + ": one part of a split GGUF; quantize reads single-file GGUFs");
    }
    result.arch = files->arch;
    result.in_file_bytes = files->file_bytes;
    alignment = g.alignment;
    for (const auto& kv : g.metadata) {
      if (kv.first == "split.no" || kv.first == "split.count" ||
          kv.first == "split.tensors.count") {
        continue;
      }
      metadata.push_back(kv);
    }
    for (const io::GgufTensorInfo& t : g.tensors) {
      SourceTensor s;
      s.info = {t.name, t.ne, t.type};
      s.raw = t.data;
      s.raw_bytes = t.nbytes;
      if (IsFloatType(t.type)) {
        const uint64_t cols = t.ne[0];
        const uint64_t rows = RowsOf(t.ne);
        const size_t elem = GetDTypeInfo(t.type).block_bytes;
        EXA_CHECK(t.nbytes == rows * cols * elem);
        const DType type = t.type;
        const uint8_t* data = t.data;
        s.read_rows = [data, type, rows, cols, elem](uint64_t first, uint64_t count, float* out) {
          EXA_CHECK(first <= rows && count <= rows - first);
          kernels::ToFloat(type, data + first * cols * elem, count * cols, out);
        };
      }
      sources.push_back(std::move(s));
    }
  }
  const QuantModelInfo info = ModelInfo(result.arch, metadata, in_path);

  std::vector<QuantTensorInfo> infos;
  for (const SourceTensor& s : sources) infos.push_back(s.info);
  const std::vector<QuantTypeChoice> choices =
      ChooseQuantTypes(info, infos, result.target, options.types);

  for (size_t i = 0; i < sources.size(); ++i) {
    const SourceTensor& s = sources[i];
    QuantizedTensor q;
    q.name = s.info.name;
    q.ne = s.info.ne;
    q.from = s.info.type;
    // A folder's tensors that stay unquantized are written as `exaone convert --type f32` would.
    q.to = result.from_folder && !choices[i].quantizable ? DType::kF32 : choices[i].type;
    q.fallback = choices[i].fallback;
    result.n_fallback += q.fallback ? 1 : 0;
    const uint64_t rows = RowsOf(q.ne);
    uint64_t elements = q.ne[0] * rows;
    result.elements += elements;
    q.in_bytes = s.raw ? s.raw_bytes : elements * GetDTypeInfo(q.from).block_bytes;
    auto out_bytes = DTypeBytes(q.to, q.ne[0], rows);
    if (!out_bytes) {
      throw Error(ErrorCode::kInvalidArgument,
                  "tensor '" + q.name + "': a row of " + std::to_string(q.ne[0]) +
                      " values is not a whole number of " + DTypeName(q.to) + " blocks (" +
                      std::to_string(BlockOf(q.to)) + ")");
    }
    q.out_bytes = *out_bytes;
    if (q.to != q.from || !s.raw) {
      if (!s.read_rows) {
        throw Error(ErrorCode::kUnsupported,
                    in_path + ": tensor '" + q.name + "' is " + DTypeName(q.from) +
                        " already; quantize from a file with F32, F16 or BF16 weights");
      }
      if (!options.dry_run && !CanWrite(q.to)) {
        throw Error(ErrorCode::kUnsupported,
                    std::string("cannot write tensors of type ") + DTypeName(q.to));
      }
    }
    result.in_tensor_bytes += q.in_bytes;
    result.out_tensor_bytes += q.out_bytes;
    result.tensors.push_back(std::move(q));
  }
  if (options.dry_run) return result;

  io::GgufWriter w(alignment);
  for (const auto& [k, v] : metadata) w.Set(k, v);
  w.Set("general.quantization_version", io::GgufValue::U32(2));
  w.Set("general.file_type", io::GgufValue::U32(result.target.file_type));
  if (result.from_folder && options.add_tokenizer) {
    result.tokenizer = options.add_tokenizer(in_path, result.arch, w);
  }

  const int threads = options.threads > 0 ? options.threads : DefaultThreadCount();
  ThreadPool pool(threads);
  const auto start = std::chrono::steady_clock::now();
  auto seconds = [&start] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  uint64_t in_done = 0;
  const size_t total = result.tensors.size();
  for (size_t i = 0; i < total; ++i) {
    const QuantizedTensor* q = &result.tensors[i];
    const SourceTensor* s = &sources[i];
    w.AddTensor(q->name, q->to, q->ne, [&, q, s, i](uint8_t* dst) {
      if (options.progress) options.progress({i, total, q, false, in_done, seconds()});
      if (q->to == q->from && s->raw) {
        std::memcpy(dst, s->raw, q->out_bytes);
      } else {
        const uint64_t cols = q->ne[0];
        const uint64_t rows = RowsOf(q->ne);
        const uint64_t row_bytes = *DTypeBytes(q->to, cols, 1);
        const DType to = q->to;
        // A NaN or infinity would quantize to garbage (llama-quantize refuses such tensors
        // too); the workers only note the first bad row, and the error is raised here.
        std::atomic<uint64_t> bad_row{rows};
        pool.ParallelFor(rows, [&](size_t begin, size_t end) {
          std::vector<float> row(cols);
          for (size_t r = begin; r < end; ++r) {
            s->read_rows(r, 1, row.data());
            if (!std::all_of(row.begin(), row.end(), [](float v) { return std::isfinite(v); })) {
              uint64_t seen = bad_row.load();
              while (r < seen && !bad_row.compare_exchange_weak(seen, r)) {
              }
              return;
            }
            EncodeRow(to, row.data(), cols, dst + r * row_bytes);
          }
        });
        if (bad_row.load() < rows) {
          throw Error(ErrorCode::kBadConfig, in_path + ": tensor '" + q->name + "' row " +
                                                 std::to_string(bad_row.load()) +
                                                 " holds a NaN or infinite value");
        }
      }
      in_done += q->in_bytes;
      if (options.progress) options.progress({i, total, q, true, in_done, seconds()});
    });
  }
  w.Write(out_path);
  result.seconds = seconds();
  struct stat st;
  if (::stat(out_path.c_str(), &st) == 0) result.out_file_bytes = static_cast<uint64_t>(st.st_size);
  return result;
}

}  // namespace exaone::model
