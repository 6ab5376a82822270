#include "server/process_metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

namespace resq::server {
namespace {

prometheus::MetricFamily family(const std::string& name, const std::string& help,
                                prometheus::MetricType type, double value) {
  prometheus::ClientMetric metric;
  if (type == prometheus::MetricType::Counter)
    metric.counter.value = value;
  else
    metric.gauge.value = value;
  return {name, help, type, {metric}};
}

// The fields of /proc/self/stat after the command name (which may hold spaces), from field 3
// (state) on: stat[i] is field i + 3 of proc(5).
std::vector<std::string> self_stat() {
  std::ifstream in("/proc/self/stat");
  const std::string line((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t end_of_name = line.rfind(')');
  if (end_of_name == std::string::npos) return {};
  std::istringstream fields(line.substr(end_of_name + 1));
  return {std::istream_iterator<std::string>(fields), std::istream_iterator<std::string>()};
}

// Seconds since the epoch at boot (btime of /proc/stat).
double boot_time() {
  std::ifstream in("/proc/stat");
  std::string key;
  double value = 0;
  while (in >> key) {
    if (key == "btime" && in >> value) return value;
    in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return 0;
}

}  // namespace

std::vector<prometheus::MetricFamily> ProcessMetrics::Collect() const {
  using prometheus::MetricType;
  std::vector<prometheus::MetricFamily> families;
  const std::vector<std::string> stat = self_stat();
  static const double kBootTime = boot_time();  // fixed since boot: read once
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  // Fields 14 utime, 15 stime, 22 starttime (clock ticks), 23 vsize (bytes), 24 rss (pages).
  if (stat.size() > 21 && ticks > 0) {
    const double cpu = (std::stod(stat[11]) + std::stod(stat[12])) / ticks;
    const double rss = std::stod(stat[21]) * static_cast<double>(sysconf(_SC_PAGESIZE));
    families.push_back(family("process_cpu_seconds_total",
                              "Total user and system CPU time spent in seconds.",
                              MetricType::Counter, cpu));
    families.push_back(family("process_start_time_seconds",
                              "Start time of the process since unix epoch in seconds.",
                              MetricType::Gauge, kBootTime + std::stod(stat[19]) / ticks));
    families.push_back(family("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                              MetricType::Gauge, std::stod(stat[20])));
    families.push_back(family("process_resident_memory_bytes", "Resident memory size in bytes.",
                              MetricType::Gauge, rss));
  }
  std::error_code error;
  const auto fds = std::distance(std::filesystem::directory_iterator("/proc/self/fd", error),
                                 std::filesystem::directory_iterator());
  if (!error)
    families.push_back(family("process_open_fds", "Number of open file descriptors.",
                              MetricType::Gauge, static_cast<double>(fds)));
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0)
    families.push_back(family("process_max_fds", "Maximum number of open file descriptors.",
                              MetricType::Gauge, static_cast<double>(limit.rlim_cur)));
  return families;
}

}  // namespace resq::server
