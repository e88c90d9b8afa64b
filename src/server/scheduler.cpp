#include "server/scheduler.h"

#include "base/error.h"

namespace exaone::server {

std::vector<GenEvent> GenJob::Take(std::chrono::milliseconds poll, bool& finished) {
  std::unique_lock<std::mutex> lock(mu);
  cv.wait_for(lock, poll, [&] { return done || !events.empty(); });
  std::vector<GenEvent> out(std::make_move_iterator(events.begin()),
                            std::make_move_iterator(events.end()));
  events.clear();
  finished = done;
  return out;
}

Scheduler::Scheduler(runtime::Engine& engine, int n_ctx, size_t max_queue)
    : engine_(engine),
      n_ctx_(n_ctx),
      max_queue_(max_queue),
      session_(*engine.model.model, engine.tokenizer.get(), n_ctx, *engine.pool) {
  worker_ = std::thread([this] { Loop(); });
}

Scheduler::~Scheduler() {
  Stop(std::chrono::milliseconds(0));
}

bool Scheduler::Submit(const std::shared_ptr<GenJob>& job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || queue_.size() >= max_queue_) return false;
    queue_.push_back(job);
  }
  cv_.notify_all();
  return true;
}

void Scheduler::Stop(std::chrono::milliseconds grace) {
  std::deque<std::shared_ptr<GenJob>> dropped;
  std::shared_ptr<GenJob> running;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!worker_.joinable()) return;
    stopping_ = true;
    dropped.swap(queue_);
    running = running_;
  }
  cv_.notify_all();
  for (const auto& job : dropped) {
    std::lock_guard<std::mutex> lock(job->mu);
    job->error = "the server is shutting down";
    job->done = true;
    job->cv.notify_all();
  }
  if (running) {
    std::unique_lock<std::mutex> lock(running->mu);
    if (!running->cv.wait_for(lock, grace, [&] { return running->done; })) {
      running->cancel = true;
    }
  }
  worker_.join();
}

SchedulerStats Scheduler::Stats() {
  std::lock_guard<std::mutex> lock(mu_);
  SchedulerStats s;
  s.queued = queue_.size();
  s.running = running_ ? 1 : 0;
  // The worker changes the session's history; its size is read as a snapshot for metrics.
  s.kv_positions = kv_positions_.load();
  s.kv_capacity = static_cast<size_t>(n_ctx_);
  return s;
}

void Scheduler::Loop() {
  while (true) {
    std::shared_ptr<GenJob> job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      job = queue_.front();
      queue_.pop_front();
      running_ = job;
    }
    Run(*job);
    kv_positions_ = session_.history().size();
    std::lock_guard<std::mutex> lock(mu_);
    running_.reset();
  }
}

void Scheduler::Run(GenJob& job) {
  {
    std::lock_guard<std::mutex> lock(job.mu);
    job.started = true;
  }
  runtime::GenerationResult result;
  std::string error;
  bool timed_out = false;
  if (!job.cancel.load()) {
    try {
      result = session_.Generate(job.prompt, job.options, [&](const std::string& text, int32_t id) {
        if (std::chrono::steady_clock::now() > job.deadline) {
          timed_out = true;
          return false;
        }
        {
          std::lock_guard<std::mutex> lock(job.mu);
          job.events.push_back({text, id});
        }
        job.cv.notify_all();
        return !job.cancel.load();
      });
    } catch (const Error& e) {
      error = e.what();
    } catch (const std::exception& e) {
      error = std::string("generation failed: ") + e.what();
    }
  }
  {
    std::lock_guard<std::mutex> lock(job.mu);
    job.result = std::move(result);
    job.error = std::move(error);
    job.timed_out = timed_out;
    job.done = true;
  }
  job.cv.notify_all();
}

}  // namespace exaone::server
