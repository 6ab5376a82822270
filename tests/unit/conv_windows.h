// Windows and pixel sets for the tests of the sparse residual sums (ScatterSums).
#pragma once

#include <cstdint>
#include <random>
#include <set>
#include <vector>

#include "engine/ops/window.h"

namespace resq {

// A 2-D conv window over an h x w input; pads: top, left, bottom, right (ONNX order).
inline Window conv_window(int64_t h, int64_t w, int64_t kh, int64_t kw, int64_t stride,
                          std::vector<int64_t> pads, int64_t dilation = 1) {
  WindowAttrs a;
  a.strides = {stride, stride};
  a.pads = std::move(pads);
  a.dilations = {dilation, dilation};
  return forward_window(a, {h, w}, {kh, kw});
}

// `count` distinct input pixels of w, increasing.
inline std::vector<int64_t> random_pixels(const Window& w, size_t count, int seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int64_t> pixel(0, w.in_size() - 1);
  std::set<int64_t> s;
  while (s.size() < count) s.insert(pixel(rng));
  return {s.begin(), s.end()};
}

}  // namespace resq
