#include "model/hparams.h"

#include <cmath>

#include "base/error.h"

namespace exaone::model {

void CheckRange(const std::string& what, const char* name, int64_t value, int64_t lo, int64_t hi) {
  if (value < lo || value > hi) {
    throw Error(ErrorCode::kBadConfig, what + ": " + name + " = " + std::to_string(value) +
                                           " is out of range [" + std::to_string(lo) + ", " +
                                           std::to_string(hi) + "]");
  }
}

void CheckEps(const std::string& what, const char* name, double value) {
  if (!(value > 0 && value < 1) || !std::isfinite(value)) {
    throw Error(ErrorCode::kBadConfig,
                what + ": " + name + " = " + std::to_string(value) + " must be in (0, 1)");
  }
}

void CheckAttentionShape(const std::string& what, int64_t hidden, int64_t heads, int64_t kv_heads,
                         int64_t head_dim) {
  CheckRange(what, "hidden_size", hidden, 1, kMaxHidden);
  CheckRange(what, "num_attention_heads", heads, 1, kMaxHeads);
  CheckRange(what, "num_key_value_heads", kv_heads, 1, heads);
  CheckRange(what, "head_dim", head_dim, 2, kMaxHeadDim);
  if (heads % kv_heads != 0) {
    throw Error(ErrorCode::kBadConfig, what + ": num_attention_heads (" + std::to_string(heads) +
                                           ") is not a multiple of num_key_value_heads (" +
                                           std::to_string(kv_heads) + ")");
  }
  if (head_dim % 2 != 0) {
    throw Error(ErrorCode::kBadConfig,
                what + ": head_dim " + std::to_string(head_dim) + " must be even for RoPE");
  }
}

}  // namespace exaone::model
