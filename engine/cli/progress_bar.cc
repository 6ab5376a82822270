#include "engine/cli/progress_bar.h"

#include <unistd.h>

#include <cstdio>
#include <string>

namespace resq::cli {

ProgressBar::ProgressBar(std::string label, int64_t total, bool enabled)
    : label_(std::move(label)), total_(total), enabled_(enabled && isatty(STDERR_FILENO)) {}

ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::update(int64_t done, const std::string& note) {
  if (!enabled_ || finished_) return;
  auto now = std::chrono::steady_clock::now();
  // Redrawing every frame would cost more than it shows.
  if (now - last_draw_ < std::chrono::milliseconds(100) && done != total_) return;
  last_draw_ = now;
  constexpr int kWidth = 30;
  if (total_ > 0) {
    int filled = static_cast<int>(kWidth * done / total_);
    std::string eta = "";
    if (done > 0 && done < total_) {
      const double elapsed = std::chrono::duration<double>(now - start_).count();
      const auto left = static_cast<long long>(elapsed / static_cast<double>(done) *
                                               static_cast<double>(total_ - done));
      eta = " ETA " + std::to_string(left / 60) + ":" + (left % 60 < 10 ? "0" : "") +
            std::to_string(left % 60);
    }
    std::fprintf(stderr, "\r%s [%.*s%*s] %lld/%lld%s %s\x1b[K", label_.c_str(), filled,
                 "##############################", kWidth - filled, "",
                 static_cast<long long>(done), static_cast<long long>(total_), eta.c_str(),
                 note.c_str());
  } else {
    std::fprintf(stderr, "\r%s %lld %s", label_.c_str(), static_cast<long long>(done), note.c_str());
  }
  std::fflush(stderr);
}

void ProgressBar::finish() {
  if (!enabled_ || finished_) return;
  finished_ = true;
  std::fputc('\n', stderr);
}

}  // namespace resq::cli
