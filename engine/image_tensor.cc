#include "engine/image_tensor.h"

#include <opencv2/imgproc.hpp>

#include "engine/error.h"

namespace resq {

ImageInput find_image_input(const Graph& g) {
  for (size_t i = 0; i < g.inputs.size(); ++i) {
    const Value& v = g.values[static_cast<size_t>(g.inputs[i])];
    if (v.dtype != DType::kFloat32 || !v.shape_known || v.shape.size() != 4) continue;
    const Shape& s = v.shape;
    ImageInput in;
    in.input_index = static_cast<int>(i);
    if (s[1] == 3) {
      in.height = s[2], in.width = s[3];
    } else if (s[3] == 3) {
      in.height = s[1], in.width = s[2], in.nhwc = true;
    } else {
      continue;
    }
    if (in.height > 0 && in.width > 0) return in;
  }
  throw ModelError(g.source + ": no image input (a float32 input of shape 1x3xHxW or 1xHxWx3)");
}

void frame_to_tensor(const cv::Mat& bgr, const ImageInput& in, Tensor& out) {
  if (bgr.empty() || bgr.type() != CV_8UC3) throw ModelError("frame is empty or not 8-bit BGR");
  const auto h = in.height, w = in.width;
  // Bilinear works on each channel alone, so resizing before the channel swap gives the same
  // pixels; frames already at the input size (what a camera client sends) are read in place.
  cv::Mat resized = bgr;
  if (bgr.rows != h || bgr.cols != w)
    cv::resize(bgr, resized, cv::Size(static_cast<int>(w), static_cast<int>(h)), 0, 0,
               cv::INTER_LINEAR);
  // One pass: BGR -> RGB and v * (1/255 as a float), as cv::Mat::convertTo scales.
  constexpr float kScale = static_cast<float>(1.0 / 255.0);
  out.resize(in.nhwc ? Shape{1, h, w, 3} : Shape{1, 3, h, w});
  float* __restrict dst = out.f32();
  const int64_t plane = h * w;
  for (int64_t y = 0; y < h; ++y) {
    const uint8_t* __restrict row = resized.ptr<uint8_t>(static_cast<int>(y));
    if (in.nhwc) {
      float* __restrict d = dst + y * w * 3;
      for (int64_t x = 0; x < w; ++x) {
        d[3 * x] = static_cast<float>(row[3 * x + 2]) * kScale;
        d[3 * x + 1] = static_cast<float>(row[3 * x + 1]) * kScale;
        d[3 * x + 2] = static_cast<float>(row[3 * x]) * kScale;
      }
    } else {
      float* __restrict r = dst + y * w;
      for (int64_t x = 0; x < w; ++x) {
        r[x] = static_cast<float>(row[3 * x + 2]) * kScale;
        r[plane + x] = static_cast<float>(row[3 * x + 1]) * kScale;
        r[2 * plane + x] = static_cast<float>(row[3 * x]) * kScale;
      }
    }
  }
}

cv::Mat map_from_tensor(const Tensor& t) {
  const Shape& s = t.shape();
  int64_t h = 0, w = 0;
  if (s.size() == 4 && s[0] == 1 && s[1] == 1) {
    h = s[2], w = s[3];
  } else if (s.size() == 4 && s[0] == 1 && s[3] == 1) {
    h = s[1], w = s[2];
  } else if (s.size() == 3 && s[0] == 1) {
    h = s[1], w = s[2];
  } else {
    throw ModelError("output of shape " + shape_str(s) + " is not a one-channel map");
  }
  if (t.dtype() != DType::kFloat32) throw ModelError("map output is not float32");
  return cv::Mat(static_cast<int>(h), static_cast<int>(w), CV_32FC1, const_cast<float*>(t.f32())).clone();
}

void overlay_mask(cv::Mat& bgr, const cv::Mat& map, float threshold) {
  cv::Mat scaled, mask;
  cv::resize(map, scaled, bgr.size(), 0, 0, cv::INTER_LINEAR);
  cv::compare(scaled, threshold, mask, cv::CMP_GT);
  cv::Mat tint(bgr.size(), bgr.type(), cv::Scalar(0, 200, 0));  // green
  cv::Mat blended;
  cv::addWeighted(bgr, 0.5, tint, 0.5, 0.0, blended);
  blended.copyTo(bgr, mask);
}

}  // namespace resq
