#include "hub/digest.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include <openssl/evp.h>

#include "base/error.h"

namespace exaone::hub {

Digest::Digest(DigestKind kind, uint64_t size) : kind_(kind), size_(size), ctx_(EVP_MD_CTX_new()) {
  EXA_CHECK_MSG(ctx_ != nullptr, "EVP_MD_CTX_new failed");
  Reset();
}

Digest::~Digest() {
  EVP_MD_CTX_free(ctx_);
}

void Digest::Reset() {
  const EVP_MD* md = kind_ == DigestKind::kSha256 ? EVP_sha256() : EVP_sha1();
  EXA_CHECK(EVP_DigestInit_ex(ctx_, md, nullptr) == 1);
  if (kind_ == DigestKind::kGitBlob) {
    const std::string header = "blob " + std::to_string(size_);
    // The header's terminating NUL is part of what git hashes.
    Update(header.c_str(), header.size() + 1);
  }
}

void Digest::Update(const void* data, size_t n) {
  if (n > 0) EXA_CHECK(EVP_DigestUpdate(ctx_, data, n) == 1);
}

std::string Digest::HexFinal() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EXA_CHECK(EVP_DigestFinal_ex(ctx_, md, &len) == 1);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * len);
  for (unsigned int i = 0; i < len; ++i) {
    hex += kHex[md[i] >> 4];
    hex += kHex[md[i] & 15];
  }
  return hex;
}

void Digest::UpdateFromFile(const std::string& path, uint64_t n) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) throw Error(ErrorCode::kIo, path + ": cannot open: " + std::strerror(errno));
  std::vector<char> buf(1 << 20);
  while (n > 0) {
    const size_t want = n < buf.size() ? static_cast<size_t>(n) : buf.size();
    const size_t got = std::fread(buf.data(), 1, want, f.get());
    if (got == 0) throw Error(ErrorCode::kIo, path + ": read failed or file shorter than expected");
    Update(buf.data(), got);
    n -= got;
  }
}

}  // namespace exaone::hub
