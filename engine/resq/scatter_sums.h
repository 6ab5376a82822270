// Dynamic-ResQ residual sums of a convolution with few input values per output (the image's
// first conv: 3 channels x 9 taps) or of a depthwise one, pixel by pixel: each pixel's levels
// times the taps through which it reaches an output are added to that output's sums. The
// gathered path instead places the levels in an all-zero image (786 KB for the 256 x 256 RGB
// input, cold on every frame) and reads each reached output's whole window back from it, mostly
// zeros, and it turns dense once a group reaches a quarter of the outputs (JPEG noise makes a
// third of the image's pixels candidates). Here the work follows the pixels, a vector of output
// channels at a time. Sums of levels are integers, exact in float in any order
// (float_sums_exact), so the outputs are the gathered GEMM's.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "engine/ops/window.h"
#include "engine/resq/receptive_field.h"

namespace resq {

class ScatterSums {
 public:
  // Whether a conv of this window, `groups` and `columns` = input channels x taps is summed here:
  // 2-D, one group, at most kMaxColumns values an output (wider windows gather into a GEMM).
  static constexpr int64_t kMaxColumns = 32;
  static bool fits(const Window& w, int64_t groups, int64_t columns);
  // Whether a depthwise conv of this window is summed here: 2-D (any stride, pads, dilation).
  static bool fits_depthwise(const Window& w) { return w.in.size() == 2; }

  // The layer's weights, weights[(r * channels + c) * taps + t] for output channel r < m, input
  // channel c and tap t; once per layer, before add() for each of its groups.
  void set_weights(const float* weights, int64_t channels, int64_t m, int64_t taps);
  // Or those of a depthwise conv (output channel c reads input channel c only),
  // weights[c * taps + t].
  void set_depthwise_weights(const float* weights, int64_t channels, int64_t taps);

  // For each input pixel pixels[j] (increasing; level levels[c * stride + index[j]] in channel
  // c) and each output position p whose window holds it under tap t (`reach` = TapReach(w)):
  // sum_r(p) += level x weight(r, c, t), for every output channel r (depthwise: r = c only);
  // then, once per reached output,
  // out[r * positions + p] = scale_affine(sum_r(p), multiplier[r], out[r * positions + p]).
  void add(const Window& w, const TapReach& reach, std::span<const int64_t> pixels,
           std::span<const int64_t> index, const float* levels, int64_t stride,
           const float* multiplier, float* out);

  // Heap bytes of its buffers.
  size_t bytes() const;

 private:
  int64_t channels_ = 0, m_ = 0, mp_ = 0;  // mp_: m rounded up to whole vectors
  bool depthwise_ = false;
  std::vector<float> taps_;        // [tap][channel][mp_] (depthwise: [tap][mp_]), zeros past m
  static constexpr int64_t kPixelBlock = 64;
  std::vector<float> block_levels_;  // depthwise: a block of pixels' levels [pixel][mp_], 0 past m
  std::vector<int32_t> row_;       // per output position: its row of sums_, -1 when not reached
  std::vector<int64_t> reached_;   // output positions in the order they were first reached
  std::vector<float> sums_;        // [reached][mp_], rows aligned to whole vectors
};

}  // namespace resq
