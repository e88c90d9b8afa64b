#include "model/kv_cache.h"

#include <algorithm>
#include <climits>
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

void KvBlockPool::FreeDeleter::operator()(void* p) const {
  std::free(p);
}

KvBlockPool::KvBlockPool(int n_kv_heads, int head_dim, int block_len, size_t n_blocks, DType type)
    : block_len_(block_len), type_(type) {
  EXA_CHECK(n_kv_heads > 0 && head_dim > 0 && block_len > 0 && n_blocks > 0);
  EXA_CHECK(n_blocks < static_cast<size_t>(INT32_MAX));
  EXA_CHECK_MSG(type == DType::kF32 || type == DType::kF16, "KV cache type must be F32 or F16");
  block_bytes_ =
      static_cast<size_t>(n_kv_heads) * head_dim * block_len * (type == DType::kF32 ? 4 : 2);
  // calloc: large blocks come from fresh zero pages, so memory is committed as it is used.
  storage_.reset(static_cast<uint8_t*>(std::calloc(n_blocks, 2 * block_bytes_)));
  if (!storage_) {
    throw Error(ErrorCode::kInvalidArgument,
                "cannot allocate the KV cache (" +
                    std::to_string((n_blocks * 2 * block_bytes_) >> 20) + " MiB)");
  }
  refs_.assign(n_blocks, 0);
  free_.reserve(n_blocks);
  for (size_t i = n_blocks; i-- > 0;) free_.push_back(static_cast<int32_t>(i));
}

int32_t KvBlockPool::Alloc() {
  if (free_.empty()) return -1;
  const int32_t id = free_.back();
  free_.pop_back();
  refs_[static_cast<size_t>(id)] = 1;
  used_.fetch_add(1, std::memory_order_relaxed);
  return id;
}

void KvBlockPool::Ref(int32_t id) {
  EXA_CHECK(id >= 0 && static_cast<size_t>(id) < refs_.size() && refs_[id] > 0);
  ++refs_[static_cast<size_t>(id)];
}

void KvBlockPool::Unref(int32_t id) {
  EXA_CHECK(id >= 0 && static_cast<size_t>(id) < refs_.size() && refs_[id] > 0);
  if (--refs_[static_cast<size_t>(id)] == 0) {
    free_.push_back(id);
    used_.fetch_sub(1, std::memory_order_relaxed);
  }
}

uint8_t* KvBlockPool::keys(int32_t id) {
  return storage_.get() + static_cast<size_t>(id) * 2 * block_bytes_;
}

uint8_t* KvBlockPool::values(int32_t id) {
  return keys(id) + block_bytes_;
}

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
  Init(layers);
  for (Layer& l : layers_) {
    // calloc: large blocks come from fresh zero pages, so memory is committed as it is used.
    const size_t bytes = static_cast<size_t>(l.capacity) * kv_dim_ * elem_bytes_;
    l.own_k.reset(static_cast<uint8_t*>(std::calloc(bytes, 1)));
    l.own_v.reset(static_cast<uint8_t*>(std::calloc(bytes, 1)));
    if (!l.own_k || !l.own_v) {
      throw Error(ErrorCode::kInvalidArgument, "cannot allocate the KV cache (" +
                                                   std::to_string(bytes >> 20) + " MiB per layer)");
    }
    l.block_len = l.capacity;
    l.k = {l.own_k.get()};
    l.v = {l.own_v.get()};
  }
}

KvCache::KvCache(const std::vector<LayerAttention>& layers, int n_kv_heads, int head_dim, int n_ctx,
                 int window, std::shared_ptr<KvBlockPool> pool)
    : pool_(std::move(pool)),
      n_kv_heads_(n_kv_heads),
      head_dim_(head_dim),
      kv_dim_(n_kv_heads * head_dim),
      n_ctx_(n_ctx),
      window_(window),
      type_(pool_ ? pool_->type() : DType::kF32) {
  EXA_CHECK(pool_ != nullptr);
  Init(layers);
  for (Layer& l : layers_) {
    l.ring = false;
    l.capacity = n_ctx;
    l.block_len = pool_->block_len();
  }
}

