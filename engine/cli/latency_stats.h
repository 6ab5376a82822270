// Latency summaries shared by the commands that time frames (run, bench).
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

namespace resq::cli {

// Nearest-rank percentile of an unsorted sample (p in [0,100]); 0 for an empty one.
double percentile(std::vector<double> v, double p);
// {"median", "p95", "mean"} of a sample of milliseconds.
nlohmann::json latency_json(const std::vector<double>& ms);

}  // namespace resq::cli
