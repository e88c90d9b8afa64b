// Checks on hyper-parameters read from config.json or GGUF metadata, shared by architectures.
#pragma once

#include <cstdint>
#include <string>

namespace exaone::model {

// Throws Error(kBadConfig) "<what>: <name> = <value> is out of range [lo, hi]".
void CheckRange(const std::string& what, const char* name, int64_t value, int64_t lo, int64_t hi);
void CheckEps(const std::string& what, const char* name, double value);

// Limits far beyond any real model, so a hostile config cannot ask for absurd allocations.
constexpr int64_t kMaxVocab = 1 << 22;
constexpr int64_t kMaxHidden = 1 << 16;
constexpr int64_t kMaxLayers = 1024;
constexpr int64_t kMaxHeads = 1024;
constexpr int64_t kMaxHeadDim = 1024;
constexpr int64_t kMaxFfn = 1 << 20;
constexpr int64_t kMaxContext = 1 << 24;

// Checks the attention shape common to all architectures (heads divide, even head_dim...).
void CheckAttentionShape(const std::string& what, int64_t hidden, int64_t heads, int64_t kv_heads,
                         int64_t head_dim);

}  // namespace exaone::model
