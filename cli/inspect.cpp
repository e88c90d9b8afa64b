// exaone inspect MODEL [--ctx N] [--load] [--no-tensors] [--no-metadata]
#include <cinttypes>
#include <cstdio>

#include "args.h"
#include "base/error.h"
#include "base/memory.h"
#include "commands.h"
#include "model/factory.h"

namespace exaone::cli {
namespace {

constexpr const char* kUsage =
    "exaone inspect MODEL [--ctx N] [--load] [--no-tensors] [--no-metadata] [--mmap | --no-mmap]";

void PrintSummary(const model::LoadedModel& m, int64_t ctx) {
  const model::ModelSummary& s = m.model->summary();
  std::printf("architecture:        %s\n", s.arch.c_str());
  std::printf("vocab_size:          %" PRId64 "\n", s.vocab_size);
  std::printf("hidden_size:         %" PRId64 "\n", s.hidden_size);
  std::printf("layers:              %" PRId64 "\n", s.n_layers);
  std::printf("attention heads:     %" PRId64 " (kv %" PRId64 ", head_dim %" PRId64 ")\n",
              s.n_heads, s.n_kv_heads, s.head_dim);
  std::printf("feed_forward:        %" PRId64 "\n", s.ffn_size);
  std::printf("context_length:      %" PRId64 "\n", s.context_length);
  std::printf("norm_eps:            %g\n", s.norm_eps);
  std::printf("rope_theta:          %g\n", s.rope_theta);
  std::printf("rope_scaling:        %s\n", s.rope_scaling.c_str());
  std::printf("tied embeddings:     %s\n", s.tied_embeddings ? "yes" : "no");
  if (s.sliding_window > 0) {
    std::printf("sliding_window:      %" PRId64 "\n", s.sliding_window);
  } else {
    std::printf("sliding_window:      none\n");
  }
  std::string pattern = model::LayerPattern(s.layers);
  std::string rope;
  for (const auto& l : s.layers) rope += l.rope ? 'R' : '-';
  std::printf("layer pattern:       %s  (L sliding, G global)\n", pattern.c_str());
  std::printf("rope per layer:      %s  (R rotary, - none)\n", rope.c_str());

  uint64_t params = 0, weight_bytes = 0;
  for (const auto& t : m.tensors->all()) {
    params += t.elements();
    weight_bytes += t.nbytes;
  }
  std::printf("parameters:          %" PRIu64 " (%.3f B)\n", params, params / 1e9);
  std::printf("weights:             %s in %s\n", HumanBytes(weight_bytes).c_str(),
              m.files->format == model::SourceFormat::kGguf ? "GGUF" : "safetensors");
  const uint64_t kv = model::KvCacheBytes(s.layers, static_cast<int>(s.n_kv_heads * s.head_dim),
                                          ctx, static_cast<int>(s.sliding_window), s.cache_type);
  std::printf("KV cache (%s):      %s at context %" PRId64 "\n",
              s.cache_type == DType::kF32 ? "f32" : "f16", HumanBytes(kv).c_str(), ctx);
  std::printf("estimated memory:    %s (weights + KV at context %" PRId64 ")\n",
              HumanBytes(weight_bytes + kv).c_str(), ctx);
}

void PrintTensors(const model::LoadedModel& m) {
  std::printf("\ntensors (%zu):\n", m.tensors->all().size());
  for (const auto& t : m.tensors->all()) {
    std::printf("  %-40s %-6s %-20s %s\n", t.file_name.c_str(), DTypeName(t.dtype),
                model::FormatShape(t.shape).c_str(), HumanBytes(t.nbytes).c_str());
  }
  for (const auto& name : m.tensors->ignored()) {
    std::printf("  %-40s (not used by the model)\n", name.c_str());
  }
}

void PrintMetadata(const model::LoadedModel& m) {
  if (m.files->format != model::SourceFormat::kGguf) return;
  const io::GgufContents& g = m.files->gguf->contents();
  std::printf("\nmetadata (GGUF v%u, %zu keys, alignment %u):\n", g.version, g.metadata.size(),
              g.alignment);
  for (const auto& [key, value] : g.metadata) {
    std::printf("  %-45s %s\n", key.c_str(), value.ToString().c_str());
  }
}

// Touches every page of every tensor, as a forward pass would, and reports resident memory.
void ReportResident(const model::LoadedModel& m) {
  volatile uint8_t sink = 0;
  for (const auto& t : m.tensors->all()) {
    for (uint64_t off = 0; off < t.nbytes; off += 4096) sink = sink + t.data[off];
  }
  const uint64_t rss = CurrentRssBytes();
  const uint64_t size = m.files->file_bytes;
  std::printf("\nresident after load: %s for %s of model files (%.1f%% of file size)\n",
              HumanBytes(rss).c_str(), HumanBytes(size).c_str(),
              size ? 100.0 * static_cast<double>(rss) / static_cast<double>(size) : 0.0);
  size_t matrices = 0, interleaved = 0;
  for (const auto& t : m.tensors->all()) {
    matrices += t.shape.size() == 2;
    interleaved += t.interleaved;
  }
  std::printf("rewritten in place:  %zu of %zu matrices (8-row interleaved layout)\n", interleaved,
              matrices);
}

}  // namespace

int InspectCommand(int argc, char** argv) {
  Args args(argc, argv,
            {"--load", "--no-tensors", "--no-metadata", "--help", "--mmap", "--no-mmap"},
            {"--ctx"});
  if (args.Flag("--help")) {
    std::printf("usage: %s\n", kUsage);
    return 0;
  }
  args.ExpectPositional(1, 1, kUsage);
  // Without --load only the headers are read: the weights stay mapped and untouched.
  model::LoadOptions load;
  load.residency = args.Flag("--load") ? ResidencyOption(args) : Residency::kMap;
  model::LoadedModel m = model::LoadModel(args.positional()[0], load);
  const int64_t ctx = args.IntOption("--ctx", m.model->summary().context_length, 1, 1 << 24);
  std::printf("model:               %s\n", args.positional()[0].c_str());
  std::printf("files:               %s\n", HumanBytes(m.files->file_bytes).c_str());
  PrintSummary(m, ctx);
  if (!args.Flag("--no-tensors")) PrintTensors(m);
  if (!args.Flag("--no-metadata")) PrintMetadata(m);
  if (args.Flag("--load")) ReportResident(m);
  return 0;
}

}  // namespace exaone::cli
