// One repository's folder in the hub cache, laid out exactly as huggingface_hub lays it out:
//
//   $HF_HUB_CACHE/models--{org}--{name}/
//     refs/{revision}                 the commit hash the revision pointed to at the last pull
//     blobs/{etag}                    file contents, named by LFS SHA-256 or git blob id
//     blobs/{etag}.incomplete         a download in progress (resumed from its size)
//     snapshots/{commit}/{path}       relative symlink to ../../blobs/{etag}
//   $HF_HUB_CACHE/.locks/models--{org}--{name}/{etag}.lock   held while a blob downloads
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace exaone::hub {

class RepoCache {
 public:
  RepoCache(const std::string& cache_dir, const std::string& repo);

  const std::string& dir() const { return dir_; }
  std::string BlobPath(const std::string& etag) const;
  std::string SnapshotDir(const std::string& commit) const;
  std::string SnapshotPath(const std::string& commit, const std::string& file) const;
  std::string LockPath(const std::string& etag) const;

  // The commit `revision` stands for in the cache: itself when it is a commit hash with a
  // snapshot, else the content of refs/{revision}; nullopt when the cache does not know it.
  std::optional<std::string> ResolveRevision(const std::string& revision) const;
  // Records revision -> commit (nothing to record when the revision is the commit itself).
  void WriteRef(const std::string& revision, const std::string& commit) const;

  // Whether snapshots/{commit}/{file} exists and leads to a regular file (not a broken link).
  bool HasFile(const std::string& commit, const std::string& file) const;
  // Points snapshots/{commit}/{file} at blobs/{etag}, replacing whatever was there.
  void Link(const std::string& commit, const std::string& file, const std::string& etag) const;
  // Every file of a snapshot that leads to a regular file, as repository paths.
  std::vector<std::string> ListSnapshot(const std::string& commit) const;

 private:
  std::string cache_dir_;
  std::string folder_;  // models--org--name
  std::string dir_;
};

// An exclusive lock on a file (flock), the same lock huggingface_hub's filelock takes, so that a
// Python download and ours never write one blob at the same time.
class FileLock {
 public:
  explicit FileLock(const std::string& path);  // blocks until the lock is ours
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

// Creates `path` and its parents. Throws Error(kIo) naming the path.
void MakeDirs(const std::string& path);
// Writes `content` to `path` through a temporary file and a rename, so readers never see half.
void WriteFileAtomic(const std::string& path, const std::string& content);

}  // namespace exaone::hub
