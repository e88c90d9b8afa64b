#include "server/scheduler.h"

#include <algorithm>

#include "base/error.h"

namespace exaone::server {

using Clock = std::chrono::steady_clock;

std::vector<GenEvent> GenJob::Take(std::chrono::milliseconds poll, bool& finished) {
  std::unique_lock<std::mutex> lock(mu);
  cv.wait_for(lock, poll, [&] { return done || !events.empty(); });
  std::vector<GenEvent> out(std::make_move_iterator(events.begin()),
                            std::make_move_iterator(events.end()));
  events.clear();
  finished = done;
  return out;
}

struct Scheduler::Slot {
  std::unique_ptr<model::KvCache> cache;
  std::vector<int32_t> history;  // ids whose keys and values the cache holds
  std::shared_ptr<GenJob> job;   // null when free
  std::unique_ptr<runtime::Generation> gen;
  int32_t next = -1;  // the sampled token to run at the next step
  runtime::GenerationResult result;
  Clock::time_point start, first_token;
};

Scheduler::Scheduler(runtime::Engine& engine, int n_ctx, size_t max_queue, int slots)
    : engine_(engine), n_ctx_(n_ctx), max_queue_(max_queue) {
  EXA_CHECK(slots >= 1);
  for (int i = 0; i < slots; ++i) {
    auto slot = std::make_unique<Slot>();
    slot->cache = engine.model.model->NewSequence(n_ctx);
    slots_.push_back(std::move(slot));
  }
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
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!worker_.joinable()) return;
    stopping_ = true;
    grace_end_ = Clock::now() + grace;
    dropped.swap(queue_);
  }
  cv_.notify_all();
  for (const auto& job : dropped) {
    std::lock_guard<std::mutex> lock(job->mu);
    job->error = "the server is shutting down";
    job->done = true;
    job->cv.notify_all();
  }
  worker_.join();
}

SchedulerStats Scheduler::Stats() {
  std::lock_guard<std::mutex> lock(mu_);
  SchedulerStats s;
  s.queued = queue_.size();
  s.running = running_.load();
  s.kv_positions = kv_positions_.load();
  s.kv_capacity = static_cast<size_t>(n_ctx_) * slots_.size();
  return s;
}

void Scheduler::Emit(Slot& slot, const runtime::Generation::Step& step) {
  if (step.stop_id) return;
  GenJob& job = *slot.job;
  {
    std::lock_guard<std::mutex> lock(job.mu);
    job.events.push_back({step.text, step.id, step.logprob});
  }
  job.cv.notify_all();
}

void Scheduler::Finish(Slot& slot, const std::string& error) {
  GenJob& job = *slot.job;
  runtime::GenerationResult& r = slot.result;
  if (slot.gen) {
    r.tokens = slot.gen->tokens();
    r.text = slot.gen->text();
    r.finish = slot.gen->finish();
    r.logprobs = slot.gen->logprobs();
  }
  {
    std::lock_guard<std::mutex> lock(job.mu);
    job.result = std::move(r);
    job.error = error;
    job.done = true;
  }
  job.cv.notify_all();
  slot.job.reset();
  slot.gen.reset();
  slot.result = {};
  running_.fetch_sub(1);
}

void Scheduler::Admit(Slot& slot, std::shared_ptr<GenJob> job) {
  slot.job = std::move(job);
  slot.start = Clock::now();
  slot.result = {};
  GenJob& j = *slot.job;
  try {
    if (j.prompt.empty() || static_cast<int>(j.prompt.size()) >= n_ctx_) {
      throw Error(ErrorCode::kInvalidArgument, "the prompt does not fit the context");
    }
    slot.gen = std::make_unique<runtime::Generation>(j.options, engine_.tokenizer.get());
    std::vector<float> logits(engine_.summary().vocab_size);
    slot.result.prompt_tokens = static_cast<int>(j.prompt.size());
    slot.result.reused_tokens = runtime::PrefillSequence(
        *engine_.model.model, *slot.cache, slot.history, j.prompt, logits, *engine_.pool);
    slot.result.prefill_seconds = std::chrono::duration<double>(Clock::now() - slot.start).count();
    if (slot.gen->done()) {  // max_tokens 0
      Finish(slot);
      return;
    }
    const runtime::Generation::Step step = slot.gen->Next(logits, slot.history);
    Emit(slot, step);
    slot.next = step.id;
    if (step.done) Finish(slot);
  } catch (const Error& e) {
    Finish(slot, e.what());
  }
}

