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
  size_t fed = 0;     // prompt tokens in the cache (the prompt is read while fed < its size)
  int32_t next = -1;  // the sampled token to run at the next step
  uint64_t last_used = 0;
  runtime::GenerationResult result;
  Clock::time_point start;

  bool reading() const { return job && fed < job->prompt.size(); }
};

namespace {

size_t CommonPrefix(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  size_t n = 0;
  while (n < a.size() && n < b.size() && a[n] == b[n]) ++n;
  return n;
}

}  // namespace

Scheduler::Scheduler(runtime::Engine& engine, int n_ctx, size_t max_queue, int slots,
                     int prefill_chunk)
    : engine_(engine), n_ctx_(n_ctx), max_queue_(max_queue), prefill_chunk_(prefill_chunk) {
  EXA_CHECK(slots >= 1 && prefill_chunk >= 1);
  // Room for every slot's whole context (so the pool never runs dry), plus one block per layer
  // for the copy a write into a shared block makes before letting go of the original.
  const int64_t per_slot = (static_cast<int64_t>(n_ctx) + kBlockLen - 1) / kBlockLen * kBlockLen;
  pool_ = engine.model.model->NewBlockPool(per_slot * slots + kBlockLen, kBlockLen);
  for (int i = 0; i < slots; ++i) {
    auto slot = std::make_unique<Slot>();
    slot->cache = engine.model.model->NewSequence(n_ctx, pool_);
    slots_.push_back(std::move(slot));
  }
  worker_ = std::thread([this] { Loop(); });
}

Scheduler::~Scheduler() {
  Stop(std::chrono::milliseconds(0));
}

bool Scheduler::Submit(const std::vector<std::shared_ptr<GenJob>>& jobs) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || queue_.size() + jobs.size() > max_queue_) return false;
    queue_.insert(queue_.end(), jobs.begin(), jobs.end());
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
  s.kv_blocks_used = pool_->used();
  s.kv_blocks_total = pool_->total();
  s.prefix_tokens_reused = reused_.load();
  s.prefix_tokens_shared = shared_.load();
  for (const auto& b : step_buckets_) s.step_tokens.push_back(b.load());
  s.step_tokens_sum = step_tokens_sum_.load();
  s.steps = steps_.load();
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
  slot.last_used = ++clock_;
  GenJob& j = *slot.job;
  try {
    if (j.prompt.empty() || static_cast<int>(j.prompt.size()) >= n_ctx_) {
      throw Error(ErrorCode::kInvalidArgument, "the prompt does not fit the context");
    }
    slot.gen = std::make_unique<runtime::Generation>(j.options, engine_.tokenizer.get());
    slot.result.prompt_tokens = static_cast<int>(j.prompt.size());
    // The longest prefix of the prompt some other sequence holds (the last prompt token is
    // always run: its logits are sampled), if longer than what this slot's own cache keeps.
    const size_t own = std::min(CommonPrefix(slot.history, j.prompt), j.prompt.size() - 1);
    Slot* donor = nullptr;
    size_t best = own;
    for (auto& other : slots_) {
      if (other.get() == &slot) continue;
      const size_t common = std::min(CommonPrefix(other->history, j.prompt), j.prompt.size() - 1);
      if (common > best && slot.cache->CanShareFrom(*other->cache, static_cast<int>(common))) {
        donor = other.get();
        best = common;
      }
    }
    if (donor) {
      slot.cache->ShareFrom(*donor->cache, static_cast<int>(best));
      slot.history.assign(j.prompt.begin(), j.prompt.begin() + static_cast<long>(best));
      slot.fed = best;
      shared_.fetch_add(best);
    } else {
      slot.fed = static_cast<size_t>(runtime::ReusePrefix(*slot.cache, slot.history, j.prompt));
    }
    slot.result.reused_tokens = static_cast<int>(slot.fed);
    reused_.fetch_add(slot.fed);
  } catch (const Error& e) {
    Finish(slot, e.what());
  }
}

