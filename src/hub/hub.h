// Models from the Hugging Face hub, cached exactly as huggingface_hub caches them, so that Python
// tools and exaone share one copy on disk.
//
// A model reference is "org/name" (a repository) or "org/name:QUANT" (one quantization of a
// GGUF repository, e.g. "LGAI-EXAONE/EXAONE-4.0-1.2B-GGUF:Q4_K_M"). The environment is read as
// huggingface_hub reads it: HF_ENDPOINT, HF_TOKEN, HF_HOME, HF_HUB_CACHE, HF_HUB_OFFLINE,
// HF_HUB_DOWNLOAD_TIMEOUT.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace exaone::hub {

// Where the hub is and how to talk to it; by default taken from the environment.
struct HubEnv {
  std::string endpoint;   // no trailing slash, e.g. "https://huggingface.co"
  std::string token;      // sent as "Authorization: Bearer ..."; never printed
  std::string cache_dir;  // $HF_HUB_CACHE, the folder holding models--org--name
  bool offline = false;   // HF_HUB_OFFLINE: use the cache only
  long timeout_s = 10;    // connect timeout, and how long a transfer may stall

  static HubEnv FromEnvironment();
};

struct PullOptions {
  std::string revision = "main";  // branch, tag or commit hash
  bool quiet = false;             // no progress bars or notes on stderr
  std::optional<HubEnv> env;      // unset: HubEnv::FromEnvironment()
};

struct RepoRef {
  std::string repo;   // "org/name"
  std::string quant;  // "Q4_K_M", a file name ending in .gguf, or empty
};

// Parses "org/name[:quant]". Returns nullopt when `arg` does not have that shape (so it is meant
// as a local path); throws Error(kInvalidArgument) when it has the shape but an invalid part.
std::optional<RepoRef> ParseRepoRef(const std::string& arg);

struct PullResult {
  std::string path;                // snapshot folder (HF model) or the (first) .gguf file
  std::string commit;              // the commit the files belong to
  std::vector<std::string> files;  // repository paths that make up the model
  uint64_t downloaded_bytes = 0;   // 0 when everything was already in the cache
};

// Asks the hub for the current commit of the revision and downloads the files of `ref` that the
// cache does not have yet. Offline (HF_HUB_OFFLINE=1) it only looks in the cache.
PullResult Pull(const RepoRef& ref, const PullOptions& opts);

// The cached model for `ref` at opts.revision, without any network access; nullopt when the
// cache does not hold all of its files.
std::optional<PullResult> FindCached(const RepoRef& ref, const PullOptions& opts);

// What every command does with its MODEL argument: an existing file or folder is returned
// unchanged; a repository reference becomes the local path in the cache, downloaded first when
// it is missing (unless offline, which is an error saying how to pass a local file instead).
std::string ResolveModel(const std::string& arg, const PullOptions& opts);

}  // namespace exaone::hub
