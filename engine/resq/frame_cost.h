// Cost of one processed frame in bit operations (Sec. 5): BOPs of a layer = MACs x b_w x b_a,
// summed over the linear layers, with the same frame's references at FP32 (32x32) and at W8A8
// frame quantization.
#pragma once

#include <cstdint>

namespace resq {

struct FrameCost {
  bool keyframe = false;
  double bops = 0;
  double bops_fp32 = 0;   // same MACs at 32 x 32 bits
  double bops_w8a8 = 0;   // same MACs at 8 x 8 bits (frame quantization baseline)
  double latency_ms = 0;  // wall-clock of the whole frame through the engine
};

}  // namespace resq
