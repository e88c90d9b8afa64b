// The forward pass against transformers' fp32 logits on the tiny fixture models, by one prefill
// and token by token through the KV cache; plus ablations showing the fixtures catch a wrong
// window, RoPE on global layers, and a wrong norm.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "base/error.h"
#include "io/json.h"
#include "model/factory.h"
#include "test_util.h"

namespace exaone::model {
namespace {

using testing::LoadReference;
using testing::MaxAbsDiff;
using testing::SourcePath;

constexpr float kTolerance = 1e-4f;

std::vector<float> RunPrefill(const Model& m, const std::vector<int32_t>& ids, int threads = 2) {
  ThreadPool pool(threads);
  auto cache = m.NewSequence(static_cast<int>(ids.size()), DType::kF32);
  std::vector<float> logits(ids.size() * m.summary().vocab_size);
  m.Forward(*cache, ids.data(), static_cast<int>(ids.size()), logits.data(), pool);
  return logits;
}

std::vector<float> RunDecode(const Model& m, const std::vector<int32_t>& ids, int chunk = 1) {
  ThreadPool pool(2);
  auto cache = m.NewSequence(static_cast<int>(ids.size()), DType::kF32);
  const size_t v = m.summary().vocab_size;
  std::vector<float> logits(ids.size() * v);
  for (size_t i = 0; i < ids.size(); i += chunk) {
    const int n = static_cast<int>(std::min<size_t>(chunk, ids.size() - i));
    m.Forward(*cache, ids.data() + i, n, logits.data() + i * v, pool);
  }
  return logits;
}

class FixtureLogits : public ::testing::TestWithParam<const char*> {};

TEST_P(FixtureLogits, PrefillMatchesTransformers) {
  auto ref = LoadReference(GetParam());
  auto m = LoadModel(SourcePath(std::string("tests/fixtures/models/") + GetParam()));
  EXPECT_LE(MaxAbsDiff(RunPrefill(*m.model, ref.ids), ref.logits), kTolerance);
}

TEST_P(FixtureLogits, DecodeThroughKvCacheMatchesTransformers) {
  auto ref = LoadReference(GetParam());
  auto m = LoadModel(SourcePath(std::string("tests/fixtures/models/") + GetParam()));
  EXPECT_LE(MaxAbsDiff(RunDecode(*m.model, ref.ids), ref.logits), kTolerance);
}

TEST_P(FixtureLogits, ChunkedPrefillMatchesTransformers) {
  // Chunks of 5 and 13 cross the sliding window's ring-buffer boundary at odd offsets.
  auto ref = LoadReference(GetParam());
  auto m = LoadModel(SourcePath(std::string("tests/fixtures/models/") + GetParam()));
  EXPECT_LE(MaxAbsDiff(RunDecode(*m.model, ref.ids, 5), ref.logits), kTolerance);
  EXPECT_LE(MaxAbsDiff(RunDecode(*m.model, ref.ids, 13), ref.logits), kTolerance);
}

TEST_P(FixtureLogits, ThreadCountDoesNotChangeResults) {
  auto ref = LoadReference(GetParam());
  auto m = LoadModel(SourcePath(std::string("tests/fixtures/models/") + GetParam()));
  EXPECT_EQ(RunPrefill(*m.model, ref.ids, 1), RunPrefill(*m.model, ref.ids, 3));
}

// Several sequences advanced together by ForwardBatch: three copies of the reference text, each
// started at a different point (one by prefill, two token by token in the same batch steps,
// then all three a token at a time), must each give transformers' logits at every position.
TEST_P(FixtureLogits, BatchedSequencesMatchTransformers) {
  auto ref = LoadReference(GetParam());
  auto m = LoadModel(SourcePath(std::string("tests/fixtures/models/") + GetParam()));
  const Model& model = *m.model;
  ThreadPool pool(2);
  const size_t v = model.summary().vocab_size, n = ref.ids.size();
  ASSERT_GE(n, 6u);
  std::vector<std::unique_ptr<KvCache>> caches;
  for (int i = 0; i < 3; ++i) caches.push_back(model.NewSequence(static_cast<int>(n), DType::kF32));
  std::vector<size_t> done(3, 0);  // tokens each sequence has run
  // Sequence 0 starts with a prefill of 4 tokens, sequence 1 of 1; sequence 2 joins later.
  std::vector<float> one(4 * v);
  model.Forward(*caches[0], ref.ids.data(), 4, one.data(), pool);
  done[0] = 4;
  model.Forward(*caches[1], ref.ids.data(), 1, one.data(), pool);
  done[1] = 1;
  float worst = 0;
  while (done[0] < n || done[1] < n || done[2] < n) {
    std::vector<Model::SeqStep> steps;
    std::vector<int> which;
    for (int i = 0; i < 3; ++i) {
      if (i == 2 && done[0] < 6) continue;  // joins at a later step
      if (done[i] >= n) continue;
      // Sequence 2 joins with a 2-token chunk: chunks and single tokens share a batch.
      const int k = i == 2 && done[2] == 0 ? 2 : 1;
      steps.push_back({caches[i].get(), ref.ids.data() + done[i], k});
      which.push_back(i);
    }
    std::vector<float> logits(steps.size() * v);
    model.ForwardBatch(steps, logits.data(), pool);
    for (size_t s = 0; s < steps.size(); ++s) {
      const int i = which[s];
      done[i] += static_cast<size_t>(steps[s].n);
      const float* want = ref.logits.data() + (done[i] - 1) * v;
      for (size_t j = 0; j < v; ++j)
        worst = std::max(worst, std::fabs(logits[s * v + j] - want[j]));
    }
  }
  EXPECT_LE(worst, kTolerance);
  // A cache may appear once per batch.
  std::vector<float> logits(2 * v);
  auto cache = model.NewSequence(static_cast<int>(n), DType::kF32);
  EXPECT_THROW(
      model.ForwardBatch({{cache.get(), ref.ids.data(), 1}, {cache.get(), ref.ids.data(), 1}},
                         logits.data(), pool),
      Error);
}

INSTANTIATE_TEST_SUITE_P(Models, FixtureLogits,
                         ::testing::Values("exaone3_tiny", "exaone4_global_tied", "exaone4_hybrid",
                                           "exaone4_hybrid_bf16", "llama_tiny"));

// The reference must reject the mistakes peers have made: if any of these ablations still
// matched, the fixture would be too weak to catch the bug.
float AblatedError(const LoadOptions& options) {
  auto ref = LoadReference("exaone4_hybrid");
  auto m = LoadModel(SourcePath("tests/fixtures/models/exaone4_hybrid"), options);
  return MaxAbsDiff(RunPrefill(*m.model, ref.ids), ref.logits);
}

TEST(HybridAttention, IgnoringTheWindowIsCaught) {
  LoadOptions o;
  o.adjust_attention = [](std::vector<LayerAttention>&, int64_t& window) { window = 1 << 20; };
  EXPECT_GT(AblatedError(o), 100 * kTolerance);
}

TEST(HybridAttention, RopeOnGlobalLayersIsCaught) {
  LoadOptions o;
  o.adjust_attention = [](std::vector<LayerAttention>& layers, int64_t&) {
    for (auto& l : layers) l.rope = true;
  };
  EXPECT_GT(AblatedError(o), 100 * kTolerance);
}

TEST(HybridAttention, WindowOffByOneIsCaught) {
  LoadOptions o;
  o.adjust_attention = [](std::vector<LayerAttention>&, int64_t& window) { window -= 1; };
  EXPECT_GT(AblatedError(o), 100 * kTolerance);
}

TEST(HybridAttention, SlidingLayersKeepOnlyTheWindow) {
  auto m = LoadModel(SourcePath("tests/fixtures/models/exaone4_hybrid"));
  auto cache = m.model->NewSequence(4096);
  for (int layer = 0; layer < 8; ++layer) {
    const bool sliding = m.model->summary().layers[layer].sliding;
    EXPECT_EQ(cache->capacity(layer), sliding ? 8 : 4096) << "layer " << layer;
  }
}

TEST(Forward, RejectsIdsOutsideTheVocabulary) {
  auto m = LoadModel(SourcePath("tests/fixtures/models/exaone4_hybrid"));
  ThreadPool pool(1);
  auto cache = m.model->NewSequence(4);
  std::vector<float> logits(160);
  int32_t bad = 160;
  EXPECT_THROW(m.model->Forward(*cache, &bad, 1, logits.data(), pool), Error);
}

TEST(Forward, RejectsContextOverflow) {
  auto m = LoadModel(SourcePath("tests/fixtures/models/exaone4_hybrid"));
  ThreadPool pool(1);
  auto cache = m.model->NewSequence(2);
  std::vector<int32_t> ids = {1, 2, 3};
  std::vector<float> logits(3 * 160);
  EXPECT_THROW(m.model->Forward(*cache, ids.data(), 3, logits.data(), pool), Error);
}

// BF16 weights: our error against the fp32 reference must be no larger than transformers' own
// bf16 run's.
TEST(Bf16, ErrorNoLargerThanTransformersBf16Run) {
  auto ref = LoadReference("exaone4_hybrid_bf16");
  auto hf_bf16 = LoadReference("exaone4_hybrid_bf16", ".bf16run.f32");
  auto m = LoadModel(SourcePath("tests/fixtures/models/exaone4_hybrid_bf16"));
  const float ours = MaxAbsDiff(RunPrefill(*m.model, ref.ids), ref.logits);
  const float theirs = MaxAbsDiff(hf_bf16.logits, ref.logits);
  EXPECT_LE(ours, theirs);
  std::printf("bf16 max abs error vs fp32 reference: ours %.3g, transformers bf16 %.3g\n", ours,
              theirs);
}

}  // namespace
}  // namespace exaone::model
