// The libcurl functions the HTTP client uses, loaded with dlopen on first use instead of linked.
// Linking libcurl loads it and its ~30 dependencies (GnuTLS, Kerberos, LDAP, SSH...) into every
// exaone process at start-up, 6.5 MiB of resident memory measured on Debian 12, which every
// command would pay although only downloads need it.
#pragma once

#include <curl/curl.h>

namespace exaone::hub {

struct CurlApi {
  decltype(&curl_global_init) global_init;
  decltype(&curl_easy_init) easy_init;
  decltype(&curl_easy_cleanup) easy_cleanup;
  decltype(&curl_easy_reset) easy_reset;
  decltype(&curl_easy_setopt) easy_setopt;
  decltype(&curl_easy_perform) easy_perform;
  decltype(&curl_easy_getinfo) easy_getinfo;
  decltype(&curl_easy_strerror) easy_strerror;
  decltype(&curl_slist_append) slist_append;
  decltype(&curl_slist_free_all) slist_free_all;
  decltype(&curl_url) url;
  decltype(&curl_url_set) url_set;
  decltype(&curl_url_get) url_get;
  decltype(&curl_url_cleanup) url_cleanup;
  decltype(&curl_free) free;
};

// Loads libcurl and runs curl_global_init once. Throws Error(kUnsupported) naming the library
// when it cannot be loaded.
const CurlApi& Curl();

}  // namespace exaone::hub
