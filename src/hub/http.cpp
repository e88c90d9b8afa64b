#include "hub/http.h"

#include <algorithm>
#include <cctype>

#include "base/error.h"
#include "hub/curl_api.h"

namespace exaone::hub {
namespace {

constexpr int kMaxRedirects = 10;
// API answers are JSON listings; anything larger is not a listing.
constexpr size_t kMaxBufferedBody = 64u << 20;
constexpr const char* kUserAgent = "exaone.cpp/0.1";

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string Trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

// "scheme://host:port" with the default port filled in; empty when `url` does not parse.
std::string Origin(const std::string& url) {
  const CurlApi& api = Curl();
  CURLU* u = api.url();
  std::string origin;
  if (api.url_set(u, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK) {
    char *scheme = nullptr, *host = nullptr, *port = nullptr;
    if (api.url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        api.url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
        api.url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
      origin = Lower(scheme) + "://" + Lower(host) + ":" + port;
    }
    api.free(scheme);
    api.free(host);
    api.free(port);
  }
  api.url_cleanup(u);
  return origin;
}

bool IsRedirect(long status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// A dropped, reset or stalled connection is worth another try (with a Range request when part
// of the file arrived); a refused connection or an unknown host is not.
bool IsRetryable(CURLcode code) {
  switch (code) {
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
}

}  // namespace

// State of one request/response exchange, shared with libcurl's callbacks.
struct HttpClient::Hop {
  const HttpRequest* req = nullptr;
  long status = 0;
  Headers headers;
  std::string body;
  bool body_too_large = false;
  bool aborted_by_caller = false;

  bool Streaming() const { return req->on_body && (status == 200 || status == 206); }

  static size_t OnHeader(char* data, size_t size, size_t n, void* user) {
    auto* hop = static_cast<Hop*>(user);
    const std::string line(data, size * n);
    if (line.rfind("HTTP/", 0) == 0) {
      // A new status line starts a new header block (e.g. after "100 Continue").
      hop->headers.clear();
      const size_t sp = line.find(' ');
      hop->status = sp == std::string::npos ? 0 : std::strtol(line.c_str() + sp + 1, nullptr, 10);
    } else if (line == "\r\n" || line == "\n") {
      if (hop->req->on_headers && (hop->status == 200 || hop->status == 206)) {
        if (!hop->req->on_headers(hop->status, hop->headers)) {
          hop->aborted_by_caller = true;
          return 0;
        }
      }
    } else if (const size_t colon = line.find(':'); colon != std::string::npos) {
      hop->headers[Lower(Trim(line.substr(0, colon)))] = Trim(line.substr(colon + 1));
    }
    return size * n;
  }

  static size_t OnWrite(char* data, size_t size, size_t n, void* user) {
    auto* hop = static_cast<Hop*>(user);
    const size_t bytes = size * n;
    if (hop->Streaming()) {
      if (!hop->req->on_body(data, bytes)) {
        hop->aborted_by_caller = true;
        return 0;
      }
      return bytes;
    }
    if (hop->body.size() + bytes > kMaxBufferedBody) {
      hop->body_too_large = true;
      return 0;
    }
    hop->body.append(data, bytes);
    return bytes;
  }
};

HttpClient::HttpClient(std::string token, long timeout_s)
    : token_(std::move(token)), timeout_s_(timeout_s) {
  curl_ = Curl().easy_init();
  EXA_CHECK_MSG(curl_ != nullptr, "curl_easy_init failed");
}

HttpClient::~HttpClient() {
  Curl().easy_cleanup(static_cast<CURL*>(curl_));
}

HttpResponse HttpClient::PerformHop(const HttpRequest& req, const std::string& url,
                                    bool send_auth) {
  const CurlApi& api = Curl();
  CURL* h = static_cast<CURL*>(curl_);
  // Reset keeps the connection cache, so requests to one host reuse the connection.
  api.easy_reset(h);
  Hop hop;
  hop.req = &req;
  char errbuf[CURL_ERROR_SIZE] = {0};

  curl_slist* headers = nullptr;
  std::string auth, range;
  if (send_auth && !token_.empty()) {
    auth = "Authorization: Bearer " + token_;
    headers = api.slist_append(headers, auth.c_str());
  }
  if (req.range_from > 0) {
    range = "Range: bytes=" + std::to_string(req.range_from) + "-";
    headers = api.slist_append(headers, range.c_str());
  }
  std::string content_type;
  if (!req.post_body.empty()) {
    content_type = "Content-Type: " + req.content_type;
    headers = api.slist_append(headers, content_type.c_str());
  }
  api.easy_setopt(h, CURLOPT_URL, url.c_str());
  api.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  api.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  api.easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  api.easy_setopt(h, CURLOPT_USERAGENT, kUserAgent);
  api.easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  api.easy_setopt(h, CURLOPT_NOBODY, req.head ? 1L : 0L);
  api.easy_setopt(h, CURLOPT_CONNECTTIMEOUT, timeout_s_);
  // A transfer that moves less than one byte per second for timeout_s is stalled.
  api.easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
  api.easy_setopt(h, CURLOPT_LOW_SPEED_TIME, timeout_s_);
  api.easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  api.easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  api.easy_setopt(h, CURLOPT_HEADERFUNCTION, &Hop::OnHeader);
  api.easy_setopt(h, CURLOPT_HEADERDATA, &hop);
  api.easy_setopt(h, CURLOPT_WRITEFUNCTION, &Hop::OnWrite);
  api.easy_setopt(h, CURLOPT_WRITEDATA, &hop);
  if (!req.post_body.empty()) {
    api.easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                    static_cast<curl_off_t>(req.post_body.size()));
    api.easy_setopt(h, CURLOPT_POSTFIELDS, req.post_body.data());
  }
  const CURLcode code = api.easy_perform(h);
  api.slist_free_all(headers);

  HttpResponse r;
  r.status = hop.status;
  r.headers = std::move(hop.headers);
  r.body = std::move(hop.body);
  if (code != CURLE_OK) {
    if (hop.aborted_by_caller) {
      r.error = "transfer aborted";
    } else if (hop.body_too_large) {
      r.error = "response larger than " + std::to_string(kMaxBufferedBody >> 20) + " MiB";
    } else {
      r.error = api.easy_strerror(code);
      if (errbuf[0]) r.error += std::string(" (") + errbuf + ")";
      r.retryable = IsRetryable(code);
    }
  }
  return r;
}

HttpResponse HttpClient::Fetch(const HttpRequest& req) {
  const std::string origin = Origin(req.url);
  if (origin.empty()) {
    return HttpResponse{.error = "not an http(s) URL: " + req.url};
  }
  std::string url = req.url;
  Headers first;
  for (int hops = 0;; ++hops) {
    const bool send_auth = Origin(url) == origin;
    HttpResponse r = PerformHop(req, url, send_auth);
    if (hops == 0) first = r.headers;
    r.origin_headers = first;
    if (!r.error.empty() || !IsRedirect(r.status)) return r;

    const std::string location = r.headers.count("location") ? r.headers.at("location") : "";
    if (location.empty()) return r;
    if (hops + 1 >= kMaxRedirects) {
      r.error = "more than " + std::to_string(kMaxRedirects) + " redirects";
      return r;
    }
    char* next = nullptr;
    Curl().easy_getinfo(static_cast<CURL*>(curl_), CURLINFO_REDIRECT_URL, &next);
    const std::string next_origin = next ? Origin(next) : "";
    if (next_origin.rfind("http://", 0) != 0 && next_origin.rfind("https://", 0) != 0) {
      r.error = "cannot follow the redirect to \"" + location + "\"";
      return r;
    }
    // As huggingface_hub: a redirect that leaves the host is a signed CDN link whose metadata is
    // on this very response; metadata requests stop here.
    if (!req.follow_cross_origin && next_origin != Origin(url)) return r;
    url = next;
  }
}

std::string UrlEncode(const std::string& s, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' ||
        (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace exaone::hub
