// Cost of one processed frame in bit operations (Sec. 5): BOPs of a layer = MACs x b_w x b_a,
// summed over the linear layers, with the same frame's references at FP32 (32x32) and at W8A8
// frame quantization.
#pragma once

#include <cstdint>
#include <map>
#include <utility>

namespace resq {

struct FrameCost {
  bool keyframe = false;
  bool repeated = false;  // frame skipping: the last keyframe's outputs, the network did not run
  int64_t keyframe_distance = 0;  // frames since the last keyframe (0: keyframe or no keyframes)
  double bops = 0;          // linear layers + Dynamic-ResQ policy
  double policy_bops = 0;   // the policy's share of `bops` (see stream_session.h)
  double bops_fp32 = 0;   // same MACs at 32 x 32 bits
  double bops_w8a8 = 0;   // same MACs at 8 x 8 bits (frame quantization baseline)
  double latency_ms = 0;  // wall-clock of the whole frame through the engine
  double cpu_ms = 0;      // the calling thread's CPU time for the same (other jobs move it less)
  int64_t integer_layers = 0;  // linear layers whose sums the integer kernels computed
  // Linear-layer input pixels per activation bit-width, summed over the layers: the key bits on
  // keyframes and frame quantization, the residual bits (per pixel for Dynamic-ResQ) between
  // keyframes, 0 for every pixel of a skipped frame, 32 for fp32.
  std::map<int, int64_t> pixels_per_bits;
  // Dynamic-ResQ: linear-layer input pixels whose residual the policy read, summed over the
  // layers; change tracking leaves out those known to equal the keyframe's.
  int64_t pixels_read = 0;
  // Dynamic-ResQ residual frames with node timing on (StreamSession::set_node_timing): where the
  // linear layers' time went, ms summed over the layers (all 0 otherwise). The policy's passes
  // (PixelBitPolicy::Times), the change-tracking masks, copying z_k to the output (on the sparse
  // paths), the residual sums added to it and the fused nodes after them.
  struct Phases {
    double policy_read = 0, policy_test = 0, policy_gather = 0, policy_quantize = 0,
           policy_choose = 0, tracking = 0, start = 0, sums = 0, epilogue = 0;
  } phases_ms;
};

// The phases with their names in `resq bench --json`, and a += b.
inline constexpr std::pair<const char*, double FrameCost::Phases::*> kPhaseFields[] = {
    {"policy_read", &FrameCost::Phases::policy_read},
    {"policy_test", &FrameCost::Phases::policy_test},
    {"policy_gather", &FrameCost::Phases::policy_gather},
    {"policy_quantize", &FrameCost::Phases::policy_quantize},
    {"policy_choose", &FrameCost::Phases::policy_choose},
    {"tracking", &FrameCost::Phases::tracking},
    {"start", &FrameCost::Phases::start},
    {"sums", &FrameCost::Phases::sums},
    {"epilogue", &FrameCost::Phases::epilogue}};
inline void add_phases(FrameCost::Phases& a, const FrameCost::Phases& b) {
  for (const auto& [name, field] : kPhaseFields) a.*field += b.*field;
}

}  // namespace resq
