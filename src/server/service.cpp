#include "server/service.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <random>

#include "base/error.h"
#include "constrain/regex.h"
#include "constrain/structured.h"
#include "server/web_page.h"
#include "template/chat_template.h"
#include "tokenizer/tokenizer.h"

namespace exaone::server {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kPoll = std::chrono::milliseconds(100);

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Equal strings in time that depends only on their lengths.
bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  const size_t n = std::max(a.size(), b.size());
  unsigned diff = static_cast<unsigned>(a.size() != b.size());
  for (size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned>(x ^ y);
  }
  return diff == 0;
}

std::string Dump(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

bool IsJsonContentType(const std::string* ct) {
  if (!ct) return false;
  std::string v;
  for (char c : *ct) {
    if (c == ';') break;
    if (c != ' ' && c != '\t') v += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  }
  return v == "application/json";
}

// OpenAI's logprobs objects: chat {"content": [{token, logprob, bytes, top_logprobs}]}, and
// the legacy completions form {tokens, token_logprobs, top_logprobs, text_offset}. Token
// strings are the token's bytes (ill-formed UTF-8 replaced when written).
Json TokenEntry(const tokenizer::Tokenizer& tok, int32_t id, float logprob) {
  const std::string bytes = tok.TokenBytes(id);
  Json list = Json::array();
  for (unsigned char c : bytes) list.push_back(c);
  return {{"token", bytes}, {"logprob", logprob}, {"bytes", std::move(list)}};
}

Json ChatLogprobs(const tokenizer::Tokenizer& tok, const std::vector<runtime::TokenLogprob>& lps) {
  Json content = Json::array();
  for (const runtime::TokenLogprob& lp : lps) {
    Json entry = TokenEntry(tok, lp.id, lp.logprob);
    Json top = Json::array();
    for (const auto& [id, logprob] : lp.top) top.push_back(TokenEntry(tok, id, logprob));
    entry["top_logprobs"] = std::move(top);
    content.push_back(std::move(entry));
  }
  return {{"content", std::move(content)}, {"refusal", nullptr}};
}

Json CompletionLogprobs(const tokenizer::Tokenizer& tok,
                        const std::vector<runtime::TokenLogprob>& lps, size_t offset) {
  Json tokens = Json::array(), logprobs = Json::array(), tops = Json::array(),
       offsets = Json::array();
  for (const runtime::TokenLogprob& lp : lps) {
    const std::string bytes = tok.TokenBytes(lp.id);
    tokens.push_back(bytes);
    logprobs.push_back(lp.logprob);
    Json top = Json::object();
    for (const auto& [id, logprob] : lp.top) top[tok.TokenBytes(id)] = logprob;
    tops.push_back(std::move(top));
    offsets.push_back(offset);
    offset += bytes.size();
  }
  return {{"tokens", std::move(tokens)},
          {"token_logprobs", std::move(logprobs)},
          {"top_logprobs", std::move(tops)},
          {"text_offset", std::move(offsets)}};
}

// One choice being generated: its job, and the split of its text.
struct Choice {
  std::shared_ptr<GenJob> job;
  std::unique_ptr<OutputParser> parser;
  std::string reasoning, content;
  std::vector<ToolCall> calls;
  void Add(OutputParser::Delta&& d) {
    reasoning += d.reasoning;
    content += d.content;
    for (ToolCall& c : d.tool_calls) calls.push_back(std::move(c));
  }
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// Metrics

void Metrics::Histogram::Add(double v) {
  if (counts.empty()) counts.assign(bounds.size() + 1, 0);
  size_t i = 0;
  while (i < bounds.size() && v > bounds[i]) ++i;
  ++counts[i];
  sum += v;
  ++n;
}

void Metrics::Request(int status) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [s, n] : by_status_) {
    if (s == status) {
      ++n;
      return;
    }
  }
  by_status_.emplace_back(status, 1);
  std::sort(by_status_.begin(), by_status_.end());
}

void Metrics::Tokens(int prompt, int generated) {
  std::lock_guard<std::mutex> lock(mu_);
  prompt_tokens_ += static_cast<uint64_t>(std::max(prompt, 0));
  generated_tokens_ += static_cast<uint64_t>(std::max(generated, 0));
}

void Metrics::FirstToken(double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  ttft_.Add(seconds);
}

void Metrics::InterToken(double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  itl_.Add(seconds);
}

