// Pull, FindCached and ResolveModel: list the repository at a revision, pick the model's files,
// and make each one present in the cache (blob + snapshot link), downloading only what is missing.
#include "hub/hub.h"

#include <sys/stat.h>

#include <cctype>
#include <cstdlib>
#include <set>

#include "base/error.h"
#include "base/mapped_file.h"
#include "hub/cache.h"
#include "hub/download.h"
#include "hub/errors.h"
#include "hub/http.h"
#include "hub/names.h"
#include "hub/progress.h"
#include "hub/select.h"
#include "io/json.h"

namespace exaone::hub {
namespace {

// 1 PiB: larger sizes from a listing or header are garbage, not files to make room for.
constexpr uint64_t kMaxFileSize = uint64_t{1} << 50;

struct RemoteFile {
  std::string path;
  std::optional<uint64_t> size;
  std::string sha256;   // LFS files: the object id, which is also the blob's name
  std::string blob_id;  // small files: the git blob id, which is also the blob's name
};

struct Listing {
  std::string commit;
  std::vector<RemoteFile> files;
};

bool IsHex(const std::string& s, size_t n) {
  if (s.size() != n) return false;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c)) && (c < 'a' || c > 'f')) return false;
  }
  return true;
}

uint64_t SizeOf(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

std::optional<uint64_t> ParseSize(const Headers& h, const char* name) {
  auto it = h.find(name);
  if (it == h.end() || it->second.empty() ||
      !std::isdigit(static_cast<unsigned char>(it->second[0]))) {
    return std::nullopt;
  }
  char* end = nullptr;
  const unsigned long long v = std::strtoull(it->second.c_str(), &end, 10);
  if (*end != '\0' || v > kMaxFileSize) return std::nullopt;
  return v;
}

// GET /api/models/{repo}/revision/{revision}?blobs=true: the commit and every file with its size
// and, with blobs=true, its blob id or LFS sha256.
Listing FetchListing(HttpClient& client, const HubContext& ctx, HttpResponse* failure) {
  HttpRequest req;
  req.url = ctx.endpoint + "/api/models/" + ctx.repo + "/revision/" +
            UrlEncode(ctx.revision, false) + "?blobs=true";
  HttpResponse r = client.Fetch(req);
  if (!r.error.empty()) {
    *failure = std::move(r);
    return {};
  }
  if (r.status != 200) ThrowHttpError(r, ctx, "");

  const std::string what = "file listing of " + ctx.repo + " from " + ctx.endpoint;
  const io::Json json = io::ParseJsonStrict(r.body, what);
  const io::JsonView root(json, what);
  Listing listing;
  listing.commit = root.String("sha");
  if (!IsCommitHash(listing.commit)) root.At("sha").Fail("not a commit hash");
  const io::JsonView siblings = root.At("siblings");
  for (size_t i = 0; i < siblings.Size(); ++i) {
    const io::JsonView s = siblings.At(i);
    RemoteFile f;
    f.path = s.String("rfilename");
    if (!IsSafeRelativePath(f.path)) s.At("rfilename").Fail("not a safe relative path");
    if (s.Has("size")) f.size = static_cast<uint64_t>(s.Int("size"));
    if (auto blob = s.StringOr("blobId")) f.blob_id = *blob;
    if (s.Has("lfs")) {
      const io::JsonView lfs = s.At("lfs");
      f.sha256 = lfs.String("sha256");
      if (!IsHex(f.sha256, 64)) lfs.At("sha256").Fail("not a sha256");
      if (lfs.Has("size")) f.size = static_cast<uint64_t>(lfs.Int("size"));
    }
    if (!f.blob_id.empty() && !IsHex(f.blob_id, 40)) s.At("blobId").Fail("not a git blob id");
    if (f.size && *f.size > kMaxFileSize) s.At("size").Fail("implausible size");
    listing.files.push_back(std::move(f));
  }
  return listing;
}

// The blob name, size and digest of a file: from the listing, else from a HEAD request whose
// hub headers (X-Linked-Etag, X-Linked-Size) describe the file even when it redirects to a CDN.
BlobSpec DescribeFile(HttpClient& client, const HubContext& ctx, const std::string& commit,
                      const RemoteFile& f) {
  BlobSpec spec;
  spec.url = ctx.endpoint + "/" + ctx.repo + "/resolve/" + commit + "/" + UrlEncode(f.path, true);
  spec.name = f.path;
  if (!f.sha256.empty()) {
    spec.etag = f.sha256;
    spec.digest = DigestKind::kSha256;
  } else if (!f.blob_id.empty()) {
    spec.etag = f.blob_id;
    spec.digest = DigestKind::kGitBlob;
  }
  if (!spec.etag.empty() && f.size) {
    spec.size = *f.size;
    return spec;
  }
  HttpRequest req;
  req.url = spec.url;
  req.head = true;
  req.follow_cross_origin = false;
  const HttpResponse r = client.Fetch(req);
  if (!r.error.empty()) ThrowTransportError(r, ctx, "asking for " + f.path);
  if (r.status != 200 && (r.status < 300 || r.status > 308)) ThrowHttpError(r, ctx, f.path);
  const Headers& h = r.headers;
  if (spec.etag.empty()) {
    const std::string linked = h.count("x-linked-etag") ? h.at("x-linked-etag") : "";
    spec.etag = NormalizeEtag(!linked.empty() ? linked : h.count("etag") ? h.at("etag") : "");
    if (!IsSafeEtag(spec.etag)) {
      throw Error(ErrorCode::kBadFile, ctx.endpoint + " gave no usable ETag for " + f.path);
    }
    // A 64-digit hex ETag is the LFS object id: the sha256 of the content.
    if (IsHex(spec.etag, 64)) spec.digest = DigestKind::kSha256;
  }
  auto size = f.size ? f.size : ParseSize(h, "x-linked-size");
  if (!size) size = ParseSize(h, "content-length");
  if (!size) throw Error(ErrorCode::kBadFile, ctx.endpoint + " gave no size for " + f.path);
  spec.size = *size;
  return spec;
}

// Makes snapshots/{commit}/{path} present; returns the bytes downloaded for it.
uint64_t EnsureFile(HttpClient& client, const RepoCache& cache, const HubContext& ctx,
                    const std::string& commit, const RemoteFile& f, bool quiet) {
  if (cache.HasFile(commit, f.path)) return 0;
  const BlobSpec spec = DescribeFile(client, ctx, commit, f);
  const std::string blob = cache.BlobPath(spec.etag);
  // Another process (ours or huggingface_hub) may be fetching the same blob: wait for it.
  FileLock lock(cache.LockPath(spec.etag));
  uint64_t bytes = 0;
  if (!FileExists(blob) || SizeOf(blob) != spec.size) {
    MakeDirs(cache.dir() + "/blobs");
    bytes = DownloadBlob(client, spec, blob, ctx, quiet);
  }
  cache.Link(commit, f.path, spec.etag);
  return bytes;
}

// Every shard the index of a cached HF folder names is there too.
bool ShardsPresent(const std::string& folder) {
  const std::string index = folder + "/model.safetensors.index.json";
  if (!FileExists(index)) return true;
  try {
    const io::Json json = io::ReadJsonFile(index);
    const io::JsonView map = io::JsonView(json, index).At("weight_map");
    if (!map.json().is_object()) return false;
    std::set<std::string> shards;
    for (const auto& [name, file] : map.json().items()) {
      if (!file.is_string() || !IsSafeRelativePath(file.get<std::string>())) return false;
      shards.insert(file.get<std::string>());
    }
    for (const auto& s : shards) {
      if (!FileExists(folder + "/" + s)) return false;
    }
    return true;
  } catch (const Error&) {
    return false;
  }
}

std::string RefName(const RepoRef& ref) {
  return ref.quant.empty() ? ref.repo : ref.repo + ":" + ref.quant;
}

HubEnv EnvOf(const PullOptions& opts) {
  return opts.env ? *opts.env : HubEnv::FromEnvironment();
}

[[noreturn]] void ThrowOffline(const RepoRef& ref, const PullOptions& opts, const HubEnv& env) {
  throw Error(ErrorCode::kNotFound,
              "HF_HUB_OFFLINE is set and " + RefName(ref) + " (revision " + opts.revision +
                  ") is not in the cache at " + env.cache_dir +
                  ": unset HF_HUB_OFFLINE to download it, or pass a local .gguf file or model "
                  "folder instead");
}

PullResult ResultFor(const RepoCache& cache, const std::string& commit, const Selection& sel) {
  PullResult r;
  r.commit = commit;
  r.files = sel.files;
  r.path = sel.kind == ModelKind::kHfFolder ? cache.SnapshotDir(commit)
                                            : cache.SnapshotPath(commit, sel.entry);
  return r;
}

std::optional<PullResult> FindCachedIn(const RepoRef& ref, const std::string& revision,
                                       const HubEnv& env) {
  const RepoCache cache(env.cache_dir, ref.repo);
  const std::optional<std::string> commit = cache.ResolveRevision(revision);
  if (!commit) return std::nullopt;
  Selection sel;
  try {
    sel = SelectFiles(cache.ListSnapshot(*commit), ref.quant, ref.repo);
  } catch (const Error&) {
    return std::nullopt;  // the cached snapshot lacks the files this reference needs
  }
  if (sel.kind == ModelKind::kHfFolder && !ShardsPresent(cache.SnapshotDir(*commit))) {
    return std::nullopt;
  }
  return ResultFor(cache, *commit, sel);
}

}  // namespace

