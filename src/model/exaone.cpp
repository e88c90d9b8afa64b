// EXAONE 3.0 / 3.5 / Deep (HF model_type "exaone", GGUF architecture "exaone").
//
// ref: the EXAONE 3.x remote code and transformers models/exaone (which maps it onto Llama).
// The math is the pre-norm Llama decoder; what is EXAONE's own is the config keys (num_layers,
// layer_norm_epsilon) and the checkpoint names (transformer.h.N.attn.attention.out_proj ...).
#include "base/error.h"
#include "model/hparams.h"
#include "model/prenorm_decoder.h"

namespace exaone::model {
namespace {

const std::vector<std::pair<std::string, std::string>> kOriginalNames = {
    {"ln_1.weight", "attn_norm.weight"},
    {"attn.attention.q_proj.weight", "attn_q.weight"},
    {"attn.attention.k_proj.weight", "attn_k.weight"},
    {"attn.attention.v_proj.weight", "attn_v.weight"},
    {"attn.attention.out_proj.weight", "attn_output.weight"},
    {"ln_2.weight", "ffn_norm.weight"},
    {"mlp.c_fc_0.weight", "ffn_gate.weight"},
    {"mlp.c_fc_1.weight", "ffn_up.weight"},
    {"mlp.c_proj.weight", "ffn_down.weight"},
};
// The same weights as transformers >= 5 names them after its renaming onto Llama.
const std::vector<std::pair<std::string, std::string>> kLlamaNames = {
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
  if (name == "transformer.wte.weight" || name == "model.embed_tokens.weight") {
    return "token_embd.weight";
  }
  if (name == "transformer.ln_f.weight" || name == "model.norm.weight") return "output_norm.weight";
  if (name == "lm_head.weight") return "output.weight";
  if (auto n = MapLayerName(name, "transformer.h.", kOriginalNames)) return n;
  return MapLayerName(name, "model.layers.", kLlamaNames);
}

PreNormConfig FromHf(const ModelFiles& f, const TensorTable& t) {
  io::JsonView c = f.ConfigView();
  PreNormConfig cfg;
  cfg.arch = "exaone";
  auto first = [&](const char* a, const char* b) { return c.Has(a) ? c.At(a) : c.At(b); };
  cfg.vocab_size = c.Int("vocab_size");
  cfg.hidden_size = c.Int("hidden_size");
  cfg.n_layers = first("num_layers", "num_hidden_layers").Int();
  cfg.n_heads = c.Int("num_attention_heads");
  cfg.n_kv_heads = c.IntOr("num_key_value_heads", cfg.n_heads);
  CheckRange(f.config_path, "num_attention_heads", cfg.n_heads, 1, kMaxHeads);
  cfg.head_dim = c.IntOr("head_dim", cfg.hidden_size / cfg.n_heads);
  cfg.ffn_size = c.Int("intermediate_size");
  cfg.context_length = c.IntOr("max_position_embeddings", 4096);
  cfg.norm_eps = c.Has("layer_norm_epsilon") ? c.Number("layer_norm_epsilon")
                                             : c.NumberOr("rms_norm_eps", 1e-5);
  auto act = c.StringOr("activation_function");
  if (!act) act = c.StringOr("hidden_act");
  if (act && *act != "silu")
    c.Fail("only the silu activation is supported, found \"" + *act + "\"");
  // Configs differ on whether the key is written; the checkpoint settles it when it is absent.
  cfg.tied = c.Has("tie_word_embeddings") ? c.At("tie_word_embeddings").Bool()
                                          : t.Find("output.weight") == nullptr;
  cfg.Validate(f.config_path);
  cfg.rope = RopeFromHfConfig(c, static_cast<int>(cfg.head_dim), 500000.0);
  return cfg;
}

PreNormConfig ConfigFor(const ModelFiles& f, const TensorTable& t) {
  return f.format == SourceFormat::kGguf ? PreNormFromGguf(f, t) : FromHf(f, t);
}

std::unique_ptr<Model> Load(const ModelFiles& f, const TensorTable& t, const LoadOptions&) {
  return MakePreNormDecoder(ConfigFor(f, t), t);
}

ModelSummary Describe(const ModelFiles& f, const TensorTable& t) {
  return SummarizePreNorm(ConfigFor(f, t));
}

ExportPlan PlanExport(const ModelFiles& f, const TensorTable& t) {
  PreNormConfig cfg = ConfigFor(f, t);
  ExportPlan p;
  PreNormExportMetadata(cfg, f, p);
  for (const auto& tensor : t.all()) {
    if (cfg.tied && tensor.name == "output.weight") continue;
    p.tensors.push_back({tensor.name, &tensor, {}, {}});
  }
  if (!cfg.rope.freq_factors.empty()) {
    p.tensors.push_back({"rope_freqs.weight", nullptr, {}, cfg.rope.freq_factors});
  }
  return p;
}

}  // namespace

const Architecture& ExaoneArchitecture() {
  static const Architecture arch{"exaone", "exaone", HfName, Load, Describe, PlanExport};
  return arch;
}

}  // namespace exaone::model
