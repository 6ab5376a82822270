// The default model against outputs of an independent runtime (ONNX Runtime 1.30 on a faithful
// conversion; data copied from ../shared/golden/selfie_segmentation). Both importers must meet
// the bar on every frame: max |diff| <= 1e-3 and >= 99.9% of pixels on the same side of 0.5.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <opencv2/videoio.hpp>
#include <string>
#include <vector>

#include "engine/executor.h"
#include "engine/image_tensor.h"
#include "engine/model.h"

namespace resq {
namespace {

const std::string kGoldenDir = std::string(RESQ_TEST_DATA_DIR) + "/golden/selfie_segmentation";
const std::string kAssetDir = RESQ_ASSET_DIR;

struct Frame {
  const char* name;
  const char* clip;  // asset file the frame was decoded from
  int index;
};
// Mirrors frames.json in the golden folder.
const Frame kFrames[] = {{"vtest_f100", "vtest.avi", 100},
                         {"vtest_f101", "vtest.avi", 101},
                         {"webcam_f10", "movie.avi", 10},
                         {"webcam_f11", "movie.avi", 11}};

std::vector<float> read_f32(const std::string& path, size_t count) {
  std::ifstream f(path, std::ios::binary);
  std::vector<float> v(count);
  f.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(count * sizeof(float)));
  EXPECT_TRUE(f.good() && f.gcount() == static_cast<std::streamsize>(count * sizeof(float)))
      << path << ": missing or shorter than " << count << " floats";
  return v;
}

Tensor nhwc_to_nchw(const std::vector<float>& nhwc, int64_t h, int64_t w, int64_t c) {
  Tensor t({1, c, h, w});
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x)
      for (int64_t k = 0; k < c; ++k) t.f32()[(k * h + y) * w + x] = nhwc[static_cast<size_t>((y * w + x) * c + k)];
  return t;
}

void expect_matches_golden(const Tensor& out, const std::string& frame) {
  ASSERT_EQ(out.numel(), 256 * 256) << frame;
  std::vector<float> want = read_f32(kGoldenDir + "/" + frame + ".output.f32", 256 * 256);
  double max_diff = 0;
  int64_t same_side = 0;
  for (int64_t i = 0; i < out.numel(); ++i) {
    float got = out.f32()[i], ref = want[static_cast<size_t>(i)];
    max_diff = std::max(max_diff, static_cast<double>(std::fabs(got - ref)));
    same_side += (got > 0.5f) == (ref > 0.5f);
  }
  double agree = static_cast<double>(same_side) / static_cast<double>(out.numel());
  std::printf("  %s: max |diff| %.3g, same side of 0.5: %.4f%%\n", frame.c_str(), max_diff, 100 * agree);
  EXPECT_LE(max_diff, 1e-3) << frame;
  EXPECT_GE(agree, 0.999) << frame;
}

TEST(Golden, TfliteImporterReproducesReference) {
  std::string model = kAssetDir + "/selfie_segmentation.tflite";
  ASSERT_TRUE(std::filesystem::exists(model)) << model << " missing: run scripts/fetch_assets.sh";
  Executor ex(load_model(model));
  for (const Frame& f : kFrames) {
    std::vector<Tensor> in(1);
    in[0] = Tensor::from_floats({1, 256, 256, 3}, read_f32(kGoldenDir + "/" + f.name + ".input.f32", 256 * 256 * 3));
    std::vector<Tensor> out = ex.run(in);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].shape(), (Shape{1, 256, 256, 1}));
    expect_matches_golden(out[0], f.name);
  }
}

TEST(Golden, OnnxImporterReproducesReference) {
  Executor ex(load_model(kGoldenDir + "/selfie_segmentation.onnx"));
  for (const Frame& f : kFrames) {
    std::vector<Tensor> in(1);
    in[0] = nhwc_to_nchw(read_f32(kGoldenDir + "/" + f.name + ".input.f32", 256 * 256 * 3), 256, 256, 3);
    std::vector<Tensor> out = ex.run(in);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].shape(), (Shape{1, 1, 256, 256}));
    expect_matches_golden(out[0], f.name);
  }
}

// The CLI's frame path (decode, BGR->RGB, resize, /255) must produce the reference inputs.
TEST(Golden, FramePreprocessingMatchesReferenceInputs) {
  ImageInput image;  // the default model's input: 1x256x256x3 NHWC
  image.height = image.width = 256;
  image.nhwc = true;
  for (const Frame& f : kFrames) {
    cv::VideoCapture cap(kAssetDir + "/" + f.clip);
    ASSERT_TRUE(cap.isOpened()) << f.clip << " missing: run scripts/fetch_assets.sh";
    cv::Mat frame;
    for (int i = 0; i <= f.index; ++i) ASSERT_TRUE(cap.read(frame)) << f.clip << " frame " << i;
    Tensor t;
    frame_to_tensor(frame, image, t);
    std::vector<float> want = read_f32(kGoldenDir + "/" + f.name + ".input.f32", 256 * 256 * 3);
    ASSERT_EQ(t.numel(), static_cast<int64_t>(want.size()));
    double max_diff = 0;
    for (int64_t i = 0; i < t.numel(); ++i)
      max_diff = std::max(max_diff, static_cast<double>(std::fabs(t.f32()[i] - want[static_cast<size_t>(i)])));
    EXPECT_LE(max_diff, 1e-6) << f.name;
  }
}

}  // namespace
}  // namespace resq
