#include "engine/resq/pixel_bit_policy.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace resq {
namespace {

// e[i] = the sum over channels, in channel order, of (x - x_k)^2 at pixels [i0, i1) of one image
// ([channels][inner] planes). In double it is exact for float inputs up to the sum's rounding
// (the squares are exact), the same sum as adding one channel at a time. Four channels per pass
// over whole planes: a few streams the prefetcher follows (blocks of pixels across all channels
// read 2 x channels streams at once and made Dynamic-ResQ frames 5-10% slower). The first pass
// writes e rather than reading zeros.
template <class T>
void squared_residual(const float* x, const float* x_k, int64_t channels, int64_t inner,
                      int64_t i0, int64_t i1, T* e) {
  auto square = [](float a, float b) {
    const float r = a - b;
    return static_cast<T>(r) * static_cast<T>(r);
  };
  int64_t c = 0;
  for (; c + 4 <= channels; c += 4) {
    const float *x0 = x + c * inner, *x1 = x0 + inner, *x2 = x1 + inner, *x3 = x2 + inner;
    const float *k0 = x_k + c * inner, *k1 = k0 + inner, *k2 = k1 + inner, *k3 = k2 + inner;
    // e + s0 + s1 + s2 + s3 from the left: the order of adding one channel at a time.
    auto add_four = [&](int64_t i, T to) {
      return to + square(x0[i], k0[i]) + square(x1[i], k1[i]) + square(x2[i], k2[i]) +
             square(x3[i], k3[i]);
    };
    if (c == 0)
      for (int64_t i = i0; i < i1; ++i) e[i] = add_four(i, T{0});
    else
      for (int64_t i = i0; i < i1; ++i) e[i] = add_four(i, e[i]);
  }
  for (; c < channels; ++c) {
    const float* xc = x + c * inner;
    const float* kc = x_k + c * inner;
    if (c == 0)
      for (int64_t i = i0; i < i1; ++i) e[i] = square(xc[i], kc[i]);
    else
      for (int64_t i = i0; i < i1; ++i) e[i] += square(xc[i], kc[i]);
  }
}

}  // namespace

