#include "runtime/chat_format.h"

#include "base/error.h"

namespace exaone::runtime {

ChatFormat LoadChatFormat(const Engine& e, const std::string& model_path, const std::string& name) {
  ChatFormat f;
  if (e.model.files->format == model::SourceFormat::kHuggingFace) {
    tmpl::HfChatTemplate hf = tmpl::LoadHfChatTemplate(model_path, false);
    f.source = hf.source;
    f.special = hf.special_tokens;
  } else if (e.tokenizer) {
    f.source = e.tokenizer->chat_template;
    for (const auto& [key, value] : {std::pair{"bos_token", e.tokenizer->bos_token},
                                     {"eos_token", e.tokenizer->eos_token},
                                     {"pad_token", e.tokenizer->pad_token},
                                     {"unk_token", e.tokenizer->unk_token}}) {
      if (!value.empty()) f.special[key] = value;
    }
  }
  if (f.source.empty()) {
    throw Error(ErrorCode::kNotFound,
                model_path + ": the model has no chat template (use --raw-ids for plain ids)");
  }
  if (!e.tokenizer) throw Error(ErrorCode::kNotFound, model_path + ": the model has no tokenizer");
  f.tmpl = std::make_unique<tmpl::ChatTemplate>(tmpl::ChatTemplate::Parse(f.source, name));
  f.tags = TagsForTemplate(f.source);
  return f;
}

}  // namespace exaone::runtime
