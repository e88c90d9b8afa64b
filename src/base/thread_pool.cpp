#include "base/thread_pool.h"

#include <algorithm>
#include <chrono>

#include "base/error.h"

namespace exaone {
namespace {

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// How long a worker spins for the next loop before it sleeps (decoding issues the next loop
// within microseconds; a finished request should not keep cores busy).
constexpr auto kSpinTime = std::chrono::milliseconds(2);

}  // namespace

ThreadPool::ThreadPool(int threads) {
  EXA_CHECK(threads >= 1);
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this, i] { WorkerLoop(i); });
}

ThreadPool::~ThreadPool() {
  stop_.store(true);
  { std::lock_guard<std::mutex> lock(mu_); }
  start_cv_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::WorkerLoop(int index) {
  uint64_t seen = 0;
  for (;;) {
    // Spin for a while, then sleep until the generation moves on.
    auto spin_start = std::chrono::steady_clock::now();
    int polls = 0;
    while (generation_.load(std::memory_order_acquire) == seen && !stop_.load()) {
      CpuRelax();
      if (++polls % 1024 == 0 && std::chrono::steady_clock::now() - spin_start > kSpinTime) {
        std::unique_lock<std::mutex> lock(mu_);
        sleeping_.fetch_add(1);
        start_cv_.wait(lock, [&] { return stop_.load() || generation_.load() != seen; });
        sleeping_.fetch_sub(1);
        break;
      }
    }
    if (stop_.load()) return;
    seen = generation_.load(std::memory_order_acquire);
    if (all_job_ != nullptr) {
      (*all_job_)(index, size());
    } else if (index < parts_) {
      size_t begin = job_n_ * static_cast<size_t>(index) / static_cast<size_t>(parts_);
      size_t end = job_n_ * static_cast<size_t>(index + 1) / static_cast<size_t>(parts_);
      if (begin < end) (*job_)(begin, end);
    }
    pending_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

// Waits for the workers; yields now and then so an oversubscribed machine still progresses.
static void WaitForZero(const std::atomic<int>& pending) {
  for (int polls = 1; pending.load(std::memory_order_acquire) != 0; ++polls) {
    CpuRelax();
    if (polls % 4096 == 0) std::this_thread::yield();
  }
}

void ThreadPool::Dispatch() {
  pending_.store(static_cast<int>(workers_.size()), std::memory_order_relaxed);
  generation_.fetch_add(1);  // publishes job_* (seq_cst, so it is ordered before the read below)
  if (sleeping_.load() > 0) {
    { std::lock_guard<std::mutex> lock(mu_); }
    start_cv_.notify_all();
  }
}

void ThreadPool::ParallelFor(size_t n, const std::function<void(size_t, size_t)>& fn) {
  if (n == 0) return;
  if (workers_.empty() || n == 1) {
    fn(0, n);
    return;
  }
  job_ = &fn;
  all_job_ = nullptr;
  job_n_ = n;
  parts_ = static_cast<int>(std::min<size_t>(n, static_cast<size_t>(size())));
  Dispatch();
  size_t end = n / static_cast<size_t>(parts_);
  if (end > 0) fn(0, end);
  WaitForZero(pending_);
  job_ = nullptr;
}

void ThreadPool::RunOnAll(const std::function<void(int, int)>& fn) {
  if (workers_.empty()) {
    fn(0, 1);
    return;
  }
  job_ = nullptr;
  all_job_ = &fn;
  Dispatch();
  fn(0, size());
  WaitForZero(pending_);
  all_job_ = nullptr;
}

int DefaultThreadCount() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

}  // namespace exaone
