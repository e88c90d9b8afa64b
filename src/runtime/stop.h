// Stop strings over streamed text. Text that could still be the start of a stop string is held
// back, so a stop string split over several tokens is never shown, not even in part.
#pragma once

#include <string>
#include <vector>

namespace exaone::runtime {

class StopMatcher {
 public:
  explicit StopMatcher(std::vector<std::string> stops);

  // Adds decoded text; returns the text that is now safe to show. After a stop string is seen,
  // stopped() is true and the returned text ends right before it.
  std::string Push(const std::string& text);
  // The held-back text at the end of generation (no stop string completed).
  std::string Flush();
  bool stopped() const { return stopped_; }
  const std::string& matched() const { return matched_; }

 private:
  std::vector<std::string> stops_;
  std::string pending_;
  bool stopped_ = false;
  std::string matched_;
};

}  // namespace exaone::runtime
