// EXAONE 4.0 (HF model_type "exaone4", GGUF architecture "exaone4").
//
// ref: transformers models/exaone4/modeling_exaone4.py. Differences from Llama: no pre-norms;
// RMSNorm after attention and after the MLP, inside the residual ("QK-Reorder-Norm"); per-head
// RMSNorm on q and k; hybrid attention where sliding layers use RoPE and global layers use none
// (NoPE) whenever the model has a sliding window at all.
#include <cmath>
#include <memory>

#include "base/error.h"
#include "kernels/ops.h"
#include "model/arch.h"
#include "model/hparams.h"
#include "model/layers.h"
#include "model/rope.h"

namespace exaone::model {
namespace {

struct Exaone4Config {
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t num_key_value_heads = 0;
  int64_t head_dim = 0;
  int64_t intermediate_size = 0;
  int64_t max_position_embeddings = 0;
  double rms_norm_eps = 1e-5;
  int64_t sliding_window = 0;  // 0: no sliding window (every layer global, with RoPE)
  std::vector<LayerAttention> layers;
  RopeConfig rope;
  bool tie_word_embeddings = false;

  void Validate(const std::string& what) const {
    CheckRange(what, "vocab_size", vocab_size, 1, kMaxVocab);
    CheckRange(what, "num_hidden_layers", num_hidden_layers, 1, kMaxLayers);
    CheckAttentionShape(what, hidden_size, num_attention_heads, num_key_value_heads, head_dim);
    CheckRange(what, "intermediate_size", intermediate_size, 1, kMaxFfn);
    CheckRange(what, "max_position_embeddings", max_position_embeddings, 1, kMaxContext);
    CheckRange(what, "sliding_window", sliding_window, 0, kMaxContext);
    CheckEps(what, "rms_norm_eps", rms_norm_eps);
  }
};

// Layer kinds from config.json. ref: Exaone4Config.__post_init__ and its docstring.
std::vector<LayerAttention> HfLayerKinds(const io::JsonView& root, int64_t n_layers,
                                         int64_t window) {
  std::vector<LayerAttention> layers(static_cast<size_t>(n_layers));
  if (root.Has("layer_types")) {  // authoritative when present
    io::JsonView types = root.At("layer_types");
    if (types.Size() != static_cast<size_t>(n_layers)) {
      types.Fail("has " + std::to_string(types.Size()) + " entries for " +
                 std::to_string(n_layers) + " layers");
    }
    for (int64_t i = 0; i < n_layers; ++i) {
      std::string t = types.At(i).String();
      if (t == "sliding_attention") {
        layers[i].sliding = true;
      } else if (t != "full_attention") {
        types.At(i).Fail("unknown layer type \"" + t + "\"");
      }
    }
    if (window == 0) {
      for (auto& l : layers) {
        if (l.sliding) types.Fail("sliding layers but sliding_window is null");
      }
    }
  } else if (window > 0) {
    // Absent or null means transformers' default period of 4.
    const io::Json* p = root.json().contains("sliding_window_pattern")
                            ? &root.json()["sliding_window_pattern"]
                            : nullptr;
    if (p && p->is_string()) {
      std::string s = p->get<std::string>();
      if (s.empty() || s.find_first_not_of("LG") != std::string::npos) {
        root.At("sliding_window_pattern").Fail("must be a string of L and G");
      }
      for (int64_t i = 0; i < n_layers; ++i) layers[i].sliding = s[i % s.size()] == 'L';
      layers.back().sliding = false;  // the final layer is always global
    } else {
      int64_t period = 4;
      if (p && !p->is_null()) {
        period = root.At("sliding_window_pattern").Int();
        if (period < 1) root.At("sliding_window_pattern").Fail("must be >= 1");
      }
      for (int64_t i = 0; i < n_layers; ++i) layers[i].sliding = (i + 1) % period != 0;
    }
  }
  for (auto& l : layers) l.rope = window == 0 || l.sliding;
  return layers;
}

Exaone4Config FromHf(const ModelFiles& f) {
  io::JsonView c = f.ConfigView();
  Exaone4Config cfg;
  cfg.vocab_size = c.Int("vocab_size");
  cfg.hidden_size = c.Int("hidden_size");
  cfg.num_hidden_layers = c.Int("num_hidden_layers");
  cfg.num_attention_heads = c.Int("num_attention_heads");
  cfg.num_key_value_heads = c.IntOr("num_key_value_heads", cfg.num_attention_heads);
  CheckRange(f.config_path, "num_attention_heads", cfg.num_attention_heads, 1, kMaxHeads);
  cfg.head_dim = c.IntOr("head_dim", cfg.hidden_size / cfg.num_attention_heads);
  cfg.intermediate_size = c.Int("intermediate_size");
  cfg.max_position_embeddings = c.IntOr("max_position_embeddings", 2048);
  cfg.rms_norm_eps = c.NumberOr("rms_norm_eps", 1e-5);
  cfg.sliding_window = c.IntOr("sliding_window", 0);
  if (auto act = c.StringOr("hidden_act"); act && *act != "silu") {
    c.At("hidden_act").Fail("only silu is supported, found \"" + *act + "\"");
  }
  cfg.tie_word_embeddings = c.BoolOr("tie_word_embeddings", false);
  cfg.Validate(f.config_path);
  cfg.layers = HfLayerKinds(c, cfg.num_hidden_layers, cfg.sliding_window);
  cfg.rope = RopeFromHfConfig(c, static_cast<int>(cfg.head_dim), 10000.0);
  return cfg;
}

// ref: llama.cpp src/models/exaone4.cpp loader and conversion/exaone.py.
Exaone4Config FromGguf(const ModelFiles& f, const TensorTable& t) {
  GgufMeta m = f.Meta();
  auto key = [&](const char* s) { return f.ArchKey(s); };
  Exaone4Config cfg;
  cfg.hidden_size = m.Int(key("embedding_length"));
  cfg.num_hidden_layers = m.Int(key("block_count"));
  cfg.num_attention_heads = m.Int(key("attention.head_count"));
  cfg.num_key_value_heads =
      m.IntOpt(key("attention.head_count_kv")).value_or(cfg.num_attention_heads);
  CheckRange(f.path, "attention.head_count", cfg.num_attention_heads, 1, kMaxHeads);
  cfg.head_dim =
      m.IntOpt(key("attention.key_length")).value_or(cfg.hidden_size / cfg.num_attention_heads);
  cfg.intermediate_size = m.Int(key("feed_forward_length"));
  cfg.max_position_embeddings = m.IntOpt(key("context_length")).value_or(2048);
  cfg.rms_norm_eps = m.NumberOpt(key("attention.layer_norm_rms_epsilon")).value_or(1e-5);
  const TensorRef* embd = t.Find("token_embd.weight");
  if (!embd || embd->shape.size() != 2) {
    throw Error(ErrorCode::kBadFile, f.path + ": missing 2-D tensor 'token_embd.weight'");
  }
  cfg.vocab_size = m.IntOpt(key("vocab_size")).value_or(static_cast<int64_t>(embd->shape[0]));
  cfg.sliding_window = m.IntOpt(key("attention.sliding_window")).value_or(0);
  cfg.tie_word_embeddings = t.Find("output.weight") == nullptr;
  cfg.Validate(f.path);
  cfg.layers.resize(cfg.num_hidden_layers);
  if (cfg.sliding_window > 0) {
    auto pattern = m.BoolArrayOpt(key("attention.sliding_window_pattern"));
    if (pattern && pattern->size() != cfg.layers.size()) {
      m.Fail(key("attention.sliding_window_pattern"),
             std::to_string(pattern->size()) + " entries for " +
                 std::to_string(cfg.num_hidden_layers) + " layers");
    }
    for (size_t i = 0; i < cfg.layers.size(); ++i) {
      cfg.layers[i].sliding = pattern ? (*pattern)[i] : (i + 1) % 4 != 0;
    }
  }
  for (auto& l : cfg.layers) l.rope = cfg.sliding_window == 0 || l.sliding;
  cfg.rope.dim = static_cast<int>(m.IntOpt(key("rope.dimension_count")).value_or(cfg.head_dim));
  if (cfg.rope.dim != cfg.head_dim) {
    m.Fail(key("rope.dimension_count"), "partial rotary embedding is not supported");
  }
  cfg.rope.theta = m.NumberOpt(key("rope.freq_base")).value_or(10000.0);
  if (const TensorRef* freqs = t.Find("rope_freqs.weight")) {
    cfg.rope.freq_factors = t.Vector("rope_freqs.weight", cfg.head_dim / 2);
    cfg.rope.scaling = "per-frequency factors (rope_freqs)";
    (void)freqs;
  }
  return cfg;
}

ModelSummary Summarize(const Exaone4Config& cfg) {
  ModelSummary s;
  s.arch = "exaone4";
  s.vocab_size = cfg.vocab_size;
  s.hidden_size = cfg.hidden_size;
  s.n_layers = cfg.num_hidden_layers;
  s.n_heads = cfg.num_attention_heads;
  s.n_kv_heads = cfg.num_key_value_heads;
  s.head_dim = cfg.head_dim;
  s.ffn_size = cfg.intermediate_size;
  s.context_length = cfg.max_position_embeddings;
  s.sliding_window = cfg.sliding_window;
  s.norm_eps = cfg.rms_norm_eps;
  s.rope_theta = cfg.rope.theta;
  s.rope_scaling = cfg.rope.scaling;
  s.tied_embeddings = cfg.tie_word_embeddings;
  s.layers = cfg.layers;
  return s;
}

class Exaone4Model : public Model {
 public:
  Exaone4Model(const Exaone4Config& cfg, const TensorTable& t) : cfg_(cfg), rope_(cfg.rope) {
    const int64_t h = cfg.hidden_size;
    embed_ = t.Matrix("token_embd.weight", cfg.vocab_size, h);
    lm_head_ = cfg.tie_word_embeddings ? embed_ : t.Matrix("output.weight", cfg.vocab_size, h);
    final_norm_ = t.Vector("output_norm.weight", h);
    layers_.resize(cfg.num_hidden_layers);
    for (int i = 0; i < cfg.num_hidden_layers; ++i) {
      Layer& l = layers_[i];
      l.attn.n_heads = static_cast<int>(cfg.num_attention_heads);
      l.attn.n_kv_heads = static_cast<int>(cfg.num_key_value_heads);
      l.attn.head_dim = static_cast<int>(cfg.head_dim);
      l.attn.norm_eps = static_cast<float>(cfg.rms_norm_eps);
      l.attn.Bind(t, i, h, /*qk_norm=*/true);
      l.post_attention_norm = t.Vector(LayerName(i, "post_attention_norm.weight"), h);
      l.mlp.Bind(t, i, h, cfg.intermediate_size);
      l.post_ffw_norm = t.Vector(LayerName(i, "post_ffw_norm.weight"), h);
    }
    summary_ = Summarize(cfg);
    summary_.cache_type = DefaultCacheType(embed_.dtype);
  }

