// Running a recipe: the input is split into tasks deterministically (input file i goes to task
// i mod tasks), and the stages into phases at each global stage. A unit of work is one phase of
// one task; it writes its records, its rejects, the keys its global stage needs and its
// statistics, then a marker, all atomically: a unit with a marker is never run again, one
// without is run again from the start after its partial files are removed. So a run killed at
// any moment and started again ends with the same bytes as an uninterrupted one, and the same
// units run as a Slurm job array or a Kubernetes indexed job (each task from its index) give the
// same output as the local executor.
//
// Layout under the output folder:
//   data/part-TTTTT-NNNNN.jsonl.zst       records that passed every stage
//   rejects/TTTTT-pP-NNNNN.jsonl.zst      dropped records with the stage and reason
//   stats.json, stats.txt                 per stage: in, kept, dropped by reason, time
//   .foundry/                             work state (markers, keys, intermediate records)
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "foundry/recipe.h"
#include "foundry/stage.h"

namespace exaone::foundry {

struct RunOptions {
  int tasks = 0;    // 0: one per input file (the recipe may fix it too)
  int threads = 1;  // local executor: units run at once
  // Cluster mode: run only this task of `phase` (or the global step after it), as one array
  // element does. Unset: everything, locally.
  std::optional<int> task_index;
  std::optional<int> phase;
  bool global_step = false;  // with `phase`: run the global step that ends it
  bool progress = false;     // progress line on stderr
  bool restart = false;      // discard earlier work state
};

struct Plan {
  std::vector<std::string> files;  // inputs, sorted
  int tasks = 1;
  // Stages of each phase: phase p runs stages [begin[p], end[p]); every phase but the last
  // ends at a global stage (index end[p]).
  std::vector<size_t> begin, end;
  size_t phases() const { return begin.size(); }
};

Plan MakePlan(const Recipe& recipe, int tasks);

// Checks the recipe and every stage's settings, and that the inputs exist. Returns the plan.
Plan Validate(const Recipe& recipe, int tasks);

// Runs what `options` asks for; returns the process exit code (0: done).
int Run(const Recipe& recipe, const RunOptions& options);

// The state of a run: units done per phase, and the statistics so far.
Json Status(const Recipe& recipe, int tasks);

// Statistics as a table (stage, in, kept, dropped by reason, seconds).
std::string StatsTable(const Json& stats);

}  // namespace exaone::foundry
