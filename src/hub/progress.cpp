#include "hub/progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace exaone::hub {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kRedrawInterval = std::chrono::milliseconds(100);

int TerminalWidth() {
  winsize ws{};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40) return ws.ws_col;
  return 80;
}

std::string FormatDuration(double seconds) {
  const auto s = static_cast<long long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%lld:%02lld", s / 60, s % 60);
  }
  return buf;
}

}  // namespace

std::string FormatBytes(uint64_t bytes) {
  char buf[32];
  if (bytes >= (1ull << 30)) {
    std::snprintf(buf, sizeof buf, "%.2f GiB", bytes / double(1ull << 30));
  } else if (bytes >= (1ull << 20)) {
    std::snprintf(buf, sizeof buf, "%.1f MiB", bytes / double(1ull << 20));
  } else if (bytes >= 1024) {
    std::snprintf(buf, sizeof buf, "%.1f KiB", bytes / 1024.0);
  } else {
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  }
  return buf;
}

void Note(bool quiet, const std::string& message) {
  if (!quiet) std::fprintf(stderr, "%s\n", message.c_str());
}

Progress::Progress(std::string name, uint64_t total, bool quiet)
    : name_(std::move(name)), total_(total), quiet_(quiet), tty_(::isatty(STDERR_FILENO) == 1) {}

Progress::~Progress() {
  // A bar interrupted by an error still gets its newline, so the error starts a fresh line.
  if (open_) std::fputc('\n', stderr);
}

void Progress::Start(uint64_t done) {
  start_bytes_ = done_ = done;
  start_ = last_draw_ = Clock::now();
  if (quiet_) return;
  if (!tty_) {
    if (done > 0) {
      std::fprintf(stderr, "resuming %s at %s of %s\n", name_.c_str(), FormatBytes(done).c_str(),
                   FormatBytes(total_).c_str());
    } else {
      std::fprintf(stderr, "downloading %s (%s)\n", name_.c_str(), FormatBytes(total_).c_str());
    }
    return;
  }
  Draw(false);
}

void Progress::Update(uint64_t done) {
  done_ = done;
  if (quiet_ || !tty_) return;
  const auto now = Clock::now();
  if (now - last_draw_ < kRedrawInterval) return;
  last_draw_ = now;
  Draw(false);
}

void Progress::Finish() {
  if (quiet_ || !tty_) return;
  Draw(true);
}

void Progress::Say(const std::string& message) {
  if (quiet_) return;
  if (open_) std::fputc('\n', stderr);
  open_ = false;
  std::fprintf(stderr, "%s\n", message.c_str());
}

void Progress::Draw(bool final) {
  const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
  const double rate = elapsed > 0 ? (done_ - start_bytes_) / elapsed : 0;
  const double frac = total_ > 0 ? std::min(1.0, double(done_) / double(total_)) : 1.0;
  char stats[128];
  std::string eta =
      final ? FormatDuration(elapsed)
            : (rate > 0 && total_ > done_ ? "ETA " + FormatDuration((total_ - done_) / rate)
                                          : "ETA --:--");
  std::snprintf(stats, sizeof stats, " %3d%% %s/%s %s/s %s", static_cast<int>(frac * 100),
                FormatBytes(done_).c_str(), FormatBytes(total_).c_str(),
                FormatBytes(static_cast<uint64_t>(rate)).c_str(), eta.c_str());
  // The statistics take up to kStatsWidth columns; the name gets what is left after a bar of at
  // least kMinBar, and the bar the rest, so one redraw never wraps onto a second line.
  constexpr int kStatsWidth = 48, kMinBar = 10;
  const int width = TerminalWidth() - 1;
  std::string name = name_;
  const int name_room = std::max(12, width - kStatsWidth - kMinBar - 3);
  if (static_cast<int>(name.size()) > name_room) {
    name = "..." + name.substr(name.size() - (name_room - 3));
  }
  const int bar = std::max(kMinBar, width - static_cast<int>(name.size()) - kStatsWidth - 3);
  const int filled = static_cast<int>(frac * bar);
  std::string line = "\r" + name + " [" + std::string(filled, '#') +
                     std::string(bar - filled, ' ') + "]" + stats + "\033[K";
  std::fputs(line.c_str(), stderr);
  if (final) {
    std::fputc('\n', stderr);
    open_ = false;
  } else {
    open_ = true;
  }
  std::fflush(stderr);
}

}  // namespace exaone::hub