std::string Metrics::Text(const SchedulerStats& s) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  char buf[256];
  auto line = [&](const char* fmt, auto... args) {
    std::snprintf(buf, sizeof buf, fmt, args...);
    out += buf;
  };
  // One metric's HELP and TYPE lines.
  auto head = [&](const char* name, const char* type, const char* help) {
    out += std::string("# HELP ") + name + " " + help + "\n";
    out += std::string("# TYPE ") + name + " " + type + "\n";
  };
  auto u64 = [](uint64_t v) { return static_cast<unsigned long long>(v); };
  head("exaone_requests_total", "counter", "HTTP requests answered, by status code.");
  for (const auto& [status, n] : by_status_) {
    line("exaone_requests_total{status=\"%d\"} %llu\n", status, u64(n));
  }
  head("exaone_queue_length", "gauge", "Generation requests waiting to run.");
  line("exaone_queue_length %zu\n", s.queued);
  head("exaone_running_sequences", "gauge", "Sequences being generated.");
  line("exaone_running_sequences %zu\n", s.running);
  head("exaone_prompt_tokens_total", "counter", "Prompt tokens of finished requests.");
  line("exaone_prompt_tokens_total %llu\n", u64(prompt_tokens_));
  head("exaone_generation_tokens_total", "counter", "Generated tokens of finished requests.");
  line("exaone_generation_tokens_total %llu\n", u64(generated_tokens_));
  head("exaone_kv_cache_usage_ratio", "gauge", "Share of the KV cache blocks in use.");
  line("exaone_kv_cache_usage_ratio %.6f\n",
       s.kv_blocks_total
           ? static_cast<double>(s.kv_blocks_used) / static_cast<double>(s.kv_blocks_total)
           : 0.0);
  head("exaone_kv_cache_blocks", "gauge", "KV cache blocks held by sequences (shared ones once).");
  line("exaone_kv_cache_blocks %zu\n", s.kv_blocks_used);
  head("exaone_prefix_reused_tokens_total", "counter",
       "Prompt tokens found in the KV cache, not computed.");
  line("exaone_prefix_reused_tokens_total %llu\n", u64(s.prefix_tokens_reused));
  head("exaone_prefix_shared_tokens_total", "counter",
       "Of those, tokens taken over from another sequence's cache.");
  line("exaone_prefix_shared_tokens_total %llu\n", u64(s.prefix_tokens_shared));
  auto histogram = [&](const char* name, const char* help, const Histogram& h) {
    head(name, "histogram", help);
    uint64_t cumulative = 0;
    for (size_t i = 0; i <= h.bounds.size(); ++i) {
      cumulative += h.counts.empty() ? 0 : h.counts[i];
      if (i < h.bounds.size()) {
        line("%s_bucket{le=\"%g\"} %llu\n", name, h.bounds[i], u64(cumulative));
      } else {
        line("%s_bucket{le=\"+Inf\"} %llu\n", name, u64(cumulative));
      }
    }
    line("%s_sum %.6f\n", name, h.sum);
    line("%s_count %llu\n", name, u64(h.n));
  };
  histogram("exaone_time_to_first_token_seconds", "Time from request to its first token.", ttft_);
  histogram("exaone_inter_token_latency_seconds", "Time between consecutive tokens of a stream.",
            itl_);
  Histogram batch{{1, 2, 4, 8, 16, 32, 64, 128, 256, 512},
                  s.step_tokens,
                  static_cast<double>(s.step_tokens_sum),
                  s.steps};
  if (batch.counts.size() != batch.bounds.size() + 1) batch.counts.clear();
  histogram("exaone_batch_tokens", "Tokens per batched forward pass (generated and prompt).",
            batch);
  return out;
}

// ---------------------------------------------------------------------------------------------

Service::Service(ServiceOptions options) : o_(std::move(options)) {
  created_ = static_cast<int64_t>(std::time(nullptr));
}

Service::~Service() {
  Shutdown(std::chrono::milliseconds(0));
}

void Service::Attach(runtime::Engine& engine, runtime::ChatFormat format, int n_ctx) {
  engine_ = &engine;
  format_ = std::move(format);
  o_.api.n_ctx = n_ctx;
  scheduler_ = std::make_unique<Scheduler>(engine, n_ctx, o_.max_queue, o_.slots, o_.prefill_chunk);
  ready_ = true;
}

