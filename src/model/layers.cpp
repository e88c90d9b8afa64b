#include "model/layers.h"

#include <cmath>

#include "kernels/attention.h"
#include "kernels/ops.h"

namespace exaone::model {

std::string LayerName(int layer, const char* suffix) {
  return "blk." + std::to_string(layer) + "." + suffix;
}

void AttentionBlock::Bind(const TensorTable& t, int layer, int64_t hidden, bool qk_norm) {
  const uint64_t qd = static_cast<uint64_t>(n_heads) * head_dim;
  const uint64_t kvd = static_cast<uint64_t>(n_kv_heads) * head_dim;
  q = t.Matrix(LayerName(layer, "attn_q.weight"), qd, hidden);
  k = t.Matrix(LayerName(layer, "attn_k.weight"), kvd, hidden);
  v = t.Matrix(LayerName(layer, "attn_v.weight"), kvd, hidden);
  o = t.Matrix(LayerName(layer, "attn_output.weight"), hidden, qd);
  if (qk_norm) {
    q_norm = t.Vector(LayerName(layer, "attn_q_norm.weight"), head_dim);
    k_norm = t.Vector(LayerName(layer, "attn_k_norm.weight"), head_dim);
  }
}

void AttentionBlock::Forward(const float* x, int n, int layer, const LayerAttention& kind,
                             int window, const Rope& rope, KvCache& cache, float* out,
                             ThreadPool& pool) const {
  const size_t qd = static_cast<size_t>(n_heads) * head_dim;
  const size_t kvd = static_cast<size_t>(n_kv_heads) * head_dim;
  std::vector<float> qs(n * qd), ks(n * kvd), vs(n * kvd), attn(n * qd);
  kernels::MatMulMany(x, n, {{&q, qs.data()}, {&k, ks.data()}, {&v, vs.data()}}, pool);
  if (!q_norm.empty()) {
    kernels::RmsNormRows(qs.data(), q_norm.data(), static_cast<size_t>(n) * n_heads, head_dim,
                         norm_eps);
    kernels::RmsNormRows(ks.data(), k_norm.data(), static_cast<size_t>(n) * n_kv_heads, head_dim,
                         norm_eps);
  }
  const int past = cache.n_past();
  if (kind.rope) {
    for (int t = 0; t < n; ++t) {
      rope.Apply(qs.data() + t * qd, n_heads, head_dim, past + t);
      rope.Apply(ks.data() + t * kvd, n_kv_heads, head_dim, past + t);
    }
  }
  kernels::AttentionArgs a;
  a.n_tokens = n;
  a.past = past;
  a.n_heads = n_heads;
  a.n_kv_heads = n_kv_heads;
  a.head_dim = head_dim;
  a.scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  a.window = kind.sliding ? window : 0;
  a.q = qs.data();
  a.k_new = ks.data();
  a.v_new = vs.data();
  a.k_cache = cache.keys(layer);
  a.v_cache = cache.values(layer);
  a.cache_type = cache.type();
  a.cache_capacity = cache.capacity(layer);
  a.out = attn.data();
  kernels::Attention(a, pool);
  cache.Store(layer, ks.data(), vs.data(), n);
  kernels::MatMul(attn.data(), n, o, out, pool);
}

void MlpBlock::Bind(const TensorTable& t, int layer, int64_t hidden, int64_t ffn) {
  gate = t.Matrix(LayerName(layer, "ffn_gate.weight"), ffn, hidden);
  up = t.Matrix(LayerName(layer, "ffn_up.weight"), ffn, hidden);
  down = t.Matrix(LayerName(layer, "ffn_down.weight"), hidden, ffn);
}

void MlpBlock::Forward(const float* x, int n, float* out, ThreadPool& pool) const {
  std::vector<float> g(static_cast<size_t>(n) * gate.rows), u(g.size());
  kernels::MatMulMany(x, n, {{&gate, g.data()}, {&up, u.data()}}, pool);
  kernels::SiluMul(g.data(), u.data(), g.size());
  kernels::MatMul(g.data(), n, down, out, pool);
}

void Embed(const kernels::WeightView& embedding, const int32_t* ids, int n, float* x) {
  for (int i = 0; i < n; ++i)
    kernels::GetRow(embedding, ids[i], x + static_cast<size_t>(i) * embedding.cols);
}

}  // namespace exaone::model