void Scheduler::Step() {
  // Sequences that leave before this step: cancelled, past their deadline, or out of context.
  const auto now = Clock::now();
  const bool past_grace = now > grace_end_;
  std::vector<Slot*> generating, reading;
  for (auto& s : slots_) {
    Slot& slot = *s;
    if (!slot.job) continue;
    GenJob& job = *slot.job;
    const bool timed_out = now > job.deadline;
    if (job.cancel.load() || timed_out || past_grace ||
        (!slot.reading() && slot.cache->n_past() + 1 > slot.cache->n_ctx())) {
      const std::string tail = slot.gen->Stop();
      if (!tail.empty()) Emit(slot, {-1, tail, true, false});
      if (timed_out) {
        std::lock_guard<std::mutex> lock(job.mu);
        job.timed_out = true;
      }
      Finish(slot);
      continue;
    }
    (slot.reading() ? reading : generating).push_back(&slot);
  }
  if (generating.empty() && reading.empty()) return;
  // One token for each generating sequence; prompts are read in chunks, oldest first, up to
  // prefill_chunk_ tokens a step while others generate (a whole chunk when none do).
  std::sort(reading.begin(), reading.end(),
            [](const Slot* a, const Slot* b) { return a->last_used < b->last_used; });
  std::vector<model::Model::SeqStep> steps;
  std::vector<Slot*> batch;
  for (Slot* slot : generating) {
    steps.push_back({slot->cache.get(), &slot->next, 1});
    batch.push_back(slot);
  }
  size_t budget = static_cast<size_t>(generating.empty() ? runtime::kPrefillChunk : prefill_chunk_);
  for (Slot* slot : reading) {
    if (budget == 0) break;
    const size_t n = std::min(budget, slot->job->prompt.size() - slot->fed);
    steps.push_back({slot->cache.get(), slot->job->prompt.data() + slot->fed, static_cast<int>(n)});
    batch.push_back(slot);
    budget -= n;
  }
  size_t tokens = 0;
  for (const auto& st : steps) tokens += static_cast<size_t>(st.n);
  size_t bucket = 0;
  while (bucket + 1 < kStepBuckets && tokens > (size_t{1} << bucket)) ++bucket;
  step_buckets_[bucket].fetch_add(1);
  step_tokens_sum_.fetch_add(tokens);
  steps_.fetch_add(1);
  const size_t vocab = static_cast<size_t>(engine_.summary().vocab_size);
  std::vector<float> logits(batch.size() * vocab);
  try {
    engine_.model.model->ForwardBatch(steps, logits.data(), *engine_.pool);
  } catch (const Error& e) {
    // The caches may hold part of this step: start them afresh.
    for (Slot* slot : batch) {
      slot->cache->Clear();
      slot->history.clear();
      Finish(*slot, e.what());
    }
    return;
  }
  std::vector<size_t> sampled;  // batch entries that get a token this step
  for (size_t i = 0; i < batch.size(); ++i) {
    Slot& slot = *batch[i];
    const model::Model::SeqStep& st = steps[i];
    slot.history.insert(slot.history.end(), st.ids, st.ids + st.n);
    if (slot.reading()) {
      slot.fed += static_cast<size_t>(st.n);
      if (slot.reading()) continue;
      slot.result.prefill_seconds =
          std::chrono::duration<double>(Clock::now() - slot.start).count();
      if (slot.gen->done()) {  // max_tokens 0
        Finish(slot);
        continue;
      }
    }
    sampled.push_back(i);
  }
  // Sampling, constraint masks included, runs for the sequences in parallel (each has its own
  // sampler, constraint and decoder); what they emit is handed on in order afterwards.
  std::vector<runtime::Generation::Step> out(sampled.size());
  std::vector<std::string> errors(sampled.size());
  engine_.pool->ParallelFor(sampled.size(), [&](size_t begin, size_t end) {
    std::vector<float> row(vocab);
    for (size_t k = begin; k < end; ++k) {
      const size_t i = sampled[k];
      std::copy(logits.begin() + static_cast<std::ptrdiff_t>(i * vocab),
                logits.begin() + static_cast<std::ptrdiff_t>((i + 1) * vocab), row.begin());
      try {
        out[k] = batch[i]->gen->Next(row, batch[i]->history);
      } catch (const Error& e) {
        errors[k] = e.what();
      }
    }
  });
  for (size_t k = 0; k < sampled.size(); ++k) {
    Slot& slot = *batch[sampled[k]];
    if (!errors[k].empty()) {
      Finish(slot, errors[k]);
      continue;
    }
    Emit(slot, out[k]);
    slot.next = out[k].id;
    if (out[k].done) Finish(slot);
  }
}