void Service::Shutdown(std::chrono::milliseconds grace) {
  shutting_down_ = true;
  if (scheduler_) scheduler_->Stop(grace);
}

void Service::SendJson(HttpResponder& res, int status, const Json& body, const Headers& extra) {
  res.Send(status, "application/json", Dump(body), extra);
}

void Service::SendError(HttpResponder& res, const ApiError& e, const Headers& extra) {
  res.Send(e.status(), "application/json", ErrorBody(e), extra);
}

bool Service::Authorized(const HttpRequest& req) const {
  if (o_.api_keys.empty()) return true;
  const std::string* h = req.Header("authorization");
  if (!h || h->size() < 7 ||
      !(h->compare(0, 7, "Bearer ") == 0 || h->compare(0, 7, "bearer ") == 0)) {
    return false;
  }
  const std::string_view key = std::string_view(*h).substr(7);
  bool ok = false;
  for (const std::string& k : o_.api_keys) ok |= ConstantTimeEquals(key, k);
  return ok;
}

void Service::Handle(const HttpRequest& req, HttpResponder& res) {
  try {
    Dispatch(req, res);
  } catch (const ApiError& e) {
    if (!res.sent()) {
      Headers extra;
      if (e.status() == 429 || e.status() == 503) extra.emplace_back("Retry-After", "1");
      if (e.status() == 401) extra.emplace_back("WWW-Authenticate", "Bearer");
      SendError(res, e, extra);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "request %llu: internal error: %s\n",
                 static_cast<unsigned long long>(req.id), e.what());
    if (!res.sent()) SendError(res, ApiError(500, "internal error", "", "server_error"));
  }
  if (res.sent()) metrics_.Request(res.status());
}

void Service::Dispatch(const HttpRequest& req, HttpResponder& res) {
  const std::string& path = req.path;
  auto method_is = [&](const char* m, const char* allow) {
    if (req.method == m || (std::string(m) == "GET" && req.method == "HEAD")) return;
    throw ApiError(405,
                   "method " + req.method + " is not allowed on " + path + " (use " + allow + ")");
  };
  if (path == "/" || path == "/index.html") {
    method_is("GET", "GET");
    // The page holds no secrets (API calls from it carry the key the user types), so it is served
    // without a key; the policy keeps it from loading anything or talking to another origin.
    res.Send(200, "text/html; charset=utf-8", ChatPageHtml(),
             {{"Content-Security-Policy",
               "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
               "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"},
              {"Cache-Control", "no-cache"},
              {"Referrer-Policy", "no-referrer"}});
    return;
  }
  if (path == "/health") {
    method_is("GET", "GET");
    if (shutting_down_) {
      SendJson(res, 503, {{"status", "shutting down"}}, {{"Retry-After", "1"}});
    } else if (!ready_) {
      SendJson(res, 503, {{"status", "loading"}}, {{"Retry-After", "1"}});
    } else {
      SendJson(res, 200, {{"status", "ok"}});
    }
    return;
  }
  const bool known = path == "/v1/models" || path.rfind("/v1/models/", 0) == 0 ||
                     path == "/v1/chat/completions" || path == "/v1/completions" ||
                     path == "/metrics";
  if (!known) throw ApiError(404, "no route for " + req.method + " " + path);
  if (!Authorized(req)) {
    throw ApiError(401,
                   req.Header("authorization") ? "invalid API key"
                                               : "missing API key (send Authorization: Bearer KEY)",
                   "", "invalid_request_error", "invalid_api_key");
  }
  if (path == "/metrics") {
    method_is("GET", "GET");
    const SchedulerStats s = scheduler_ ? scheduler_->Stats() : SchedulerStats{};
    res.Send(200, "text/plain; version=0.0.4; charset=utf-8", metrics_.Text(s));
    return;
  }
  if (!ready_) throw ApiError(503, "the model is still loading", "", "server_error");
  if (path == "/v1/models" || path.rfind("/v1/models/", 0) == 0) {
    method_is("GET", "GET");
    Models(req, res);
    return;
  }
  method_is("POST", "POST");
  if (!IsJsonContentType(req.Header("content-type"))) {
    throw ApiError(415, "the request body must be JSON (Content-Type: application/json)");
  }
  if (shutting_down_) throw ApiError(503, "the server is shutting down", "", "server_error");
  Generate(req, res, path == "/v1/chat/completions");
}

