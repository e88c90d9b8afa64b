// Stages: the steps of a recipe. A record stage looks at one record at a time and keeps it
// (possibly changed) or drops it with a reason. A global stage (deduplication) needs every
// record before it can decide: each record gets a fixed-size key in the parallel pass, then one
// resolve step over all keys, in a fixed order, decides which records go, so that the result does
// not depend on how the work was split or scheduled.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "foundry/recipe.h"
#include "foundry/record.h"

namespace exaone::foundry {

class Stage {
 public:
  explicit Stage(const StageSpec& spec) : name_(spec.name), type_(spec.type) {}
  virtual ~Stage() = default;
  const std::string& name() const { return name_; }
  const std::string& type() const { return type_; }
  virtual bool global() const { return false; }

  // Record stages: changes `r` in place, or drops it.
  virtual Verdict Process(Record& r) = 0;
  // A block of records, in input order (generation stages send their requests together);
  // one verdict per record. The default calls Process on each.
  virtual void ProcessBlock(const std::vector<Record*>& records, std::vector<Verdict>& verdicts) {
    verdicts.clear();
    for (Record* r : records) verdicts.push_back(Process(*r));
  }
  // Stages that make several records of one (explode): the records that replace a kept one.
  virtual bool expands() const { return false; }
  virtual std::vector<Record> Expand(const Record& /*r*/) { return {}; }
  // Where a unit keeps state (a request cache) and which task it is; called before processing.
  virtual void Bind(const std::string& /*state_dir*/, int /*task*/) {}
  // The unit is done: make what it wrote durable.
  virtual void Flush() {}

  // Global stages: bytes per key (every record's key has this size).
  virtual size_t key_size() const { return 0; }
  // Writes the record's key (key_size() bytes).
  virtual void Key(const Record& /*r*/, uint8_t* /*out*/) {}
  // Decides over all keys, in order (units by task index, records in their order in the unit):
  // returns, for each key, an empty string to keep it or the reason to drop it, and in
  // `duplicate_of` (same size) the position of the record it duplicates (or -1).
  virtual std::vector<std::string> Resolve(const std::vector<const uint8_t*>& keys,
                                           std::vector<int64_t>& duplicate_of) {
    (void)keys;
    duplicate_of.clear();
    return {};
  }

 private:
  std::string name_, type_;
};

// Builds a stage from its spec, checking its settings (errors carry the JSON path).
std::unique_ptr<Stage> MakeStage(const StageSpec& spec, const Recipe& recipe);

// The stage types there are, with a line on each (for `exaone foundry stages`).
std::vector<std::pair<std::string, std::string>> StageTypes();

// The text a stage works on: the record's text field (empty when absent or not a string).
std::string_view TextOf(const Record& r, const std::string& field);

struct StageStats {
  uint64_t in = 0, kept = 0;
  std::map<std::string, uint64_t> dropped;  // by reason
  double seconds = 0;
  Json ToJson() const;
  static StageStats FromJson(const Json& j);
  void Add(const StageStats& o);
};

}  // namespace exaone::foundry