KvCache::~KvCache() {
  if (paged()) Clear();
}

void KvCache::Init(const std::vector<LayerAttention>& layers) {
  EXA_CHECK(n_ctx_ > 0 && n_kv_heads_ > 0 && head_dim_ > 0);
  EXA_CHECK_MSG(type_ == DType::kF32 || type_ == DType::kF16, "KV cache type must be F32 or F16");
  elem_bytes_ = type_ == DType::kF32 ? 4 : 2;
  for (const auto& la : layers) {
    Layer l;
    l.sliding = la.sliding && window_ > 0;
    l.capacity = static_cast<int>(LayerCapacity(la, n_ctx_, window_));
    l.ring = l.capacity < n_ctx_;
    layers_.push_back(std::move(l));
  }
}

int KvCache::capacity(int layer) const {
  return layers_[layer].capacity;
}

int KvCache::WindowStart(int pos) const {
  return window_ > 0 ? std::max(0, pos - window_ + 1) : 0;
}

void KvCache::StoreRow(uint8_t* dst, const float* src) const {
  if (type_ == DType::kF32) {
    std::memcpy(dst, src, head_dim_ * sizeof(float));
    return;
  }
  auto* h = reinterpret_cast<uint16_t*>(dst);
  for (int i = 0; i < head_dim_; ++i) h[i] = F32ToF16(src[i]);
}

void KvCache::SetBlock(Layer& l, size_t index, int32_t id) {
  if (l.ids.size() <= index) {
    l.ids.resize(index + 1, -1);
    l.k.resize(index + 1, nullptr);
    l.v.resize(index + 1, nullptr);
  }
  l.ids[index] = id;
  l.k[index] = id < 0 ? nullptr : pool_->keys(id);
  l.v[index] = id < 0 ? nullptr : pool_->values(id);
}

uint8_t* KvCache::WritableBlock(Layer& l, int p, bool keys) {
  const size_t index = static_cast<size_t>(p / l.block_len);
  const int32_t old = index < l.ids.size() ? l.ids[index] : -1;
  if (old < 0 || pool_->refs(old) > 1) {
    const int32_t id = pool_->Alloc();
    if (id < 0) {
      throw Error(ErrorCode::kInvalidArgument,
                  "the KV cache is full (" + std::to_string(pool_->total()) + " blocks in use)");
    }
    if (old >= 0) {  // shared with another sequence: write into a copy
      std::memcpy(pool_->keys(id), pool_->keys(old), pool_->block_bytes());
      std::memcpy(pool_->values(id), pool_->values(old), pool_->block_bytes());
      pool_->Unref(old);
    }
    SetBlock(l, index, id);
  }
  return keys ? pool_->keys(l.ids[index]) : pool_->values(l.ids[index]);
}

void KvCache::Store(int layer, const float* k, const float* v, int n) {
  Layer& l = layers_[layer];
  EXA_CHECK(n >= 0 && n_past_ + n <= n_ctx_);
  const size_t row_bytes = static_cast<size_t>(head_dim_) * elem_bytes_;
  if (paged()) {
    for (int t = 0; t < n; ++t) {
      const int p = n_past_ + t;
      const size_t row = static_cast<size_t>(p % l.block_len);
      uint8_t* kb = WritableBlock(l, p, true);
      uint8_t* vb = WritableBlock(l, p, false);
      for (int h = 0; h < n_kv_heads_; ++h) {
        const size_t dst = (static_cast<size_t>(h) * l.block_len + row) * row_bytes;
        const size_t src = static_cast<size_t>(t) * kv_dim_ + static_cast<size_t>(h) * head_dim_;
        StoreRow(kb + dst, k + src);
        StoreRow(vb + dst, v + src);
      }
    }
    return;
  }
  const int first = std::max(0, n - l.capacity);  // older ones would be overwritten anyway
  for (int t = first; t < n; ++t) {
    const size_t slot = static_cast<size_t>((n_past_ + t) % l.capacity);
    for (int h = 0; h < n_kv_heads_; ++h) {
      const size_t dst = (static_cast<size_t>(h) * l.capacity + slot) * row_bytes;
      const size_t src = static_cast<size_t>(t) * kv_dim_ + static_cast<size_t>(h) * head_dim_;
      StoreRow(l.own_k.get() + dst, k + src);
      StoreRow(l.own_v.get() + dst, v + src);
    }
  }
}

