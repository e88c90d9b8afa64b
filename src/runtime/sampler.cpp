#include "runtime/sampler.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <unordered_map>

#include "base/error.h"

namespace exaone::runtime {

void ApplyPenalties(const SamplingParams& p, const std::vector<int32_t>& context,
                    const std::vector<int32_t>& output, std::vector<float>& logits) {
  const auto in_range = [&](int32_t id) {
    return id >= 0 && static_cast<size_t>(id) < logits.size();
  };
  if (p.repetition_penalty != 1.0f) {
    // ref: RepetitionPenaltyLogitsProcessor: each distinct seen token once.
    std::vector<bool> seen(logits.size(), false);
    for (int32_t id : context) {
      if (!in_range(id) || seen[id]) continue;
      seen[id] = true;
      float& l = logits[id];
      l = l < 0 ? l * p.repetition_penalty : l / p.repetition_penalty;
    }
  }
  if (p.presence_penalty != 0.0f || p.frequency_penalty != 0.0f) {
    std::unordered_map<int32_t, int> counts;
    for (int32_t id : output) {
      if (in_range(id)) ++counts[id];
    }
    for (const auto& [id, n] : counts) {
      logits[id] -= p.presence_penalty + p.frequency_penalty * static_cast<float>(n);
    }
  }
  for (const auto& [id, bias] : p.logit_bias) {
    if (in_range(id)) logits[id] += bias;
  }
}

Candidates Filter(const SamplingParams& p, const std::vector<float>& logits) {
  EXA_CHECK(!logits.empty());
  Candidates c;
  if (p.temperature <= 0.0f) {
    const auto best = std::max_element(logits.begin(), logits.end());  // first of equal maxima
    c.ids = {static_cast<int32_t>(best - logits.begin())};
    c.probs = {1.0};
    return c;
  }
  const size_t n = logits.size();
  std::vector<double> scores(n);
  for (size_t i = 0; i < n; ++i) scores[i] = static_cast<double>(logits[i]) / p.temperature;
  std::vector<bool> keep(n, true);
  for (size_t i = 0; i < n; ++i) keep[i] = !std::isinf(scores[i]) || scores[i] > 0;
  if (p.top_k > 0 && static_cast<size_t>(p.top_k) < n) {
    // ref: TopKLogitsWarper removes scores < the k-th largest; ties at the threshold stay.
    std::vector<double> sorted = scores;
    std::nth_element(sorted.begin(), sorted.begin() + (p.top_k - 1), sorted.end(),
                     std::greater<double>());
    const double threshold = sorted[p.top_k - 1];
    for (size_t i = 0; i < n; ++i) {
      if (scores[i] < threshold) keep[i] = false;
    }
  }
  auto softmax_kept = [&]() {
    std::vector<double> probs(n, 0.0);
    double max_score = -INFINITY;
    for (size_t i = 0; i < n; ++i) {
      if (keep[i]) max_score = std::max(max_score, scores[i]);
    }
    double sum = 0;
    for (size_t i = 0; i < n; ++i) {
      if (keep[i]) sum += probs[i] = std::exp(scores[i] - max_score);
    }
    for (double& v : probs) v /= sum;
    return probs;
  };
  if (p.top_p < 1.0f) {
    // ref: TopPLogitsWarper: ascending cumulative probability; drop tokens whose cumulative sum
    // (from the least likely up) is <= 1 - top_p, keeping at least one.
    std::vector<double> probs = softmax_kept();
    // The kept ids by score, high to low (stable on id); sorting only these, not the whole
    // vocabulary, matters when top-k left few.
    std::vector<int32_t> order;
    for (size_t i = 0; i < n; ++i) {
      if (keep[i]) order.push_back(static_cast<int32_t>(i));
    }
    std::stable_sort(order.begin(), order.end(),
                     [&](int32_t a, int32_t b) { return scores[a] > scores[b]; });
    double cum = 0;
    int kept = static_cast<int>(order.size());
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
      cum += probs[*it];
      if (cum <= 1.0 - p.top_p && kept > 1) {
        keep[*it] = false;
        --kept;
      }
    }
  }
  if (p.min_p > 0.0f) {
    // ref: MinPLogitsWarper: drop tokens with probability < min_p * the top probability.
    std::vector<double> probs = softmax_kept();
    double top = 0;
    for (size_t i = 0; i < n; ++i) top = std::max(top, probs[i]);
    for (size_t i = 0; i < n; ++i) {
      if (keep[i] && probs[i] < p.min_p * top) keep[i] = false;
    }
  }
  std::vector<double> probs = softmax_kept();
  for (size_t i = 0; i < n; ++i) {
    if (keep[i]) {
      c.ids.push_back(static_cast<int32_t>(i));
      c.probs.push_back(probs[i]);
    }
  }
  return c;
}

double Sampler::Uniform() {
  return static_cast<double>(rng_() >> 11) * 0x1.0p-53;
}

int32_t Sampler::Sample(std::vector<float>& logits, const std::vector<int32_t>& context,
                        const std::vector<int32_t>& output) {
  ApplyPenalties(params_, context, output, logits);
  Candidates c = Filter(params_, logits);
  if (c.ids.size() == 1) return c.ids[0];
  const double u = Uniform();
  double cum = 0;
  for (size_t i = 0; i < c.ids.size(); ++i) {
    cum += c.probs[i];
    if (u < cum) return c.ids[i];
  }
  return c.ids.back();
}

}  // namespace exaone::runtime
