// Wall-clock laps for profiling the passes of one piece of work (FrameCost::Phases): lap()
// returns the ms since the previous lap (or start()), and 0 without a clock call when off.
#pragma once

#include <chrono>

namespace resq {

class PhaseClock {
 public:
  void set_on(bool on) { on_ = on; }
  void start() { lap(); }
  double lap() {
    if (!on_) return 0;
    const auto now = std::chrono::steady_clock::now();
    const double ms = std::chrono::duration<double, std::milli>(now - mark_).count();
    mark_ = now;
    return ms;
  }

 private:
  bool on_ = false;
  std::chrono::steady_clock::time_point mark_;
};

}  // namespace resq