std::optional<PullResult> FindCached(const RepoRef& ref, const PullOptions& opts) {
  return FindCachedIn(ref, opts.revision, EnvOf(opts));
}

PullResult Pull(const RepoRef& ref, const PullOptions& opts) {
  const HubEnv env = EnvOf(opts);
  if (!IsSafeRelativePath(opts.revision)) {
    throw Error(ErrorCode::kInvalidArgument, "--revision \"" + opts.revision + "\" is not valid");
  }
  if (env.offline) {
    if (auto cached = FindCachedIn(ref, opts.revision, env)) return *cached;
    ThrowOffline(ref, opts, env);
  }
  const HubContext ctx{env.endpoint, ref.repo, opts.revision, !env.token.empty()};
  HttpClient client(env.token, env.timeout_s);
  HttpResponse failure;
  const Listing listing = FetchListing(client, ctx, &failure);
  if (!failure.error.empty()) {
    // huggingface_hub falls back to the cache when the hub cannot be reached; so do we.
    if (auto cached = FindCachedIn(ref, opts.revision, env)) {
      Note(opts.quiet,
           "cannot reach " + env.endpoint + " (" + failure.error + "); using the cached copy");
      return *cached;
    }
    ThrowTransportError(failure, ctx, "listing " + ref.repo);
  }

  std::vector<std::string> paths;
  for (const auto& f : listing.files) paths.push_back(f.path);
  const Selection sel = SelectFiles(paths, ref.quant, ref.repo);
  if (sel.quant_defaulted && sel.kind == ModelKind::kGguf) {
    std::string available;
    for (const auto& q : AvailableQuants(paths)) available += (available.empty() ? "" : ", ") + q;
    Note(opts.quiet, "no quantization given: using " + sel.quant + " of " + ref.repo +
                         " (available: " + available + "; pick one with " + ref.repo + ":QUANT)");
  }

  const RepoCache cache(env.cache_dir, ref.repo);
  PullResult result = ResultFor(cache, listing.commit, sel);
  for (const auto& name : sel.files) {
    for (const auto& f : listing.files) {
      if (f.path == name) {
        result.downloaded_bytes += EnsureFile(client, cache, ctx, listing.commit, f, opts.quiet);
      }
    }
  }
  // Written last, so that refs/{revision} only ever names a commit whose files are complete.
  cache.WriteRef(opts.revision, listing.commit);
  return result;
}

std::string ResolveModel(const std::string& arg, const PullOptions& opts) {
  if (FileExists(arg) || IsDirectory(arg)) return arg;
  const std::optional<RepoRef> ref = ParseRepoRef(arg);
  if (!ref) throw Error(ErrorCode::kNotFound, arg + ": no such file or folder");
  const HubEnv env = EnvOf(opts);
  if (auto cached = FindCachedIn(*ref, opts.revision, env)) return cached->path;
  if (env.offline) ThrowOffline(*ref, opts, env);
  Note(opts.quiet,
       arg + " is not in the cache at " + env.cache_dir + ": pulling it from " + env.endpoint);
  PullOptions with_env = opts;
  with_env.env = env;
  try {
    return Pull(*ref, with_env).path;
  } catch (const Error& e) {
    if (e.code() != ErrorCode::kNotFound) throw;
    throw Error(ErrorCode::kNotFound,
                "\"" + arg + "\" is not a local file or folder, and " + e.what());
  }
}

}  // namespace exaone::hub
