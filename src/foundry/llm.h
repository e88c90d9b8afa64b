// Models for the foundry's generation stages: the engine in this process (served by the same
// batching scheduler as `exaone serve`, on a private loopback port) or any OpenAI-compatible
// endpoint (our server, vLLM, ...). Requests run with bounded concurrency and retries, and
// every answer goes to a request cache on disk, so a rerun or a resumed run never pays twice
// for the same request.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "foundry/recipe.h"
#include "foundry/record.h"

namespace exaone::foundry {

struct ModelSpec {
  std::string path;         // in-process: a GGUF file or model folder
  std::string endpoint;     // or: base URL of an OpenAI-compatible API (".../v1")
  std::string model;        // the model id to send (endpoint) / to report
  std::string api_key_env;  // endpoint: environment variable holding the key
  int concurrency = 8;      // requests in flight
  int retries = 3;          // per request, on connection errors and 429 / 5xx
  double timeout_s = 600;
  int context = 4096;  // in-process: context per sequence
  int threads = 0;     // in-process: 0 = all cores

  static ModelSpec Parse(Settings& s, const Recipe& recipe);  // the stage's "model" object
  std::string Key() const;  // what identifies the model in cache keys and provenance
};

struct LlmAnswer {
  std::string content;    // the answer (null content is "")
  std::string reasoning;  // reasoning_content, when the model thought first
  std::string finish_reason;
  Json tool_calls;    // as the API returns them (null when none)
  std::string error;  // non-empty: the request failed after its retries
};

class Llm {
 public:
  // One per model spec in a process, shared by every stage and unit that uses it.
  static std::shared_ptr<Llm> Get(const ModelSpec& spec);
  // Stops and frees the models Get made (their last users gone): at the end of a run, so that
  // in-process engines do not outlive main.
  static void ReleaseAll();
  virtual ~Llm() = default;
  // Chat completion bodies (OpenAI JSON, without "model"); answers in the same order.
  virtual std::vector<LlmAnswer> Chat(const std::vector<Json>& bodies) = 0;
  virtual const std::string& model_id() const = 0;
};

// Answers by request, on disk: an append-only JSONL file per writer (a torn last line from a
// killed run is ignored), all of a folder's files read at start.
class RequestCache {
 public:
  RequestCache(std::string dir, std::string writer);
  // The cached answer for `key`, if any.
  bool Find(const std::string& key, LlmAnswer& out);
  void Put(const std::string& key, const LlmAnswer& a);  // appended and flushed
  void Sync();                                           // fsync the file

 private:
  std::mutex mu_;
  std::string path_;
  int fd_ = -1;
  std::unordered_map<std::string, LlmAnswer> map_;

 public:
  ~RequestCache();
};

}  // namespace exaone::foundry
