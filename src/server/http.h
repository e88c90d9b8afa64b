// A small HTTP/1.1 server for the OpenAI-compatible API: one thread per connection (bounded),
// persistent connections, Content-Length request bodies, complete or chunked (server-sent
// events) responses. Every limit is enforced as the bytes arrive: the request head must arrive
// whole within a deadline (a client sending one byte at a time cannot hold a connection), the
// head and the body have size limits, and the number of connections is capped.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace exaone::server {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method;     // "GET", "POST", ...
  std::string target;     // as sent: path and query
  std::string path;       // target before '?'
  std::string query;      // after '?', or empty
  int version_minor = 1;  // HTTP/1.x
  Headers headers;        // names lower-cased, values with surrounding blanks trimmed
  std::string body;
  std::string remote;  // peer address, "ip:port"
  uint64_t id = 0;     // request id (also sent as X-Request-Id)

  // The value of header `name` (lower case), or nullptr.
  const std::string* Header(std::string_view name) const;
};

// The outcome of parsing the bytes received so far as a request head.
struct HeadParse {
  enum class State { kIncomplete, kComplete, kError };
  State state = State::kIncomplete;
  size_t head_bytes = 0;         // kComplete: bytes up to and including the blank line
  uint64_t content_length = 0;   // kComplete: the body's length (0 without the header)
  bool keep_alive = true;        // kComplete: whether the connection may serve another request
  bool expect_continue = false;  // kComplete: the client waits for "100 Continue"
  int status = 0;                // kError: the HTTP status to answer with
  std::string message;           // kError: what is wrong
};

// Parses a request head from `data` (the bytes received so far) into `req` (method, target,
// path, query, version, headers). Rejects (kError with the status to send) a head larger than
// `max_head_bytes`, a malformed request line or header, an unsupported HTTP version, a
// Transfer-Encoding (request bodies must have a Content-Length), an invalid or repeated
// Content-Length, and a Content-Length above `max_body_bytes` (413). Never reads past `data`.
HeadParse ParseRequestHead(std::string_view data, size_t max_head_bytes, uint64_t max_body_bytes,
                           HttpRequest& req);

struct HttpLimits {
  size_t max_head_bytes = 16 * 1024;
  uint64_t max_body_bytes = 8ull << 20;
  double head_timeout_s = 10;   // the whole head, from its first byte (or from idle)
  double body_timeout_s = 60;   // the whole body
  double idle_timeout_s = 30;   // between requests on a persistent connection
  double write_timeout_s = 60;  // one send that makes no progress
  int max_connections = 256;
};

// The reason phrase of a status code ("Not Found").
const char* StatusText(int status);

// Writes one response on a connection: either Send() once, or StartStream() then any number of
// WriteChunk() and EndStream(). Methods return false once the client is gone (the write failed
// or timed out); the work behind the response should then stop.
class HttpResponder {
 public:
  HttpResponder(int fd, const HttpRequest& req, double write_timeout_s, bool keep_alive);

  bool Send(int status, std::string_view content_type, std::string_view body,
            const Headers& extra = {});
  bool StartStream(int status, std::string_view content_type, const Headers& extra = {});
  bool WriteChunk(std::string_view data);
  bool EndStream();

  // Whether the client has closed its side of the connection (checked without blocking), for
  // work that runs before any byte of the response is written.
  bool ClientGone();

  bool sent() const { return started_; }
  int status() const { return status_; }
  uint64_t bytes_sent() const { return bytes_sent_; }
  bool keep_alive() const { return keep_alive_ && !failed_; }

 private:
  bool WriteAll(std::string_view data);
  std::string Head(int status, std::string_view content_type, const Headers& extra,
                   std::optional<size_t> length);
  int fd_;
  const HttpRequest& req_;
  double write_timeout_s_;
  bool keep_alive_;
  bool started_ = false;
  bool streaming_ = false;
  bool failed_ = false;
  int status_ = 0;
  uint64_t bytes_sent_ = 0;
};

struct AccessLogEntry {
  uint64_t id = 0;
  std::string remote, method, target;
  int status = 0;
  uint64_t bytes = 0;
  double seconds = 0;
};

using HttpHandler = std::function<void(const HttpRequest&, HttpResponder&)>;

class HttpServer {
 public:
  HttpServer(HttpLimits limits, HttpHandler handler,
             std::function<void(const AccessLogEntry&)> access_log = nullptr);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens on host:port (port 0: any free port). Throws Error(kIo) naming the
  // address and the reason.
  void Listen(const std::string& host, int port);
  int port() const { return port_; }

  // Accepts connections until Stop(); then waits for the open connections to finish.
  void Serve();
  // Stops accepting (safe from any thread, and from a signal-handling thread). Connections that
  // are idle are closed; requests in progress finish.
  void Stop();

 private:
  void Connection(int fd, std::string remote);
  bool ReadRequest(int fd, std::string& buffer, HttpRequest& req, bool first, bool& keep_alive);

  HttpLimits limits_;
  HttpHandler handler_;
  std::function<void(const AccessLogEntry&)> access_log_;
  int listen_fd_ = -1;
  int wake_pipe_[2] = {-1, -1};
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::atomic<uint64_t> next_id_{1};
  std::mutex mu_;
  std::condition_variable all_closed_;
};

}  // namespace exaone::server
