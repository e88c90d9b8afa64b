// A small HTTP(S) client over libcurl for the hub's API and file downloads. It follows redirects
// itself so that the Authorization header only ever goes to the origin it was given for (as
// huggingface_hub does: the hub redirects file downloads to a CDN on another host).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>

namespace exaone::hub {

using Headers = std::map<std::string, std::string>;  // lowercase name -> trimmed value

struct HttpRequest {
  std::string url;
  bool head = false;
  uint64_t range_from = 0;  // > 0: ask for bytes range_from.. with a Range header
  // Cross-origin redirects are followed (downloads); otherwise only those that stay on the same
  // origin, and a cross-origin redirect response itself is returned (metadata requests read the
  // hub's headers from it).
  bool follow_cross_origin = true;
  // Non-empty: the request is a POST of this body, with this content type.
  std::string post_body;
  std::string content_type = "application/json";
  // Called once the final response's headers are in, for 200 and 206 only; returning false
  // aborts the transfer. Then `on_body` receives the body instead of HttpResponse::body.
  std::function<bool(long status, const Headers& headers)> on_headers;
  std::function<bool(const char* data, size_t n)> on_body;
};

struct HttpResponse {
  long status = 0;         // of the last response
  Headers headers;         // of the last response
  Headers origin_headers;  // of the first response: the hub's own (X-Repo-Commit, X-Linked-Etag)
  std::string body;        // when the request had no on_body (bounded in size)
  std::string error;       // non-empty when no complete response arrived
  bool retryable = false;  // the error was a dropped or stalled connection worth retrying
};

class HttpClient {
 public:
  // `token` is sent as a bearer token to the origin of each request's URL.
  HttpClient(std::string token, long timeout_s);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Never throws for network or HTTP failures: those are in the response for the caller to map.
  HttpResponse Fetch(const HttpRequest& req);

 private:
  struct Hop;
  HttpResponse PerformHop(const HttpRequest& req, const std::string& url, bool send_auth);

  std::string token_;
  long timeout_s_;
  void* curl_;  // CURL*
};

// Percent-encodes `s` for a URL path; '/' is kept when `keep_slash` (file paths in a repo).
std::string UrlEncode(const std::string& s, bool keep_slash);

}  // namespace exaone::hub
