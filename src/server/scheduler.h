// The generation engine behind the server: continuous batching. Requests wait in a bounded
// queue; one worker thread owns `slots` sequences (each with its own KV cache) and, at every
// token boundary, admits waiting requests into free slots (prefilling their prompts, reusing the
// longest prefix a free slot's cache already holds), then advances every running sequence by
// one token in a single batched forward pass. A request's output comes back as events that the
// connection's thread consumes, so a slow client never stalls the batch; a cancelled request
// (client gone, timeout) leaves the batch at the next token and its slot is free at once.
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
  runtime::TokenLogprob logprob;  // when the job asked for logprobs (id -1 otherwise)
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
  Scheduler(runtime::Engine& engine, int n_ctx, size_t max_queue, int slots);
  ~Scheduler();

  // Queues a job; false when the queue is full (or the scheduler is stopping).
  bool Submit(const std::shared_ptr<GenJob>& job);
  // Stops taking jobs, cancels the queued ones, lets the running one finish (or cancels it
  // after `grace`), and joins the worker.
  void Stop(std::chrono::milliseconds grace);
  SchedulerStats Stats();
  int n_ctx() const { return n_ctx_; }

 private:
  struct Slot;
  void Loop();
  void Admit(Slot& slot, std::shared_ptr<GenJob> job);
  void Emit(Slot& slot, const runtime::Generation::Step& step);
  void Finish(Slot& slot, const std::string& error = "");
  void Step();

  runtime::Engine& engine_;
  int n_ctx_;
  size_t max_queue_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<GenJob>> queue_;
  std::atomic<size_t> running_{0};
  bool stopping_ = false;
  std::chrono::steady_clock::time_point grace_end_ = std::chrono::steady_clock::time_point::max();
  std::atomic<size_t> kv_positions_{0};
  std::thread worker_;
};

}  // namespace exaone::server
