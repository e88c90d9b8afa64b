#include "model/prenorm_decoder.h"

#include "base/error.h"
#include "kernels/ops.h"
#include "model/hparams.h"
#include "model/layers.h"

namespace exaone::model {

void PreNormConfig::Validate(const std::string& what) const {
  CheckRange(what, "vocab_size", vocab_size, 1, kMaxVocab);
  CheckRange(what, "num_hidden_layers", n_layers, 1, kMaxLayers);
  CheckAttentionShape(what, hidden_size, n_heads, n_kv_heads, head_dim);
  CheckRange(what, "intermediate_size", ffn_size, 1, kMaxFfn);
  CheckRange(what, "max_position_embeddings", context_length, 1, kMaxContext);
  CheckEps(what, "rms_norm_eps", norm_eps);
}

ModelSummary SummarizePreNorm(const PreNormConfig& cfg) {
  ModelSummary s;
  s.arch = cfg.arch;
  s.vocab_size = cfg.vocab_size;
  s.hidden_size = cfg.hidden_size;
  s.n_layers = cfg.n_layers;
  s.n_heads = cfg.n_heads;
  s.n_kv_heads = cfg.n_kv_heads;
  s.head_dim = cfg.head_dim;
  s.ffn_size = cfg.ffn_size;
  s.context_length = cfg.context_length;
  s.norm_eps = cfg.norm_eps;
  s.rope_theta = cfg.rope.theta;
  s.rope_scaling = cfg.rope.scaling;
  s.tied_embeddings = cfg.tied;
  s.layers.assign(cfg.n_layers, LayerAttention{false, true});
  return s;
}

namespace {

class PreNormDecoder : public Model {
 public:
  PreNormDecoder(const PreNormConfig& cfg, const TensorTable& t) : cfg_(cfg), rope_(cfg.rope) {
    const int64_t h = cfg.hidden_size;
    embed_ = t.Matrix("token_embd.weight", cfg.vocab_size, h);
    lm_head_ = cfg.tied ? embed_ : t.Matrix("output.weight", cfg.vocab_size, h);
    final_norm_ = t.Vector("output_norm.weight", h);
    layers_.resize(cfg.n_layers);
    for (int i = 0; i < cfg.n_layers; ++i) {
      Layer& l = layers_[i];
      l.attn_norm = t.Vector(LayerName(i, "attn_norm.weight"), h);
      l.attn.n_heads = static_cast<int>(cfg.n_heads);
      l.attn.n_kv_heads = static_cast<int>(cfg.n_kv_heads);
      l.attn.head_dim = static_cast<int>(cfg.head_dim);
      l.attn.Bind(t, i, h, /*qk_norm=*/false);
      l.ffn_norm = t.Vector(LayerName(i, "ffn_norm.weight"), h);
      l.mlp.Bind(t, i, h, cfg.ffn_size);
    }
    summary_ = SummarizePreNorm(cfg);
    summary_.cache_type = DefaultCacheType(embed_.dtype);
  }

  const ModelSummary& summary() const override { return summary_; }

  void Run(const std::vector<SeqStep>& seqs, float* logits, ThreadPool& pool,
           bool all_positions) const override {
    const size_t h = static_cast<size_t>(cfg_.hidden_size);
    const float eps = static_cast<float>(cfg_.norm_eps);
    std::vector<AttentionBlock::Segment> segments;
    int n = 0;
    for (const SeqStep& s : seqs) {
      segments.push_back({s.cache, n, s.n});
      n += s.n;
    }
    std::vector<float> x(n * h), normed(n * h), tmp(n * h);
    for (size_t i = 0; i < seqs.size(); ++i) {
      Embed(embed_, seqs[i].ids, seqs[i].n, x.data() + segments[i].offset * h);
    }
    for (size_t i = 0; i < layers_.size(); ++i) {
      const Layer& l = layers_[i];
      for (int t = 0; t < n; ++t) {
        kernels::RmsNorm(x.data() + t * h, l.attn_norm.data(), h, eps, normed.data() + t * h);
      }
      l.attn.Forward(normed.data(), n, segments, static_cast<int>(i), summary_.layers[i], 0, rope_,
                     tmp.data(), pool);
      kernels::Add(x.data(), tmp.data(), x.size());
      for (int t = 0; t < n; ++t) {
        kernels::RmsNorm(x.data() + t * h, l.ffn_norm.data(), h, eps, normed.data() + t * h);
      }
      l.mlp.Forward(normed.data(), n, tmp.data(), pool);
      kernels::Add(x.data(), tmp.data(), x.size());
    }
    FinishForward(seqs, segments, x, h, all_positions, final_norm_, eps, lm_head_, logits, pool);
  }

