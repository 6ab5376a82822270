// A resq.v1.Frame's image as the 8-bit BGR cv::Mat ResQStream runs.
#pragma once

#include <functional>
#include <opencv2/core.hpp>
#include <string>

#include "resq/v1/stream.pb.h"

namespace resq::server {

// Checks at once what shows without decoding the pixels and returns the decoding still to do,
// so a frame that skipping repeats costs no decode (ResQStream asks only for the frames it
// runs). Both throw std::invalid_argument naming the field and what was wrong with it: no
// image, a raw_rgb8 size that does not match width x height, bytes that do not decode. A JPEG
// or PNG is checked as far as its header (JPEG: markers, tables, frame size; PNG: signature,
// the chunks before the image data and their CRCs); damage in the coded image data shows only
// when it is decoded. The frame must outlive the returned function.
std::function<cv::Mat()> frame_decoder(const v1::Frame& frame);
// frame_decoder(frame)(): the frame decoded now.
cv::Mat decode_frame(const v1::Frame& frame);

// TurboJPEG's decode straight to BGR, on this thread's handle; empty when TurboJPEG cannot
// decode the bytes (OpenCV then decides).
cv::Mat decode_turbo_jpeg(const std::string& bytes);

}  // namespace resq::server
