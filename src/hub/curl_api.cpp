#include "hub/curl_api.h"

#include <dlfcn.h>

#include <string>

#include "base/error.h"

namespace exaone::hub {
namespace {

// The SONAME of the libcurl4 package (OpenSSL flavour), then the GnuTLS flavour; the API is one.
constexpr const char* kLibraries[] = {"libcurl.so.4", "libcurl-gnutls.so.4", "libcurl.so"};

template <typename Fn>
void Resolve(void* lib, const char* name, Fn* out) {
  void* sym = ::dlsym(lib, name);
  if (!sym) {
    throw Error(ErrorCode::kUnsupported, std::string("the libcurl found lacks ") + name +
                                             " (libcurl 7.62 or newer is needed)");
  }
  *out = reinterpret_cast<Fn>(sym);
}

CurlApi Load() {
  void* lib = nullptr;
  std::string reasons;
  for (const char* name : kLibraries) {
    lib = ::dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (lib) break;
    const char* err = ::dlerror();
    reasons += std::string(reasons.empty() ? "" : "; ") + (err ? err : name);
  }
  if (!lib) {
    throw Error(ErrorCode::kUnsupported,
                "downloading needs libcurl, which cannot be loaded (" + reasons +
                    "); install the libcurl4 package, or pass a local model file");
  }
  // Never closed: the process keeps libcurl once it has needed it.
  CurlApi api{};
  Resolve(lib, "curl_global_init", &api.global_init);
  Resolve(lib, "curl_easy_init", &api.easy_init);
  Resolve(lib, "curl_easy_cleanup", &api.easy_cleanup);
  Resolve(lib, "curl_easy_reset", &api.easy_reset);
  Resolve(lib, "curl_easy_setopt", &api.easy_setopt);
  Resolve(lib, "curl_easy_perform", &api.easy_perform);
  Resolve(lib, "curl_easy_getinfo", &api.easy_getinfo);
  Resolve(lib, "curl_easy_strerror", &api.easy_strerror);
  Resolve(lib, "curl_slist_append", &api.slist_append);
  Resolve(lib, "curl_slist_free_all", &api.slist_free_all);
  Resolve(lib, "curl_url", &api.url);
  Resolve(lib, "curl_url_set", &api.url_set);
  Resolve(lib, "curl_url_get", &api.url_get);
  Resolve(lib, "curl_url_cleanup", &api.url_cleanup);
  Resolve(lib, "curl_free", &api.free);
  EXA_CHECK_MSG(api.global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK, "curl_global_init failed");
  return api;
}

}  // namespace

const CurlApi& Curl() {
  // Initialised once, thread-safely; a failed load throws and is tried again on the next call.
  static const CurlApi api = Load();
  return api;
}

}  // namespace exaone::hub
