// Downloads one file of a repository into its blob in the cache: into blobs/{etag}.incomplete
// first, resumed with a Range request after a dropped connection (in this run or an earlier
// one), and renamed to blobs/{etag} only once its size and digest check out. A corrupt download
// is deleted and fetched once more from scratch; a second mismatch is an error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "hub/digest.h"
#include "hub/errors.h"
#include "hub/http.h"

namespace exaone::hub {

struct BlobSpec {
  std::string url;                   // the resolve URL at the commit
  std::string name;                  // repository path, for messages
  uint64_t size = 0;                 // expected byte count
  std::string etag;                  // the blob's name in the cache
  std::optional<DigestKind> digest;  // what the etag is a digest of; nullopt: check size only
};

// Returns the number of bytes transferred. Throws Error on HTTP errors (via ThrowHttpError),
// on a connection that keeps failing, on a write error, and on a digest mismatch.
uint64_t DownloadBlob(HttpClient& client, const BlobSpec& spec, const std::string& blob_path,
                      const HubContext& ctx, bool quiet);

}  // namespace exaone::hub
