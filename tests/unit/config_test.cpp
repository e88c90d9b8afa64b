// config.json and GGUF metadata parsing: layer kinds (layer_types, int and string patterns,
// null), both RoPE schemas, tied embeddings, and the real EXAONE 4.0 configs when present.
#include <gtest/gtest.h>

#include "base/error.h"
#include "io/json.h"
#include "model/factory.h"
#include "test_util.h"

namespace exaone::model {
namespace {

// Summarises a config.json given as text, without weights.
ModelSummary Describe(const std::string& json) {
  testing::TempDir dir;
  ModelFiles files;
  files.format = SourceFormat::kHuggingFace;
  files.config_path = "config.json";
  files.config = io::ParseJsonStrict(json, "config.json");
  files.arch = files.config["model_type"].get<std::string>();
  TensorTable empty;
  return FindArchitecture(files).describe(files, empty);
}

std::string Exaone4(const std::string& extra) {
  return R"({"model_type": "exaone4", "vocab_size": 100, "hidden_size": 64,
    "num_hidden_layers": 8, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16,
    "intermediate_size": 128, "rope_theta": 10000.0)" +
         extra + "}";
}

std::string Rope(const ModelSummary& s) {
  std::string r;
  for (const auto& l : s.layers) r += l.rope ? 'R' : '-';
  return r;
}

TEST(Exaone4Config, IntPattern) {
  auto s = Describe(Exaone4(R"(, "sliding_window": 16, "sliding_window_pattern": 4)"));
  EXPECT_EQ(LayerPattern(s.layers), "LLLGLLLG");
  EXPECT_EQ(Rope(s), "RRR-RRR-");
  EXPECT_EQ(s.sliding_window, 16);
}

TEST(Exaone4Config, StringPatternKeepsTheLastLayerGlobal) {
  auto s = Describe(Exaone4(R"(, "sliding_window": 16, "sliding_window_pattern": "LLG")"));
  EXPECT_EQ(LayerPattern(s.layers), "LLGLLGLG");
}

TEST(Exaone4Config, NullPatternUsesTheDefaultPeriod) {
  auto s = Describe(Exaone4(R"(, "sliding_window": 16, "sliding_window_pattern": null)"));
  EXPECT_EQ(LayerPattern(s.layers), "LLLGLLLG");
}

TEST(Exaone4Config, LayerTypesAreAuthoritative) {
  auto s = Describe(Exaone4(
      R"(, "sliding_window": 16, "sliding_window_pattern": 4, "layer_types": ["full_attention",
      "sliding_attention", "full_attention", "sliding_attention", "full_attention",
      "sliding_attention", "full_attention", "sliding_attention"])"));
  EXPECT_EQ(LayerPattern(s.layers), "GLGLGLGL");
  EXPECT_EQ(Rope(s), "-R-R-R-R");
}

TEST(Exaone4Config, NoWindowMeansGlobalLayersWithRope) {
  auto s = Describe(Exaone4(R"(, "sliding_window": null, "sliding_window_pattern": null)"));
  EXPECT_EQ(LayerPattern(s.layers), "GGGGGGGG");
  EXPECT_EQ(Rope(s), "RRRRRRRR");
}

TEST(Exaone4Config, BothRopeSchemas) {
  auto legacy = Describe(Exaone4(R"(, "rope_scaling": {"rope_type": "llama3", "factor": 16.0,
      "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192})"));
  auto v5 = Describe(R"({"model_type": "exaone4", "vocab_size": 100, "hidden_size": 64,
    "num_hidden_layers": 8, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16,
    "intermediate_size": 128, "rope_parameters": {"rope_type": "llama3", "rope_theta": 10000.0,
    "factor": 16.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
    "original_max_position_embeddings": 8192}})");
  EXPECT_EQ(legacy.rope_scaling, v5.rope_scaling);
  EXPECT_EQ(legacy.rope_theta, v5.rope_theta);
  EXPECT_NE(legacy.rope_scaling.find("llama3"), std::string::npos);
}

TEST(Exaone4Config, RejectsUnsupportedRope) {
  EXPECT_THROW(Describe(Exaone4(R"(, "rope_scaling": {"rope_type": "yarn", "factor": 4.0})")),
               Error);
}

TEST(Exaone4Config, ErrorsNameTheJsonPath) {
  try {
    Describe(Exaone4(R"(, "layer_types": ["full_attention"])"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("$.layer_types"), std::string::npos) << e.what();
  }
  try {
    Describe(R"({"model_type": "exaone4", "vocab_size": "100"})");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("$.vocab_size"), std::string::npos) << e.what();
  }
}

TEST(ExaoneConfig, OriginalKeyNames) {
  auto s = Describe(R"({"model_type": "exaone", "vocab_size": 100, "hidden_size": 64,
    "num_layers": 3, "num_attention_heads": 4, "num_key_value_heads": 2,
    "intermediate_size": 128, "layer_norm_epsilon": 1e-6, "rope_theta": 1000000.0,
    "tie_word_embeddings": true})");
  EXPECT_EQ(s.n_layers, 3);
  EXPECT_EQ(s.head_dim, 16);
  EXPECT_EQ(s.norm_eps, 1e-6);
  EXPECT_TRUE(s.tied_embeddings);
}

TEST(RealConfigs, Exaone4_32B) {
  const std::string path = testing::SharedPath("exaone/configs/exaone-4.0-32b.config.json");
  if (!testing::PathExists(path)) GTEST_SKIP() << "shared EXAONE configs not present";
  auto s = Describe(ReadTextFile(path));
  EXPECT_EQ(s.n_layers, 64);
  EXPECT_EQ(s.sliding_window, 4096);
  int globals = 0;
  for (size_t i = 0; i < s.layers.size(); ++i) {
    EXPECT_EQ(s.layers[i].sliding, (i + 1) % 4 != 0) << i;
    EXPECT_EQ(s.layers[i].rope, s.layers[i].sliding) << i;
    globals += !s.layers[i].sliding;
  }
  EXPECT_EQ(globals, 16);
  // 16 global layers x 131072 positions + 48 sliding x 4096, 8 kv heads x 128, K and V, f32.
  EXPECT_EQ(KvCacheBytes(s.layers, 8 * 128, 131072, 4096),
            (16ull * 131072 + 48ull * 4096) * 1024 * 2 * 4);
}

TEST(RealConfigs, Exaone4_1_2B) {
  const std::string path = testing::SharedPath("exaone/configs/exaone-4.0-1.2b.config.json");
  if (!testing::PathExists(path)) GTEST_SKIP() << "shared EXAONE configs not present";
  auto s = Describe(ReadTextFile(path));
  EXPECT_EQ(s.n_layers, 30);
  EXPECT_EQ(s.sliding_window, 0);
  EXPECT_EQ(LayerPattern(s.layers), std::string(30, 'G'));
  EXPECT_EQ(Rope(s), std::string(30, 'R'));
  EXPECT_TRUE(s.tied_embeddings);
  EXPECT_NE(s.rope_scaling.find("factor 16"), std::string::npos);
}

}  // namespace
}  // namespace exaone::model
