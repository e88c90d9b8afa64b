// The foundry's parsers and text functions on arbitrary bytes. The first byte picks the target:
// 0 a recipe (with every stage built from its settings), 1 normalization, word statistics and
// language identification, 2 PII redaction, 3 MinHash canonical form and signature, 4 a JSON
// Schema and a value to validate (the schema, a NUL, the value), 5 JSONL lines through the line
// reader (plain, or gzip / zstd by their magic bytes).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "base/error.h"
#include "foundry/executor.h"
#include "foundry/json_validate.h"
#include "foundry/jsonl_io.h"
#include "foundry/langid.h"
#include "foundry/minhash.h"
#include "foundry/pii.h"
#include "foundry/recipe.h"
#include "foundry/stage.h"
#include "foundry/text.h"

using namespace exaone;
using namespace exaone::foundry;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0] % 6;
  const std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    switch (mode) {
      case 0: {
        const Recipe r = ParseRecipe(std::string(in), "fuzz.json");
        for (const StageSpec& s : r.stages) {
          // Model stages would load or call a model only when run; building them is enough.
          // Decontamination globs its evaluation files on the file system: not here.
          if (s.type != "decontaminate") (void)MakeStage(s, r);
        }
        break;
      }
      case 1: {
        const std::string n = NormalizeText(in);
        (void)ComputeTextStats(n);
        (void)ComputeTextStats(in);
        (void)SplitWords(in);
        (void)IdentifyLanguage(in);
        break;
      }
      case 2: {
        std::vector<PiiMatch> found;
        const std::string out = RedactPii(in, {}, &found);
        for (size_t i = 0; i < found.size(); ++i) {
          if (found[i].begin >= found[i].end || found[i].end > in.size() ||
              (i > 0 && found[i].begin < found[i - 1].end)) {
            __builtin_trap();
          }
        }
        break;
      }
      case 3: {
        static const MinHasher hasher(MinHashConfig{});
        static const MinHasher chars(MinHashConfig{3, 4, 2, 7, true});
        const std::string c = CanonicalizeForDedup(in);
        std::vector<uint64_t> sig(hasher.num_hashes()), sig2(chars.num_hashes());
        hasher.Signature(c, sig.data());
        chars.Signature(c, sig2.data());
        (void)ExactKey(in);
        break;
      }
      case 4: {
        const size_t nul = in.find('\0');
        if (nul == std::string_view::npos) break;
        const Json schema = Json::parse(in.substr(0, nul));
        const Json value = Json::parse(in.substr(nul + 1));
        CheckSchema(schema);
        (void)ValidateJson(value, schema);
        break;
      }
      case 5: {
        char path[] = "/tmp/foundry_fuzz_XXXXXX";
        const int fd = mkstemp(path);
        if (fd < 0) break;
        const bool ok = write(fd, in.data(), in.size()) == static_cast<ssize_t>(in.size());
        close(fd);
        if (ok) {
          try {
            LineReader reader(path, 1 << 16);
            for (std::string_view line; reader.Next(line);) {
            }
          } catch (const Error&) {
          }
        }
        unlink(path);
        break;
      }
    }
  } catch (const Error&) {
  } catch (const Json::exception&) {
  }
  return 0;
}
