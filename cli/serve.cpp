// exaone serve MODEL: the OpenAI-compatible server (see docs/serve.md).
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>
#include <thread>

#include "args.h"
#include "base/error.h"
#include "base/mapped_file.h"
#include "base/thread_pool.h"
#include "commands.h"
#include "runtime/chat_format.h"
#include "runtime/engine.h"
#include "server/http.h"
#include "server/service.h"

namespace exaone::cli {
namespace {

constexpr const char* kUsage =
    "exaone serve MODEL [--host 127.0.0.1] [--port 8080] [--api-key KEY]... "
    "[--api-key-file FILE] [--allow-no-auth] [-c 4096] [-t N] [--model-id NAME] "
    "[--chat-template-kwargs JSON] [--parallel 8] [--prefill-chunk 64] [--max-queue 64] "
    "[--timeout 600] "
    "[--max-body-bytes N] "
    "[--max-connections 256] [--head-timeout 10] [--body-timeout 60] [--mmap|--no-mmap] "
    "[--quiet]";

bool IsLoopback(const std::string& host) {
  return host == "127.0.0.1" || host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  size_t i = 0;
  while (i < s.size() && s[i] == ' ') ++i;
  return s.substr(i);
}

std::string Timestamp() {
  char buf[32];
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

int ServeCommand(int argc, char** argv) {
  Args args(argc, argv, {"--help", "--allow-no-auth", "--mmap", "--no-mmap", "--quiet"},
            {"--host", "--port", "--api-key", "--api-key-file", "-c", "--ctx-size", "-t",
             "--threads", "--model-id", "--chat-template-kwargs", "--max-queue", "--timeout",
             "--max-body-bytes", "--max-connections", "--head-timeout", "--body-timeout",
             "--parallel", "-np", "--prefill-chunk"});
  if (args.Flag("--help")) {
    std::printf("usage: %s\n", kUsage);
    return 0;
  }
  args.ExpectPositional(1, 1, kUsage);
  const std::string model_path = args.positional()[0];
  const std::string host = args.Option("--host").value_or("127.0.0.1");
  const int port = static_cast<int>(args.IntOption("--port", 8080, 0, 65535));
  int n_ctx = static_cast<int>(args.IntOption("-c", 4096, 16, 1 << 20));
  n_ctx = static_cast<int>(args.IntOption("--ctx-size", n_ctx, 16, 1 << 20));
  int threads = static_cast<int>(args.IntOption("-t", DefaultThreadCount(), 1, 1024));
  threads = static_cast<int>(args.IntOption("--threads", threads, 1, 1024));

  server::ServiceOptions so;
  so.api_keys = args.Options("--api-key");
  if (auto file = args.Option("--api-key-file")) {
    const std::string text = ReadTextFile(*file);
    size_t start = 0;
    while (start < text.size()) {
      size_t end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      const std::string key = Trim(text.substr(start, end - start));
      if (!key.empty() && key[0] != '#') so.api_keys.push_back(key);
      start = end + 1;
    }
    if (so.api_keys.empty()) {
      throw Error(ErrorCode::kInvalidArgument, *file + ": no API keys in the file");
    }
  }
  for (const std::string& k : so.api_keys) {
    if (k.size() < 8) {
      throw Error(ErrorCode::kInvalidArgument, "API keys must be at least 8 characters long");
    }
  }
  if (!IsLoopback(host) && so.api_keys.empty() && !args.Flag("--allow-no-auth")) {
    throw Error(ErrorCode::kInvalidArgument,
                "refusing to listen on " + host +
                    " without API keys: give --api-key / --api-key-file, or --allow-no-auth to "
                    "serve anyone who can reach the address");
  }
  so.max_queue = static_cast<size_t>(args.IntOption("--max-queue", 64, 1, 1 << 20));
  so.slots = static_cast<int>(args.IntOption("--parallel", 8, 1, 256));
  so.slots = static_cast<int>(args.IntOption("-np", so.slots, 1, 256));
  so.prefill_chunk = static_cast<int>(args.IntOption("--prefill-chunk", 64, 1, 1 << 16));
  so.request_timeout_s = static_cast<double>(args.IntOption("--timeout", 600, 1, 1 << 24));
  so.api.model_id = args.Option("--model-id").value_or("");
  if (so.api.model_id.empty()) {
    const size_t slash = model_path.find_last_of('/');
    std::string base = slash == std::string::npos ? model_path : model_path.substr(slash + 1);
    if (base.empty()) base = "exaone";
    so.api.model_id = base;
  }
  if (auto kw = args.Option("--chat-template-kwargs")) {
    try {
      so.api.template_kwargs = server::Json::parse(*kw);
    } catch (const server::Json::exception&) {
      throw Error(ErrorCode::kInvalidArgument, "--chat-template-kwargs is not valid JSON");
    }
    if (!so.api.template_kwargs.is_object()) {
      throw Error(ErrorCode::kInvalidArgument, "--chat-template-kwargs must be a JSON object");
    }
  }
  server::HttpLimits limits;
  limits.max_body_bytes =
      static_cast<uint64_t>(args.IntOption("--max-body-bytes", 8 << 20, 1024, int64_t{1} << 32));
  limits.max_connections = static_cast<int>(args.IntOption("--max-connections", 256, 1, 65536));
  limits.head_timeout_s = static_cast<double>(args.IntOption("--head-timeout", 10, 1, 3600));
  limits.body_timeout_s = static_cast<double>(args.IntOption("--body-timeout", 60, 1, 3600));
  const bool quiet = args.Flag("--quiet");
  const Residency residency = ResidencyOption(args);

  // Signals go to one thread that waits for them; every other thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::unique_ptr<runtime::Engine> engine;  // outlives the service that uses it
  server::Service service(so);
  std::mutex log_mu;
  server::HttpServer http(
      limits,
      [&](const server::HttpRequest& req, server::HttpResponder& res) { service.Handle(req, res); },
      [&](const server::AccessLogEntry& e) {
        if (quiet) return;
        std::lock_guard<std::mutex> lock(log_mu);
        std::fprintf(stderr, "%s %llu %s \"%s %s\" %d %llu %.3f\n", Timestamp().c_str(),
                     static_cast<unsigned long long>(e.id), e.remote.c_str(), e.method.c_str(),
                     e.target.c_str(), e.status, static_cast<unsigned long long>(e.bytes),
                     e.seconds);
      });
  http.Listen(host, port);
  std::fprintf(stderr, "exaone serve: listening on http://%s:%d (loading %s)\n",
               host.find(':') != std::string::npos ? ("[" + host + "]").c_str() : host.c_str(),
               http.port(), model_path.c_str());
  std::fflush(stderr);
  std::thread serve_thread([&] { http.Serve(); });
  std::thread signal_thread([&] {
    while (true) {
      int sig = 0;
      if (sigwait(&signals, &sig) != 0) continue;
      if (sig == SIGPIPE) continue;
      std::fprintf(stderr, "exaone serve: %s received, shutting down\n",
                   sig == SIGTERM ? "SIGTERM" : "SIGINT");
      service.Shutdown(std::chrono::seconds(30));
      http.Stop();
      return;
    }
  });

  try {
    engine = runtime::Engine::Load(model_path, threads, residency);
    runtime::ChatFormat format;
    try {
      format = runtime::LoadChatFormat(*engine, model_path, "chat template");
    } catch (const Error& e) {
      if (!engine->tokenizer) throw;
      std::fprintf(stderr, "exaone serve: warning: %s; /v1/chat/completions will fail\n", e.what());
    }
    if (!engine->tokenizer) {
      throw Error(ErrorCode::kNotFound, model_path + ": the model has no tokenizer");
    }
    service.Attach(*engine, std::move(format), n_ctx);
  } catch (...) {
    http.Stop();
    serve_thread.join();
    pthread_kill(signal_thread.native_handle(), SIGTERM);
    signal_thread.join();
    throw;
  }
  std::fprintf(stderr,
               "exaone serve: ready (model id '%s', context %d per sequence, %d sequences "
               "batched, %d threads)\n",
               so.api.model_id.c_str(), n_ctx, so.slots, threads);
  std::fflush(stderr);
  serve_thread.join();
  signal_thread.join();
  service.Shutdown(std::chrono::milliseconds(0));
  std::fprintf(stderr, "exaone serve: stopped\n");
  return 0;
}

}  // namespace exaone::cli
