// exaone convert HF_DIR OUT.gguf [--type f32|f16|bf16]
#include <cstdio>

#include "args.h"
#include "base/error.h"
#include "commands.h"
#include "model/convert.h"
#include "tokenizer/gguf_vocab.h"

namespace exaone::cli {

int ConvertCommand(int argc, char** argv) {
  constexpr const char* kUsage = "exaone convert HF_DIR OUT.gguf [--type f32|f16|bf16]";
  Args args(argc, argv, {"--help", "--quiet"}, {"--type"});
  if (args.Flag("--help")) {
    std::printf("usage: %s\n", kUsage);
    return 0;
  }
  args.ExpectPositional(2, 2, kUsage);
  model::ConvertOptions options;
  const std::string type = args.Option("--type").value_or("f16");
  if (type == "f32") {
    options.type = DType::kF32;
  } else if (type == "f16") {
    options.type = DType::kF16;
  } else if (type == "bf16") {
    options.type = DType::kBF16;
  } else {
    throw Error(ErrorCode::kInvalidArgument,
                "--type must be f32, f16 or bf16, got \"" + type + "\"");
  }
  const bool quiet = args.Flag("--quiet");
  options.add_tokenizer = tokenizer::AddGgufVocab;
  options.progress = [quiet](size_t done, size_t total) {
    if (quiet) return;
    std::fprintf(stderr, "\rwriting tensors: %zu/%zu", done, total);
    if (done == total) std::fprintf(stderr, "\n");
  };
  auto r = model::ConvertToGguf(args.positional()[0], args.positional()[1], options);
  std::printf("wrote %s: architecture %s, %zu tensors, type %s, tokenizer %s\n",
              args.positional()[1].c_str(), r.arch.c_str(), r.n_tensors, type.c_str(),
              r.tokenizer ? "included" : "not found");
  return 0;
}

}  // namespace exaone::cli