void Service::Models(const HttpRequest& req, HttpResponder& res) {
  const Json model = {{"id", o_.api.model_id},
                      {"object", "model"},
                      {"created", created_},
                      {"owned_by", "exaone.cpp"}};
  if (req.path == "/v1/models") {
    SendJson(res, 200, {{"object", "list"}, {"data", Json::array({model})}});
    return;
  }
  const std::string id = req.path.substr(std::string("/v1/models/").size());
  if (id != o_.api.model_id) {
    throw ApiError(404, "the model '" + id + "' does not exist", "model", "invalid_request_error",
                   "model_not_found");
  }
  SendJson(res, 200, model);
}

std::shared_ptr<const runtime::ConstraintVocab> Service::ConstraintVocab() {
  std::lock_guard<std::mutex> lock(constrain_mu_);
  if (!constraint_vocab_) {
    constraint_vocab_ = std::make_shared<runtime::ConstraintVocab>(*engine_->tokenizer);
  }
  return constraint_vocab_;
}

std::shared_ptr<const constrain::Grammar> Service::OutputGrammar(const CompletionRequest& r,
                                                                 bool reasoning_first) {
  using Kind = OutputFormat::Kind;
  const bool forced_tool = r.chat && !r.tools.is_null() && r.tool_choice != "auto";
  if (r.format.kind == Kind::kText && !forced_tool) return nullptr;
  // The request's shape as a key: everything the grammar depends on.
  Json key = {{"kind", static_cast<int>(r.format.kind)},
              {"schema", r.format.schema},
              {"regex", r.format.regex},
              {"choices", r.format.choices},
              {"reasoning", reasoning_first ? format_.tags.close : ""}};
  if (forced_tool) {
    key["tools"] = r.tools;
    key["tool_choice"] = r.tool_choice;
    key["several"] = r.parallel_tool_calls;
  }
  const std::string k = key.dump(-1, ' ', false, Json::error_handler_t::replace);
  {
    std::lock_guard<std::mutex> lock(constrain_mu_);
    for (size_t i = 0; i < grammars_.size(); ++i) {
      if (grammars_[i].first == k) {
        auto hit = grammars_[i];
        grammars_.erase(grammars_.begin() + static_cast<std::ptrdiff_t>(i));
        grammars_.push_back(hit);
        return hit.second;
      }
    }
  }
  auto g = std::make_shared<constrain::Grammar>();
  uint32_t answer = 0;
  std::string param = r.format.param;
  try {
    switch (r.format.kind) {
      case Kind::kJsonObject:
        answer = constrain::CompileAnyJsonObject(*g);
        break;
      case Kind::kJsonSchema:
        answer = constrain::CompileJsonSchema(*g, r.format.schema);
        break;
      case Kind::kRegex:
        answer = constrain::CompileRegex(*g, r.format.regex, constrain::RegexText::kRaw, false);
        break;
      case Kind::kChoice:
        answer = constrain::CompileChoice(*g, r.format.choices);
        break;
      case Kind::kText: {
        param = "tools";
        std::vector<constrain::ToolSchema> tools;
        for (const Json& t : r.tools) {
          const Json& fn = t["function"];
          if (r.tool_choice != "required" && fn["name"] != r.tool_choice) continue;
          tools.push_back({fn["name"].get<std::string>(),
                           fn.contains("parameters") ? &fn["parameters"] : nullptr});
        }
        answer = constrain::CompileToolCalls(*g, tools, r.parallel_tool_calls);
        break;
      }
    }
    if (reasoning_first) answer = constrain::CompileAfterReasoning(*g, answer, format_.tags.close);
    g = constrain::Finish(std::move(g), answer);
  } catch (const Error& e) {
    throw ApiError(400, e.what(), param);
  }
  std::lock_guard<std::mutex> lock(constrain_mu_);
  constexpr size_t kCachedGrammars = 32;
  if (grammars_.size() >= kCachedGrammars) grammars_.erase(grammars_.begin());
  grammars_.emplace_back(k, g);
  return g;
}