void Scheduler::Step() {
  // Sequences that leave before this step: cancelled, past their deadline, or out of context.
  const auto now = Clock::now();
  const bool past_grace = now > grace_end_;
  std::vector<Slot*> batch;
  for (auto& s : slots_) {
    Slot& slot = *s;
    if (!slot.job) continue;
    GenJob& job = *slot.job;
    const bool timed_out = now > job.deadline;
    if (job.cancel.load() || timed_out || past_grace ||
        slot.cache->n_past() + 1 > slot.cache->n_ctx()) {
      const std::string tail = slot.gen->Stop();
      if (!tail.empty()) Emit(slot, {-1, tail, true, false});
      if (timed_out) {
        std::lock_guard<std::mutex> lock(job.mu);
        job.timed_out = true;
      }
      Finish(slot);
      continue;
    }
    batch.push_back(&slot);
  }
  if (batch.empty()) return;
  std::vector<model::Model::SeqStep> steps;
  for (Slot* slot : batch) steps.push_back({slot->cache.get(), &slot->next, 1});
  const size_t vocab = static_cast<size_t>(engine_.summary().vocab_size);
  std::vector<float> logits(batch.size() * vocab);
  try {
    engine_.model.model->ForwardBatch(steps, logits.data(), *engine_.pool);
  } catch (const Error& e) {
    for (Slot* slot : batch) Finish(*slot, e.what());
    return;
  }
  std::vector<float> row(vocab);
  for (size_t i = 0; i < batch.size(); ++i) {
    Slot& slot = *batch[i];
    slot.history.push_back(slot.next);
    std::copy(logits.begin() + i * vocab, logits.begin() + (i + 1) * vocab, row.begin());
    const runtime::Generation::Step step = slot.gen->Next(row, slot.history);
    Emit(slot, step);
    slot.next = step.id;
    if (step.done) Finish(slot);
  }
}

void Scheduler::Loop() {
  while (true) {
    std::vector<std::pair<Slot*, std::shared_ptr<GenJob>>> admitted;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty() || running_.load() > 0; });
      if (stopping_ && running_.load() == 0) return;
      // Free slots take waiting requests: the slot whose cache shares the longest prefix with
      // the prompt first (its prefill then runs only the rest).
      while (!queue_.empty()) {
        std::shared_ptr<GenJob> job = queue_.front();
        if (job->cancel.load()) {
          queue_.pop_front();
          std::lock_guard<std::mutex> jl(job->mu);
          job->done = true;
          job->cv.notify_all();
          continue;
        }
        Slot* best = nullptr;
        size_t best_common = 0;
        for (auto& s : slots_) {
          if (s->job) continue;
          bool taken = false;
          for (const auto& a : admitted) taken |= a.first == s.get();
          if (taken) continue;
          size_t common = 0;
          while (common < s->history.size() && common < job->prompt.size() &&
                 s->history[common] == job->prompt[common]) {
            ++common;
          }
          if (!best || common > best_common) {
            best = s.get();
            best_common = common;
          }
        }
        if (!best) break;
        queue_.pop_front();
        admitted.emplace_back(best, std::move(job));
        running_.fetch_add(1);
      }
    }
    for (auto& [slot, job] : admitted) Admit(*slot, std::move(job));
    Step();
    size_t positions = 0;
    for (auto& s : slots_) positions += static_cast<size_t>(s->cache->n_past());
    kv_positions_ = positions;
  }
}

}  // namespace exaone::server
