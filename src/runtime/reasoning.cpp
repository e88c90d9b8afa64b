#include "runtime/reasoning.h"

#include <algorithm>

namespace exaone::runtime {

ReasoningTags TagsForTemplate(std::string_view source) {
  if (source.find("<thought>") != std::string_view::npos) return {"<thought>", "</thought>"};
  return {};
}

bool PromptOpensReasoning(std::string_view prompt, const ReasoningTags& tags) {
  const size_t open = prompt.rfind(tags.open);
  if (open == std::string_view::npos) return false;
  const size_t close = prompt.rfind(tags.close);
  return close == std::string_view::npos || close < open;
}

ReasoningSplitter::ReasoningSplitter(ReasoningTags tags, bool starts_in_reasoning)
    : tags_(std::move(tags)), in_reasoning_(starts_in_reasoning) {}

namespace {

// Length of the longest suffix of `s` that is a proper prefix of `tag`.
size_t PartialTag(const std::string& s, const std::string& tag) {
  for (size_t len = std::min(tag.size() - 1, s.size()); len > 0; --len) {
    if (s.compare(s.size() - len, len, tag, 0, len) == 0) return len;
  }
  return 0;
}

}  // namespace

ReasoningSplitter::Pieces ReasoningSplitter::Push(std::string_view text) {
  Pieces out;
  pending_.append(text);
  for (;;) {
    if (in_reasoning_) {
      const size_t at = pending_.find(tags_.close);
      if (at != std::string::npos) {
        out.reasoning += pending_.substr(0, at);
        pending_.erase(0, at + tags_.close.size());
        in_reasoning_ = false;
        after_close_ = true;
        continue;
      }
      const size_t hold = PartialTag(pending_, tags_.close);
      out.reasoning += pending_.substr(0, pending_.size() - hold);
      pending_.erase(0, pending_.size() - hold);
      return out;
    }
    // Outside reasoning everything is answer: with thinking off nothing is reasoning, even if
    // the model writes a tag of its own. The blank line after the closing tag is neither.
    if (after_close_) {
      const size_t n = pending_.find_first_not_of("\n ");
      pending_.erase(0, n);
      if (pending_.empty()) return out;
      after_close_ = false;
    }
    out.content += pending_;
    pending_.clear();
    return out;
  }
}

ReasoningSplitter::Pieces ReasoningSplitter::Flush() {
  Pieces out;
  if (!in_reasoning_ && after_close_) pending_.clear();  // only blanks are held after the tag
  (in_reasoning_ ? out.reasoning : out.content) = pending_;
  pending_.clear();
  return out;
}

}  // namespace exaone::runtime
