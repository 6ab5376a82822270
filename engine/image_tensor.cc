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
  cv::Mat rgb, resized;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  cv::resize(rgb, resized, cv::Size(static_cast<int>(in.width), static_cast<int>(in.height)), 0, 0,
             cv::INTER_LINEAR);
  const auto h = in.height, w = in.width;
  if (in.nhwc) {
    out.resize({1, h, w, 3});
    cv::Mat dst(static_cast<int>(h), static_cast<int>(w), CV_32FC3, out.f32());
    resized.convertTo(dst, CV_32FC3, 1.0 / 255.0);
  } else {
    out.resize({1, 3, h, w});
    std::vector<cv::Mat> planes;
    for (int c = 0; c < 3; ++c)
      planes.emplace_back(static_cast<int>(h), static_cast<int>(w), CV_32FC1, out.f32() + c * h * w);
    cv::Mat as_float;
    resized.convertTo(as_float, CV_32FC3, 1.0 / 255.0);
    cv::split(as_float, planes);
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
