// exaone: one binary, one subcommand per job.
#include <cstdio>
#include <cstring>
#include <string>

#include "base/error.h"
#include "commands.h"

namespace {

void PrintUsage(FILE* out) {
  std::fputs(
      "usage: exaone <command> [options]\n"
      "\n"
      "commands:\n"
      "  inspect MODEL      show architecture, hyper-parameters, tensors and memory estimates\n"
      "  convert HF_DIR OUT.gguf --type f32|f16|bf16\n"
      "                     convert a Hugging Face folder to GGUF\n"
      "  logits MODEL --ids 1,2,3 --out FILE [--decode]\n"
      "                     write the logits of every position as float32 [tokens, vocab]\n"
      "\n"
      "MODEL is a GGUF file or a Hugging Face folder (config.json + safetensors).\n"
      "Run 'exaone <command> --help' for a command's options.\n",
      out);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    PrintUsage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const std::string cmd = argv[1];
  try {
    if (cmd == "inspect") return exaone::cli::InspectCommand(argc - 2, argv + 2);
    if (cmd == "convert") return exaone::cli::ConvertCommand(argc - 2, argv + 2);
    if (cmd == "logits") return exaone::cli::LogitsCommand(argc - 2, argv + 2);
    std::fprintf(stderr, "exaone: unknown command '%s'\n\n", cmd.c_str());
    PrintUsage(stderr);
    return 2;
  } catch (const exaone::Error& e) {
    std::fprintf(stderr, "exaone %s: error: %s\n", cmd.c_str(), e.what());
    return e.code() == exaone::ErrorCode::kInvalidArgument ? 2 : 1;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "exaone %s: error: out of memory\n", cmd.c_str());
    return 1;
  }
}