void Service::Generate(const HttpRequest& req, HttpResponder& res, bool chat) {
  const auto start = Clock::now();
  const int64_t vocab = engine_->summary().vocab_size;
  const CompletionRequest r = chat ? ParseChatRequest(req.body, o_.api, vocab)
                                   : ParseCompletionRequest(req.body, o_.api, vocab);
  if (chat && !format_.tmpl) {
    throw ApiError(400, "this model has no chat template; use /v1/completions", "messages");
  }
  // The prompt.
  std::vector<int32_t> ids;
  bool starts_in_reasoning = false;
  if (chat) {
    Json conversation = {{"messages", r.messages}, {"add_generation_prompt", true}};
    if (!r.tools.is_null()) conversation["tools"] = r.tools;
    for (const auto& [key, value] : r.template_kwargs.items()) conversation[key] = value;
    std::string prompt;
    try {
      prompt = tmpl::RenderConversation(*format_.tmpl, conversation, format_.special);
    } catch (const Error& e) {
      throw ApiError(400, std::string("the chat template rejected the messages: ") + e.what(),
                     "messages");
    }
    starts_in_reasoning = runtime::PromptOpensReasoning(prompt, format_.tags);
    ids = engine_->tokenizer->Encode(prompt, false);
  } else if (r.prompt_is_ids) {
    ids = r.prompt_ids;
  } else {
    ids = engine_->tokenizer->Encode(r.prompt, true);
  }
  const auto grammar = OutputGrammar(r, chat && starts_in_reasoning);
  if (grammar && (!engine_->tokenizer || engine_->eos_ids.empty())) {
    throw ApiError(400, "structured output needs the model's tokenizer and end-of-sequence token",
                   r.format.param.empty() ? "tool_choice" : r.format.param);
  }
  const auto constraint_vocab = grammar ? ConstraintVocab() : nullptr;
  const int n_ctx = o_.api.n_ctx;
  if (ids.empty()) throw ApiError(400, "the prompt is empty", chat ? "messages" : "prompt");
  if (static_cast<int64_t>(ids.size()) >= n_ctx) {
    throw ApiError(400,
                   "the prompt has " + std::to_string(ids.size()) +
                       " tokens; this server's context holds " + std::to_string(n_ctx),
                   chat ? "messages" : "prompt", "invalid_request_error",
                   "context_length_exceeded");
  }
  const int room = n_ctx - static_cast<int>(ids.size());
  if (r.max_tokens && *r.max_tokens > room) {
    throw ApiError(400,
                   "the prompt (" + std::to_string(ids.size()) + " tokens) and max_tokens (" +
                       std::to_string(*r.max_tokens) + ") do not fit the context of " +
                       std::to_string(n_ctx),
                   "max_tokens", "invalid_request_error", "context_length_exceeded");
  }
  // One job per choice.
  std::vector<Choice> choices(r.n);
  std::random_device rd;
  const uint64_t base_seed = r.seed ? *r.seed : (static_cast<uint64_t>(rd()) << 32) ^ rd();
  const std::string id = NewResponseId(chat ? "chatcmpl-" : "cmpl-");
  for (int i = 0; i < r.n; ++i) {
    auto job = std::make_shared<GenJob>();
    job->prompt = ids;
    job->options.sampling = r.sampling;
    job->options.sampling.seed = base_seed + static_cast<uint64_t>(i);
    job->options.max_tokens = r.max_tokens.value_or(room);
    job->options.stop = r.stop;
    job->options.stop_ids = engine_->eos_ids;
    job->options.logprobs = r.logprobs ? r.top_logprobs : -1;
    job->options.grammar = grammar;
    job->options.constraint_vocab = constraint_vocab;
    job->deadline = start + std::chrono::duration_cast<Clock::duration>(
                                std::chrono::duration<double>(o_.request_timeout_s));
    choices[i].job = job;
    choices[i].parser = std::make_unique<OutputParser>(
        format_.tags, chat && starts_in_reasoning, chat && !r.tools.is_null(),
        "call_" + id.substr(id.size() - 8) + "_" + std::to_string(i) + "_");
  }
  auto cancel_all = [&] {
    for (Choice& c : choices) c.job->cancel = true;
  };
  // All choices at once, so they meet in the scheduler together (one reads the prompt, the
  // others take it over).
  std::vector<std::shared_ptr<GenJob>> jobs;
  for (Choice& c : choices) jobs.push_back(c.job);
  if (!scheduler_->Submit(jobs)) {
    cancel_all();
    throw ApiError(429, "the server is busy (the request queue is full); retry later", "",
                   "rate_limit_error");
  }
  const std::string model = o_.api.model_id;
  const tokenizer::Tokenizer& tok = *engine_->tokenizer;
  // Streaming: the logprobs of tokens not yet attached to a chunk, and the text offset.
  std::vector<runtime::TokenLogprob> pending_lps;
  size_t text_offset = 0;
  auto take_logprobs = [&]() -> Json {
    if (!r.logprobs) return Json();
    Json j =
        chat ? ChatLogprobs(tok, pending_lps) : CompletionLogprobs(tok, pending_lps, text_offset);
    for (const runtime::TokenLogprob& lp : pending_lps) text_offset += tok.TokenBytes(lp.id).size();
    pending_lps.clear();
    return j;
  };
  const int64_t created = static_cast<int64_t>(std::time(nullptr));
  int completion_tokens = 0;
  bool first_token_seen = false;
  auto last_token_at = start;
  auto note_token = [&] {
    const auto now = Clock::now();
    if (!first_token_seen) {
      first_token_seen = true;
      metrics_.FirstToken(Since(start));
    } else {
      metrics_.InterToken(std::chrono::duration<double>(now - last_token_at).count());
    }
    last_token_at = now;
  };
  auto finish_reason = [&](const Choice& c) -> std::string {
    if (!c.calls.empty()) return "tool_calls";
    if (c.job->timed_out) return "length";
    return c.job->result.finish == runtime::FinishReason::kStop ? "stop" : "length";
  };
  auto usage = [&] {
    return Json{{"prompt_tokens", ids.size()},
                {"completion_tokens", completion_tokens},
                {"total_tokens", static_cast<int>(ids.size()) + completion_tokens},
                {"prompt_tokens_details",
                 {{"cached_tokens", choices.empty() ? 0 : choices[0].job->result.reused_tokens}}}};
  };
  auto fail = [&](const Choice& c) {
    std::fprintf(stderr, "request %llu: generation failed: %s\n",
                 static_cast<unsigned long long>(req.id), c.job->error.c_str());
  };

  if (!r.stream) {
    for (Choice& c : choices) {
      bool finished = false;
      while (!finished) {
        for (const GenEvent& e : c.job->Take(kPoll, finished)) {
          (void)e;
          note_token();
        }
        if (!finished && res.ClientGone()) {
          cancel_all();
          return;
        }
      }
      if (!c.job->error.empty()) {
        fail(c);
        cancel_all();
        throw ApiError(500, "generation failed", "", "server_error");
      }
      c.Add(c.parser->Push(c.job->result.text));
      c.Add(c.parser->Finish());
      completion_tokens += static_cast<int>(c.job->result.tokens.size());
    }
    metrics_.Tokens(static_cast<int>(ids.size()) * r.n, completion_tokens);
    Json out_choices = Json::array();
    for (int i = 0; i < r.n; ++i) {
      Choice& c = choices[i];
      if (chat) {
        Json message = {{"role", "assistant"}};
        message["content"] = c.calls.empty() || !c.content.empty() ? Json(c.content) : Json();
        if (!c.reasoning.empty()) message["reasoning_content"] = c.reasoning;
        if (!c.calls.empty()) {
          Json calls = Json::array();
          for (const ToolCall& t : c.calls) {
            calls.push_back({{"id", t.id},
                             {"type", "function"},
                             {"function", {{"name", t.name}, {"arguments", t.arguments}}}});
          }
          message["tool_calls"] = std::move(calls);
        }
        out_choices.push_back(
            {{"index", i},
             {"message", std::move(message)},
             {"logprobs", r.logprobs ? ChatLogprobs(tok, c.job->result.logprobs) : Json()},
             {"finish_reason", finish_reason(c)}});
      } else {
        const std::string echo = r.echo && !r.prompt_is_ids ? r.prompt : "";
        out_choices.push_back(
            {{"index", i},
             {"text", echo + c.content},
             {"logprobs",
              r.logprobs ? CompletionLogprobs(tok, c.job->result.logprobs, echo.size()) : Json()},
             {"finish_reason", finish_reason(c)}});
      }
    }
    Json body = {{"id", id},
                 {"object", chat ? "chat.completion" : "text_completion"},
                 {"created", created},
                 {"model", model},
                 {"system_fingerprint", "exaone.cpp"},
                 {"choices", std::move(out_choices)},
                 {"usage", usage()}};
    SendJson(res, 200, body);
    return;
  }

  // Streaming: server-sent events, one choice after the other (they run in turn).
  if (!res.StartStream(200, "text/event-stream", {{"Cache-Control", "no-cache"}})) {
    cancel_all();
    return;
  }
  auto send = [&](const Json& chunk) { return res.WriteChunk("data: " + Dump(chunk) + "\n\n"); };
  auto chunk = [&](Json choice_list) {
    Json c = {{"id", id},
              {"object", chat ? "chat.completion.chunk" : "text_completion"},
              {"created", created},
              {"model", model},
              {"system_fingerprint", "exaone.cpp"},
              {"choices", std::move(choice_list)}};
    if (r.include_usage) c["usage"] = nullptr;
    return c;
  };
  auto delta_chunk = [&](int index, const OutputParser::Delta& d, int& call_index) {
    Json delta = Json::object();
    if (!d.reasoning.empty()) delta["reasoning_content"] = d.reasoning;
    if (!d.content.empty()) delta["content"] = d.content;
    if (!d.tool_calls.empty()) {
      Json calls = Json::array();
      for (const ToolCall& t : d.tool_calls) {
        calls.push_back({{"index", call_index++},
                         {"id", t.id},
                         {"type", "function"},
                         {"function", {{"name", t.name}, {"arguments", t.arguments}}}});
      }
      delta["tool_calls"] = std::move(calls);
    }
    if (chat) {
      return chunk(Json::array({{{"index", index},
                                 {"delta", delta},
                                 {"logprobs", take_logprobs()},
                                 {"finish_reason", nullptr}}}));
    }
    return chunk(Json::array({{{"index", index},
                               {"text", d.content},
                               {"logprobs", take_logprobs()},
                               {"finish_reason", nullptr}}}));
  };
  for (int i = 0; i < r.n; ++i) {
    Choice& c = choices[i];
    int call_index = 0;
    text_offset = 0;
    pending_lps.clear();
    if (chat) {
      if (!send(chunk(Json::array({{{"index", i},
                                    {"delta", {{"role", "assistant"}, {"content", ""}}},
                                    {"logprobs", nullptr},
                                    {"finish_reason", nullptr}}})))) {
        cancel_all();
        return;
      }
    } else if (r.echo && !r.prompt_is_ids) {
      OutputParser::Delta d;
      d.content = r.prompt;
      text_offset = r.prompt.size();
      if (!send(delta_chunk(i, d, call_index))) {
        cancel_all();
        return;
      }
    }
    bool finished = false;
    while (!finished) {
      std::vector<GenEvent> events = c.job->Take(kPoll, finished);
      std::string text;
      for (const GenEvent& e : events) {
        note_token();
        text += e.text;
        if (e.logprob.id >= 0) pending_lps.push_back(e.logprob);
      }
      if (!text.empty()) {
        OutputParser::Delta d = c.parser->Push(text);
        c.Add(OutputParser::Delta(d));
        if (!d.empty() && !send(delta_chunk(i, d, call_index))) {
          cancel_all();
          return;
        }
      } else if (events.empty() && !finished && res.ClientGone()) {
        cancel_all();
        return;
      }
    }
    if (!c.job->error.empty()) {
      fail(c);
      cancel_all();
      send({{"error", {{"message", "generation failed"}, {"type", "server_error"}}}});
      res.WriteChunk("data: [DONE]\n\n");
      res.EndStream();
      return;
    }
    OutputParser::Delta d = c.parser->Finish();
    c.Add(OutputParser::Delta(d));
    if (!d.empty() && !send(delta_chunk(i, d, call_index))) {
      cancel_all();
      return;
    }
    completion_tokens += static_cast<int>(c.job->result.tokens.size());
    Json last = chat ? Json{{"index", i},
                            {"delta", Json::object()},
                            {"logprobs", take_logprobs()},
                            {"finish_reason", finish_reason(c)}}
                     : Json{{"index", i},
                            {"text", ""},
                            {"logprobs", take_logprobs()},
                            {"finish_reason", finish_reason(c)}};
    if (!send(chunk(Json::array({last})))) {
      cancel_all();
      return;
    }
  }
  metrics_.Tokens(static_cast<int>(ids.size()) * r.n, completion_tokens);
  if (r.include_usage) {
    Json u = chunk(Json::array());
    u["usage"] = usage();
    if (!send(u)) return;
  }
  res.WriteChunk("data: [DONE]\n\n");
  res.EndStream();
}

}  // namespace exaone::server
