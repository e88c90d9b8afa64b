// The generation queue behind the server: requests wait in a bounded queue and are run by one
// worker thread that owns the model's sessions. A request's output comes back as events that the
// connection's thread consumes, so a slow client never stalls generation; a cancelled request
// (client gone, timeout) stops at the next token and frees its place at once.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "runtime/engine.h"
#include "runtime/session.h"

namespace exaone::server {

struct GenEvent {
  std::string text;  // decoded text now safe to show (may be empty)
  int32_t token = -1;
};

struct GenJob {
  std::vector<int32_t> prompt;
  runtime::GenerationOptions options;
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();

  std::atomic<bool> cancel{false};

  // Filled by the worker; read under `mu`.
  std::mutex mu;
  std::condition_variable cv;
  std::deque<GenEvent> events;
  bool started = false;
  bool done = false;
  bool timed_out = false;
  std::string error;  // set when generation failed (the message is for the client)
  runtime::GenerationResult result;

  // Waits for the next event, the end, or `poll` (whichever first). Returns the events taken.
  std::vector<GenEvent> Take(std::chrono::milliseconds poll, bool& finished);
};

struct SchedulerStats {
  size_t queued = 0;
  size_t running = 0;
  size_t kv_positions = 0;  // positions held in KV caches
  size_t kv_capacity = 0;   // positions the KV caches can hold
};

class Scheduler {
 public:
  Scheduler(runtime::Engine& engine, int n_ctx, size_t max_queue);
  ~Scheduler();

  // Queues a job; false when the queue is full (or the scheduler is stopping).
  bool Submit(const std::shared_ptr<GenJob>& job);
  // Stops taking jobs, cancels the queued ones, lets the running one finish (or cancels it
  // after `grace`), and joins the worker.
  void Stop(std::chrono::milliseconds grace);
  SchedulerStats Stats();
  int n_ctx() const { return n_ctx_; }

 private:
  void Loop();
  void Run(GenJob& job);

  runtime::Engine& engine_;
  int n_ctx_;
  size_t max_queue_;
  runtime::Session session_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<GenJob>> queue_;
  std::shared_ptr<GenJob> running_;
  bool stopping_ = false;
  std::atomic<size_t> kv_positions_{0};
  std::thread worker_;
};

}  // namespace exaone::server
