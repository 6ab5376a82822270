// Dynamic-ResQ residual sums of a depthwise convolution (one output channel per input channel)
// at the outputs a group of pixels reaches only, where the dense sums would run over the whole
// plane for a few percent of its outputs. The group's levels go into all-zero phase planes of the
// padded input, one plane per stride phase, so that each tap of a row of outputs is a row of
// neighbouring floats; each run of reached outputs in a row is then summed a vector at a time,
// eight channels at once. Sums of levels are small integers, exact in float in any order, so the
// outputs equal the dense sums'.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "engine/ops/window.h"

namespace resq {

class SparseDepthwise {
 public:
  // Whether a depthwise conv of this window can be summed here: 2-D, no dilation.
  static bool fits(const Window& w);

  // The planes of window w (fits(w)) for `channels` channels, all zeros: they stay so between
  // uses, so a layer after another costs no clearing of its own.
  void reset(const Window& w, int64_t channels);
  // Input pixel pixels[j] takes, in channel c, the level levels[c * stride + index[j]].
  void place(std::span<const int64_t> pixels, std::span<const int64_t> index,
             const float* levels, int64_t stride);
  // Zeros back where the last place() put levels.
  void clear();

  // For each output position p of `outputs` (increasing) and channel c:
  // out[c * positions + p] = scale_affine(sum_c(p), multiplier[c], out[c * positions + p]),
  // sum_c(p) the sum of weights[c * taps + t] times the level under tap t. Runs of a row less
  // than kJoin apart are summed as one, in whole vectors: the outputs they add sum to 0 (out
  // keeps its value).
  static constexpr int64_t kJoin = 32;
  void add_sums(std::span<const int64_t> outputs, const float* weights, const float* multiplier,
                float* out);

 private:
  // Plane (c, ry, rx) holds padded input pixel (py, px) with py % sy = ry, px % sx = rx at
  // (py / sy, px / sx); tap (ky, kx) of output (oy, ox) is at (oy + ky / sy, ox + kx / sx) of
  // plane (c, ky % sy, kx % sx).
  int64_t plane_offset(int64_t c, int64_t ry, int64_t rx) const {
    return ((c * sy_ + ry) * sx_ + rx) * rows_ * cols_;
  }
  // Where input pixel p sits in channel 0's planes, or -1 when no window reads it.
  int64_t position(int64_t p) const;

  int64_t in_w_ = 0, out_h_ = 0, out_w_ = 0, kh_ = 0, kw_ = 0, sy_ = 1, sx_ = 1;
  int64_t pad_top_ = 0, pad_left_ = 0, rows_ = 0, cols_ = 0, channels_ = 0;
  std::vector<float> planes_;  // all zeros between uses
  std::vector<int64_t> placed_;  // where the last place() wrote, in channel 0's planes
  std::vector<int64_t> tap_offsets_;  // of tap t from its output's place in plane (c, 0, 0)
};

}  // namespace resq
