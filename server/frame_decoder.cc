#include "server/frame_decoder.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <stdexcept>
#include <string>

namespace resq::server {
namespace {

cv::Mat decode_encoded(const std::string& field, const std::string& bytes) {
  if (bytes.empty()) throw std::invalid_argument(field + ": empty");
  const cv::Mat buffer(1, static_cast<int>(bytes.size()), CV_8UC1,
                       const_cast<char*>(bytes.data()));
  cv::Mat bgr = cv::imdecode(buffer, cv::IMREAD_COLOR);
  if (bgr.empty())
    throw std::invalid_argument(field + ": " + std::to_string(bytes.size()) +
                                " bytes are not a decodable image");
  return bgr;
}

cv::Mat decode_raw_rgb8(const v1::Frame& frame) {
  const std::string& bytes = frame.raw_rgb8();
  if (frame.width() <= 0 || frame.height() <= 0)
    throw std::invalid_argument("raw_rgb8: width and height must be > 0, got " +
                                std::to_string(frame.width()) + "x" +
                                std::to_string(frame.height()));
  const size_t expected = static_cast<size_t>(frame.width()) *
                          static_cast<size_t>(frame.height()) * 3;
  if (bytes.size() != expected)
    throw std::invalid_argument("raw_rgb8: " + std::to_string(bytes.size()) + " bytes, " +
                                std::to_string(frame.width()) + "x" +
                                std::to_string(frame.height()) + "x3 needs " +
                                std::to_string(expected));
  const cv::Mat rgb(frame.height(), frame.width(), CV_8UC3, const_cast<char*>(bytes.data()));
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  return bgr;
}

}  // namespace

cv::Mat decode_frame(const v1::Frame& frame) {
  switch (frame.image_case()) {
    case v1::Frame::kJpeg:
      return decode_encoded("jpeg", frame.jpeg());
    case v1::Frame::kPng:
      return decode_encoded("png", frame.png());
    case v1::Frame::kRawRgb8:
      return decode_raw_rgb8(frame);
    case v1::Frame::IMAGE_NOT_SET:
      break;
  }
  throw std::invalid_argument("frame has no image (set jpeg, png or raw_rgb8)");
}

}  // namespace resq::server
