// Splits streamed model output into reasoning and answer. EXAONE 4.0 reasons inside
// <think>...</think>, EXAONE Deep inside <thought>...</thought>; with thinking on, the chat
// template already wrote the opening tag into the prompt, so the output starts inside the
// reasoning and only the closing tag appears in it. Whether reasoning is open therefore comes
// from the rendered prompt, never from guessing at the output (the mistake peers made, SPEC §11).
#pragma once

#include <string>
#include <string_view>

namespace exaone::runtime {

struct ReasoningTags {
  std::string open = "<think>";
  std::string close = "</think>";
};

// The tags a chat template uses: <thought> for EXAONE Deep, <think> otherwise.
ReasoningTags TagsForTemplate(std::string_view template_source);

// True when the rendered prompt leaves a reasoning block open (its last opening tag comes after
// its last closing tag), i.e. generation starts inside the reasoning.
bool PromptOpensReasoning(std::string_view prompt, const ReasoningTags& tags);

class ReasoningSplitter {
 public:
  ReasoningSplitter(ReasoningTags tags, bool starts_in_reasoning);

  struct Pieces {
    std::string reasoning;
    std::string content;
  };
  // Feeds output text; returns what is now known to be reasoning or content. A tag split over
  // several pieces is held back until it is complete (and never shown).
  Pieces Push(std::string_view text);
  Pieces Flush();  // at the end: whatever was held back
  bool in_reasoning() const { return in_reasoning_; }

 private:
  ReasoningTags tags_;
  bool in_reasoning_;
  bool after_close_ = false;  // reasoning just ended: blanks before the answer are dropped
  std::string pending_;
};

}  // namespace exaone::runtime
