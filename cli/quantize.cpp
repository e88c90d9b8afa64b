// exaone quantize IN OUT --type T [--threads N] [--pure] [--output-type T] [--token-embedding-type
// T]
//                 [--dry-run] [--quiet]
#include <unistd.h>

#include <cstdio>
#include <string>

#include "args.h"
#include "base/error.h"
#include "commands.h"
#include "model/quantize.h"
#include "tokenizer/gguf_vocab.h"

namespace exaone::cli {
namespace {

constexpr const char* kUsage =
    "exaone quantize IN OUT.gguf --type TYPE [--threads N] [--pure] [--output-type T]\n"
    "                [--token-embedding-type T] [--dry-run] [--quiet]";

DType ParseTensorType(const std::string& flag, const std::string& value) {
  std::optional<DType> t = DTypeFromName(value);
  if (!t) {
    throw Error(ErrorCode::kInvalidArgument,
                flag + ": unknown tensor type \"" + value + "\" (GGML names: q8_0, q6_k, f16...)");
  }
  return *t;
}

std::string Shape(const std::vector<uint64_t>& ne) {
  std::string s = "[";
  for (size_t i = 0; i < ne.size(); ++i) s += (i ? ", " : "") + std::to_string(ne[i]);
  return s + "]";
}

// The bar: one line redrawn in place, only on a terminal.
void DrawProgress(const model::QuantizeProgress& p) {
  const double mb_s = p.seconds > 0 ? p.in_bytes_done / p.seconds / 1e6 : 0.0;
  std::fprintf(stderr, "\r\x1b[K[%4zu/%4zu] %-32s %5s -> %-6s %8.1f MB/s", p.index + 1, p.total,
               p.tensor->name.c_str(), DTypeName(p.tensor->from), DTypeName(p.tensor->to), mb_s);
  if (p.done && p.index + 1 == p.total) std::fputc('\n', stderr);
  std::fflush(stderr);
}

}  // namespace

int QuantizeCommand(int argc, char** argv) {
  Args args(
      argc, argv, {"--help", "--pure", "--dry-run", "--quiet"},
      {"--type", "--threads", "--output-type", "--output-tensor-type", "--token-embedding-type"});
  if (args.Flag("--help")) {
    std::printf(
        "usage: %s\n"
        "  IN       a GGUF with F32/F16/BF16 weights, or a Hugging Face folder\n"
        "  --type   the target, as llama-quantize names it:\n          ",
        kUsage);
    for (const model::QuantFileType& t : model::QuantFileTypes()) std::printf(" %s", t.name);
    std::printf(
        "\n           (Q3_K, Q4_K, Q5_K = the _M mixes; case does not matter)\n"
        "  --threads N        worker threads (default: one per core)\n"
        "  --pure             every weight matrix in the --type base type, no mix rules\n"
        "  --output-type T    type of output.weight (and of token_embd when they are tied)\n"
        "  --token-embedding-type T   type of token_embd.weight\n"
        "  --dry-run          list the type each tensor would get; write nothing\n"
        "  --quiet            no progress or notes on stderr\n");
    return 0;
  }
  const bool dry_run = args.Flag("--dry-run");
  args.ExpectPositional(dry_run ? 1 : 2, 2, kUsage);
  const std::optional<std::string> type = args.Option("--type");
  if (!type) throw Error(ErrorCode::kInvalidArgument, "--type is required (e.g. --type Q4_K_M)");

  model::QuantizeOptions options;
  options.type = *type;
  options.dry_run = dry_run;
  options.threads = static_cast<int>(args.IntOption("--threads", 0, 1, 1024));
  options.types.pure = args.Flag("--pure");
  std::optional<std::string> out_type = args.Option("--output-type");
  if (auto alias = args.Option("--output-tensor-type")) out_type = alias;
  if (out_type) options.types.output_type = ParseTensorType("--output-type", *out_type);
  if (auto t = args.Option("--token-embedding-type")) {
    options.types.token_embedding_type = ParseTensorType("--token-embedding-type", *t);
  }
  options.add_tokenizer = tokenizer::AddGgufVocab;
  const bool quiet = args.Flag("--quiet");
  if (!quiet && !dry_run && ::isatty(STDERR_FILENO) == 1) options.progress = DrawProgress;

  const std::string& in = args.positional()[0];
  const std::string out = args.positional().size() > 1 ? args.positional()[1] : "";
  const model::QuantizeResult r = model::Quantize(in, out, options);

  const double bpw = r.elements ? r.out_tensor_bytes * 8.0 / r.elements : 0.0;
  if (dry_run) {
    for (const model::QuantizedTensor& t : r.tensors) {
      std::printf("%-40s %-20s %-6s -> %s%s\n", t.name.c_str(), Shape(t.ne).c_str(),
                  DTypeName(t.from), DTypeName(t.to), t.fallback ? " (fallback)" : "");
    }
    std::printf("dry run: %s %s, %zu tensors, %s -> %s (%.2f bits per weight)\n", r.arch.c_str(),
                r.target.name, r.tensors.size(), HumanBytes(r.in_tensor_bytes).c_str(),
                HumanBytes(r.out_tensor_bytes).c_str(), bpw);
    return 0;
  }
  if (!quiet && r.n_fallback > 0) {
    std::fprintf(stderr,
                 "note: %zu of %zu tensors use a fallback type: their rows are not a whole "
                 "number of the chosen type's blocks\n",
                 r.n_fallback, r.tensors.size());
  }
  std::printf("wrote %s: %s %s, %zu tensors, %s -> %s (%.2f bits per weight) in %.1f s%s\n",
              out.c_str(), r.arch.c_str(), r.target.name, r.tensors.size(),
              HumanBytes(r.in_file_bytes).c_str(), HumanBytes(r.out_file_bytes).c_str(), bpw,
              r.seconds,
              r.from_folder ? (r.tokenizer ? ", tokenizer included" : ", no tokenizer") : "");
  return 0;
}

}  // namespace exaone::cli
