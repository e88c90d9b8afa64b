#include "foundry/llm.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <thread>

#include "base/error.h"
#include "hub/http.h"
#include "runtime/chat_format.h"
#include "runtime/engine.h"
#include "server/http.h"
#include "server/service.h"

namespace exaone::foundry {
namespace {

Json AnswerJson(const LlmAnswer& a) {
  Json j = {{"content", a.content}, {"finish_reason", a.finish_reason}};
  if (!a.reasoning.empty()) j["reasoning"] = a.reasoning;
  if (!a.tool_calls.is_null()) j["tool_calls"] = a.tool_calls;
  return j;
}

LlmAnswer AnswerFrom(const Json& j) {
  LlmAnswer a;
  a.content = j.value("content", "");
  a.reasoning = j.value("reasoning", "");
  a.finish_reason = j.value("finish_reason", "");
  if (j.contains("tool_calls")) a.tool_calls = j["tool_calls"];
  return a;
}

// Requests to an OpenAI-compatible API, `concurrency` at a time.
class EndpointLlm : public Llm {
 public:
  EndpointLlm(const ModelSpec& spec, std::string base, std::string key, std::string model)
      : spec_(spec), base_(std::move(base)), key_(std::move(key)), model_(std::move(model)) {
    while (!base_.empty() && base_.back() == '/') base_.pop_back();
  }

  const std::string& model_id() const override { return model_; }

  std::vector<LlmAnswer> Chat(const std::vector<Json>& bodies) override {
    std::vector<LlmAnswer> out(bodies.size());
    std::atomic<size_t> next{0};
    auto worker = [&] {
      hub::HttpClient client(key_, static_cast<long>(spec_.timeout_s));
      for (size_t i = next++; i < bodies.size(); i = next++) out[i] = One(client, bodies[i]);
    };
    const int n = std::max(1, std::min<int>(spec_.concurrency, static_cast<int>(bodies.size())));
    std::vector<std::thread> threads;
    for (int t = 1; t < n; ++t) threads.emplace_back(worker);
    worker();
    for (auto& t : threads) t.join();
    return out;
  }

 private:
  LlmAnswer One(hub::HttpClient& client, const Json& body) {
    Json b = body;
    b["model"] = model_;
    hub::HttpRequest req;
    req.url = base_ + "/chat/completions";
    req.post_body = b.dump(-1, ' ', false, Json::error_handler_t::replace);
    req.follow_cross_origin = false;
    std::string error;
    for (int attempt = 0; attempt <= spec_.retries; ++attempt) {
      if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(250 << attempt));
      const hub::HttpResponse r = client.Fetch(req);
      if (!r.error.empty()) {
        error = r.error;
        continue;
      }
      if (r.status == 429 || r.status >= 500) {
        error = "HTTP " + std::to_string(r.status) + ": " + r.body.substr(0, 300);
        continue;
      }
      if (r.status != 200) {  // a request error: retrying will not help
        LlmAnswer a;
        a.error = "HTTP " + std::to_string(r.status) + ": " + r.body.substr(0, 500);
        return a;
      }
      try {
        const Json j = Json::parse(r.body);
        const Json& choice = j.at("choices").at(0);
        const Json& m = choice.at("message");
        LlmAnswer a;
        if (m.contains("content") && m["content"].is_string()) a.content = m["content"];
        if (m.contains("reasoning_content") && m["reasoning_content"].is_string()) {
          a.reasoning = m["reasoning_content"];
        }
        if (m.contains("tool_calls") && !m["tool_calls"].is_null()) a.tool_calls = m["tool_calls"];
        if (choice.contains("finish_reason") && choice["finish_reason"].is_string()) {
          a.finish_reason = choice["finish_reason"];
        }
        return a;
      } catch (const Json::exception& e) {
        error = std::string("not a chat completion: ") + e.what();
      }
    }
    LlmAnswer a;
    a.error = error;
    return a;
  }

  ModelSpec spec_;
  std::string base_, key_, model_;
};

// The engine in this process behind the server's service, on a private loopback port.
class InProcessLlm : public Llm {
 public:
  explicit InProcessLlm(const ModelSpec& spec) {
    const int threads = spec.threads > 0
                            ? spec.threads
                            : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    engine_ = runtime::Engine::Load(spec.path, threads);
    runtime::ChatFormat format = runtime::LoadChatFormat(*engine_, spec.path, "chat template");
    std::random_device rd;
    key_ = "foundry-" + std::to_string(rd()) + std::to_string(rd());
    server::ServiceOptions so;
    so.api_keys = {key_};
    so.slots = std::max(1, spec.concurrency);
    so.max_queue = static_cast<size_t>(std::max(64, spec.concurrency * 4));
    so.request_timeout_s = spec.timeout_s;
    so.api.model_id = spec.model.empty() ? "local" : spec.model;
    service_ = std::make_unique<server::Service>(so);
    http_ = std::make_unique<server::HttpServer>(
        server::HttpLimits{},
        [this](const server::HttpRequest& req, server::HttpResponder& res) {
          service_->Handle(req, res);
        },
        [](const server::AccessLogEntry&) {});
    http_->Listen("127.0.0.1", 0);
    serve_ = std::thread([this] { http_->Serve(); });
    service_->Attach(*engine_, std::move(format), spec.context);
    client_ = std::make_unique<EndpointLlm>(
        spec, "http://127.0.0.1:" + std::to_string(http_->port()) + "/v1", key_, so.api.model_id);
  }
  ~InProcessLlm() override {
    service_->Shutdown(std::chrono::milliseconds(0));
    http_->Stop();
    if (serve_.joinable()) serve_.join();
  }
  std::vector<LlmAnswer> Chat(const std::vector<Json>& bodies) override {
    return client_->Chat(bodies);
  }
  const std::string& model_id() const override { return client_->model_id(); }

