#include "server/http.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "base/error.h"
#include "server/openai.h"

namespace exaone::server {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kMaxHeaders = 100;

bool IsTokenChar(char c) {
  if (c >= 'a' && c <= 'z') return true;
  if (c >= 'A' && c <= 'Z') return true;
  if (c >= '0' && c <= '9') return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != '\0';
}

char Lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool EqualsLower(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != lower[i]) return false;
  }
  return true;
}

// Whether the comma-separated header value contains `token` (case-insensitive).
bool HasToken(std::string_view value, std::string_view token) {
  size_t start = 0;
  while (start <= value.size()) {
    size_t end = value.find(',', start);
    if (end == std::string_view::npos) end = value.size();
    std::string_view item = value.substr(start, end - start);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (EqualsLower(item, token)) return true;
    start = end + 1;
  }
  return false;
}

HeadParse Fail(int status, std::string message) {
  HeadParse p;
  p.state = HeadParse::State::kError;
  p.status = status;
  p.message = std::move(message);
  return p;
}

double Remaining(Clock::time_point deadline) {
  return std::chrono::duration<double>(deadline - Clock::now()).count();
}

// Errors the HTTP layer answers itself, as OpenAI error objects like every other answer.
std::string ErrorJson(int status, const std::string& message) {
  return ErrorBody(
      ApiError(status, message, "", status >= 500 ? "server_error" : "invalid_request_error"));
}

std::string PeerName(const sockaddr_storage& addr) {
  char host[INET6_ADDRSTRLEN] = "?";
  int port = 0;
  if (addr.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
    inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
    port = ntohs(a->sin_port);
    return std::string(host) + ":" + std::to_string(port);
  }
  if (addr.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
    inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
    port = ntohs(a->sin6_port);
    return "[" + std::string(host) + "]:" + std::to_string(port);
  }
  return "?";
}

}  // namespace

const std::string* HttpRequest::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return &v;
  }
  return nullptr;
}

const char* StatusText(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 411:
      return "Length Required";
    case 413:
      return "Payload Too Large";
    case 417:
      return "Expectation Failed";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

HeadParse ParseRequestHead(std::string_view data, size_t max_head_bytes, uint64_t max_body_bytes,
                           HttpRequest& req) {
  const size_t end = data.substr(0, max_head_bytes).find("\r\n\r\n");
  if (end == std::string_view::npos) {
    if (data.size() >= max_head_bytes) {
      return Fail(431,
                  "the request head is larger than " + std::to_string(max_head_bytes) + " bytes");
    }
    return {};
  }
  const std::string_view head = data.substr(0, end + 2);  // lines, each ending in CRLF
  req.headers.clear();
  size_t pos = 0;
  auto next_line = [&](std::string_view& line) {
    const size_t eol = head.find("\r\n", pos);
    line = head.substr(pos, eol - pos);
    pos = eol + 2;
  };
  std::string_view line;
  next_line(line);
  // Request line: METHOD SP request-target SP HTTP-version
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp1 == std::string_view::npos || sp2 == std::string_view::npos || sp1 == 0 ||
      sp2 == sp1 + 1 || line.find(' ', sp2 + 1) != std::string_view::npos) {
    return Fail(400, "malformed request line");
  }
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  for (char c : method) {
    if (!IsTokenChar(c)) return Fail(400, "malformed request method");
  }
  if (target.front() != '/') return Fail(400, "the request target must be a path");
  for (char c : target) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return Fail(400, "invalid character in the request target");
  }
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/") {
    return Fail(400, "malformed HTTP version");
  }
  if (version[5] != '1' || version[6] != '.' || (version[7] != '0' && version[7] != '1')) {
    return Fail(505, "only HTTP/1.0 and HTTP/1.1 are supported");
  }
  req.method = std::string(method);
  req.target = std::string(target);
  const size_t q = target.find('?');
  req.path = std::string(target.substr(0, q));
  req.query = q == std::string_view::npos ? "" : std::string(target.substr(q + 1));
  req.version_minor = version[7] - '0';

  HeadParse p;
  bool have_length = false;
  bool close = req.version_minor == 0;
  while (pos < head.size()) {
    next_line(line);
    if (req.headers.size() >= kMaxHeaders) {
      return Fail(431, "more than " + std::to_string(kMaxHeaders) + " header fields");
    }
    if (line.empty() || line.front() == ' ' || line.front() == '\t') {
      return Fail(400, "malformed header line (folded or empty)");
    }
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return Fail(400, "malformed header line");
    std::string name;
    for (char c : line.substr(0, colon)) {
      if (!IsTokenChar(c)) return Fail(400, "invalid character in a header name");
      name += Lower(c);
    }
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    for (char c : value) {
      const auto u = static_cast<unsigned char>(c);
      if ((u < 0x20 && c != '\t') || u == 0x7f) {
        return Fail(400, "invalid character in header '" + name + "'");
      }
    }
    if (name == "content-length") {
      if (value.empty() || value.size() > 19) return Fail(400, "invalid Content-Length");
      uint64_t n = 0;
      for (char c : value) {
        if (c < '0' || c > '9') return Fail(400, "invalid Content-Length");
        n = n * 10 + static_cast<uint64_t>(c - '0');
      }
      if (have_length && n != p.content_length) return Fail(400, "conflicting Content-Length");
      have_length = true;
      p.content_length = n;
    } else if (name == "transfer-encoding") {
      return Fail(411, "request bodies must have a Content-Length (no Transfer-Encoding)");
    } else if (name == "connection") {
      if (HasToken(value, "close")) close = true;
      if (req.version_minor == 0 && HasToken(value, "keep-alive")) close = false;
    } else if (name == "expect") {
      if (!EqualsLower(value, "100-continue")) return Fail(417, "unsupported Expect");
      p.expect_continue = true;
    }
    req.headers.emplace_back(std::move(name), std::string(value));
  }
  if (p.content_length > max_body_bytes) {
    return Fail(413,
                "the request body is larger than " + std::to_string(max_body_bytes) + " bytes");
  }
  p.state = HeadParse::State::kComplete;
  p.head_bytes = end + 4;
  p.keep_alive = !close;
  return p;
}

