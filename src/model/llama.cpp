// Llama (HF model_type "llama", GGUF architecture "llama"): the architecture of the small real
// checkpoints that registry packages ship, used for real-weight checks.
//
// llama.cpp's converter permutes the rows of attn_q / attn_k so that rotated pairs are adjacent
// (ref: convert_hf_to_gguf.py LlamaModel.permute); GGUF llama files therefore use interleaved
// RoPE and HF folders use rotate_half. Our converter applies the same permutation.
#include "base/error.h"
#include "model/hparams.h"
#include "model/prenorm_decoder.h"

namespace exaone::model {
namespace {

const std::vector<std::pair<std::string, std::string>> kNames = {
    {"input_layernorm.weight", "attn_norm.weight"},
    {"self_attn.q_proj.weight", "attn_q.weight"},
    {"self_attn.k_proj.weight", "attn_k.weight"},
    {"self_attn.v_proj.weight", "attn_v.weight"},
    {"self_attn.o_proj.weight", "attn_output.weight"},
    {"post_attention_layernorm.weight", "ffn_norm.weight"},
    {"mlp.gate_proj.weight", "ffn_gate.weight"},
    {"mlp.up_proj.weight", "ffn_up.weight"},
    {"mlp.down_proj.weight", "ffn_down.weight"},
};

std::optional<std::string> HfName(const std::string& name) {
  if (name == "model.embed_tokens.weight") return "token_embd.weight";
  if (name == "model.norm.weight") return "output_norm.weight";
  if (name == "lm_head.weight") return "output.weight";
  return MapLayerName(name, "model.layers.", kNames);
}

PreNormConfig FromHf(const ModelFiles& f, const TensorTable& t) {
  io::JsonView c = f.ConfigView();
  PreNormConfig cfg;
  cfg.arch = "llama";
  cfg.vocab_size = c.Int("vocab_size");
  cfg.hidden_size = c.Int("hidden_size");
  cfg.n_layers = c.Int("num_hidden_layers");
  cfg.n_heads = c.Int("num_attention_heads");
  cfg.n_kv_heads = c.IntOr("num_key_value_heads", cfg.n_heads);
  CheckRange(f.config_path, "num_attention_heads", cfg.n_heads, 1, kMaxHeads);
  cfg.head_dim = c.IntOr("head_dim", cfg.hidden_size / cfg.n_heads);
  cfg.ffn_size = c.Int("intermediate_size");
  cfg.context_length = c.IntOr("max_position_embeddings", 2048);
  cfg.norm_eps = c.NumberOr("rms_norm_eps", 1e-6);
  if (auto act = c.StringOr("hidden_act"); act && *act != "silu") {
    c.At("hidden_act").Fail("only silu is supported, found \"" + *act + "\"");
  }
  if (c.BoolOr("attention_bias", false)) c.At("attention_bias").Fail("biases are not supported");
  if (c.BoolOr("mlp_bias", false)) c.At("mlp_bias").Fail("biases are not supported");
  cfg.tied = c.BoolOr("tie_word_embeddings", false);
  (void)t;
  cfg.Validate(f.config_path);
  cfg.rope = RopeFromHfConfig(c, static_cast<int>(cfg.head_dim), 10000.0);
  return cfg;
}

PreNormConfig ConfigFor(const ModelFiles& f, const TensorTable& t) {
  if (f.format == SourceFormat::kGguf) {
    PreNormConfig cfg = PreNormFromGguf(f, t);
    cfg.rope.interleaved = true;
    return cfg;
  }
  return FromHf(f, t);
}

std::unique_ptr<Model> Load(const ModelFiles& f, const TensorTable& t, const LoadOptions&) {
  return MakePreNormDecoder(ConfigFor(f, t), t);
}

ModelSummary Describe(const ModelFiles& f, const TensorTable& t) {
  return SummarizePreNorm(ConfigFor(f, t));
}

bool EndsWith(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// Row r of the GGUF matrix is HF row (head, half, i) with r = head*d + 2*i + half.
std::vector<uint32_t> PermuteRows(int64_t heads, int64_t head_dim) {
  std::vector<uint32_t> order(static_cast<size_t>(heads * head_dim));
  const int64_t half = head_dim / 2;
  for (int64_t h = 0; h < heads; ++h) {
    for (int64_t i = 0; i < half; ++i) {
      for (int64_t s = 0; s < 2; ++s) {
        order[h * head_dim + 2 * i + s] = static_cast<uint32_t>(h * head_dim + s * half + i);
      }
    }
  }
  return order;
}

ExportPlan PlanExport(const ModelFiles& f, const TensorTable& t) {
  PreNormConfig cfg = ConfigFor(f, t);
  ExportPlan p;
  PreNormExportMetadata(cfg, f, p);
  const bool from_hf = f.format == SourceFormat::kHuggingFace;
  for (const auto& tensor : t.all()) {
    if (cfg.tied && tensor.name == "output.weight") continue;
    ExportTensor e{tensor.name, &tensor, {}, {}};
    const std::string& n = tensor.name;
    if (from_hf && EndsWith(n, ".attn_q.weight")) {
      e.row_order = PermuteRows(cfg.n_heads, cfg.head_dim);
    } else if (from_hf && EndsWith(n, ".attn_k.weight")) {
      e.row_order = PermuteRows(cfg.n_kv_heads, cfg.head_dim);
    }
    p.tensors.push_back(std::move(e));
  }
  if (!cfg.rope.freq_factors.empty()) {
    p.tensors.push_back({"rope_freqs.weight", nullptr, {}, cfg.rope.freq_factors});
  }
  return p;
}

}  // namespace

const Architecture& LlamaArchitecture() {
  static const Architecture arch{"llama", "llama", HfName, Load, Describe, PlanExport};
  return arch;
}

}  // namespace exaone::model
