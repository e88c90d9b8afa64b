// exaone pull REPO[:QUANT] [--revision REV] [--quiet]
//
// Downloads a model from the Hugging Face hub into the shared cache and prints its local path on
// stdout (progress and notes go to stderr), so that `$(exaone pull ...)` can feed other tools.
#include <cstdio>

#include "args.h"
#include "base/error.h"
#include "commands.h"
#include "hub/hub.h"

namespace exaone::cli {
namespace {

constexpr const char* kUsage = "exaone pull REPO[:QUANT] [--revision REV] [--quiet]";

}  // namespace

int PullCommand(int argc, char** argv) {
  Args args(argc, argv, {"--quiet", "--help"}, {"--revision"});
  if (args.Flag("--help")) {
    std::printf(
        "usage: %s\n"
        "  REPO     a Hugging Face repository, org/name\n"
        "  QUANT    the quantization of a GGUF repository (Q4_K_M, Q8_0, ...) or a .gguf name;\n"
        "           without it a GGUF-only repository gives Q4_K_M\n"
        "  --revision REV   branch, tag or commit (default main)\n"
        "  --quiet          no progress on stderr\n",
        kUsage);
    return 0;
  }
  args.ExpectPositional(1, 1, kUsage);
  const std::string& arg = args.positional()[0];
  const std::optional<hub::RepoRef> ref = hub::ParseRepoRef(arg);
  if (!ref) {
    throw Error(ErrorCode::kInvalidArgument,
                "\"" + arg + "\" is not a repository reference (org/name or org/name:QUANT)");
  }
  hub::PullOptions opts;
  opts.revision = args.Option("--revision").value_or("main");
  opts.quiet = args.Flag("--quiet");
  const hub::PullResult result = hub::Pull(*ref, opts);
  if (!opts.quiet) {
    const std::string what = result.downloaded_bytes > 0
                                 ? "downloaded " + HumanBytes(result.downloaded_bytes)
                                 : std::string("up to date");
    std::fprintf(stderr, "%s: %s (commit %.7s, %zu file%s)\n", arg.c_str(), what.c_str(),
                 result.commit.c_str(), result.files.size(), result.files.size() == 1 ? "" : "s");
  }
  std::printf("%s\n", result.path.c_str());
  return 0;
}

}  // namespace exaone::cli
