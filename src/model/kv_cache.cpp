#include "model/kv_cache.h"

#include <algorithm>
#include <cstring>

#include "base/error.h"

namespace exaone::model {
namespace {

int64_t LayerCapacity(const LayerAttention& l, int64_t n_ctx, int window) {
  return l.sliding && window > 0 ? std::min<int64_t>(n_ctx, window) : n_ctx;
}

}  // namespace

KvCache::KvCache(const std::vector<LayerAttention>& layers, int kv_dim, int n_ctx, int window)
    : kv_dim_(kv_dim), n_ctx_(n_ctx), window_(window) {
  EXA_CHECK(n_ctx > 0 && kv_dim > 0);
  for (const auto& l : layers) {
    Layer layer;
    layer.capacity = static_cast<int>(LayerCapacity(l, n_ctx, window));
    layer.ring = layer.capacity < n_ctx;
    layer.k.resize(static_cast<size_t>(layer.capacity) * kv_dim);
    layer.v.resize(static_cast<size_t>(layer.capacity) * kv_dim);
    layers_.push_back(std::move(layer));
  }
}

void KvCache::Store(int layer, const float* k, const float* v, int n) {
  Layer& l = layers_[layer];
  EXA_CHECK(n_past_ + n <= n_ctx_);
  const int first = std::max(0, n - l.capacity);  // older ones would be overwritten anyway
  for (int t = first; t < n; ++t) {
    const size_t slot = static_cast<size_t>((n_past_ + t) % l.capacity);
    std::memcpy(l.k.data() + slot * kv_dim_, k + static_cast<size_t>(t) * kv_dim_,
                kv_dim_ * sizeof(float));
    std::memcpy(l.v.data() + slot * kv_dim_, v + static_cast<size_t>(t) * kv_dim_,
                kv_dim_ * sizeof(float));
  }
}

bool KvCache::CanTruncate(int n) const {
  if (n < 0 || n > n_past_) return false;
  for (const auto& l : layers_) {
    if (!l.ring) continue;
    // The next query (position n) reads positions n - window + 1 .. n - 1; the ring holds
    // n_past - capacity .. n_past - 1.
    if (n > 0 && std::max(0, n - window_ + 1) < n_past_ - l.capacity) return false;
  }
  return true;
}

void KvCache::Truncate(int n) {
  EXA_CHECK(CanTruncate(n));
  n_past_ = n;
}

uint64_t KvCache::bytes() const {
  uint64_t total = 0;
  for (const auto& l : layers_) total += (l.k.size() + l.v.size()) * sizeof(float);
  return total;
}

uint64_t KvCacheBytes(const std::vector<LayerAttention>& layers, int kv_dim, int64_t n_ctx,
                      int window) {
  uint64_t total = 0;
  for (const auto& l : layers) {
    total += static_cast<uint64_t>(LayerCapacity(l, n_ctx, window)) * kv_dim * 2 * sizeof(float);
  }
  return total;
}

}  // namespace exaone::model
