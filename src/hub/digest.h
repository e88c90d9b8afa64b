// Content digests for verifying downloads: SHA-256 (the hub's LFS object id) and git's blob
// SHA-1 (the id of a small file stored in git itself), through OpenSSL's EVP interface.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

struct evp_md_ctx_st;

namespace exaone::hub {

enum class DigestKind {
  kSha256,   // sha256(content)
  kGitBlob,  // sha1("blob <size>\0" + content), as `git hash-object`
};

class Digest {
 public:
  // `size` is the content length; git's blob id hashes it in a header before the content.
  Digest(DigestKind kind, uint64_t size);
  ~Digest();
  Digest(const Digest&) = delete;
  Digest& operator=(const Digest&) = delete;

  void Reset();
  void Update(const void* data, size_t n);
  std::string HexFinal();  // lowercase hex; the object must be Reset() before further use

  // Hashes the first `n` bytes of the file at `path` into this digest (a resumed download's
  // prefix). Throws Error(kIo) when the file cannot be read.
  void UpdateFromFile(const std::string& path, uint64_t n);

 private:
  DigestKind kind_;
  uint64_t size_;
  evp_md_ctx_st* ctx_;
};

}  // namespace exaone::hub