void PixelBitPolicy::choose(std::span<const float> x, std::span<const float> x_k,
                            const PixelLayout& px,
                            std::span<const std::optional<UniformQuantizer>> pool, double w_norm,
                            double tau, const ChangeMask* may_differ) {
  if (pool.empty()) throw std::invalid_argument("Dynamic-ResQ policy: the pool is empty");
  const int64_t pixels = px.pixels(), channels = px.channels, inner = px.inner;
  if (static_cast<int64_t>(x.size()) != pixels * channels || x_k.size() != x.size())
    throw std::invalid_argument("Dynamic-ResQ policy: input has " + std::to_string(x.size()) +
                                " elements, keyframe input " + std::to_string(x_k.size()) +
                                ", the layout " + std::to_string(pixels * channels));
  const size_t entries = pool.size();
  const bool zero_first = pool[0] && pool[0]->bits() == 0;
  times_ = {};
  clock_.start();
  candidates_.clear();
  pixels_read_ = pixels;
  if (zero_first) {
    // ||delta(p)||^2 per pixel; > (tau / ||q(w)||)^2 makes a candidate (same test as Eq. 11's).
    // Only pixels that may differ from the keyframe: elsewhere delta(p) = 0.
    // Joined spans (a span's unset pixels have a zero residual: no candidates) and whole planes
    // once most pixels may differ: long passes cost less per pixel than many short ones.
    const bool masked = may_differ && px.outer == 1 && 2 * may_differ->count() < may_differ->pixels() &&
                        may_differ->pixels() == inner;
    auto for_each_range = [&](auto f) {  // f(o, i0, i1): pixel ranges, increasing
      if (masked)
        may_differ->for_each_span(1, [&](int64_t i0, int64_t i1) { f(int64_t{0}, i0, i1); });
      else
        for (int64_t o = 0; o < px.outer; ++o) f(o, int64_t{0}, inner);
    };
    // The test is sqrt(e) * ||q(w)|| > tau; away from the threshold e against its square
    // decides the same (a relative margin of 1e-9 dwarfs the rounding of the square root and
    // the products), so the square root runs only near it.
    const double at = (tau / w_norm) * (tau / w_norm), below = at * (1 - 1e-9), above = at * (1 + 1e-9);
    auto exact_test = [&](double e) { return e > above || (e >= below && std::sqrt(e) * w_norm > tau); };
    // Float sums are within (channels + 1) float roundings of the exact double ones (relative,
    // as long as the threshold is far above float's denormals): outside a margin of twice that
    // they decide alike, and the few pixels inside it are summed again in double.
    const bool in_float = entries > 1 && at >= 1e-30;
    const double margin = static_cast<double>(channels + 2) * 0x1p-22;
    const double lo = at * (1 - margin), hi = at * (1 + margin);
    if (in_float)
      first_error_f_.resize(static_cast<size_t>(pixels));
    else
      first_error_.resize(static_cast<size_t>(pixels));
    pixels_read_ = 0;
    for_each_range([&](int64_t o, int64_t i0, int64_t i1) {
      pixels_read_ += i1 - i0;
      const float* xo = x.data() + o * channels * inner;
      const float* ko = x_k.data() + o * channels * inner;
      if (in_float)
        squared_residual(xo, ko, channels, inner, i0, i1, first_error_f_.data() + o * inner);
      else
        squared_residual(xo, ko, channels, inner, i0, i1, first_error_.data() + o * inner);
    });
    times_.read = clock_.lap();
    // Pixel p (= o * inner + i) of a float pass: decided by its sum, or near the threshold by
    // its sum again in double.
    auto float_candidate = [&](int64_t o, int64_t p) {
      const float e = first_error_f_[static_cast<size_t>(p)];
      if (e < lo || e > hi) return e > hi;
      const int64_t channel_0 = o * channels * inner + p - o * inner;
      double exact = 0;  // written: channels >= 1
      squared_residual(x.data() + channel_0, x_k.data() + channel_0, channels, inner, 0, 1, &exact);
      return exact_test(exact);
    };
    if (entries > 1)
      for_each_range([&](int64_t o, int64_t i0, int64_t i1) {
        for (int64_t p = o * inner + i0; p < o * inner + i1; ++p)
          if (in_float ? float_candidate(o, p) : exact_test(first_error_[static_cast<size_t>(p)]))
            candidates_.push_back(p);
      });
    times_.test = clock_.lap();
  } else {
    for (int64_t p = 0; p < pixels; ++p) candidates_.push_back(p);
  }

  // The candidates' residual, gathered row by row: [channel][j], runs of neighbouring pixels
  // (most of them, where something moves) a vector loop each.
  const auto n = static_cast<int64_t>(candidates_.size());
  residual_.resize(static_cast<size_t>(channels * n));
  runs_.clear();
  for (int64_t j = 0; j < n;) {
    const int64_t p = candidates_[static_cast<size_t>(j)], o = p / inner;
    int64_t end = j + 1;
    while (end < n && candidates_[static_cast<size_t>(end)] == p + (end - j) &&
           (p + (end - j)) % inner != 0)
      ++end;
    runs_.push_back({j, o * channels * inner + p - o * inner, end - j});
    j = end;
  }
  for (int64_t c = 0; c < channels; ++c) {
    float* dst = residual_.data() + c * n;
    const float* xc = x.data() + c * inner;
    const float* kc = x_k.data() + c * inner;
    for (const Run& r : runs_)
      for (int64_t i = 0; i < r.length; ++i) dst[r.first + i] = xc[r.offset + i] - kc[r.offset + i];
  }
  times_.gather = clock_.lap();
  // Every entry's squared error at the candidates, summed over channels in order.
  levels_.resize(entries);
  error_.assign(entries * static_cast<size_t>(n), 0.0);
  for (size_t k = 0; k < entries; ++k) {
    double* err = error_.data() + k * static_cast<size_t>(n);
    if (k == 0 && zero_first) {  // the residual's own norm, summed as the first pass sums it
      for (int64_t c = 0; c < channels; ++c)
        for (int64_t j = 0; j < n; ++j) {
          const double r = residual_[static_cast<size_t>(c * n + j)];
          err[j] += r * r;
        }
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
  for (double& e : error_) e = std::sqrt(e);  // the bounds' norms, in one vectorised pass
  times_.quantize = clock_.lap();
  choice_.assign(static_cast<size_t>(n), 0);
  for (int64_t j = 0; j < n; ++j) {
    size_t k = 0;
    // ">" rather than the paper's ">= tau" to stop: a quantizer that does not reduce the bound
    // at all is never worth its bits, which matters at tau = 0 (a zero residual takes 0 bits).
    while (k + 1 < entries && (error_[k * static_cast<size_t>(n) + static_cast<size_t>(j)] -
                               error_[(k + 1) * static_cast<size_t>(n) + static_cast<size_t>(j)]) *
                                      w_norm > tau)
      ++k;
    choice_[static_cast<size_t>(j)] = static_cast<int>(k);
  }
  times_.choose = clock_.lap();
}

}  // namespace resq