  const ModelSummary& summary() const override { return summary_; }

  void Run(const std::vector<SeqStep>& seqs, float* logits, ThreadPool& pool,
           bool all_positions) const override {
    const size_t h = static_cast<size_t>(cfg_.hidden_size);
    const float eps = static_cast<float>(cfg_.rms_norm_eps);
    std::vector<AttentionBlock::Segment> segments;
    int n = 0;
    for (const SeqStep& s : seqs) {
      segments.push_back({s.cache, n, s.n});
      n += s.n;
    }
    std::vector<float> x(n * h), tmp(n * h);
    for (size_t i = 0; i < seqs.size(); ++i) {
      Embed(embed_, seqs[i].ids, seqs[i].n, x.data() + segments[i].offset * h);
    }
    for (size_t i = 0; i < layers_.size(); ++i) {
      const Layer& l = layers_[i];
      // x = x + norm(attn(x))
      l.attn.Forward(x.data(), n, segments, static_cast<int>(i), cfg_.layers[i],
                     static_cast<int>(cfg_.sliding_window), rope_, tmp.data(), pool);
      kernels::RmsNormRows(tmp.data(), l.post_attention_norm.data(), n, h, eps);
      kernels::Add(x.data(), tmp.data(), x.size());
      // x = x + norm(mlp(x)); the MLP reads x itself, not a normalised copy.
      l.mlp.Forward(x.data(), n, tmp.data(), pool);
      kernels::RmsNormRows(tmp.data(), l.post_ffw_norm.data(), n, h, eps);
      kernels::Add(x.data(), tmp.data(), x.size());
    }
    FinishForward(seqs, segments, x, h, all_positions, final_norm_, eps, lm_head_, logits, pool);
  }

