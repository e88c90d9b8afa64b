// Names that come from users and from the hub and end up as paths in the cache: repository ids,
// revisions, file paths inside a repository, blob names. Each is checked before it touches the
// file system, so a hostile listing cannot write outside the cache.
#pragma once

#include <string>

namespace exaone::hub {

// "org/name" as the hub allows it: letters, digits, '-', '_', '.'; no "--" or ".."; each part
// starts and ends with a letter or digit; at most 96 characters.
bool IsValidRepoId(const std::string& repo);

// A relative path with '/' separators, none of whose parts is empty, "." or "..", and without
// backslashes or control characters (a file in a repository, or a revision like "refs/pr/1").
bool IsSafeRelativePath(const std::string& path);

// 40 lowercase hex digits: a git commit id.
bool IsCommitHash(const std::string& s);

// A blob name: hex digits (a git SHA-1 or an LFS SHA-256), or at least a name of letters, digits,
// '-' and '_' that cannot leave blobs/.
bool IsSafeEtag(const std::string& etag);

// huggingface_hub's normalisation of an ETag header: no "W/" prefix, no quotes.
std::string NormalizeEtag(std::string etag);

// "models--org--name", the repository's folder in the cache.
std::string RepoFolderName(const std::string& repo);

std::string ToLower(std::string s);

}  // namespace exaone::hub
