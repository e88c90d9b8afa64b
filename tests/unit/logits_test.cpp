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

// Paged caches (the server's): blocks of 3 positions, fewer than the hybrid fixture's window
// of 8, so windows and chunks cross block boundaries at every offset.
constexpr int kBlock = 3;

std::vector<float> RunPagedDecode(const Model& m, const std::shared_ptr<KvBlockPool>& pool,
                                  const std::vector<int32_t>& ids, int chunk) {
  ThreadPool threads(2);
  auto cache = m.NewSequence(static_cast<int>(ids.size()), pool);
  const size_t v = m.summary().vocab_size;
  std::vector<float> logits(ids.size() * v);
  for (size_t i = 0; i < ids.size(); i += chunk) {
    const int n = static_cast<int>(std::min<size_t>(chunk, ids.size() - i));
    m.Forward(*cache, ids.data() + i, n, logits.data() + i * v, threads);
  }
  return logits;
}

TEST_P(FixtureLogits, PagedCacheMatchesTransformers) {
  auto ref = LoadReference(GetParam());
  auto m = LoadModel(SourcePath(std::string("tests/fixtures/models/") + GetParam()));
  auto pool = m.model->NewBlockPool(static_cast<int64_t>(ref.ids.size()), kBlock, DType::kF32);
  for (int chunk : {1, 5, 13}) {
    EXPECT_LE(MaxAbsDiff(RunPagedDecode(*m.model, pool, ref.ids, chunk), ref.logits), kTolerance)
        << "chunk " << chunk;
    EXPECT_EQ(pool->used(), 0u) << "blocks left behind by a finished sequence";
  }
}

// Sequence B takes over A's first `split` positions (mid-block) and goes on with other tokens
// than A: the block they share is copied by whichever writes first, so A, going on through the
// reference text afterwards, must still give transformers' logits, B the logits of a plain
// cache that ran B's tokens, and every block comes back once both are gone.
TEST_P(FixtureLogits, SharedPrefixMatchesTransformers) {
  auto ref = LoadReference(GetParam());
  auto m = LoadModel(SourcePath(std::string("tests/fixtures/models/") + GetParam()));
  const Model& model = *m.model;
  const size_t v = model.summary().vocab_size, n = ref.ids.size();
  ASSERT_GE(n, 12u);
  auto pool = model.NewBlockPool(static_cast<int64_t>(2 * n), kBlock, DType::kF32);
  ThreadPool threads(2);
  std::vector<float> logits(n * v);
  for (int split : {4, 7, 9}) {
    std::vector<int32_t> b_ids = ref.ids;
    for (size_t i = split; i < n; ++i) b_ids[i] = static_cast<int32_t>((b_ids[i] * 3 + 1) % v);
    auto a = model.NewSequence(static_cast<int>(n), pool);
    auto b = model.NewSequence(static_cast<int>(n), pool);
    // A runs past the split, so the shared part is a strict prefix of what A holds.
    const int a_first = split + 2;
    model.Forward(*a, ref.ids.data(), a_first, logits.data(), threads);
    const size_t held = pool->used();
    ASSERT_TRUE(b->CanShareFrom(*a, split)) << "split " << split;
    b->ShareFrom(*a, split);
    EXPECT_EQ(b->n_past(), split);
    EXPECT_EQ(pool->used(), held) << "sharing must not copy";
    auto run = [&](KvCache& c, const std::vector<int32_t>& ids, size_t from) {
      std::vector<float> out((n - from) * v);
      for (size_t i = from; i < n; ++i) {
        model.Forward(c, ids.data() + i, 1, out.data() + (i - from) * v, threads);
      }
      return out;
    };
    // B writes first into the shared block, then A goes on.
    const std::vector<float> b_out = run(*b, b_ids, static_cast<size_t>(split));
    const std::vector<float> a_out = run(*a, ref.ids, static_cast<size_t>(a_first));
    const std::vector<float> a_want(ref.logits.begin() + a_first * v, ref.logits.end());
    EXPECT_LE(MaxAbsDiff(a_out, a_want), kTolerance) << "split " << split;
    const std::vector<float> b_all = [&] {
      auto c = model.NewSequence(static_cast<int>(n), DType::kF32);
      return run(*c, b_ids, 0);
    }();
    const std::vector<float> b_want(b_all.begin() + split * v, b_all.end());
    EXPECT_LE(MaxAbsDiff(b_out, b_want), kTolerance) << "split " << split;
    a.reset();
    b.reset();
    EXPECT_EQ(pool->used(), 0u);
  }
}