 private:
  struct Layer {
    AttentionBlock attn;                     // blk.N.attn_{q,k,v,output,q_norm,k_norm}
    std::vector<float> post_attention_norm;  // blk.N.post_attention_norm [hidden]
    MlpBlock mlp;                            // blk.N.ffn_{gate,up,down}
    std::vector<float> post_ffw_norm;        // blk.N.post_ffw_norm [hidden]
  };
  Exaone4Config cfg_;
  Rope rope_;
  kernels::WeightView embed_;      // token_embd [vocab, hidden]  (model.embed_tokens)
  kernels::WeightView lm_head_;    // output [vocab, hidden] (lm_head), or token_embd when tied
  std::vector<float> final_norm_;  // output_norm [hidden] (model.norm)
  std::vector<Layer> layers_;
  ModelSummary summary_;
};

const std::vector<std::pair<std::string, std::string>> kLayerNames = {
    {"self_attn.q_proj.weight", "attn_q.weight"},
    {"self_attn.k_proj.weight", "attn_k.weight"},
    {"self_attn.v_proj.weight", "attn_v.weight"},
    {"self_attn.o_proj.weight", "attn_output.weight"},
    {"self_attn.q_norm.weight", "attn_q_norm.weight"},
    {"self_attn.k_norm.weight", "attn_k_norm.weight"},
    {"post_attention_layernorm.weight", "post_attention_norm.weight"},
    {"post_feedforward_layernorm.weight", "post_ffw_norm.weight"},
    {"mlp.gate_proj.weight", "ffn_gate.weight"},
    {"mlp.up_proj.weight", "ffn_up.weight"},
    {"mlp.down_proj.weight", "ffn_down.weight"},
};

std::optional<std::string> HfName(const std::string& name) {
  if (name == "model.embed_tokens.weight") return "token_embd.weight";
  if (name == "model.norm.weight") return "output_norm.weight";
  if (name == "lm_head.weight") return "output.weight";
  return MapLayerName(name, "model.layers.", kLayerNames);
}

Exaone4Config ConfigFor(const ModelFiles& f, const TensorTable& t) {
  return f.format == SourceFormat::kGguf ? FromGguf(f, t) : FromHf(f);
}

std::unique_ptr<Model> Load(const ModelFiles& f, const TensorTable& t, const LoadOptions& o) {
  Exaone4Config cfg = ConfigFor(f, t);
  if (o.adjust_attention) {
    o.adjust_attention(cfg.layers, cfg.sliding_window);
    EXA_CHECK(cfg.layers.size() == static_cast<size_t>(cfg.num_hidden_layers));
  }
  return std::make_unique<Exaone4Model>(cfg, t);
}

ModelSummary Describe(const ModelFiles& f, const TensorTable& t) {
  return Summarize(ConfigFor(f, t));
}

ExportPlan PlanExport(const ModelFiles& f, const TensorTable& t) {
  Exaone4Config cfg = ConfigFor(f, t);
  ExportPlan p;
  auto set = [&](const char* k, io::GgufValue v) { p.metadata.emplace_back(f.ArchKey(k), v); };
  using V = io::GgufValue;
  set("vocab_size", V::U32(static_cast<uint32_t>(cfg.vocab_size)));
  set("context_length", V::U32(static_cast<uint32_t>(cfg.max_position_embeddings)));
  set("embedding_length", V::U32(static_cast<uint32_t>(cfg.hidden_size)));
  set("block_count", V::U32(static_cast<uint32_t>(cfg.num_hidden_layers)));
  set("feed_forward_length", V::U32(static_cast<uint32_t>(cfg.intermediate_size)));
  set("attention.head_count", V::U32(static_cast<uint32_t>(cfg.num_attention_heads)));
  set("attention.head_count_kv", V::U32(static_cast<uint32_t>(cfg.num_key_value_heads)));
  set("attention.key_length", V::U32(static_cast<uint32_t>(cfg.head_dim)));
  set("attention.value_length", V::U32(static_cast<uint32_t>(cfg.head_dim)));
  set("attention.layer_norm_rms_epsilon", V::F32(static_cast<float>(cfg.rms_norm_eps)));
  set("rope.freq_base", V::F32(static_cast<float>(cfg.rope.theta)));
  set("rope.dimension_count", V::U32(static_cast<uint32_t>(cfg.head_dim)));
  if (cfg.sliding_window > 0) {
    set("attention.sliding_window", V::U32(static_cast<uint32_t>(cfg.sliding_window)));
    std::vector<V> pattern;
    for (const auto& l : cfg.layers) pattern.push_back(V::Bool(l.sliding));
    set("attention.sliding_window_pattern", V::Array(io::GgufType::kBool, std::move(pattern)));
  }
  for (const auto& tensor : t.all()) {
    if (cfg.tie_word_embeddings && tensor.name == "output.weight") continue;
    p.tensors.push_back({tensor.name, &tensor, {}, {}});
  }
  if (!cfg.rope.freq_factors.empty()) {
    p.tensors.push_back({"rope_freqs.weight", nullptr, {}, cfg.rope.freq_factors});
  }
  return p;
}

}  // namespace

const Architecture& Exaone4Architecture() {
  static const Architecture arch{"exaone4", "exaone4", HfName, Load, Describe, PlanExport};
  return arch;
}

}  // namespace exaone::model
