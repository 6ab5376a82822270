#include "engine/eval/output_metrics.h"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace resq {

OutputComparison compare_outputs(std::span<const float> p, std::span<const float> reference,
                                 float threshold) {
  if (p.size() != reference.size())
    throw std::invalid_argument("output has " + std::to_string(p.size()) +
                                " values, the reference " + std::to_string(reference.size()));
  OutputComparison c;
  if (p.empty()) return c;
  int64_t both = 0, either = 0;
  double abs_sum = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    const bool a = p[i] > threshold, b = reference[i] > threshold;
    both += a && b;
    either += a || b;
    const double d = static_cast<double>(p[i]) - reference[i];
    abs_sum += std::fabs(d);
    c.error += d * d;
    c.signal += static_cast<double>(reference[i]) * reference[i];
  }
  c.iou = either == 0 ? 1.0 : static_cast<double>(both) / static_cast<double>(either);
  c.mean_abs = abs_sum / static_cast<double>(p.size());
  return c;
}

double sqnr_db(double signal, double error) {
  if (error == 0) return std::numeric_limits<double>::infinity();
  return 10 * std::log10(signal / error);
}

}  // namespace resq