// ---------------------------------------------------------------------------------------------

HttpResponder::HttpResponder(int fd, const HttpRequest& req, double write_timeout_s,
                             bool keep_alive)
    : fd_(fd), req_(req), write_timeout_s_(write_timeout_s), keep_alive_(keep_alive) {}

bool HttpResponder::WriteAll(std::string_view data) {
  if (failed_) return false;
  while (!data.empty()) {
    pollfd p{fd_, POLLOUT, 0};
    const int r = ::poll(&p, 1, static_cast<int>(write_timeout_s_ * 1000));
    if (r <= 0 || (p.revents & (POLLERR | POLLHUP)) != 0) {
      if (r < 0 && errno == EINTR) continue;
      failed_ = true;
      return false;
    }
    const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      failed_ = true;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
    bytes_sent_ += static_cast<uint64_t>(n);
  }
  return true;
}

std::string HttpResponder::Head(int status, std::string_view content_type, const Headers& extra,
                                std::optional<size_t> length) {
  std::string h = "HTTP/1.1 " + std::to_string(status) + " " + StatusText(status) + "\r\n";
  if (!content_type.empty()) h += "Content-Type: " + std::string(content_type) + "\r\n";
  if (length) {
    h += "Content-Length: " + std::to_string(*length) + "\r\n";
  } else {
    h += "Transfer-Encoding: chunked\r\n";
  }
  h += keep_alive_ ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
  h += "X-Request-Id: " + std::to_string(req_.id) + "\r\n";
  h += "X-Content-Type-Options: nosniff\r\n";
  for (const auto& [k, v] : extra) h += k + ": " + v + "\r\n";
  h += "\r\n";
  return h;
}

bool HttpResponder::Send(int status, std::string_view content_type, std::string_view body,
                         const Headers& extra) {
  EXA_CHECK(!started_);
  started_ = true;
  status_ = status;
  std::string out = Head(status, content_type, extra, body.size());
  if (req_.method != "HEAD") out += body;
  return WriteAll(out);
}

bool HttpResponder::StartStream(int status, std::string_view content_type, const Headers& extra) {
  EXA_CHECK(!started_);
  started_ = true;
  streaming_ = true;
  status_ = status;
  return WriteAll(Head(status, content_type, extra, std::nullopt));
}

