// A resq.v1.Frame's image as the 8-bit BGR cv::Mat ResQStream runs.
#pragma once

#include <opencv2/core.hpp>

#include "resq/v1/stream.pb.h"

namespace resq::server {

// Throws std::invalid_argument naming the field and what was wrong with it (no image, bytes
// that do not decode, a raw_rgb8 size that does not match width x height).
cv::Mat decode_frame(const v1::Frame& frame);

}  // namespace resq::server
