// The default model, the first frames of the webcam clip and one small calibration, shared by
// the tests on the real model (the maths they check holds for any calibration).
#pragma once

#include <memory>
#include <opencv2/videoio.hpp>
#include <span>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/image_tensor.h"
#include "engine/model.h"
#include "engine/resq/calibrator.h"
#include "engine/resq/quantized_model.h"

namespace resq {

inline const std::string kAssets = RESQ_ASSET_DIR;

// First `count` frames of the webcam clip as model inputs.
inline std::vector<std::vector<Tensor>> clip_frames(const Graph& g, int count) {
  cv::VideoCapture cap(kAssets + "/movie.avi");
  EXPECT_TRUE(cap.isOpened()) << "movie.avi missing: run scripts/fetch_assets.sh";
  ImageInput image = find_image_input(g);
  std::vector<std::vector<Tensor>> frames;
  cv::Mat bgr;
  while (static_cast<int>(frames.size()) < count && cap.read(bgr)) {
    frames.emplace_back(1);
    frame_to_tensor(bgr, image, frames.back()[0]);
  }
  EXPECT_EQ(static_cast<int>(frames.size()), count);
  return frames;
}

struct Fixture {
  Fixture() {
    graph = load_model(kAssets + "/selfie_segmentation.tflite");
    frames = clip_frames(*graph, 8);
    CalibrationOptions o;
    o.samples = 2;
    o.search_points = 4;
    o.bits = {4, 8};
    std::span<const std::vector<Tensor>> first_four(frames.data(), 4);
    calibration = calibrate(graph, first_four, o);
    model = std::make_shared<QuantizedModel>(graph, calibration, WeightGranularity::kPerChannel);
  }
  std::shared_ptr<Graph> graph;
  std::vector<std::vector<Tensor>> frames;
  Calibration calibration;
  std::shared_ptr<QuantizedModel> model;
};

inline Fixture& fixture() {
  static Fixture f;
  return f;
}

}  // namespace resq
