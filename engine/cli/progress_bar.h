// A one-line progress bar with an ETA on stderr for long CLI work; silent when stderr is not a terminal
// (logs stay clean), and when disabled.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace resq::cli {

class ProgressBar {
 public:
  // total <= 0 means unknown (shows a count only).
  ProgressBar(std::string label, int64_t total, bool enabled);
  ~ProgressBar();
  void update(int64_t done, const std::string& note = "");
  void finish();

 private:
  std::string label_;
  int64_t total_;
  bool enabled_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace resq::cli
