// Post-training calibration (Sec. 4.1): runs the FP32 model on calibration frames, records every
// linear layer's input, and fits by output-error line search (Eq. 8) one keyframe quantizer per
// bit-width on frames and one residual quantizer per bit-width on residuals x_t - x_k drawn at
// distances 1..T-1 from a keyframe.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "engine/graph.h"
#include "engine/quant/weight_quantizer.h"
#include "engine/resq/calibration.h"

namespace resq {

struct CalibrationOptions {
  int samples = 64;        // c: frames (and residuals) per layer in the search
  int search_points = 20;  // r: candidate clip values
  int max_distance = 3;    // residuals at keyframe distances 1..max_distance (T - 1)
  std::vector<int> bits = {2, 3, 4, 5, 6, 7, 8};
  WeightGranularity weights = WeightGranularity::kPerChannel;
};

// Called after each layer with (layers done, layers total).
using CalibrationProgress = std::function<void(size_t, size_t)>;

// `frames`: consecutive frames of one clip, each the model's full input list. Quantizers for
// activation bits b are fitted with the layer's weights at b bits too (W_bA_b). Throws
// std::invalid_argument for bad options or fewer than two frames.
Calibration calibrate(std::shared_ptr<const Graph> graph, std::span<const std::vector<Tensor>> frames,
                      const CalibrationOptions& options, const CalibrationProgress& progress = {});

}  // namespace resq