void KvCache::Advance(int n) {
  EXA_CHECK(n >= 0 && n_past_ + n <= n_ctx_);
  n_past_ += n;
  if (!paged()) return;
  const int start = std::max(0, WindowStart(n_past_) - kSlidingSlack);
  for (Layer& l : layers_) {
    if (!l.sliding) continue;
    // Blocks wholly before the next query's window, less the slack.
    const size_t end = std::min(l.ids.size(), static_cast<size_t>(start / l.block_len));
    for (size_t i = 0; i < end; ++i) {
      if (l.ids[i] < 0) continue;
      pool_->Unref(l.ids[i]);
      SetBlock(l, i, -1);
    }
  }
}

void KvCache::ReleaseFrom(Layer& l, size_t first_block) {
  for (size_t i = first_block; i < l.ids.size(); ++i) {
    if (l.ids[i] >= 0) pool_->Unref(l.ids[i]);
  }
  if (l.ids.size() > first_block) {
    l.ids.resize(first_block);
    l.k.resize(first_block);
    l.v.resize(first_block);
  }
}

void KvCache::Clear() {
  n_past_ = 0;
  if (!paged()) return;
  for (Layer& l : layers_) ReleaseFrom(l, 0);
}

bool KvCache::CanTruncate(int n) const {
  if (n < 0 || n > n_past_) return false;
  if (paged()) return n == 0 || CanShareFrom(*this, n);
  for (const auto& l : layers_) {
    if (!l.ring) continue;
    // The next query (position n) reads positions n - window + 1 .. n - 1; the ring holds
    // n_past - capacity .. n_past - 1.
    if (n > 0 && WindowStart(n) < n_past_ - l.capacity) return false;
  }
  return true;
}

void KvCache::Truncate(int n) {
  EXA_CHECK(CanTruncate(n));
  n_past_ = n;
  if (!paged()) return;
  for (Layer& l : layers_) {
    ReleaseFrom(l, static_cast<size_t>((n + l.block_len - 1) / l.block_len));
  }
}

bool KvCache::CanShareFrom(const KvCache& other, int n) const {
  if (!paged() || other.pool_ != pool_ || other.layers_.size() != layers_.size()) return false;
  if (n < 0 || n > other.n_past_ || n > n_ctx_) return false;
  for (const Layer& l : other.layers_) {
    // Positions the next query at n reads from the cache.
    for (int p = l.sliding ? WindowStart(n) : 0; p < n; p += l.block_len - p % l.block_len) {
      const size_t index = static_cast<size_t>(p / l.block_len);
      if (index >= l.ids.size() || l.ids[index] < 0) return false;
    }
  }
  return true;
}

void KvCache::ShareFrom(const KvCache& other, int n) {
  EXA_CHECK(&other != this && CanShareFrom(other, n));
  Clear();
  for (size_t li = 0; li < layers_.size(); ++li) {
    Layer& l = layers_[li];
    const Layer& o = other.layers_[li];
    const int first = l.sliding ? WindowStart(n) : 0;
    const size_t end = static_cast<size_t>((n + l.block_len - 1) / l.block_len);
    for (size_t i = 0; i < end; ++i) {
      const bool needed = static_cast<int>((i + 1) * l.block_len) > first;
      if (!needed) {
        SetBlock(l, i, -1);
        continue;
      }
      pool_->Ref(o.ids[i]);
      SetBlock(l, i, o.ids[i]);
    }
  }
  n_past_ = n;
}

uint64_t KvCache::bytes() const {
  uint64_t total = 0;
  for (const auto& l : layers_) {
    if (paged()) {
      for (int32_t id : l.ids) total += id >= 0 ? 2 * pool_->block_bytes() : 0;
    } else {
      total += 2ull * l.capacity * kv_dim_ * elem_bytes_;
    }
  }
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
