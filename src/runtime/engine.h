// A loaded model ready to generate: weights, tokenizer (when the model has one), the ids that
// end a sequence, and a thread pool.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/thread_pool.h"
#include "model/factory.h"
#include "tokenizer/tokenizer.h"

namespace exaone::runtime {

struct Engine {
  model::LoadedModel model;
  std::unique_ptr<tokenizer::Tokenizer> tokenizer;  // null when the files carry none
  std::vector<int32_t> eos_ids;  // from generation_config.json / config.json / GGUF metadata
  std::unique_ptr<ThreadPool> pool;

  // Loads the model at `path` (GGUF file or HF folder) with `threads` workers.
  static std::unique_ptr<Engine> Load(const std::string& path, int threads,
                                      Residency residency = Residency::kAuto);
  const model::ModelSummary& summary() const { return model.model->summary(); }
};

}  // namespace exaone::runtime