Scheduler::Slot* Scheduler::PickSlot(const std::vector<int32_t>& prompt,
                                     const std::vector<Slot*>& taken) {
  // The free slot whose own cache shares the longest prefix with the prompt (the one used
  // longest ago among equals); when another sequence holds a longer one (to be taken over at
  // admission), the free slot used longest ago, so the caches most likely to serve again stay.
  Slot* best_own = nullptr;
  size_t own = 0;
  Slot* oldest = nullptr;
  size_t any = 0;
  for (auto& s : slots_) {
    const size_t common = CommonPrefix(s->history, prompt);
    any = std::max(any, common);
    if (s->job || std::find(taken.begin(), taken.end(), s.get()) != taken.end()) continue;
    if (!best_own || common > own || (common == own && s->last_used < best_own->last_used)) {
      best_own = s.get();
      own = common;
    }
    if (!oldest || s->last_used < oldest->last_used) oldest = s.get();
  }
  return any > own ? oldest : best_own;
}

bool Scheduler::ShouldWait(const GenJob& job, const std::vector<GenJob*>& admitted) const {
  // A sequence still reading a prompt that shares at least 16 tokens more with this one than
  // any cache holds now: wait for it (the prompt budget of a step is shared, so reading the
  // prefix alongside would not finish sooner), then take the prefix over instead of computing it
  // twice (n choices of one request, or users with the same long system prompt arriving together).
  size_t held = 0;
  for (const auto& s : slots_) held = std::max(held, CommonPrefix(s->history, job.prompt));
  auto worth = [&](const std::vector<int32_t>& other, size_t fed) {
    const size_t common = std::min(CommonPrefix(other, job.prompt), job.prompt.size() - 1);
    return common > fed && common >= held + 16;
  };
  for (const auto& s : slots_) {
    if (s->reading() && worth(s->job->prompt, s->fed)) return true;
  }
  for (const GenJob* a : admitted) {
    if (worth(a->prompt, 0)) return true;
  }
  return false;
}

void Scheduler::Loop() {
  while (true) {
    std::vector<std::pair<Slot*, std::shared_ptr<GenJob>>> admitted;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty() || running_.load() > 0; });
      if (stopping_ && running_.load() == 0) return;
      // Free slots take waiting requests (see PickSlot), in order, except those better off
      // waiting for a prefix being read (see ShouldWait).
      std::vector<Slot*> taken;
      std::vector<GenJob*> admitted_jobs;
      for (auto it = queue_.begin(); it != queue_.end();) {
        std::shared_ptr<GenJob> job = *it;
        if (job->cancel.load()) {
          it = queue_.erase(it);
          std::lock_guard<std::mutex> jl(job->mu);
          job->done = true;
          job->cv.notify_all();
          continue;
        }
        if (!job->prompt.empty() && ShouldWait(*job, admitted_jobs)) {
          ++it;
          continue;
        }
        Slot* best = PickSlot(job->prompt, taken);
        if (!best) break;
        it = queue_.erase(it);
        taken.push_back(best);
        admitted_jobs.push_back(job.get());
        admitted.emplace_back(best, std::move(job));
        running_.fetch_add(1);
      }
    }
    for (auto& [slot, job] : admitted) Admit(*slot, std::move(job));
    Step();
  }
}

}  // namespace exaone::server