bool HttpResponder::WriteChunk(std::string_view data) {
  EXA_CHECK(streaming_);
  if (data.empty()) return !failed_;
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  std::string out = size;
  out += data;
  out += "\r\n";
  return WriteAll(out);
}

bool HttpResponder::EndStream() {
  EXA_CHECK(streaming_);
  streaming_ = false;
  return WriteAll("0\r\n\r\n");
}

bool HttpResponder::ClientGone() {
  if (failed_) return true;
  pollfd p{fd_, POLLIN | POLLRDHUP, 0};
  if (::poll(&p, 1, 0) <= 0) return false;
  if ((p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0) return true;
  if ((p.revents & POLLIN) != 0) {
    char c;
    const ssize_t n = ::recv(fd_, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------

HttpServer::HttpServer(HttpLimits limits, HttpHandler handler,
                       std::function<void(const AccessLogEntry&)> access_log)
    : limits_(limits), handler_(std::move(handler)), access_log_(std::move(access_log)) {
  if (::pipe2(wake_pipe_, O_CLOEXEC | O_NONBLOCK) != 0) {
    throw Error(ErrorCode::kIo, std::string("cannot create a pipe: ") + std::strerror(errno));
  }
}

HttpServer::~HttpServer() {
  Stop();
  {
    std::unique_lock<std::mutex> lock(mu_);
    all_closed_.wait(lock, [&] { return connections_.load() == 0; });
  }
  if (listen_fd_ >= 0) ::close(listen_fd_);
  ::close(wake_pipe_[0]);
  ::close(wake_pipe_[1]);
}

void HttpServer::Listen(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  const std::string where = host + ":" + std::to_string(port);
  if (const int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res);
      rc != 0) {
    throw Error(ErrorCode::kIo, "cannot resolve " + where + ": " + ::gai_strerror(rc));
  }
  int err = 0;
  for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      err = errno;
      continue;
    }
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, a->ai_addr, a->ai_addrlen) == 0 && ::listen(fd, 512) == 0) {
      listen_fd_ = fd;
      break;
    }
    err = errno;
    ::close(fd);
  }
  ::freeaddrinfo(res);
  if (listen_fd_ < 0) {
    throw Error(ErrorCode::kIo, "cannot listen on " + where + ": " + std::strerror(err));
  }
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = addr.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port)
                                     : ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
}

void HttpServer::Stop() {
  if (stopping_.exchange(true)) return;
  const char c = 1;
  [[maybe_unused]] const ssize_t n = ::write(wake_pipe_[1], &c, 1);
}

void HttpServer::Serve() {
  EXA_CHECK_MSG(listen_fd_ >= 0, "HttpServer::Serve before Listen");
  while (!stopping_.load()) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (stopping_.load()) break;
    if ((fds[0].revents & POLLIN) == 0) continue;
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    const int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      continue;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connections_.load() >= limits_.max_connections) {
      const std::string body = ErrorJson(503, "too many connections; retry later");
      const std::string out =
          "HTTP/1.1 503 Service Unavailable\r\nContent-Type: "
          "application/json\r\nRetry-After: 1\r\nConnection: close\r\n"
          "Content-Length: " +
          std::to_string(body.size()) + "\r\n\r\n" + body;
      [[maybe_unused]] const ssize_t n =
          ::send(fd, out.data(), out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      ::close(fd);
      continue;
    }
    connections_.fetch_add(1);
    std::thread([this, fd, remote = PeerName(addr)] { Connection(fd, remote); }).detach();
  }
  ::close(listen_fd_);
  listen_fd_ = -1;
  std::unique_lock<std::mutex> lock(mu_);
  all_closed_.wait(lock, [&] { return connections_.load() == 0; });
}

