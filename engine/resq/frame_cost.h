// Cost of one processed frame in bit operations (Sec. 5): BOPs of a layer = MACs x b_w x b_a,
// summed over the linear layers, with the same frame's references at FP32 (32x32) and at W8A8
// frame quantization.
#pragma once

#include <cstdint>
#include <map>

namespace resq {

struct FrameCost {
  bool keyframe = false;
  double bops = 0;          // linear layers + Dynamic-ResQ policy
  double policy_bops = 0;   // the policy's share of `bops` (see stream_session.h)
  double bops_fp32 = 0;   // same MACs at 32 x 32 bits
  double bops_w8a8 = 0;   // same MACs at 8 x 8 bits (frame quantization baseline)
  double latency_ms = 0;  // wall-clock of the whole frame through the engine
  // Dynamic-ResQ residual frames: input pixels per chosen bit-width, over all linear layers.
  std::map<int, int64_t> pixels_per_bits;
};

}  // namespace resq
