// The sampler against transformers' logits processors (tools/make_sampler_fixtures.py), seeded
// reproducibility, and the empirical distribution of draws.
#include <gtest/gtest.h>

#include <cmath>

#include "io/json.h"
#include "runtime/sampler.h"
#include "test_util.h"

namespace exaone::runtime {
namespace {

SamplingParams ParamsOf(const io::Json& j) {
  SamplingParams p;
  p.temperature = j.value("temperature", 0.0f);
  p.top_k = j.value("top_k", 0);
  p.top_p = j.value("top_p", 1.0f);
  p.min_p = j.value("min_p", 0.0f);
  p.repetition_penalty = j.value("repetition_penalty", 1.0f);
  p.presence_penalty = j.value("presence_penalty", 0.0f);
  p.frequency_penalty = j.value("frequency_penalty", 0.0f);
  if (j.contains("logit_bias")) {
    for (auto& [k, v] : j["logit_bias"].items()) p.logit_bias[std::stoi(k)] = v.get<float>();
  }
  return p;
}

TEST(Sampler, MatchesTransformersLogitsProcessors) {
  io::Json cases = io::ReadJsonFile(testing::SourcePath("tests/fixtures/sampler/cases.json"));
  ASSERT_GE(cases.size(), 50u);
  for (size_t c = 0; c < cases.size(); ++c) {
    const io::Json& k = cases[c];
    SamplingParams p = ParamsOf(k["params"]);
    std::vector<float> logits = k["logits"].get<std::vector<float>>();
    ApplyPenalties(p, k["context"].get<std::vector<int32_t>>(),
                   k["output"].get<std::vector<int32_t>>(), logits);
    const auto penalized = k["penalized"].get<std::vector<float>>();
    for (size_t i = 0; i < logits.size(); ++i) {
      ASSERT_NEAR(logits[i], penalized[i], 1e-5) << "case " << c << " token " << i;
    }
    Candidates got = Filter(p, penalized);
    EXPECT_EQ(got.ids, k["kept"].get<std::vector<int32_t>>())
        << "case " << c << " " << k["params"].dump();
    const auto probs = k["probs"].get<std::vector<double>>();
    for (size_t i = 0; i < got.probs.size() && i < probs.size(); ++i) {
      EXPECT_NEAR(got.probs[i], probs[i], 1e-6) << "case " << c;
    }
  }
}

TEST(Sampler, GreedyPicksTheFirstMaximum) {
  SamplingParams p;
  Candidates c = Filter(p, {0.5f, 2.0f, -1.0f, 2.0f});
  EXPECT_EQ(c.ids, std::vector<int32_t>{1});
}

TEST(Sampler, SameSeedSameDrawsOtherSeedOtherDraws) {
  SamplingParams p;
  p.temperature = 1.0f;
  std::vector<float> logits(50);
  for (size_t i = 0; i < logits.size(); ++i) logits[i] = std::sin(static_cast<float>(i));
  auto draws = [&](uint64_t seed) {
    p.seed = seed;
    Sampler s(p);
    std::vector<int32_t> out;
    for (int i = 0; i < 200; ++i) {
      std::vector<float> l = logits;
      out.push_back(s.Sample(l, {}, {}));
    }
    return out;
  };
  EXPECT_EQ(draws(42), draws(42));
  EXPECT_NE(draws(42), draws(43));
}

TEST(Sampler, DrawsFollowTheDistribution) {
  // 40,000 draws over three tokens with probabilities from softmax([0, ln 2, ln 5]) = 1/8, 2/8,
  // 5/8; the seed is fixed, so the test is deterministic; the bound is 5 standard deviations.
  SamplingParams p;
  p.temperature = 1.0f;
  p.seed = 1234;
  Sampler s(p);
  const std::vector<float> logits = {0.0f, std::log(2.0f), std::log(5.0f)};
  std::vector<int> counts(3, 0);
  const int n = 40000;
  for (int i = 0; i < n; ++i) {
    std::vector<float> l = logits;
    ++counts[s.Sample(l, {}, {})];
  }
  const double expect[3] = {1.0 / 8, 2.0 / 8, 5.0 / 8};
  for (int i = 0; i < 3; ++i) {
    const double sd = std::sqrt(n * expect[i] * (1 - expect[i]));
    EXPECT_NEAR(counts[i], n * expect[i], 5 * sd) << "token " << i;
  }
}

}  // namespace
}  // namespace exaone::runtime
