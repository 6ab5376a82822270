// How a linear layer's input splits into "pixels" for Dynamic-ResQ (Sec. 4.2: one bit-width
// per pixel, shared along channels) and how much of the layer's MACs each pixel carries.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/graph.h"

namespace resq {

// Element (pixel p = outer * inner_index, channel c) sits at (outer * channels + c) * inner +
// inner_index. Conv/ConvTranspose input [N, C, spatial...]: outer N, channels C, inner the
// spatial size. Gemm/MatMul input [..., K]: every row is a pixel of K channels (Gemm with
// transA = 1: [K, M] is one outer block of K channels over M pixels).
struct PixelLayout {
  int64_t outer = 1;
  int64_t channels = 1;
  int64_t inner = 1;
  int64_t pixels() const { return outer * inner; }
};

PixelLayout pixel_layout(const Node& n, const Shape& x);

// Share of the layer's MACs attributed to each input pixel (index o * inner + i), summing to 1.
// A pixel's share is proportional to the number of (window position, kernel tap) pairs that read
// it, so pixels at the border (fewer windows) and pixels a stride skips get less. Taps that fall
// into the padding read no pixel; their MACs are spread over the pixels in the same proportion,
// which keeps BOPs = MACs x b_w x b_a when every pixel has the same b_a. ConvTranspose reads every
// input pixel with every tap, and Gemm/MatMul every row once: equal shares.
std::vector<double> pixel_mac_shares(const Node& n, const Shape& x, const Shape& w);

}  // namespace resq
