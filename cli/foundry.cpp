// exaone foundry: curation pipelines over JSONL data (docs/foundry.md).
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "args.h"
#include "base/error.h"
#include "commands.h"
#include "foundry/executor.h"
#include "foundry/jsonl_io.h"
#include "foundry/recipe.h"
#include "foundry/stage.h"

namespace exaone::cli {
namespace {

constexpr const char* kUsage =
    "exaone foundry validate RECIPE [--tasks N]\n"
    "       exaone foundry run RECIPE [--tasks N] [-j THREADS] [--restart] [--progress]\n"
    "                                 [--task-index I|env] [--phase P] [--global]\n"
    "       exaone foundry status RECIPE [--tasks N] [--json]\n"
    "       exaone foundry slurm RECIPE --tasks N [--submit] [--partition P] [--exaone PATH]\n"
    "                                 [--cpus-per-task N] [--time LIMIT]\n"
    "       exaone foundry stages";

// `--task-index env`: the index a job array gives its element (Slurm's SLURM_ARRAY_TASK_ID,
// a Kubernetes indexed job's JOB_COMPLETION_INDEX).
int TaskIndex(const std::string& v) {
  std::string s = v;
  if (v == "env") {
    const char* e = std::getenv("SLURM_ARRAY_TASK_ID");
    if (!e) e = std::getenv("JOB_COMPLETION_INDEX");
    if (!e) {
      throw Error(ErrorCode::kInvalidArgument,
                  "--task-index env: neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX is set");
    }
    s = e;
  }
  char* end = nullptr;
  const long i = std::strtol(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || i < 0 || i > 1000000) {
    throw Error(ErrorCode::kInvalidArgument, "--task-index: '" + s + "' is not a task index");
  }
  return static_cast<int>(i);
}

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Writes one sbatch script per phase array and global step, chained by dependencies.
int Slurm(const foundry::Recipe& recipe, const std::string& recipe_path, const Args& args) {
  const int tasks = static_cast<int>(args.IntOption("--tasks", 0, 1, 1000000));
  if (tasks == 0) throw Error(ErrorCode::kInvalidArgument, "slurm: give --tasks N");
  const foundry::Plan plan = foundry::Validate(recipe, tasks);
  const std::string exe =
      args.Option("--exaone").value_or(std::filesystem::canonical("/proc/self/exe").string());
  const std::string out = recipe.Resolve(recipe.output.dir) + "/.foundry/slurm";
  std::filesystem::create_directories(out);
  const std::string abs_recipe = std::filesystem::absolute(recipe_path).string();
  const std::string partition = args.Option("--partition").value_or("");
  const int cpus = static_cast<int>(args.IntOption("--cpus-per-task", 0, 0, 4096));
  const std::string time_limit = args.Option("--time").value_or("");
  std::vector<std::string> scripts;
  auto write = [&](const std::string& name, const std::string& array, const std::string& cmd) {
    std::string s = "#!/bin/bash\n#SBATCH --job-name=foundry-" + name + "\n";
    if (!array.empty()) s += "#SBATCH --array=" + array + "\n";
    if (!partition.empty()) s += "#SBATCH --partition=" + partition + "\n";
    if (cpus > 0) s += "#SBATCH --cpus-per-task=" + std::to_string(cpus) + "\n";
    if (!time_limit.empty()) s += "#SBATCH --time=" + time_limit + "\n";
    s += "#SBATCH --output=" + out + "/" + name + (array.empty() ? "-%j.log" : "-%A_%a.log") + "\n";
    s += "set -euo pipefail\n" + cmd + "\n";
    const std::string path = out + "/" + name + ".sbatch";
    foundry::WriteFileAtomically(path, s);
    scripts.push_back(path);
  };
  // Each job uses the CPUs Slurm gave it, not every core of the node.
  const std::string base = Quote(exe) + " foundry run " + Quote(abs_recipe) + " --tasks " +
                           std::to_string(tasks) + " -j \"${SLURM_CPUS_PER_TASK:-" +
                           std::to_string(std::max(cpus, 1)) + "}\"";
  for (size_t p = 0; p < plan.phases(); ++p) {
    write("p" + std::to_string(p), "0-" + std::to_string(tasks - 1),
          base + " --phase " + std::to_string(p) + " --task-index env");
    if (p + 1 < plan.phases()) {
      write("g" + std::to_string(p), "", base + " --phase " + std::to_string(p) + " --global");
    }
  }
  // The last step collects the statistics (every unit is done by then).
  write("stats", "", base);
  std::string submit = "#!/bin/bash\nset -euo pipefail\nprev=\n";
  for (const std::string& s : scripts) {
    submit += "prev=$(sbatch --parsable ${prev:+--dependency=afterok:$prev} " + Quote(s) + ")\n";
    submit += "prev=${prev%%;*}\n";  // "jobid;cluster" on federated setups
    submit += "echo \"submitted " + std::filesystem::path(s).filename().string() + ": $prev\"\n";
  }
  const std::string submit_path = out + "/submit.sh";
  foundry::WriteFileAtomically(submit_path, submit);
  std::filesystem::permissions(submit_path, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::add);
  std::printf("%zu job scripts in %s; submit them in order with %s\n", scripts.size(), out.c_str(),
              submit_path.c_str());
  if (args.Flag("--submit")) {
    std::fflush(stdout);
    const int rc = std::system(("bash " + Quote(submit_path)).c_str());
    return rc == 0 ? 0 : 1;
  }
  return 0;
}

}  // namespace

int FoundryCommand(int argc, char** argv) {
  Args args(argc, argv, {"--help", "--restart", "--progress", "--global", "--json", "--submit"},
            {"--tasks", "-j", "--threads", "--task-index", "--phase", "--partition", "--exaone",
             "--cpus-per-task", "--time"});
  if (args.Flag("--help") || args.positional().empty()) {
    std::printf("usage: %s\n", kUsage);
    return args.Flag("--help") ? 0 : 2;
  }
  const std::string& verb = args.positional()[0];
  if (verb == "stages") {
    for (const auto& [name, about] : foundry::StageTypes()) {
      std::printf("%-16s %s\n", name.c_str(), about.c_str());
    }
    return 0;
  }
  args.ExpectPositional(2, 2, kUsage);
  const std::string& path = args.positional()[1];
  const foundry::Recipe recipe = foundry::LoadRecipe(path);
  const int tasks = static_cast<int>(args.IntOption("--tasks", 0, 1, 1000000));
  if (verb == "validate") {
    const foundry::Plan plan = foundry::Validate(recipe, tasks);
    std::printf("%s: valid; %zu input files, %d tasks, %zu stages in %zu phases\n", path.c_str(),
                plan.files.size(), plan.tasks, recipe.stages.size(), plan.phases());
    return 0;
  }
  if (verb == "run") {
    foundry::RunOptions o;
    o.tasks = tasks;
    const int hw = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    o.threads = static_cast<int>(args.IntOption("-j", hw, 1, 4096));
    o.threads = static_cast<int>(args.IntOption("--threads", o.threads, 1, 4096));
    if (auto t = args.Option("--task-index")) o.task_index = TaskIndex(*t);
    if (args.Option("--phase")) o.phase = static_cast<int>(args.IntOption("--phase", 0, 0, 1000));
    o.global_step = args.Flag("--global");
    if (o.global_step && !o.phase) {
      throw Error(ErrorCode::kInvalidArgument, "--global needs --phase P");
    }
    o.restart = args.Flag("--restart");
    o.progress = args.Flag("--progress") || isatty(STDERR_FILENO);
    const int rc = foundry::Run(recipe, o);
    const std::string stats = recipe.Resolve(recipe.output.dir) + "/stats.txt";
    if (rc == 0 && !o.task_index && !o.phase) {
      std::ifstream in(stats);
      std::string line;
      while (std::getline(in, line)) std::printf("%s\n", line.c_str());
    }
    return rc;
  }
  if (verb == "status") {
    const foundry::Json st = foundry::Status(recipe, tasks);
    if (args.Flag("--json")) {
      std::printf("%s\n", st.dump(1).c_str());
      return 0;
    }
    for (const auto& ph : st["phases"]) {
      std::printf("phase %d: %d of %d units done", ph["phase"].get<int>(),
                  ph["units_done"].get<int>(), ph["units"].get<int>());
      if (ph.contains("global_stage")) {
        std::printf("; global step (%s) %s", ph["global_stage"].get<std::string>().c_str(),
                    ph["global_done"].get<bool>() ? "done" : "not done");
      }
      std::printf("\n");
    }
    std::printf("%s", foundry::StatsTable(st["stats"]).c_str());
    return 0;
  }
  if (verb == "slurm") return Slurm(recipe, path, args);
  throw Error(ErrorCode::kInvalidArgument,
              "unknown foundry command '" + verb + "'\nusage: " + std::string(kUsage));
}

}  // namespace exaone::cli
