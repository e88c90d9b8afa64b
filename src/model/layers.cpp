#include "model/layers.h"

#include <algorithm>
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

void AttentionBlock::Forward(const float* x, int n, const std::vector<Segment>& segments, int layer,
                             const LayerAttention& kind, int window, const Rope& rope, float* out,
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
  for (const Segment& s : segments) {
    KvCache& cache = *s.cache;
    const int past = cache.n_past();
    float* q_seg = qs.data() + static_cast<size_t>(s.offset) * qd;
    float* k_seg = ks.data() + static_cast<size_t>(s.offset) * kvd;
    float* v_seg = vs.data() + static_cast<size_t>(s.offset) * kvd;
    if (kind.rope) {
      for (int t = 0; t < s.n; ++t) {
        rope.Apply(q_seg + t * qd, n_heads, head_dim, past + t);
        rope.Apply(k_seg + t * kvd, n_kv_heads, head_dim, past + t);
      }
    }
    kernels::AttentionArgs a;
    a.n_tokens = s.n;
    a.past = past;
    a.n_heads = n_heads;
    a.n_kv_heads = n_kv_heads;
    a.head_dim = head_dim;
    a.scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
    a.window = kind.sliding ? window : 0;
    a.q = q_seg;
    a.k_new = k_seg;
    a.v_new = v_seg;
    a.cache_k = cache.key_blocks(layer);
    a.cache_v = cache.value_blocks(layer);
    a.cache_blocks = cache.blocks(layer);
    a.cache_block_len = cache.block_len(layer);
    a.cache_type = cache.type();
    a.out = attn.data() + static_cast<size_t>(s.offset) * qd;
    kernels::Attention(a, pool);
    cache.Store(layer, k_seg, v_seg, s.n);
  }
  kernels::MatMul(attn.data(), n, o, out, pool);
}

void FinishForward(const std::vector<Model::SeqStep>& seqs,
                   const std::vector<AttentionBlock::Segment>& segments, std::vector<float>& x,
                   size_t h, bool all_positions, const std::vector<float>& final_norm, float eps,
                   const kernels::WeightView& lm_head, float* logits, ThreadPool& pool) {
  for (const Model::SeqStep& s : seqs) s.cache->Advance(s.n);
  if (all_positions) {
    const size_t n = x.size() / h;
    kernels::RmsNormRows(x.data(), final_norm.data(), n, h, eps);
    kernels::MatMul(x.data(), n, lm_head, logits, pool);
    return;
  }
  // Each sequence's last row, gathered in order.
  std::vector<float> last(segments.size() * h);
  for (size_t i = 0; i < segments.size(); ++i) {
    const size_t row = static_cast<size_t>(segments[i].offset + segments[i].n - 1);
    std::copy(x.begin() + row * h, x.begin() + (row + 1) * h, last.begin() + i * h);
  }
  kernels::RmsNormRows(last.data(), final_norm.data(), segments.size(), h, eps);
  kernels::MatMul(last.data(), segments.size(), lm_head, logits, pool);
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
