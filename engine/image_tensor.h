// Conversions between video frames (OpenCV BGR8) and model tensors: the one place that knows
// how a frame becomes the model's image input and how a mask output is drawn.
#pragma once

#include <opencv2/core.hpp>

#include "engine/graph.h"
#include "engine/tensor.h"

namespace resq {

struct ImageInput {
  int input_index = 0;  // position in Graph::inputs
  int64_t height = 0;
  int64_t width = 0;
  bool nhwc = false;  // the file's layout for this input (TFLite models keep NHWC)
};

// The model's image input: the first rank-4 float input with 3 channels in dim 1 (NCHW) or
// dim 3 (NHWC) and known spatial size. Throws ModelError when there is none.
ImageInput find_image_input(const Graph& g);

// BGR8 frame -> RGB float in [0,1], bilinear-resized to the input size (resize on 8-bit
// pixels, then /255), in the input's layout. `out` is resized as needed.
void frame_to_tensor(const cv::Mat& bgr, const ImageInput& in, Tensor& out);

// A one-channel map [1,1,H,W] or [1,H,W,1] (or [1,H,W]) as an HxW CV_32F Mat (a copy).
// Throws ModelError for other shapes.
cv::Mat map_from_tensor(const Tensor& t);

// Tints pixels whose map value (resized to the frame) is above `threshold`.
void overlay_mask(cv::Mat& bgr, const cv::Mat& map, float threshold = 0.5f);

}  // namespace resq
