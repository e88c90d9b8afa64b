#include "model/kv_cache.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "base/error.h"
#include "base/half.h"

namespace exaone::model {
namespace {

int64_t LayerCapacity(const LayerAttention& l, int64_t n_ctx, int window) {
  return l.sliding && window > 0 ? std::min<int64_t>(n_ctx, window) : n_ctx;
}

}  // namespace

void KvCache::FreeDeleter::operator()(void* p) const {
  std::free(p);
}

KvCache::KvCache(const std::vector<LayerAttention>& layers, int n_kv_heads, int head_dim, int n_ctx,
                 int window, DType type)
    : n_kv_heads_(n_kv_heads),
      head_dim_(head_dim),
      kv_dim_(n_kv_heads * head_dim),
      n_ctx_(n_ctx),
      window_(window),
      type_(type) {
  EXA_CHECK(n_ctx > 0 && n_kv_heads > 0 && head_dim > 0);
  EXA_CHECK_MSG(type == DType::kF32 || type == DType::kF16, "KV cache type must be F32 or F16");
  elem_bytes_ = type == DType::kF32 ? 4 : 2;
  for (const auto& l : layers) {
    Layer layer;
    layer.capacity = static_cast<int>(LayerCapacity(l, n_ctx, window));
    layer.ring = layer.capacity < n_ctx;
    // calloc: large blocks come from fresh zero pages, so memory is committed as it is used.
    const size_t bytes = static_cast<size_t>(layer.capacity) * kv_dim_ * elem_bytes_;
    layer.k.reset(static_cast<uint8_t*>(std::calloc(bytes, 1)));
    layer.v.reset(static_cast<uint8_t*>(std::calloc(bytes, 1)));
    if (!layer.k || !layer.v) {
      throw Error(ErrorCode::kInvalidArgument, "cannot allocate the KV cache (" +
                                                   std::to_string(bytes >> 20) + " MiB per layer)");
    }
    layers_.push_back(std::move(layer));
  }
}

void KvCache::StoreRow(uint8_t* dst, const float* src) const {
  if (type_ == DType::kF32) {
    std::memcpy(dst, src, head_dim_ * sizeof(float));
    return;
  }
  auto* h = reinterpret_cast<uint16_t*>(dst);
  for (int i = 0; i < head_dim_; ++i) h[i] = F32ToF16(src[i]);
}

void KvCache::Store(int layer, const float* k, const float* v, int n) {
  Layer& l = layers_[layer];
  EXA_CHECK(n_past_ + n <= n_ctx_);
  const int first = std::max(0, n - l.capacity);  // older ones would be overwritten anyway
  for (int t = first; t < n; ++t) {
    const size_t slot = static_cast<size_t>((n_past_ + t) % l.capacity);
    for (int h = 0; h < n_kv_heads_; ++h) {
      const size_t dst = (static_cast<size_t>(h) * l.capacity + slot) * head_dim_ * elem_bytes_;
      const size_t src = static_cast<size_t>(t) * kv_dim_ + static_cast<size_t>(h) * head_dim_;
      StoreRow(l.k.get() + dst, k + src);
      StoreRow(l.v.get() + dst, v + src);
    }
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
  for (const auto& l : layers_) total += 2ull * l.capacity * kv_dim_ * elem_bytes_;
  return total;
}

uint64_t KvCacheBytes(const std::vector<LayerAttention>& layers, int kv_dim, int64_t n_ctx,
                      int window, DType type) {
  const uint64_t elem = type == DType::kF32 ? 4 : 2;
  uint64_t total = 0;
  for (const auto& l : layers) {
    total += static_cast<uint64_t>(LayerCapacity(l, n_ctx, window)) * kv_dim * 2 * elem;
  }
  return total;
}

DType DefaultCacheType(DType weights) {
  return weights == DType::kF32 ? DType::kF32 : DType::kF16;
}

}  // namespace exaone::model
