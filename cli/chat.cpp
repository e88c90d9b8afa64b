#include "chat.h"

#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "base/error.h"
#include "base/mapped_file.h"
#include "runtime/chat_format.h"
#include "runtime/reasoning.h"
#include "template/chat_template.h"

namespace exaone::cli {
namespace {

constexpr const char* kDim = "\x1b[2m";
constexpr const char* kReset = "\x1b[0m";

// Defaults of SPEC §5.3: reasoning samples at temperature 0.6, top-p 0.95; answers without
// reasoning are greedy, as in LG's examples.
runtime::SamplingParams SamplingFor(const ChatOptions& o) {
  if (o.sampling_given) return o.user_sampling;
  runtime::SamplingParams p = o.user_sampling;
  if (o.thinking) {
    p.temperature = 0.6f;
    p.top_p = 0.95f;
  } else {
    p.temperature = 0.0f;
  }
  return p;
}

class Chat {
 public:
  Chat(runtime::Engine& e, const std::string& model_path, const ChatOptions& o)
      : e_(e),
        o_(o),
        t_(runtime::LoadChatFormat(e, model_path, model_path)),
        tags_(t_.tags),
        session_(*e.model.model, e.tokenizer.get(), o.n_ctx, *e.pool, o.cache_type) {
    Reset();
  }

  void Reset() {
    messages_ = tmpl::Json::array();
    if (!o_.system.empty()) messages_.push_back({{"role", "system"}, {"content", o_.system}});
  }
  void SetThinking(bool on) { o_.thinking = on; }
  bool thinking() const { return o_.thinking; }

  struct Turn {
    std::string reasoning, content, prompt;
    runtime::GenerationResult result;
  };

  // Runs one user turn; streams to stdout unless `quiet`.
  Turn Send(const std::string& user, bool quiet, bool color) {
    tmpl::Json conversation = {
        {"messages", messages_}, {"add_generation_prompt", true}, {"enable_thinking", o_.thinking}};
    conversation["messages"].push_back({{"role", "user"}, {"content", user}});
    Turn turn;
    turn.prompt = tmpl::RenderConversation(*t_.tmpl, conversation, t_.special);
    if (o_.verbose_prompt) {
      std::fprintf(stderr, "--- prompt ---\n%s\n--- end of prompt ---\n", turn.prompt.c_str());
    }
    const bool open = runtime::PromptOpensReasoning(turn.prompt, tags_);
    runtime::ReasoningSplitter splitter(tags_, open);
    bool in_dim = false;
    auto show = [&](const runtime::ReasoningSplitter::Pieces& p) {
      turn.reasoning += p.reasoning;
      turn.content += p.content;
      if (quiet) return;
      if (!p.reasoning.empty()) {
        if (color && !in_dim) std::fputs(kDim, stdout), in_dim = true;
        std::fwrite(p.reasoning.data(), 1, p.reasoning.size(), stdout);
      }
      if (!p.content.empty()) {
        if (in_dim) {
          std::fputs(kReset, stdout);
          in_dim = false;
        }
        std::fwrite(p.content.data(), 1, p.content.size(), stdout);
      }
      std::fflush(stdout);
    };
    runtime::GenerationOptions gen = o_.gen;
    gen.sampling = SamplingFor(o_);
    const std::vector<int32_t> ids = e_.tokenizer->Encode(turn.prompt, false);
    turn.result = session_.Generate(ids, gen, [&](const std::string& text, int32_t) {
      show(splitter.Push(text));
      return true;
    });
    show(splitter.Flush());
    if (in_dim) std::fputs(kReset, stdout);
    // History as the template expects it: the answer as content, the reasoning apart (EXAONE
    // 4.0's template drops it from earlier turns; Deep's strips it from the content).
    messages_.push_back({{"role", "user"}, {"content", user}});
    tmpl::Json reply = {{"role", "assistant"}, {"content", turn.content}};
    if (!turn.reasoning.empty()) reply["reasoning_content"] = turn.reasoning;
    messages_.push_back(reply);
    return turn;
  }

 private:
  runtime::Engine& e_;
  ChatOptions o_;
  runtime::ChatFormat t_;
  runtime::ReasoningTags tags_;
  runtime::Session session_;
  tmpl::Json messages_;
};

void PrintStats(const runtime::GenerationResult& r) {
  const int fresh = r.prompt_tokens - r.reused_tokens;
  const double pp = r.prefill_seconds > 0 ? fresh / r.prefill_seconds : 0;
  const double tg = r.generate_seconds > 0 && r.tokens.size() > 1
                        ? (r.tokens.size() - 1) / r.generate_seconds
                        : 0;
  std::fprintf(stderr,
               "[prompt: %d tokens (%d reused), %.1f tokens/s | generation: %zu tokens, %.1f "
               "tokens/s | first token: %.0f ms]\n",
               r.prompt_tokens, r.reused_tokens, pp, r.tokens.size(), tg,
               r.first_token_seconds * 1000);
}

constexpr const char* kHelp =
    "commands: /think on|off  reasoning on or off;  /reset  new conversation;  /help;  /exit\n";

}  // namespace

int ChatOnce(runtime::Engine& e, const std::string& model_path, const ChatOptions& o,
             const std::string& prompt) {
  Chat chat(e, model_path, o);
  const bool color = !o.json && isatty(STDOUT_FILENO);
  Chat::Turn turn = chat.Send(prompt, o.json, color);
  if (o.json) {
    tmpl::Json j = {{"content", turn.content},
                    {"reasoning_content", turn.reasoning},
                    {"finish_reason", runtime::FinishReasonName(turn.result.finish)},
                    {"usage",
                     {{"prompt_tokens", turn.result.prompt_tokens},
                      {"completion_tokens", turn.result.tokens.size()}}},
                    {"prompt", turn.prompt}};
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("\n");
    PrintStats(turn.result);
  }
  return 0;
}

int ChatInteractive(runtime::Engine& e, const std::string& model_path, ChatOptions o) {
  Chat chat(e, model_path, o);
  const bool tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
  std::printf("exaone chat: reasoning %s. Type /help for commands.\n",
              chat.thinking() ? "on" : "off");
  std::string line;
  for (;;) {
    std::printf("> ");
    std::fflush(stdout);
    if (!std::getline(std::cin, line)) break;
    if (line.empty()) continue;
    if (line == "/exit" || line == "/quit") break;
    if (line == "/help") {
      std::fputs(kHelp, stdout);
      continue;
    }
    if (line == "/reset") {
      chat.Reset();
      std::printf("(new conversation)\n");
      continue;
    }
    if (line.rfind("/think", 0) == 0) {
      const std::string arg = line.size() > 7 ? line.substr(7) : "";
      if (arg == "on" || arg == "off") {
        chat.SetThinking(arg == "on");
        std::printf("(reasoning %s)\n", arg.c_str());
      } else {
        std::printf("usage: /think on|off (reasoning is %s)\n", chat.thinking() ? "on" : "off");
      }
      continue;
    }
    if (line[0] == '/') {
      std::printf("unknown command %s\n%s", line.c_str(), kHelp);
      continue;
    }
    try {
      Chat::Turn turn = chat.Send(line, false, tty);
      std::printf("\n");
      PrintStats(turn.result);
    } catch (const Error& err) {
      std::printf("\nerror: %s\n", err.what());
    }
  }
  std::printf("\n");
  return 0;
}

}  // namespace exaone::cli
