// Runs one configuration of the grid over decoded frames with its own StreamSession and measures
// cost and accuracy against the fp32 reference outputs (issue #4's metrics).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <vector>

#include "engine/eval/eval_grid.h"
#include "engine/resq/quantized_model.h"
#include "engine/tensor.h"

namespace resq {

struct DistanceAccuracy {
  int64_t distance = 0;  // frames since the keyframe (0: the keyframe)
  int64_t frames = 0;
  double iou_mean = 0;
};

struct EvalResult {
  EvalConfig config;
  int64_t frames = 0;
  int64_t keyframes = 0;
  // Per frame, averaged over the frames (GBOPs = 1e9 BOPs).
  double gbops = 0;          // linear layers + Dynamic-ResQ policy
  double policy_gbops = 0;   // the policy's share of gbops
  double gbops_fp32 = 0;     // the same frames at 32 x 32 bits
  double gbops_w8a8 = 0;     // the same frames at W8A8 frame quantization
  // Accuracy of output `output` against the reference.
  double iou_mean = 0;
  double iou_min = 0;
  double mean_abs = 0;
  double sqnr_db = 0;        // over all frames; +infinity when identical
  std::map<int, double> pixel_fraction;  // activation bits -> share of linear-layer input pixels
  std::map<int, double> residual_pixel_fraction;  // the same over frames between keyframes
  std::vector<DistanceAccuracy> by_distance;
  double latency_ms_median = 0;  // simulated (fake-quantized) execution, not a speed figure
};

struct EvalOptions {
  float threshold = 0.5f;  // person mask: p > threshold
  size_t output = 0;       // which model output is compared
};

// `reference[i]` is the fp32 output `options.output` of `frames[i]`. `on_frame` runs after each
// frame (progress). Throws what StreamSession throws for a config the model cannot run.
EvalResult evaluate(std::shared_ptr<const QuantizedModel> model, const EvalConfig& config,
                    std::span<const std::vector<Tensor>> frames,
                    std::span<const Tensor> reference, const EvalOptions& options,
                    const std::function<void()>& on_frame = {});

}  // namespace resq
