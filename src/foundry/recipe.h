// Recipes: what `exaone foundry` runs. A recipe is a JSON file naming its inputs (globbed JSONL,
// JSONL.gz or JSONL.zst shards), an ordered list of stages with their settings, and where the
// output goes. It is validated whole before anything runs: every error names the JSON path of
// the value at fault (`$.stages[2].min_score: ...`). See docs/foundry.md for the format.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "foundry/record.h"

namespace exaone::foundry {

// Reads one JSON object's settings with type and range checks; errors carry the path. Keys
// that no getter asked for are errors when Finish() is called (a typo is never ignored).
class Settings {
 public:
  Settings(const Json& obj, std::string path);

  bool Has(const std::string& key) const;
  std::optional<std::string> String(const std::string& key);
  std::string String(const std::string& key, const std::string& fallback);
  std::optional<double> Number(const std::string& key, double lo, double hi);
  double Number(const std::string& key, double fallback, double lo, double hi);
  std::optional<int64_t> Int(const std::string& key, int64_t lo, int64_t hi);
  int64_t Int(const std::string& key, int64_t fallback, int64_t lo, int64_t hi);
  bool Bool(const std::string& key, bool fallback);
  std::vector<std::string> Strings(const std::string& key);  // a string or an array of them
  // The value itself (object, array, ...) or null when absent; marks it read.
  const Json* Raw(const std::string& key);
  const std::string& path() const { return path_; }
  std::string At(const std::string& key) const { return path_ + "." + key; }
  // Throws for the keys no getter read.
  void Finish() const;

 private:
  const Json* Get(const std::string& key);
  const Json& obj_;
  std::string path_;
  std::set<std::string> read_;
};

// Throws Error (kInvalidArgument) with "RECIPE: PATH: message".
[[noreturn]] void RecipeError(const std::string& path, const std::string& message);

struct StageSpec {
  std::string type;  // "normalize", "language", "quality", ...
  std::string name;  // unique in the recipe; the type unless given
  Json settings;     // the stage's object as written
  std::string path;  // its JSON path, for errors
};

struct OutputSpec {
  std::string dir;
  std::string compression = "zst";  // "zst", "gz" or "none"
  uint64_t shard_bytes = 256ull << 20;
  bool write_rejects = true;
};

struct Recipe {
  std::string name;
  std::vector<std::string> inputs;  // glob patterns, relative to the recipe's folder
  std::string text_field = "text";
  std::string id_field;  // empty: ids derived from the source file and line
  std::vector<StageSpec> stages;
  OutputSpec output;
  std::string base_dir;  // the recipe file's folder: relative paths start there
  std::string hash;      // of the recipe's canonical JSON: provenance, and a guard on resume

  // A path from the recipe, made absolute against base_dir.
  std::string Resolve(const std::string& path) const;
};

// Parses and checks the recipe's own structure (stage settings are checked by the stages
// themselves, see stages.h). `file` names the recipe in errors.
Recipe ParseRecipe(const std::string& text, const std::string& file);
Recipe LoadRecipe(const std::string& path);

// A stable 128-bit hash as 32 hex digits (not cryptographic; for provenance and ids).
std::string HashHex(std::string_view data);

}  // namespace exaone::foundry
