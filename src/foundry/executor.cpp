#include "foundry/executor.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "base/error.h"
#include "foundry/jsonl_io.h"
#include "foundry/llm.h"

namespace exaone::foundry {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;

std::string Pad(int64_t v, int width) {
  std::string s = std::to_string(v);
  return std::string(s.size() < static_cast<size_t>(width) ? width - s.size() : 0, '0') + s;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::kNotFound, path + ": cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Paths {
  std::string out, state, data, rejects;
  explicit Paths(const Recipe& r)
      : out(r.Resolve(r.output.dir)),
        state(out + "/.foundry"),
        data(out + "/data"),
        rejects(out + "/rejects") {}
  std::string Marker(size_t phase, int task) const {
    return state + "/units/p" + std::to_string(phase) + "-" + Pad(task, 5) + ".json";
  }
  std::string GlobalMarker(size_t phase) const {
    return state + "/global-p" + std::to_string(phase) + ".json";
  }
  // Records a phase hands to the next one, and their keys for the global stage between.
  std::string Handoff(size_t phase) const { return state + "/p" + std::to_string(phase); }
  std::string Keys(size_t phase, int task) const {
    return Handoff(phase) + "/" + Pad(task, 5) + ".keys";
  }
  std::string Drops(size_t phase, int task) const {
    return Handoff(phase) + "/" + Pad(task, 5) + ".drops.json";
  }
};

// Removes what an interrupted unit may have left: files in `dir` starting with `prefix`.
void RemoveWithPrefix(const std::string& dir, const std::string& prefix) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(prefix, 0) == 0 || name.rfind(".tmp-" + prefix, 0) == 0) fs::remove(e.path());
  }
}

// The records of a task, from the input files (phase 0) or the previous phase's hand-off.
class Source {
 public:
  virtual ~Source() = default;
  // False at the end. Bad input lines come back as records with `bad` set.
  virtual bool Next(Record& r, std::string& bad_line, std::string& bad_reason) = 0;
  virtual uint64_t bytes_done() const = 0;
};

class InputSource : public Source {
 public:
  InputSource(const Recipe& recipe, std::vector<std::string> files)
      : recipe_(recipe), files_(std::move(files)) {}
  bool Next(Record& r, std::string& bad_line, std::string& bad_reason) override {
    bad_reason.clear();
    while (true) {
      if (!reader_) {
        if (next_ >= files_.size()) return false;
        reader_ = std::make_unique<LineReader>(files_[next_]);
        rel_ = fs::path(files_[next_]).lexically_relative(recipe_.base_dir).string();
        if (rel_.empty() || rel_.rfind("..", 0) == 0) rel_ = files_[next_];
        ++next_;
      }
      std::string_view line;
      if (!reader_->Next(line)) {
        done_bytes_ += reader_->file_size();
        reader_.reset();
        continue;
      }
      if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;  // blank
      r = Record();
      r.source = rel_;
      r.line = reader_->line_number();
      r.id = rel_ + ":" + std::to_string(r.line);
      try {
        r.data = Json::parse(line);
      } catch (const Json::exception&) {
        bad_line.assign(line);
        bad_reason = "bad_json";
        return true;
      }
      if (!r.data.is_object()) {
        bad_line.assign(line);
        bad_reason = "not_an_object";
        return true;
      }
      if (!recipe_.id_field.empty()) {
        auto it = r.data.find(recipe_.id_field);
        if (it != r.data.end() && it->is_string()) {
          r.id = it->get<std::string>();
        } else if (it != r.data.end() && it->is_number_integer()) {
          r.id = it->dump();
        } else {
          bad_line.assign(line);
          bad_reason = "no_id";
          return true;
        }
      }
      return true;
    }
  }
  uint64_t bytes_done() const override {
    return done_bytes_ + (reader_ ? reader_->bytes_read() : 0);
  }

 private:
  const Recipe& recipe_;
  std::vector<std::string> files_;
  size_t next_ = 0;
  std::unique_ptr<LineReader> reader_;
  std::string rel_;
  uint64_t done_bytes_ = 0;
};

