#include "hub/cache.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "base/error.h"
#include "base/mapped_file.h"
#include "hub/names.h"

namespace exaone::hub {
namespace fs = std::filesystem;

namespace {

std::string Parent(const std::string& path) {
  return fs::path(path).parent_path().string();
}

[[noreturn]] void ThrowIo(const std::string& what, const std::string& path) {
  throw Error(ErrorCode::kIo, path + ": " + what + ": " + std::strerror(errno));
}

}  // namespace

void MakeDirs(const std::string& path) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) throw Error(ErrorCode::kIo, path + ": cannot create folder: " + ec.message());
}

void WriteFileAtomic(const std::string& path, const std::string& content) {
  MakeDirs(Parent(path));
  const std::string tmp = path + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out.flush()) ThrowIo("cannot write", tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int saved = errno;
    std::remove(tmp.c_str());
    errno = saved;
    ThrowIo("cannot rename into place", path);
  }
}

RepoCache::RepoCache(const std::string& cache_dir, const std::string& repo)
    : cache_dir_(cache_dir), folder_(RepoFolderName(repo)), dir_(cache_dir + "/" + folder_) {}

std::string RepoCache::BlobPath(const std::string& etag) const {
  EXA_CHECK(IsSafeEtag(etag));
  return dir_ + "/blobs/" + etag;
}

std::string RepoCache::SnapshotDir(const std::string& commit) const {
  EXA_CHECK(IsSafeRelativePath(commit));
  return dir_ + "/snapshots/" + commit;
}

std::string RepoCache::SnapshotPath(const std::string& commit, const std::string& file) const {
  EXA_CHECK(IsSafeRelativePath(file));
  return SnapshotDir(commit) + "/" + file;
}

std::string RepoCache::LockPath(const std::string& etag) const {
  EXA_CHECK(IsSafeEtag(etag));
  return cache_dir_ + "/.locks/" + folder_ + "/" + etag + ".lock";
}

std::optional<std::string> RepoCache::ResolveRevision(const std::string& revision) const {
  if (IsCommitHash(revision) && IsDirectory(SnapshotDir(revision))) return revision;
  if (!IsSafeRelativePath(revision)) return std::nullopt;
  const std::string ref = dir_ + "/refs/" + revision;
  if (!FileExists(ref)) return std::nullopt;
  std::string commit = ReadTextFile(ref);
  while (!commit.empty() && std::isspace(static_cast<unsigned char>(commit.back()))) {
    commit.pop_back();
  }
  if (!IsCommitHash(commit)) {
    throw Error(ErrorCode::kBadFile, ref + ": does not hold a commit hash");
  }
  return commit;
}

void RepoCache::WriteRef(const std::string& revision, const std::string& commit) const {
  if (revision == commit) return;
  EXA_CHECK(IsSafeRelativePath(revision) && IsCommitHash(commit));
  // huggingface_hub writes the bare hash, without a newline.
  WriteFileAtomic(dir_ + "/refs/" + revision, commit);
}

bool RepoCache::HasFile(const std::string& commit, const std::string& file) const {
  return FileExists(SnapshotPath(commit, file));
}

void RepoCache::Link(const std::string& commit, const std::string& file,
                     const std::string& etag) const {
  const std::string link = SnapshotPath(commit, file);
  MakeDirs(Parent(link));
  // Relative, as huggingface_hub makes it, so the cache can move: up out of
  // snapshots/{commit}/ and every folder of the file's path, then into blobs/.
  std::string target;
  for (size_t i = 0, depth = 2 + std::count(file.begin(), file.end(), '/'); i < depth; ++i) {
    target += "../";
  }
  target += "blobs/" + etag;
  const std::string tmp = link + ".tmp" + std::to_string(::getpid());
  std::remove(tmp.c_str());
  if (::symlink(target.c_str(), tmp.c_str()) != 0) ThrowIo("cannot create symlink", tmp);
  if (std::rename(tmp.c_str(), link.c_str()) != 0) {
    const int saved = errno;
    std::remove(tmp.c_str());
    errno = saved;
    ThrowIo("cannot rename into place", link);
  }
}

std::vector<std::string> RepoCache::ListSnapshot(const std::string& commit) const {
  std::vector<std::string> files;
  const std::string root = SnapshotDir(commit);
  std::error_code ec;
  fs::recursive_directory_iterator it(root, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    if (!FileExists(it->path().string())) continue;  // follows links; skips broken ones
    // Lexical: fs::relative would resolve the link and name the blob instead.
    files.push_back(it->path().lexically_relative(root).generic_string());
  }
  return files;
}

FileLock::FileLock(const std::string& path) {
  MakeDirs(Parent(path));
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) ThrowIo("cannot open lock file", path);
  while (::flock(fd_, LOCK_EX) != 0) {
    if (errno != EINTR) {
      const int saved = errno;
      ::close(fd_);
      errno = saved;
      ThrowIo("cannot lock", path);
    }
  }
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the lock
}

}  // namespace exaone::hub
