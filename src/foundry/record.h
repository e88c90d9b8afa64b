// The data foundry's unit of work: one JSON record read from an input shard, with what the
// recipe did to it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace exaone::foundry {

using Json = nlohmann::ordered_json;

struct Record {
  Json data = Json::object();       // the record's own fields ("text" by default)
  std::string id;                   // stable: from the input, or derived from source and line
  std::string source;               // input shard it came from
  uint64_t line = 0;                // 1-based line in that shard
  std::vector<std::string> stages;  // stages passed, in order
  // Per generation stage: the model, sampling settings and seeds behind its text.
  Json generation = Json::object();
};

// A stage's decision about one record.
struct Verdict {
  bool keep = true;
  std::string reason;  // why it was dropped (a short machine-readable name)
  Json details;        // optional figures behind the decision
  static Verdict Keep() { return {}; }
  static Verdict Drop(std::string why, Json d = nullptr) {
    return {false, std::move(why), std::move(d)};
  }
};

}  // namespace exaone::foundry