// Intermediate records carry their provenance under "_foundry" while between phases.
Json Serialize(const Record& r, bool final_form, const std::string& recipe_hash) {
  Json out = Json::object();
  if (final_form) {
    out["id"] = r.id;
    for (const auto& [k, v] : r.data.items()) {
      if (k != "id" && k != "provenance") out[k] = v;
    }
    out["provenance"] = {
        {"source", r.source}, {"line", r.line}, {"recipe", recipe_hash}, {"stages", r.stages}};
    if (!r.generation.empty()) out["provenance"]["generation"] = r.generation;
    if (r.data.contains("provenance")) out["provenance"]["input"] = r.data["provenance"];
    if (r.data.contains("id") && r.data["id"] != out["id"])
      out["provenance"]["input_id"] = r.data["id"];
    return out;
  }
  out = {{"_foundry",
          {{"id", r.id},
           {"source", r.source},
           {"line", r.line},
           {"stages", r.stages},
           {"generation", r.generation}}},
         {"data", r.data}};
  return out;
}

Record Deserialize(std::string_view line) {
  const Json j = Json::parse(line);
  Record r;
  const Json& f = j.at("_foundry");
  r.id = f.at("id").get<std::string>();
  r.source = f.at("source").get<std::string>();
  r.line = f.at("line").get<uint64_t>();
  r.stages = f.at("stages").get<std::vector<std::string>>();
  if (f.contains("generation")) r.generation = f["generation"];
  r.data = j.at("data");
  return r;
}

class HandoffSource : public Source {
 public:
  HandoffSource(std::vector<std::string> files, std::vector<std::pair<uint64_t, Json>> drops)
      : files_(std::move(files)), drops_(std::move(drops)) {}
  bool Next(Record& r, std::string& bad_line, std::string& bad_reason) override {
    bad_reason.clear();
    bad_line.clear();
    while (true) {
      if (!reader_) {
        if (next_ >= files_.size()) return false;
        reader_ = std::make_unique<LineReader>(files_[next_++]);
      }
      std::string_view line;
      if (!reader_->Next(line)) {
        done_ += reader_->file_size();
        reader_.reset();
        continue;
      }
      r = Deserialize(line);
      const uint64_t index = index_++;
      while (drop_ < drops_.size() && drops_[drop_].first < index) ++drop_;
      if (drop_ < drops_.size() && drops_[drop_].first == index) {
        dropped = &drops_[drop_].second;
      } else {
        dropped = nullptr;
      }
      return true;
    }
  }
  uint64_t bytes_done() const override { return done_ + (reader_ ? reader_->bytes_read() : 0); }
  const Json* dropped = nullptr;  // the global stage's verdict on the record just read

 private:
  std::vector<std::string> files_;
  std::vector<std::pair<uint64_t, Json>> drops_;  // record index -> {"reason", "duplicate_of"}
  size_t next_ = 0, drop_ = 0;
  uint64_t index_ = 0, done_ = 0;
  std::unique_ptr<LineReader> reader_;
};

ShardWriterOptions WriterOptions(const Recipe& r) {
  ShardWriterOptions o;
  o.compression = r.output.compression;
  o.max_shard_bytes = r.output.shard_bytes;
  return o;
}

std::vector<std::string> TaskFiles(const Plan& plan, int task) {
  std::vector<std::string> out;
  for (size_t i = static_cast<size_t>(task); i < plan.files.size();
       i += static_cast<size_t>(plan.tasks)) {
    out.push_back(plan.files[i]);
  }
  return out;
}