 private:
  std::unique_ptr<runtime::Engine> engine_;
  std::unique_ptr<server::Service> service_;
  std::unique_ptr<server::HttpServer> http_;
  std::thread serve_;
  std::string key_;
  std::unique_ptr<EndpointLlm> client_;
};

}  // namespace

ModelSpec ModelSpec::Parse(Settings& s, const Recipe& recipe) {
  const Json* m = s.Raw("model");
  if (!m) RecipeError(s.At("model"), "needs a model: {\"path\": ...} or {\"endpoint\": ...}");
  Settings ms(*m, s.At("model"));
  ModelSpec spec;
  spec.path = ms.String("path", "");
  spec.endpoint = ms.String("endpoint", "");
  if (spec.path.empty() == spec.endpoint.empty()) {
    RecipeError(ms.path(),
                "give one of 'path' (a model to load here) and 'endpoint' (an "
                "OpenAI-compatible API)");
  }
  if (!spec.path.empty()) spec.path = recipe.Resolve(spec.path);
  spec.model = ms.String("model", "");
  spec.api_key_env = ms.String("api_key_env", "");
  spec.concurrency = static_cast<int>(ms.Int("concurrency", spec.concurrency, 1, 1024));
  spec.retries = static_cast<int>(ms.Int("retries", spec.retries, 0, 20));
  spec.timeout_s = ms.Number("timeout_s", spec.timeout_s, 1, 86400);
  spec.context = static_cast<int>(ms.Int("context", spec.context, 16, 1 << 20));
  spec.threads = static_cast<int>(ms.Int("threads", 0, 0, 4096));
  ms.Finish();
  if (!spec.api_key_env.empty() && !std::getenv(spec.api_key_env.c_str())) {
    RecipeError(ms.At("api_key_env"),
                "the environment variable " + spec.api_key_env + " is not set");
  }
  return spec;
}

std::string ModelSpec::Key() const {
  if (!endpoint.empty()) return "endpoint:" + endpoint + "#" + model;
  std::error_code ec;
  const auto size =
      std::filesystem::is_regular_file(path, ec) ? std::filesystem::file_size(path) : 0;
  return "path:" + std::filesystem::path(path).filename().string() + "#" + std::to_string(size);
}

namespace {
std::mutex models_mu;
std::map<std::string, std::shared_ptr<Llm>>& Models() {
  static auto* models = new std::map<std::string, std::shared_ptr<Llm>>();
  return *models;
}
}  // namespace

void Llm::ReleaseAll() {
  std::lock_guard<std::mutex> lock(models_mu);
  Models().clear();
}

std::shared_ptr<Llm> Llm::Get(const ModelSpec& spec) {
  auto& mu = models_mu;
  auto& models = Models();
  const std::string key = (spec.endpoint.empty() ? spec.path : spec.endpoint) + "#" + spec.model;
  std::lock_guard<std::mutex> lock(mu);
  auto it = models.find(key);
  if (it != models.end()) return it->second;
  std::shared_ptr<Llm> llm;
  if (!spec.endpoint.empty()) {
    const char* k = spec.api_key_env.empty() ? nullptr : std::getenv(spec.api_key_env.c_str());
    llm = std::make_shared<EndpointLlm>(spec, spec.endpoint, k ? k : "",
                                        spec.model.empty() ? "default" : spec.model);
  } else {
    llm = std::make_shared<InProcessLlm>(spec);
  }
  models.emplace(key, llm);
  return llm;
}

RequestCache::RequestCache(std::string dir, std::string writer) {
  std::filesystem::create_directories(dir);
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() != ".jsonl") continue;
    std::ifstream in(e.path());
    for (std::string line; std::getline(in, line);) {
      try {
        const Json j = Json::parse(line);
        map_[j.at("key").get<std::string>()] = AnswerFrom(j.at("answer"));
      } catch (const std::exception&) {
        // A line cut off by a killed run: the request is simply made again.
      }
    }
  }
  path_ = dir + "/" + writer + ".jsonl";
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) throw Error(ErrorCode::kIo, path_ + ": cannot open the request cache");
}

RequestCache::~RequestCache() {
  if (fd_ >= 0) ::close(fd_);
}

bool RequestCache::Find(const std::string& key, LlmAnswer& out) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = map_.find(key);
  if (it == map_.end()) return false;
  out = it->second;
  return true;
}

void RequestCache::Put(const std::string& key, const LlmAnswer& a) {
  std::lock_guard<std::mutex> lock(mu_);
  map_[key] = a;
  // A torn line (killed mid-write) fails to parse on load; a newline first ends any such line.
  const std::string line = "\n" +
                           Json{{"key", key}, {"answer", AnswerJson(a)}}.dump(
                               -1, ' ', false, Json::error_handler_t::replace) +
                           "\n";
  size_t done = 0;
  while (done < line.size()) {
    const ssize_t w = ::write(fd_, line.data() + done, line.size() - done);
    if (w < 0) throw Error(ErrorCode::kIo, path_ + ": cannot write the request cache");
    done += static_cast<size_t>(w);
  }
}

void RequestCache::Sync() {
  std::lock_guard<std::mutex> lock(mu_);
  if (fd_ >= 0) ::fsync(fd_);
}

}  // namespace exaone::foundry