bool HttpServer::ReadRequest(int fd, std::string& buffer, HttpRequest& req, bool first,
                             bool& keep_alive) {
  // Wait for the first byte of the head (unless already buffered), then for the whole head.
  Clock::time_point deadline =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                         first ? limits_.head_timeout_s : limits_.idle_timeout_s));
  bool head_started = !buffer.empty();
  if (head_started) {
    deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(limits_.head_timeout_s));
  }
  auto send_error = [&](int status, const std::string& message) {
    req.id = next_id_.fetch_add(1);
    HttpResponder r(fd, req, limits_.write_timeout_s, false);
    r.Send(status, "application/json", ErrorJson(status, message));
    // Lingering close: the client may still be sending (a body too large, say); reading what
    // it sends for a moment lets it see the answer instead of a reset connection.
    ::shutdown(fd, SHUT_WR);
    const auto linger_until = Clock::now() + std::chrono::seconds(2);
    size_t drained = 0;
    char sink[16384];
    while (drained < (size_t{64} << 20) && Remaining(linger_until) > 0) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(Remaining(linger_until) * 1000) + 1) <= 0) break;
      const ssize_t n = ::recv(fd, sink, sizeof sink, MSG_DONTWAIT);
      if (n <= 0) break;
      drained += static_cast<size_t>(n);
    }
    if (access_log_) {
      access_log_({req.id, req.remote, req.method.empty() ? "-" : req.method,
                   req.target.empty() ? "-" : req.target, status, r.bytes_sent(), 0});
    }
  };
  // Reads more bytes into buffer before `deadline`; false on timeout, close, error or stop.
  auto fill = [&](bool& timed_out) {
    timed_out = false;
    while (true) {
      const double left = Remaining(deadline);
      if (left <= 0) {
        timed_out = true;
        return false;
      }
      pollfd fds[2] = {{fd, POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
      const int r = ::poll(fds, 2, static_cast<int>(left * 1000) + 1);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0 || (fds[1].revents & POLLIN) != 0) return false;
      if (r == 0) continue;
      char chunk[16384];
      const ssize_t n = ::recv(fd, chunk, sizeof chunk, MSG_DONTWAIT);
      if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
      if (n <= 0) return false;
      buffer.append(chunk, static_cast<size_t>(n));
      return true;
    }
  };
  HeadParse head;
  while (true) {
    if (!buffer.empty()) {
      head = ParseRequestHead(buffer, limits_.max_head_bytes, limits_.max_body_bytes, req);
      if (head.state == HeadParse::State::kError) {
        send_error(head.status, head.message);
        return false;
      }
      if (head.state == HeadParse::State::kComplete) break;
    }
    bool timed_out = false;
    if (!fill(timed_out)) {
      if (timed_out && head_started) send_error(408, "the request head did not arrive in time");
      return false;
    }
    if (!head_started) {
      head_started = true;
      deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(limits_.head_timeout_s));
    }
  }
  buffer.erase(0, head.head_bytes);
  keep_alive = head.keep_alive;
  if (head.expect_continue && buffer.size() < head.content_length) {
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    if (::send(fd, kContinue.data(), kContinue.size(), MSG_NOSIGNAL) < 0) return false;
  }
  deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                std::chrono::duration<double>(limits_.body_timeout_s));
  while (buffer.size() < head.content_length) {
    bool timed_out = false;
    if (!fill(timed_out)) {
      if (timed_out) send_error(408, "the request body did not arrive in time");
      return false;
    }
  }
  req.body.assign(buffer, 0, head.content_length);
  buffer.erase(0, head.content_length);
  return true;
}

void HttpServer::Connection(int fd, std::string remote) {
  std::string buffer;
  bool first = true;
  while (!stopping_.load()) {
    HttpRequest req;
    req.remote = remote;
    bool keep_alive = false;
    if (!ReadRequest(fd, buffer, req, first, keep_alive)) break;
    first = false;
    req.id = next_id_.fetch_add(1);
    const auto start = Clock::now();
    keep_alive = keep_alive && !stopping_.load();
    HttpResponder responder(fd, req, limits_.write_timeout_s, keep_alive);
    try {
      handler_(req, responder);
    } catch (const std::exception&) {
      if (!responder.sent()) {
        responder.Send(500, "application/json", ErrorJson(500, "internal error"));
      }
    }
    if (!responder.sent()) {
      responder.Send(500, "application/json", ErrorJson(500, "internal error: no response"));
    }
    if (access_log_) {
      access_log_({req.id, req.remote, req.method, req.target, responder.status(),
                   responder.bytes_sent(),
                   std::chrono::duration<double>(Clock::now() - start).count()});
    }
    if (!responder.keep_alive()) break;
  }
  ::shutdown(fd, SHUT_RDWR);
  ::close(fd);
  {
    std::lock_guard<std::mutex> lock(mu_);
    connections_.fetch_sub(1);
  }
  all_closed_.notify_all();
}

}  // namespace exaone::server
