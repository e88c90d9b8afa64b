// Download progress on stderr: a bar with bytes, rate and ETA that redraws in place when stderr
// is a terminal, one plain line per file otherwise (logs, CI), nothing when quiet.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace exaone::hub {

class Progress {
 public:
  Progress(std::string name, uint64_t total, bool quiet);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // `done` counts bytes of the whole file, including those a resumed download already had.
  void Start(uint64_t done);
  void Update(uint64_t done);
  void Finish();
  // A note about this download (a retry); ends an open bar's line first.
  void Say(const std::string& message);

 private:
  void Draw(bool final);

  std::string name_;
  uint64_t total_;
  bool quiet_;
  bool tty_;
  bool open_ = false;  // a bar is on screen without its newline
  uint64_t start_bytes_ = 0;
  uint64_t done_ = 0;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

// "1.5 MiB", "300.0 KiB", "12 B".
std::string FormatBytes(uint64_t bytes);

// A note for the user on stderr ("using Q4_K_M"), unless quiet.
void Note(bool quiet, const std::string& message);

}  // namespace exaone::hub
