// The generation engine behind the server: continuous batching. Requests wait in a bounded
// queue; one worker thread owns `slots` sequences, whose KV caches take blocks from one shared
// pool. At every token boundary it admits waiting requests into free slots, reusing the longest
// prefix any sequence's cache holds (its own, cut back, or another's blocks taken over without
// copying), then runs one batched forward pass: one token for every generating sequence plus
// the next chunk of the prompts still being read, so a long prompt never stalls the others. A
// request's output comes back as events that the connection's thread consumes, so a slow client
// never stalls the batch; a cancelled request (client gone, timeout) leaves the batch at the next
// token and its slot is free at once.
#pragma once

#include <array>
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
  size_t kv_blocks_used = 0;          // KV blocks held (shared ones once)
  size_t kv_blocks_total = 0;         // KV blocks in the pool
  uint64_t prefix_tokens_reused = 0;  // prompt tokens taken from caches instead of computed
  uint64_t prefix_tokens_shared = 0;  // of those, taken over from another sequence's cache
  // Tokens per batched forward pass: counts per bucket (<= 1, 2, 4, ... 512, more), sum, passes.
  std::vector<uint64_t> step_tokens;
  uint64_t step_tokens_sum = 0, steps = 0;
};

class Scheduler {
 public:
  // Block size of the KV pool, in positions.
  static constexpr int kBlockLen = 64;

  // `prefill_chunk`: prompt tokens run per step while other sequences are generating.
  Scheduler(runtime::Engine& engine, int n_ctx, size_t max_queue, int slots, int prefill_chunk);
  ~Scheduler();

  // Queues jobs, all or none; false when the queue has no room for them all (or the scheduler
  // is stopping).
  bool Submit(const std::vector<std::shared_ptr<GenJob>>& jobs);
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
  Slot* PickSlot(const std::vector<int32_t>& prompt, const std::vector<Slot*>& taken);
  bool ShouldWait(const GenJob& job, const std::vector<GenJob*>& admitted) const;

  runtime::Engine& engine_;
  int n_ctx_;
  size_t max_queue_;
  int prefill_chunk_;
  std::shared_ptr<model::KvBlockPool> pool_;
  uint64_t clock_ = 0;  // admissions so far (slots remember when they were last used)
  std::vector<std::unique_ptr<Slot>> slots_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<GenJob>> queue_;
  std::atomic<size_t> running_{0};
  bool stopping_ = false;
  std::chrono::steady_clock::time_point grace_end_ = std::chrono::steady_clock::time_point::max();
  std::atomic<uint64_t> reused_{0}, shared_{0};
  static constexpr size_t kStepBuckets = 11;  // 1, 2, 4, ..., 512, +Inf
  std::array<std::atomic<uint64_t>, kStepBuckets> step_buckets_{};
  std::atomic<uint64_t> step_tokens_sum_{0}, steps_{0};
  std::thread worker_;
};

}  // namespace exaone::server
