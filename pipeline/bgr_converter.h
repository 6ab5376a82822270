// Video frames of the formats resqinfer accepts as the 8-bit BGR image the engine takes. BGR is
// wrapped without a copy; every other format goes through GstVideoConverter (strides, odd
// sizes and the stream's colorimetry handled), into a buffer reused between frames.
#pragma once

#include <gst/video/video.h>

#include <cstdint>
#include <opencv2/core.hpp>
#include <vector>

namespace resq::gst {

class BgrConverter {
 public:
  explicit BgrConverter(const GstVideoInfo& in);
  ~BgrConverter();
  BgrConverter(const BgrConverter&) = delete;
  BgrConverter& operator=(const BgrConverter&) = delete;

  // `frame` mapped for reading, of the format given at construction. The result is valid until
  // the next call (or as long as `frame` stays mapped, for BGR input).
  cv::Mat convert(const GstVideoFrame& frame);

 private:
  GstVideoInfo bgr_info_;
  GstVideoConverter* converter_ = nullptr;  // null for BGR input
  std::vector<uint8_t> storage_;
  cv::Mat bgr_;  // over storage_
};

}  // namespace resq::gst
