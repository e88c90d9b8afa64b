// exaone: one binary, one subcommand per job.
#include <cstdio>
#include <cstring>
#include <string>

#include "base/error.h"
#include "commands.h"

namespace {

// Messages quote names from files and requests; control characters in them must not break the
// one-line error format.
std::string OneLine(const char* msg) {
  std::string out;
  for (const char* p = msg; *p; ++p) {
    const auto c = static_cast<unsigned char>(*p);
    if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

void PrintUsage(FILE* out) {
  std::fputs(
      "usage: exaone <command> [options]\n"
      "\n"
      "commands:\n"
      "  run MODEL          chat, one-shot prompts (-p), or generation from raw ids (--raw-ids)\n"
      "  bench MODEL        prompt-processing and generation tokens/s (llama-bench fields)\n"
      "  inspect MODEL      show architecture, hyper-parameters, tensors and memory estimates\n"
      "  convert HF_DIR OUT.gguf --type f32|f16|bf16\n"
      "                     convert a Hugging Face folder to GGUF\n"
      "  quantize IN OUT.gguf --type Q4_K_M|Q8_0|...\n"
      "                     quantize a GGUF or Hugging Face folder (llama-quantize's mixes)\n"
      "  logits MODEL --ids 1,2,3 --out FILE [--decode]\n"
      "                     write the logits of every position as float32 [tokens, vocab]\n"
      "  tokenize MODEL [TEXT] [--json] [--decode]\n"
      "                     text <-> token ids with the model's tokenizer (stdin without TEXT)\n"
      "  pull REPO[:QUANT]  download a model from the Hugging Face hub into its cache\n"
      "  serve MODEL        OpenAI-compatible HTTP server (chat, completions, models, metrics)\n"
      "  foundry ...        data curation pipelines: validate, run, status, slurm, stages\n"
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
    if (cmd == "tokenize") return exaone::cli::TokenizeCommand(argc - 2, argv + 2);
    if (cmd == "run") return exaone::cli::RunCommand(argc - 2, argv + 2);
    if (cmd == "bench") return exaone::cli::BenchCommand(argc - 2, argv + 2);
    if (cmd == "pull") return exaone::cli::PullCommand(argc - 2, argv + 2);
    if (cmd == "template") return exaone::cli::TemplateCommand(argc - 2, argv + 2);
    if (cmd == "quantize") return exaone::cli::QuantizeCommand(argc - 2, argv + 2);
    if (cmd == "serve") return exaone::cli::ServeCommand(argc - 2, argv + 2);
    if (cmd == "foundry") return exaone::cli::FoundryCommand(argc - 2, argv + 2);
    std::fprintf(stderr, "exaone: unknown command '%s'\n\n", cmd.c_str());
    PrintUsage(stderr);
    return 2;
  } catch (const exaone::Error& e) {
    std::fprintf(stderr, "exaone %s: error: %s\n", cmd.c_str(), OneLine(e.what()).c_str());
    return e.code() == exaone::ErrorCode::kInvalidArgument ? 2 : 1;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "exaone %s: error: out of memory\n", cmd.c_str());
    return 1;
  }
}
