// A fixed pool of worker threads that runs one parallel loop at a time. The calling thread
// takes part in the work, so a pool of n threads starts n - 1 workers.
//
// Decoding runs a few hundred short loops per token, so hand-offs must cost microseconds:
// workers spin on an atomic generation counter for a while after each loop and only then sleep
// on a condition variable; the caller spins until the workers are done.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace exaone {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls fn(begin, end) over disjoint chunks covering [0, n); returns when all are done.
  // Chunks are contiguous and split evenly, so each thread touches one range. Not reentrant:
  // fn must not call ParallelFor on the same pool.
  void ParallelFor(size_t n, const std::function<void(size_t, size_t)>& fn);

  // Like ParallelFor, but fn(thread_index, thread_count) is called once on every thread of the
  // pool (thread_index 0 is the caller), for work that splits itself.
  void RunOnAll(const std::function<void(int, int)>& fn);

 private:
  void WorkerLoop(int index);
  void Dispatch();  // publishes the job set in job_* and runs the caller's share

  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable start_cv_;
  const std::function<void(size_t, size_t)>* job_ = nullptr;
  const std::function<void(int, int)>* all_job_ = nullptr;
  size_t job_n_ = 0;
  int parts_ = 0;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<int> sleeping_{0};
  std::atomic<bool> stop_{false};
};

// Number of threads to use by default: the hardware concurrency, at least 1.
int DefaultThreadCount();

}  // namespace exaone
