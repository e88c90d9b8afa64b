// exaone logits MODEL --ids 1,2,3 --out FILE [--decode] [-t N] [--cache-type f32|f16]
//
// Stable interface: writes the logits of every position as raw little-endian float32 of shape
// [tokens, vocab] and prints "<tokens> <vocab>" on stdout.
#include <cstdio>
#include <vector>

#include "args.h"
#include "base/error.h"
#include "commands.h"
#include "model/factory.h"

namespace exaone::cli {

int LogitsCommand(int argc, char** argv) {
  constexpr const char* kUsage =
      "exaone logits MODEL --ids 1,2,3 --out FILE [--decode] [-t N] [--cache-type f32|f16]"
      " [--mmap | --no-mmap]";
  Args args(argc, argv, {"--decode", "--help", "--mmap", "--no-mmap"},
            {"--ids", "--out", "-t", "--threads", "--cache-type"});
  if (args.Flag("--help")) {
    std::printf("usage: %s\n", kUsage);
    return 0;
  }
  args.ExpectPositional(1, 1, kUsage);
  auto ids_arg = args.Option("--ids");
  auto out_path = args.Option("--out");
  if (!ids_arg || !out_path)
    throw Error(ErrorCode::kInvalidArgument, "usage: " + std::string(kUsage));
  const std::vector<int32_t> ids = ParseIdList(*ids_arg);
  int threads = static_cast<int>(args.IntOption("-t", DefaultThreadCount(), 1, 1024));
  threads = static_cast<int>(args.IntOption("--threads", threads, 1, 1024));

  model::LoadOptions load;
  load.residency = ResidencyOption(args);
  model::LoadedModel m = model::LoadModel(args.positional()[0], load);
  const int64_t vocab = m.model->summary().vocab_size;
  const int n = static_cast<int>(ids.size());
  if (n > m.model->summary().context_length) {
    throw Error(ErrorCode::kInvalidArgument, "--ids: " + std::to_string(n) +
                                                 " tokens exceed the model's context length of " +
                                                 std::to_string(m.model->summary().context_length));
  }
  ThreadPool pool(threads);
  // The exact path: keys and values stay float32 unless asked otherwise.
  auto cache = m.model->NewSequence(n, CacheTypeOption(args).value_or(DType::kF32));
  std::vector<float> logits(static_cast<size_t>(n) * vocab);
  if (args.Flag("--decode")) {
    for (int i = 0; i < n; ++i) {
      m.model->Forward(*cache, &ids[i], 1, logits.data() + static_cast<size_t>(i) * vocab, pool);
    }
  } else {
    m.model->Forward(*cache, ids.data(), n, logits.data(), pool);
  }
  FILE* f = std::fopen(out_path->c_str(), "wb");
  if (!f) throw Error(ErrorCode::kIo, *out_path + ": cannot create");
  size_t written = std::fwrite(logits.data(), sizeof(float), logits.size(), f);
  if (std::fclose(f) != 0 || written != logits.size()) {
    throw Error(ErrorCode::kIo, *out_path + ": write failed");
  }
  std::printf("%d %lld\n", n, static_cast<long long>(vocab));
  return 0;
}

}  // namespace exaone::cli
