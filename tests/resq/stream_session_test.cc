// ResQ invariants on the real default model and clip (issue #3): the schemes must reduce to each
// other where the maths says they do, and the BOP count must follow MACs x b_w x b_a.
#include "engine/resq/stream_session.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <opencv2/videoio.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/error.h"
#include "engine/image_tensor.h"
#include "engine/model.h"
#include "engine/resq/calibrator.h"

namespace resq {
namespace {

const std::string kAssets = RESQ_ASSET_DIR;

// First `count` frames of the webcam clip as model inputs.
std::vector<std::vector<Tensor>> clip_frames(const Graph& g, int count) {
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

// One small calibration shared by all tests (the maths here holds for any calibration).
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

Fixture& fixture() {
  static Fixture f;
  return f;
}

StreamConfig config(const std::string& bits, int period = 4) {
  return StreamConfig{BitConfig::parse(bits), period};
}

double max_diff(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.shape(), b.shape());
  double m = 0;
  for (int64_t i = 0; i < a.numel(); ++i)
    m = std::max(m, static_cast<double>(std::fabs(a.f32()[i] - b.f32()[i])));
  return m;
}

TEST(StreamSession, CalibrationCoversEveryLinearLayer) {
  Fixture& f = fixture();
  ASSERT_EQ(f.calibration.layers.size(), 55u);  // 54 Conv + 1 ConvTranspose
  for (const LayerCalibration& l : f.calibration.layers) {
    EXPECT_EQ(l.key_clip.size(), 2u) << l.node;
    EXPECT_EQ(l.residual_clip.size(), 2u) << l.node;
    EXPECT_GE(l.key_clip.at(8), 0.0) << l.node;
  }
}

TEST(StreamSession, ResQAt32BitsEqualsFp32) {
  Fixture& f = fixture();
  StreamSession fp32(f.model, config("fp32"));
  StreamSession resq(f.model, config("W32A32->W32A32", 4));
  for (size_t t = 0; t < 6; ++t) {
    Tensor want = fp32.process(f.frames[t])[0];
    Tensor got = resq.process(f.frames[t])[0];
    EXPECT_EQ(resq.last_cost().keyframe, t % 4 == 0) << "frame " << t;
    EXPECT_LE(max_diff(got, want), 1e-4) << "frame " << t;
  }
}

TEST(StreamSession, ResQWithPeriodOneIsFrameQuantization) {
  Fixture& f = fixture();
  StreamSession frame(f.model, config("W8A8"));
  StreamSession resq(f.model, config("W8A8->W4A4", 1));
  for (size_t t = 0; t < 3; ++t) {
    Tensor a = frame.process(f.frames[t])[0];
    Tensor b = resq.process(f.frames[t])[0];
    EXPECT_TRUE(resq.last_cost().keyframe);
    EXPECT_EQ(max_diff(a, b), 0.0) << "frame " << t;
  }
}

TEST(StreamSession, ZeroBitResidualsRepeatTheKeyframeOutput) {
  Fixture& f = fixture();
  StreamSession resq(f.model, config("W8A8->W8A0", 3));
  Tensor key = resq.process(f.frames[0])[0];
  for (size_t t = 1; t < 3; ++t) {
    EXPECT_EQ(max_diff(resq.process(f.frames[t])[0], key), 0.0) << "frame " << t;
    EXPECT_EQ(resq.last_cost().bops, 0.0);
  }
}

TEST(StreamSession, ResidualsMoveTheOutput) {
  Fixture& f = fixture();
  StreamSession resq(f.model, config("W8A8->W4A4", 4));
  Tensor key = resq.process(f.frames[0])[0];
  Tensor next = resq.process(f.frames[5])[0];  // a different frame: the residual is not zero
  EXPECT_GT(max_diff(key, next), 1e-3);
}

TEST(StreamSession, BopsFollowMacsTimesBits) {
  Fixture& f = fixture();
  const double macs = static_cast<double>(f.model->total_macs());
  EXPECT_EQ(macs, 59215744.0);
  StreamSession resq(f.model, config("W8A8->W4A4", 3));
  double total = 0;
  for (size_t t = 0; t < 3; ++t) {
    resq.process(f.frames[t]);
    total += resq.last_cost().bops;
    EXPECT_EQ(resq.last_cost().bops_fp32, macs * 32 * 32);
    EXPECT_EQ(resq.last_cost().bops_w8a8, macs * 8 * 8);
  }
  EXPECT_DOUBLE_EQ(total / 3, macs * (64 + 2 * 16) / 3);
}

TEST(StreamSession, KeyframeCacheHoldsEveryLayer) {
  Fixture& f = fixture();
  StreamSession resq(f.model, config("W8A8->W4A4", 4));
  EXPECT_EQ(resq.cache().bytes(), 0u);
  resq.process(f.frames[0]);
  size_t expected = 0;
  for (size_t li = 0; li < resq.cache().size(); ++li) {
    EXPECT_GT(resq.cache().layer(li).x_k.numel(), 0) << li;
    expected += resq.cache().layer(li).x_k.bytes() + resq.cache().layer(li).z_k.bytes();
  }
  EXPECT_EQ(resq.cache().bytes(), expected);
  EXPECT_TRUE(resq.cache().ready());
}

TEST(StreamSession, BadConfig_n) {
  Fixture& f = fixture();
  EXPECT_THROW(StreamSession(f.model, config("W8A8->W4A4", 0)), std::invalid_argument);
  EXPECT_THROW(StreamSession(f.model, config("W8A8->W3A3")), std::out_of_range);  // not calibrated
  EXPECT_THROW(StreamSession(f.model, config("W6A6")), std::out_of_range);
}

TEST(StreamSession, CalibrationOfAnotherModel_n) {
  Fixture& f = fixture();
  Calibration other = f.calibration;
  other.layers.pop_back();
  EXPECT_THROW(QuantizedModel(f.graph, other, WeightGranularity::kPerChannel), ModelError);
  other = f.calibration;
  other.layers[3].node = "not_this_model";
  EXPECT_THROW(QuantizedModel(f.graph, other, WeightGranularity::kPerChannel), ModelError);
}

TEST(StreamSession, WrongInputKeepsTheSessionUsable_n) {
  Fixture& f = fixture();
  StreamSession resq(f.model, config("W8A8->W4A4", 4));
  resq.process(f.frames[0]);
  std::vector<Tensor> bad = {Tensor({1, 128, 128, 3})};
  EXPECT_THROW(resq.process(bad), ModelError);
  resq.process(f.frames[1]);
  EXPECT_TRUE(resq.last_cost().keyframe);  // state was dropped: a fresh keyframe
}

}  // namespace
}  // namespace resq