 private:
  struct Layer {
    std::vector<float> attn_norm;  // blk.N.attn_norm [hidden]
    AttentionBlock attn;           // blk.N.attn_{q,k,v,output}
    std::vector<float> ffn_norm;   // blk.N.ffn_norm [hidden]
    MlpBlock mlp;                  // blk.N.ffn_{gate,up,down}
  };
  PreNormConfig cfg_;
  Rope rope_;
  kernels::WeightView embed_;      // token_embd [vocab, hidden]
  kernels::WeightView lm_head_;    // output [vocab, hidden], or token_embd when tied
  std::vector<float> final_norm_;  // output_norm [hidden]
  std::vector<Layer> layers_;
  ModelSummary summary_;
};

}  // namespace

std::unique_ptr<Model> MakePreNormDecoder(const PreNormConfig& cfg, const TensorTable& t) {
  return std::make_unique<PreNormDecoder>(cfg, t);
}

PreNormConfig PreNormFromGguf(const ModelFiles& f, const TensorTable& t) {
  GgufMeta m = f.Meta();
  auto key = [&](const char* s) { return f.ArchKey(s); };
  PreNormConfig cfg;
  cfg.arch = f.arch;
  cfg.hidden_size = m.Int(key("embedding_length"));
  cfg.n_layers = m.Int(key("block_count"));
  cfg.n_heads = m.Int(key("attention.head_count"));
  cfg.n_kv_heads = m.IntOpt(key("attention.head_count_kv")).value_or(cfg.n_heads);
  CheckRange(f.path, "attention.head_count", cfg.n_heads, 1, kMaxHeads);
  cfg.head_dim = m.IntOpt(key("attention.key_length")).value_or(cfg.hidden_size / cfg.n_heads);
  cfg.ffn_size = m.Int(key("feed_forward_length"));
  cfg.context_length = m.IntOpt(key("context_length")).value_or(2048);
  auto eps = m.NumberOpt(key("attention.layer_norm_rms_epsilon"));
  if (!eps) eps = m.NumberOpt(key("attention.layer_norm_epsilon"));
  cfg.norm_eps = eps.value_or(1e-5);
  const TensorRef* embd = t.Find("token_embd.weight");
  if (!embd || embd->shape.size() != 2) {
    throw Error(ErrorCode::kBadFile, f.path + ": missing 2-D tensor 'token_embd.weight'");
  }
  cfg.vocab_size = m.IntOpt(key("vocab_size")).value_or(static_cast<int64_t>(embd->shape[0]));
  cfg.tied = t.Find("output.weight") == nullptr;
  cfg.Validate(f.path);
  cfg.rope.dim = static_cast<int>(m.IntOpt(key("rope.dimension_count")).value_or(cfg.head_dim));
  if (cfg.rope.dim != cfg.head_dim) {
    m.Fail(key("rope.dimension_count"), "partial rotary embedding is not supported");
  }
  cfg.rope.theta = m.NumberOpt(key("rope.freq_base")).value_or(10000.0);
  if (t.Find("rope_freqs.weight")) {
    cfg.rope.freq_factors = t.Vector("rope_freqs.weight", cfg.head_dim / 2);
    cfg.rope.scaling = "per-frequency factors (rope_freqs)";
  }
  auto scaling = m.StringOpt(key("rope.scaling.type"));
  if (scaling && *scaling == "linear") {
    double factor = m.Number(key("rope.scaling.factor"));
    if (!(factor > 0)) m.Fail(key("rope.scaling.factor"), "must be > 0");
    if (cfg.rope.freq_factors.empty()) cfg.rope.freq_factors.assign(cfg.head_dim / 2, 1.0f);
    for (float& v : cfg.rope.freq_factors) v *= static_cast<float>(factor);
    cfg.rope.scaling = "linear (factor " + std::to_string(factor) + ")";
  } else if (scaling && *scaling != "none") {
    m.Fail(key("rope.scaling.type"), "\"" + *scaling + "\" is not supported");
  }
  return cfg;
}

void PreNormExportMetadata(const PreNormConfig& cfg, const ModelFiles& f, ExportPlan& p) {
  auto set = [&](const char* k, io::GgufValue v) { p.metadata.emplace_back(f.ArchKey(k), v); };
  using V = io::GgufValue;
  set("vocab_size", V::U32(static_cast<uint32_t>(cfg.vocab_size)));
  set("context_length", V::U32(static_cast<uint32_t>(cfg.context_length)));
  set("embedding_length", V::U32(static_cast<uint32_t>(cfg.hidden_size)));
  set("block_count", V::U32(static_cast<uint32_t>(cfg.n_layers)));
  set("feed_forward_length", V::U32(static_cast<uint32_t>(cfg.ffn_size)));
  set("attention.head_count", V::U32(static_cast<uint32_t>(cfg.n_heads)));
  set("attention.head_count_kv", V::U32(static_cast<uint32_t>(cfg.n_kv_heads)));
  set("attention.key_length", V::U32(static_cast<uint32_t>(cfg.head_dim)));
  set("attention.value_length", V::U32(static_cast<uint32_t>(cfg.head_dim)));
  set("attention.layer_norm_rms_epsilon", V::F32(static_cast<float>(cfg.norm_eps)));
  set("rope.freq_base", V::F32(static_cast<float>(cfg.rope.theta)));
  set("rope.dimension_count", V::U32(static_cast<uint32_t>(cfg.head_dim)));
}

}  // namespace exaone::model
