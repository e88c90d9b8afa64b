// `exaone serve`'s routes: the OpenAI-compatible API (/v1/chat/completions, /v1/completions,
// /v1/models), /health, /metrics, with API-key checks, request limits and OpenAI error objects.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "constrain/grammar.h"
#include "runtime/chat_format.h"
#include "runtime/constraint.h"
#include "runtime/engine.h"
#include "server/http.h"
#include "server/openai.h"
#include "server/scheduler.h"

namespace exaone::server {

struct ServiceOptions {
  ApiDefaults api;
  std::vector<std::string> api_keys;  // empty: no authentication
  size_t max_queue = 64;
  int slots = 8;                   // sequences generated together (continuous batching)
  int prefill_chunk = 64;          // prompt tokens read per step while others generate
  double request_timeout_s = 600;  // a request's whole generation
};

// Counters and histograms for /metrics (Prometheus text format).
class Metrics {
 public:
  void Request(int status);
  void Tokens(int prompt, int generated);
  void FirstToken(double seconds);
  void InterToken(double seconds);
  std::string Text(const SchedulerStats& s) const;

 private:
  struct Histogram {
    std::vector<double> bounds;
    std::vector<uint64_t> counts;  // per bound, then +Inf
    double sum = 0;
    uint64_t n = 0;
    void Add(double v);
  };
  mutable std::mutex mu_;
  std::vector<std::pair<int, uint64_t>> by_status_;
  uint64_t prompt_tokens_ = 0, generated_tokens_ = 0;
  Histogram ttft_{{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}, {}, 0, 0};
  Histogram itl_{{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1}, {}, 0, 0};
};

class Service {
 public:
  explicit Service(ServiceOptions options);
  ~Service();

  // Makes the service ready once the model is loaded (until then every route but /health
  // answers 503).
  void Attach(runtime::Engine& engine, runtime::ChatFormat format, int n_ctx);
  // Stops taking generation requests; running ones get `grace` to finish, then are cancelled.
  void Shutdown(std::chrono::milliseconds grace);

  void Handle(const HttpRequest& req, HttpResponder& res);

 private:
  void Dispatch(const HttpRequest& req, HttpResponder& res);
  bool Authorized(const HttpRequest& req) const;
  void Models(const HttpRequest& req, HttpResponder& res);
  void Generate(const HttpRequest& req, HttpResponder& res, bool chat);
  void SendJson(HttpResponder& res, int status, const Json& body, const Headers& extra = {});
  void SendError(HttpResponder& res, const ApiError& e, const Headers& extra = {});
  // The grammar a request's output must follow (null when free), compiled once per distinct
  // request shape and kept in a small cache; with `reasoning_first`, reasoning comes first.
  std::shared_ptr<const constrain::Grammar> OutputGrammar(const CompletionRequest& r,
                                                          bool reasoning_first);
  std::shared_ptr<const runtime::ConstraintVocab> ConstraintVocab();

  ServiceOptions o_;
  std::atomic<bool> ready_{false};
  std::atomic<bool> shutting_down_{false};
  runtime::Engine* engine_ = nullptr;
  runtime::ChatFormat format_;
  std::unique_ptr<Scheduler> scheduler_;
  Metrics metrics_;
  int64_t created_ = 0;
  std::mutex constrain_mu_;
  std::shared_ptr<const runtime::ConstraintVocab> constraint_vocab_;  // built on first use
  // Compiled grammars by request shape, most recently used last.
  std::vector<std::pair<std::string, std::shared_ptr<const constrain::Grammar>>> grammars_;
};

}  // namespace exaone::server
