#include "engine/cli/latency_stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace resq::cli {

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

nlohmann::json latency_json(const std::vector<double>& ms) {
  const double sum = std::accumulate(ms.begin(), ms.end(), 0.0);
  return {{"median", percentile(ms, 50)}, {"p95", percentile(ms, 95)},
          {"mean", ms.empty() ? 0.0 : sum / static_cast<double>(ms.size())}};
}

}  // namespace resq::cli
