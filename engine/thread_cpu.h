// CPU time of the calling thread: unlike wall-clock, barely moved by other jobs sharing the
// cores (the benchmark machines are shared).
#pragma once

#include <ctime>

namespace resq {

inline double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) * 1e-6;
}

}  // namespace resq
