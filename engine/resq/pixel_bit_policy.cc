#include "engine/resq/pixel_bit_policy.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace resq {

void PixelBitPolicy::choose(std::span<const float> d, const PixelLayout& px,
                            std::span<const std::optional<UniformQuantizer>> pool, double w_norm,
                            double tau) {
  if (pool.empty()) throw std::invalid_argument("Dynamic-ResQ policy: the pool is empty");
  if (static_cast<int64_t>(d.size()) != px.pixels() * px.channels)
    throw std::invalid_argument("Dynamic-ResQ policy: residual has " + std::to_string(d.size()) +
                                " elements, the layout " + std::to_string(px.pixels() * px.channels));
  const int64_t pixels = px.pixels(), channels = px.channels, inner = px.inner;
  const size_t entries = pool.size();
  const bool zero_first = pool[0] && pool[0]->bits() == 0;
  candidates_.clear();
  if (zero_first) {
    // ||delta(p)||^2 per pixel; > (tau / ||q(w)||)^2 makes a candidate (same test as Eq. 11's).
    first_error_.assign(static_cast<size_t>(pixels), 0.0);
    for (int64_t o = 0; o < px.outer; ++o)
      for (int64_t c = 0; c < channels; ++c) {
        const float* row = d.data() + (o * channels + c) * inner;
        double* e = first_error_.data() + o * inner;
        for (int64_t i = 0; i < inner; ++i) e[i] += static_cast<double>(row[i]) * row[i];
      }
    if (entries > 1)
      for (int64_t p = 0; p < pixels; ++p)
        if (std::sqrt(first_error_[static_cast<size_t>(p)]) * w_norm > tau) candidates_.push_back(p);
  } else {
    for (int64_t p = 0; p < pixels; ++p) candidates_.push_back(p);
  }

  // The candidates' residual, gathered row by row: [channel][j].
  const auto n = static_cast<int64_t>(candidates_.size());
  residual_.resize(static_cast<size_t>(channels * n));
  for (int64_t c = 0; c < channels; ++c) {
    float* dst = residual_.data() + c * n;
    for (int64_t j = 0; j < n; ++j) {
      const int64_t p = candidates_[static_cast<size_t>(j)], o = p / inner;
      dst[j] = d[static_cast<size_t>((o * channels + c) * inner + p - o * inner)];
    }
  }
  // Every entry's squared error at the candidates, summed over channels in order.
  levels_.resize(entries);
  error_.assign(entries * static_cast<size_t>(n), 0.0);
  for (size_t k = 0; k < entries; ++k) {
    double* err = error_.data() + k * static_cast<size_t>(n);
    if (k == 0 && zero_first) {
      for (int64_t j = 0; j < n; ++j) err[j] = first_error_[static_cast<size_t>(candidates_[static_cast<size_t>(j)])];
      continue;
    }
    if (!pool[k]) continue;  // near float: no error
    std::vector<float>& lv = levels_[k];
    lv.resize(residual_.size());
    pool[k]->levels(residual_, lv);
    const auto s = static_cast<float>(pool[k]->scale());
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t j = 0; j < n; ++j) {
        const size_t e = static_cast<size_t>(c * n + j);
        const double r = residual_[e] - s * lv[e];
        err[j] += r * r;
      }
  }
  choice_.assign(static_cast<size_t>(n), 0);
  for (int64_t j = 0; j < n; ++j) {
    size_t k = 0;
    // ">" rather than the paper's ">= tau" to stop: a quantizer that does not reduce the bound
    // at all is never worth its bits, which matters at tau = 0 (a zero residual takes 0 bits).
    while (k + 1 < entries && (std::sqrt(error_[k * static_cast<size_t>(n) + static_cast<size_t>(j)]) -
                               std::sqrt(error_[(k + 1) * static_cast<size_t>(n) + static_cast<size_t>(j)])) *
                                      w_norm > tau)
      ++k;
    choice_[static_cast<size_t>(j)] = static_cast<int>(k);
  }
}

}  // namespace resq
