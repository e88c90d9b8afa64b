// A model's chat template, ready to render: the template itself (from the HF folder's files or
// the GGUF's tokenizer.chat_template), the special tokens it is given, and the reasoning tags it
// uses.
#pragma once

#include <memory>
#include <string>

#include "runtime/engine.h"
#include "runtime/reasoning.h"
#include "template/chat_template.h"

namespace exaone::runtime {

struct ChatFormat {
  std::unique_ptr<tmpl::ChatTemplate> tmpl;
  std::string source;
  tmpl::Json special = tmpl::Json::object();
  ReasoningTags tags;
};

// Loads the chat template of the model at `model_path` (loaded in `e`). `name` prefixes template
// errors. Throws Error(kNotFound) when the model has no chat template or no tokenizer.
ChatFormat LoadChatFormat(const Engine& e, const std::string& model_path, const std::string& name);

}  // namespace exaone::runtime