TEST(PagedCache, SlidingLayersGiveBackBlocksOutsideTheWindow) {
  auto m = LoadModel(SourcePath("tests/fixtures/models/exaone4_hybrid"));
  const Model& model = *m.model;
  const int n = 200, window = 8, slack = KvCache::kSlidingSlack;
  auto pool = model.NewBlockPool(n, kBlock, DType::kF32);
  auto cache = model.NewSequence(n + 1, pool);
  ThreadPool threads(1);
  std::vector<int32_t> ids(n + 1);
  for (int i = 0; i <= n; ++i) ids[i] = 3 + (i * 7) % 150;
  std::vector<float> logits(160);
  for (int i = 0; i < n; ++i) model.Forward(*cache, &ids[i], 1, logits.data(), threads, true);
  // The 2 global layers hold every block; the 6 sliding ones only those that meet positions
  // from (the next query's window start, 193) - slack = 65 on: blocks 21 .. 66.
  const int kept_from = n - window + 1 - slack;
  ASSERT_EQ(kept_from, 65);
  const size_t global_blocks = 2 * ((n + kBlock - 1) / kBlock);
  const size_t sliding_blocks = 6 * ((n - 1) / kBlock - kept_from / kBlock + 1);
  EXPECT_EQ(pool->used(), global_blocks + sliding_blocks);
  // Going back to position 60 would need sliding positions 53 .. 59, given back already; to 75,
  // positions 68 .. 74, still there.
  EXPECT_FALSE(cache->CanTruncate(60));
  EXPECT_TRUE(cache->CanTruncate(75));
  auto other = model.NewSequence(n + 1, pool);
  EXPECT_FALSE(other->CanShareFrom(*cache, 60));
  EXPECT_TRUE(other->CanShareFrom(*cache, 75));
  // A sequence that took over the first 75 positions, and this one cut back to 75, both give
  // the logits of a plain cache that ran the same 76 tokens.
  other->ShareFrom(*cache, 75);
  cache->Truncate(75);
  std::vector<float> fresh(160), cut(160), shared(160);
  auto plain = model.NewSequence(n, DType::kF32);
  for (int i = 0; i <= 75; ++i) model.Forward(*plain, &ids[i], 1, fresh.data(), threads, true);
  model.Forward(*cache, &ids[75], 1, cut.data(), threads, true);
  model.Forward(*other, &ids[75], 1, shared.data(), threads, true);
  EXPECT_LE(MaxAbsDiff(cut, fresh), kTolerance);
  EXPECT_LE(MaxAbsDiff(shared, fresh), kTolerance);
}

TEST(PagedCache, FullPoolIsAnErrorNotACrash) {
  auto m = LoadModel(SourcePath("tests/fixtures/models/exaone4_hybrid"));
  const Model& model = *m.model;
  auto pool = model.NewBlockPool(6, kBlock, DType::kF32);  // 2 blocks per layer
  auto cache = model.NewSequence(32, pool);
  ThreadPool threads(1);
  std::vector<int32_t> ids(10, 5);
  std::vector<float> logits(160);
  model.Forward(*cache, ids.data(), 6, logits.data(), threads, true);
  EXPECT_THROW(model.Forward(*cache, ids.data(), 1, logits.data(), threads, true), Error);
}

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
