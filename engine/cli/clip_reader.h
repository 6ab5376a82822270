// Consecutive frames of a clip decoded into model inputs, for the commands that keep a whole
// stretch in memory (calibrate, eval, policy-map).
#pragma once

#include <cstdint>
#include <opencv2/core.hpp>
#include <opencv2/videoio.hpp>
#include <string>
#include <vector>

#include "engine/image_tensor.h"
#include "engine/tensor.h"

namespace resq::cli {

// Reads past the first `start` frames of `cap`, the opened `video`. Throws ModelError naming the
// clip and the start frame when it has fewer.
void skip_frames(cv::VideoCapture& cap, const std::string& video, int64_t start);

struct Clip {
  std::vector<std::vector<Tensor>> inputs;  // per frame, the model's (single) input
  std::vector<cv::Mat> images;              // the decoded BGR frames, when asked for
};

// `count` frames from `start` (count <= 0: to the end of the clip). Throws ModelError naming the
// clip when it cannot be opened, has fewer than `start` frames, or yields fewer than `count`
// (`purpose` says who needs them, e.g. "calibration").
Clip read_clip(const std::string& video, const ImageInput& image, int64_t start, int64_t count,
               const std::string& purpose, bool keep_images = false);

}  // namespace resq::cli