std::vector<std::string> ListShards(const std::string& dir, const std::string& prefix) {
  std::vector<std::string> out;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return out;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(prefix, 0) == 0 && name.find(".jsonl") != std::string::npos) {
      out.push_back(e.path().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

struct Progress {
  std::atomic<uint64_t> bytes{0}, records{0};
  uint64_t total = 0;
};

// One phase of one task.
void RunUnit(const Recipe& recipe, const Plan& plan, const Paths& paths, size_t phase, int task,
             Progress* progress) {
  const std::string tag = Pad(task, 5);
  const bool last = phase + 1 == plan.phases();
  // Remove what an interrupted attempt left.
  RemoveWithPrefix(paths.data, "part-" + tag + "-");
  RemoveWithPrefix(paths.rejects, tag + "-p" + std::to_string(phase) + "-");
  if (!last) {
    RemoveWithPrefix(paths.Handoff(phase), tag + "-");
    RemoveWithPrefix(paths.Handoff(phase), tag + ".keys");
  }
  std::vector<std::unique_ptr<Stage>> stages;
  for (size_t i = plan.begin[phase]; i < plan.end[phase]; ++i) {
    stages.push_back(MakeStage(recipe.stages[i], recipe));
  }
  std::unique_ptr<Stage> global;  // the global stage after this phase
  if (!last) global = MakeStage(recipe.stages[plan.end[phase]], recipe);
  // The global stage before this phase, whose verdicts the hand-off carries.
  std::string before;
  std::unique_ptr<Source> source;
  HandoffSource* handoff = nullptr;
  if (phase == 0) {
    source = std::make_unique<InputSource>(recipe, TaskFiles(plan, task));
  } else {
    before = recipe.stages[plan.end[phase - 1]].name;
    std::vector<std::pair<uint64_t, Json>> drops;
    const Json d = Json::parse(ReadFile(paths.Drops(phase - 1, task)));
    for (const Json& e : d) drops.emplace_back(e.at("index").get<uint64_t>(), e);
    auto h = std::make_unique<HandoffSource>(ListShards(paths.Handoff(phase - 1), tag + "-"),
                                             std::move(drops));
    handoff = h.get();
    source = std::move(h);
  }
  const ShardWriterOptions wo = WriterOptions(recipe);
  std::unique_ptr<ShardWriter> out;
  if (last) {
    out = std::make_unique<ShardWriter>(paths.data, "part-" + tag, wo);
  } else {
    ShardWriterOptions ho = wo;
    ho.compression = "zst";
    out = std::make_unique<ShardWriter>(paths.Handoff(phase), tag, ho);
  }
  std::unique_ptr<ShardWriter> rejects;
  if (recipe.output.write_rejects) {
    rejects = std::make_unique<ShardWriter>(paths.rejects, tag + "-p" + std::to_string(phase), wo);
  }
  std::string keys, ids;   // for the global stage: each record's key, and its id (one a line)
  double key_seconds = 0;  // computing those keys: part of the global stage's time
  std::vector<StageStats> stats(stages.size());
  StageStats input_stats, before_stats;
  auto reject = [&](const Record& r, const std::string& stage, const Verdict& v) {
    if (!rejects) return;
    Json j = Serialize(r, true, recipe.hash);
    j["rejected"] = {{"stage", stage}, {"reason", v.reason}};
    if (!v.details.is_null()) j["rejected"]["details"] = v.details;
    rejects->Write(j.dump(-1, ' ', false, Json::error_handler_t::replace));
  };
  // Records go through the stages a block at a time (generation stages send a block's requests
  // together), in input order.
  constexpr size_t kBlock = 256;
  std::vector<Record> block;
  auto run_block = [&] {
    for (size_t i = 0; i < stages.size() && !block.empty(); ++i) {
      std::vector<Record*> ptrs;
      for (Record& rec : block) ptrs.push_back(&rec);
      std::vector<Verdict> verdicts;
      const auto t0 = Clock::now();
      stages[i]->ProcessBlock(ptrs, verdicts);
      stats[i].seconds += std::chrono::duration<double>(Clock::now() - t0).count();
      if (verdicts.size() != block.size()) {
        throw Error(ErrorCode::kInvalidArgument,
                    "stage " + stages[i]->name() + ": " + std::to_string(verdicts.size()) +
                        " verdicts for " + std::to_string(block.size()) + " records");
      }
      std::vector<Record> next;
      for (size_t k = 0; k < block.size(); ++k) {
        Record& rec = block[k];
        ++stats[i].in;
        if (!verdicts[k].keep) {
          ++stats[i].dropped[verdicts[k].reason];
          reject(rec, stages[i]->name(), verdicts[k]);
          continue;
        }
        rec.stages.push_back(stages[i]->name());
        if (stages[i]->expands()) {
          for (Record& e : stages[i]->Expand(rec)) {
            ++stats[i].kept;
            next.push_back(std::move(e));
          }
        } else {
          ++stats[i].kept;
          next.push_back(std::move(rec));
        }
      }
      block = std::move(next);
    }
    for (Record& rec : block) {
      if (global) {
        const auto k0 = Clock::now();
        const size_t at = keys.size();
        keys.resize(at + global->key_size());
        global->Key(rec, reinterpret_cast<uint8_t*>(keys.data() + at));
        key_seconds += std::chrono::duration<double>(Clock::now() - k0).count();
        ids += rec.id;
        ids += '\n';
      }
      out->Write(
          Serialize(rec, last, recipe.hash).dump(-1, ' ', false, Json::error_handler_t::replace));
    }
    block.clear();
  };
  for (auto& st : stages) st->Bind(paths.out + "/cache", task);  // kept by --restart
  Record r;
  std::string bad_line, bad_reason;
  uint64_t last_bytes = 0;
  while (source->Next(r, bad_line, bad_reason)) {
    if (progress) {
      const uint64_t b = source->bytes_done();
      progress->bytes += b - last_bytes;
      last_bytes = b;
      ++progress->records;
    }
    if (phase == 0) {
      ++input_stats.in;
      if (!bad_reason.empty()) {
        ++input_stats.dropped[bad_reason];
        if (rejects) {
          Json j = {{"id", r.id},
                    {"line_text", bad_line},
                    {"provenance", {{"source", r.source}, {"line", r.line}}},
                    {"rejected", {{"stage", "input"}, {"reason", bad_reason}}}};
          rejects->Write(j.dump(-1, ' ', false, Json::error_handler_t::replace));
        }
        continue;
      }
      ++input_stats.kept;
    } else {
      ++before_stats.in;
      if (handoff->dropped) {
        const Json& d = *handoff->dropped;
        const std::string reason = d.at("reason").get<std::string>();
        ++before_stats.dropped[reason];
        Verdict v = Verdict::Drop(reason);
        if (d.contains("duplicate_of")) v.details = {{"duplicate_of", d["duplicate_of"]}};
        reject(r, before, v);
        continue;
      }
      ++before_stats.kept;
      r.stages.push_back(before);
    }
    block.push_back(std::move(r));
    if (block.size() >= kBlock) run_block();
  }
  run_block();
  if (progress) progress->bytes += source->bytes_done() - last_bytes;
  for (auto& st : stages) st->Flush();
  const std::vector<std::string> shards = out->Close();
  if (rejects) rejects->Close();
  if (global) {
    WriteFileAtomically(paths.Keys(phase, task) + ".ids", ids);
    WriteFileAtomically(paths.Keys(phase, task), keys);
  }
  Json st = Json::object();
  if (phase == 0) st["input"] = input_stats.ToJson();
  if (phase > 0) st[before] = before_stats.ToJson();
  for (size_t i = 0; i < stages.size(); ++i) st[stages[i]->name()] = stats[i].ToJson();
  if (global) {
    StageStats g;
    g.seconds = key_seconds;
    st[global->name()] = g.ToJson();
  }
  Json marker = {{"phase", phase}, {"task", task}, {"recipe", recipe.hash}, {"stats", st}};
  WriteFileAtomically(paths.Marker(phase, task), marker.dump(1));
}

// The global stage that ends `phase`, over every task's keys.
void RunGlobal(const Recipe& recipe, const Plan& plan, const Paths& paths, size_t phase) {
  auto stage = MakeStage(recipe.stages[plan.end[phase]], recipe);
  const size_t ks = stage->key_size();
  std::vector<std::string> all(static_cast<size_t>(plan.tasks));
  std::vector<const uint8_t*> keys;
  std::vector<std::pair<int, uint64_t>> where;  // (task, index in the task)
  std::vector<std::string> ids;                 // record ids, in the same order
  for (int t = 0; t < plan.tasks; ++t) {
    const std::string id_text = ReadFile(paths.Keys(phase, t) + ".ids");
    for (size_t b = 0, e; b < id_text.size(); b = e + 1) {
      e = id_text.find('\n', b);
      if (e == std::string::npos) e = id_text.size();
      ids.push_back(id_text.substr(b, e - b));
    }
    all[static_cast<size_t>(t)] = ReadFile(paths.Keys(phase, t));
    const std::string& k = all[static_cast<size_t>(t)];
    if (ks == 0 || k.size() % ks != 0) {
      throw Error(ErrorCode::kBadFile, paths.Keys(phase, t) + ": keys of the wrong size");
    }
    for (size_t i = 0; i * ks < k.size(); ++i) {
      keys.push_back(reinterpret_cast<const uint8_t*>(k.data() + i * ks));
      where.emplace_back(t, i);
    }
  }
  if (ids.size() != keys.size()) {
    throw Error(ErrorCode::kBadFile, paths.Handoff(phase) + ": keys and ids do not match");
  }
  const auto t0 = Clock::now();
  std::vector<int64_t> dup;
  const std::vector<std::string> verdict = stage->Resolve(keys, dup);
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  std::vector<Json> drops(static_cast<size_t>(plan.tasks), Json::array());
  for (size_t i = 0; i < verdict.size() && i < keys.size(); ++i) {
    if (verdict[i].empty()) continue;
    Json d = {{"index", where[i].second}, {"reason", verdict[i]}};
    if (i < dup.size() && dup[i] >= 0) {
      d["duplicate_of"] = ids[static_cast<size_t>(dup[i])];
    }
    drops[static_cast<size_t>(where[i].first)].push_back(std::move(d));
  }
  for (int t = 0; t < plan.tasks; ++t) {
    WriteFileAtomically(paths.Drops(phase, t), drops[static_cast<size_t>(t)].dump());
  }
  Json marker = {
      {"phase", phase}, {"recipe", recipe.hash}, {"records", keys.size()}, {"seconds", seconds}};
  WriteFileAtomically(paths.GlobalMarker(phase), marker.dump(1));
}

bool Exists(const std::string& p) {
  std::error_code ec;
  return fs::exists(p, ec);
}

void CheckState(const Recipe& recipe, const Paths& paths, const Plan& plan, bool restart) {
  const std::string state_file = paths.state + "/run.json";
  if (restart) fs::remove_all(paths.state);
  if (restart) {
    fs::remove_all(paths.data);
    fs::remove_all(paths.rejects);
  }
  fs::create_directories(paths.state + "/units");
  fs::create_directories(paths.data);
  fs::create_directories(paths.rejects);
  for (size_t p = 0; p + 1 < plan.phases(); ++p) fs::create_directories(paths.Handoff(p));
  const Json mine = {{"recipe", recipe.hash}, {"tasks", plan.tasks}, {"files", plan.files}};
  if (Exists(state_file)) {
    const Json before = Json::parse(ReadFile(state_file));
    if (before != mine) {
      throw Error(ErrorCode::kInvalidArgument,
                  paths.out +
                      " holds a run of another recipe, task count or input set; use "
                      "--restart to discard it");
    }
  } else {
    WriteFileAtomically(state_file, mine.dump(1));
  }
}

Json CollectStats(const Recipe& recipe, const Plan& plan, const Paths& paths) {
  // Stage order: input, then the recipe's stages.
  std::vector<std::string> order = {"input"};
  for (const StageSpec& s : recipe.stages) order.push_back(s.name);
  std::map<std::string, StageStats> by_stage;
  for (size_t p = 0; p < plan.phases(); ++p) {
    for (int t = 0; t < plan.tasks; ++t) {
      const std::string m = paths.Marker(p, t);
      if (!Exists(m)) continue;
      const Json j = Json::parse(ReadFile(m));
      for (const auto& [name, s] : j.at("stats").items())
        by_stage[name].Add(StageStats::FromJson(s));
    }
    if (p + 1 < plan.phases() && Exists(paths.GlobalMarker(p))) {
      const Json g = Json::parse(ReadFile(paths.GlobalMarker(p)));
      by_stage[recipe.stages[plan.end[p]].name].seconds += g.value("seconds", 0.0);
    }
  }
  Json stages = Json::array();
  for (const std::string& name : order) {
    if (!by_stage.count(name)) continue;
    Json s = by_stage[name].ToJson();
    s["stage"] = name;
    stages.push_back(std::move(s));
  }
  return {{"recipe", recipe.name},
          {"recipe_hash", recipe.hash},
          {"tasks", plan.tasks},
          {"stages", stages}};
}

}  // namespace

Json StageStats::ToJson() const {
  Json d = Json::object();
  for (const auto& [k, v] : dropped) d[k] = v;
  return {{"in", in}, {"kept", kept}, {"dropped", d}, {"seconds", seconds}};
}

StageStats StageStats::FromJson(const Json& j) {
  StageStats s;
  s.in = j.value("in", uint64_t{0});
  s.kept = j.value("kept", uint64_t{0});
  s.seconds = j.value("seconds", 0.0);
  if (j.contains("dropped")) {
    for (const auto& [k, v] : j["dropped"].items()) s.dropped[k] = v.get<uint64_t>();
  }
  return s;
}

void StageStats::Add(const StageStats& o) {
  in += o.in;
  kept += o.kept;
  seconds += o.seconds;
  for (const auto& [k, v] : o.dropped) dropped[k] += v;
}

std::string_view TextOf(const Record& r, const std::string& field) {
  auto it = r.data.find(field);
  if (it == r.data.end() || !it->is_string()) return {};
  return it->get_ref<const std::string&>();
}

Plan MakePlan(const Recipe& recipe, int tasks) {
  Plan plan;
  for (const std::string& pattern : recipe.inputs) {
    for (std::string& f : ExpandGlob(recipe.Resolve(pattern))) plan.files.push_back(std::move(f));
  }
  std::sort(plan.files.begin(), plan.files.end());
  plan.files.erase(std::unique(plan.files.begin(), plan.files.end()), plan.files.end());
  if (plan.files.empty()) throw Error(ErrorCode::kNotFound, "the recipe's inputs match no file");
  plan.tasks = tasks > 0 ? tasks : static_cast<int>(plan.files.size());
  size_t b = 0;
  for (size_t i = 0; i < recipe.stages.size(); ++i) {
    // Stage types that need every record are global; MakeStage says which.
    auto s = MakeStage(recipe.stages[i], recipe);
    if (s->global()) {
      plan.begin.push_back(b);
      plan.end.push_back(i);
      b = i + 1;
    }
  }
  plan.begin.push_back(b);
  plan.end.push_back(recipe.stages.size());
  return plan;
}

Plan Validate(const Recipe& recipe, int tasks) {
  return MakePlan(recipe, tasks);
}

int Run(const Recipe& recipe, const RunOptions& o) {
  const Plan plan = MakePlan(recipe, o.tasks);
  const Paths paths(recipe);
  if (o.task_index && (*o.task_index < 0 || *o.task_index >= plan.tasks)) {
    throw Error(ErrorCode::kInvalidArgument, "task index " + std::to_string(*o.task_index) +
                                                 " is outside 0.." +
                                                 std::to_string(plan.tasks - 1));
  }
  if (o.phase && *o.phase >= static_cast<int>(plan.phases())) {
    throw Error(ErrorCode::kInvalidArgument,
                "the recipe has " + std::to_string(plan.phases()) + " phases");
  }
  CheckState(recipe, paths, plan, o.restart && !o.task_index);
  Progress progress;
  for (const std::string& f : plan.files) progress.total += fs::file_size(f);
  const auto start = Clock::now();
  std::atomic<bool> stop_report{false};
  std::thread reporter;
  if (o.progress) {
    reporter = std::thread([&] {
      while (!stop_report.load()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        const double s = std::chrono::duration<double>(Clock::now() - start).count();
        const double done = static_cast<double>(progress.bytes.load());
        const double total = static_cast<double>(progress.total * plan.phases());
        const double rate = done / std::max(1e-9, s);
        std::fprintf(stderr, "\r\x1b[K%5.1f%% %llu records, %.1f MB/s, ETA %.0f s",
                     total > 0 ? 100 * done / total : 100.0,
                     static_cast<unsigned long long>(progress.records.load()), rate / 1e6,
                     rate > 0 ? (total - done) / rate : 0.0);
      }
    });
  }
  auto finish_report = [&] {
    stop_report = true;
    if (reporter.joinable()) {
      reporter.join();
      std::fprintf(stderr, "\n");
    }
  };
  try {
    for (size_t p = 0; p < plan.phases(); ++p) {
      if (o.phase && static_cast<size_t>(*o.phase) != p) continue;
      if (!(o.phase && o.global_step)) {
        // The units of this phase that are not done, over the workers.
        std::vector<int> todo;
        for (int t = 0; t < plan.tasks; ++t) {
          if (o.task_index && *o.task_index != t) continue;
          if (p > 0 && !Exists(paths.GlobalMarker(p - 1))) {
            throw Error(ErrorCode::kInvalidArgument, "phase " + std::to_string(p) +
                                                         " needs the global step of phase " +
                                                         std::to_string(p - 1) + " first");
          }
          if (!Exists(paths.Marker(p, t))) todo.push_back(t);
        }
        std::atomic<size_t> next{0};
        std::mutex err_mu;
        std::string error;
        auto worker = [&] {
          for (size_t i = next++; i < todo.size(); i = next++) {
            try {
              RunUnit(recipe, plan, paths, p, todo[i], &progress);
            } catch (const std::exception& e) {
              std::lock_guard<std::mutex> lock(err_mu);
              if (error.empty()) error = e.what();
              next = todo.size();
            }
          }
        };
        std::vector<std::thread> workers;
        const int n = std::max(1, std::min<int>(o.threads, static_cast<int>(todo.size())));
        for (int w = 1; w < n; ++w) workers.emplace_back(worker);
        worker();
        for (auto& w : workers) w.join();
        if (!error.empty()) throw Error(ErrorCode::kIo, error);
      }
      if (o.task_index && !o.global_step) continue;  // an array element runs its unit only
      if (p + 1 < plan.phases() && !Exists(paths.GlobalMarker(p))) {
        for (int t = 0; t < plan.tasks; ++t) {
          if (!Exists(paths.Marker(p, t))) {
            throw Error(ErrorCode::kInvalidArgument,
                        "the global step of phase " + std::to_string(p) + " needs task " +
                            std::to_string(t) + " of that phase first");
          }
        }
        RunGlobal(recipe, plan, paths, p);
      }
    }
  } catch (...) {
    finish_report();
    Llm::ReleaseAll();
    throw;
  }
  finish_report();
  Llm::ReleaseAll();
  // When every unit is done: the statistics.
  bool all = true;
  for (size_t p = 0; p < plan.phases(); ++p) {
    for (int t = 0; t < plan.tasks; ++t) all = all && Exists(paths.Marker(p, t));
  }
  if (all) {
    const Json stats = CollectStats(recipe, plan, paths);
    WriteFileAtomically(paths.out + "/stats.json", stats.dump(1) + "\n");
    WriteFileAtomically(paths.out + "/stats.txt", StatsTable(stats));
  }
  return 0;
}

Json Status(const Recipe& recipe, int tasks) {
  const Plan plan = MakePlan(recipe, tasks);
  const Paths paths(recipe);
  Json phases = Json::array();
  for (size_t p = 0; p < plan.phases(); ++p) {
    int done = 0;
    for (int t = 0; t < plan.tasks; ++t) done += Exists(paths.Marker(p, t)) ? 1 : 0;
    Json ph = {{"phase", p}, {"units_done", done}, {"units", plan.tasks}};
    Json names = Json::array();
    for (size_t i = plan.begin[p]; i < plan.end[p]; ++i) names.push_back(recipe.stages[i].name);
    ph["stages"] = names;
    if (p + 1 < plan.phases()) {
      ph["global_stage"] = recipe.stages[plan.end[p]].name;
      ph["global_done"] = Exists(paths.GlobalMarker(p));
    }
    phases.push_back(std::move(ph));
  }
  Json out = {{"recipe", recipe.name}, {"output", paths.out}, {"phases", phases}};
  out["stats"] = CollectStats(recipe, plan, paths);
  return out;
}

std::string StatsTable(const Json& stats) {
  std::string out;
  char buf[512];
  std::snprintf(buf, sizeof buf, "%-24s %12s %12s %9s  %s\n", "stage", "in", "kept", "seconds",
                "dropped");
  out += buf;
  for (const Json& s : stats.at("stages")) {
    std::string dropped;
    for (const auto& [k, v] : s.at("dropped").items()) {
      if (!dropped.empty()) dropped += ", ";
      dropped += k + " " + std::to_string(v.get<uint64_t>());
    }
    std::snprintf(buf, sizeof buf, "%-24s %12llu %12llu %9.2f  %s\n",
                  s.at("stage").get<std::string>().c_str(),
                  static_cast<unsigned long long>(s.at("in").get<uint64_t>()),
                  static_cast<unsigned long long>(s.at("kept").get<uint64_t>()),
                  s.at("seconds").get<double>(), dropped.c_str());
    out += buf;
  }
  return out;
}

}  // namespace exaone::foundry
