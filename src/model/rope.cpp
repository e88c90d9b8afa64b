#include "model/rope.h"

#include "kernels/ops.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "base/error.h"

namespace exaone::model {

std::vector<float> Llama3FreqFactors(double theta, int dim, double factor, double low_freq_factor,
                                     double high_freq_factor, double original_max_positions) {
  std::vector<float> factors(static_cast<size_t>(dim / 2));
  const double low_wavelen = original_max_positions / low_freq_factor;
  const double high_wavelen = original_max_positions / high_freq_factor;
  for (int j = 0; j < dim / 2; ++j) {
    const float inv = 1.0f / std::pow(static_cast<float>(theta),
                                      static_cast<float>(2 * j) / static_cast<float>(dim));
    const double wavelen = 2 * M_PI / inv;
    double f;
    if (wavelen < high_wavelen) {
      f = 1.0;
    } else if (wavelen > low_wavelen) {
      f = factor;
    } else {
      const double smooth = (original_max_positions / wavelen - low_freq_factor) /
                            (high_freq_factor - low_freq_factor);
      f = 1.0 / ((1 - smooth) / factor + smooth);
    }
    factors[j] = static_cast<float>(f);
  }
  return factors;
}

RopeConfig RopeFromHfConfig(const io::JsonView& root, int dim, double default_theta) {
  RopeConfig rope;
  rope.dim = dim;
  rope.theta = root.NumberOr("rope_theta", default_theta);
  std::string key = root.Has("rope_parameters") ? "rope_parameters" : "rope_scaling";
  if (!root.Has(key)) return rope;
  io::JsonView p = root.At(key);
  if (!p.json().is_object()) p.Fail("expected an object");
  rope.theta = p.NumberOr("rope_theta", rope.theta);
  if (!(rope.theta > 1.0) || !std::isfinite(rope.theta)) p.Fail("rope_theta must be > 1");
  std::string type = p.StringOr("rope_type").value_or(p.StringOr("type").value_or("default"));
  char buf[160];
  if (type == "default") return rope;
  if (type == "linear") {
    double factor = p.Number("factor");
    if (!(factor > 0)) p.At("factor").Fail("must be > 0");
    rope.freq_factors.assign(static_cast<size_t>(dim / 2), static_cast<float>(factor));
    std::snprintf(buf, sizeof buf, "linear (factor %g)", factor);
  } else if (type == "llama3") {
    double factor = p.Number("factor");
    double low = p.Number("low_freq_factor");
    double high = p.Number("high_freq_factor");
    double orig = p.Number("original_max_position_embeddings");
    if (!(factor > 0) || !(low > 0) || !(high > low) || !(orig > 0)) {
      p.Fail(
          "llama3 needs factor > 0, 0 < low_freq_factor < high_freq_factor and "
          "original_max_position_embeddings > 0");
    }
    rope.freq_factors = Llama3FreqFactors(rope.theta, dim, factor, low, high, orig);
    std::snprintf(buf, sizeof buf, "llama3 (factor %g, low %g, high %g, original context %g)",
                  factor, low, high, orig);
  } else {
    p.Fail("rope_type \"" + type + "\" is not supported (default, linear and llama3 are)");
  }
  rope.scaling = buf;
  return rope;
}

Rope::Rope(const RopeConfig& config) : config_(config) {
  EXA_CHECK(config.dim > 0 && config.dim % 2 == 0);
  EXA_CHECK(config.freq_factors.empty() ||
            config.freq_factors.size() == static_cast<size_t>(config.dim / 2));
  const int half = config.dim / 2;
  inv_freq_.resize(half);
  for (int j = 0; j < half; ++j) {
    // As transformers computes it: float32 throughout.
    float inv = 1.0f / std::pow(static_cast<float>(config.theta),
                                static_cast<float>(2 * j) / static_cast<float>(config.dim));
    if (!config.freq_factors.empty()) inv /= config.freq_factors[j];
    inv_freq_[j] = inv;
  }
}

void Rope::Apply(float* x, int n_heads, int head_dim, int pos) const {
  const int half = config_.dim / 2;
  if (config_.interleaved) {
    std::vector<float> tmp(config_.dim);
    for (int h = 0; h < n_heads; ++h) {
      float* v = x + static_cast<size_t>(h) * head_dim;
      for (int j = 0; j < half; ++j) {
        tmp[j] = v[2 * j];
        tmp[j + half] = v[2 * j + 1];
      }
      std::copy(tmp.begin(), tmp.end(), v);
    }
  }
  thread_local std::vector<float> cos, sin;
  cos.resize(half);
  sin.resize(half);
  for (int j = 0; j < half; ++j) {
    const float angle = static_cast<float>(pos) * inv_freq_[j];
    cos[j] = std::cos(angle);
    sin[j] = std::sin(angle);
  }
  kernels::RopeRotate(x, n_heads, head_dim, half, cos.data(), sin.data());
}

}  // namespace exaone::model
