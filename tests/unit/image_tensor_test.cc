#include "engine/image_tensor.h"

#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include "engine/error.h"

namespace resq {
namespace {

Graph graph_with_input(Shape shape) {
  Graph g;
  g.source = "test.onnx";
  Value v;
  v.name = "image";
  v.shape = std::move(shape);
  v.shape_known = true;
  g.inputs.push_back(g.add_value(v));
  return g;
}

TEST(ImageTensor, FindsNchwAndNhwcInputs) {
  ImageInput a = find_image_input(graph_with_input({1, 3, 64, 32}));
  EXPECT_FALSE(a.nhwc);
  EXPECT_EQ(a.height, 64);
  EXPECT_EQ(a.width, 32);
  ImageInput b = find_image_input(graph_with_input({1, 48, 40, 3}));
  EXPECT_TRUE(b.nhwc);
  EXPECT_EQ(b.height, 48);
  EXPECT_EQ(b.width, 40);
}

TEST(ImageTensor, NoImageInput_n) {
  EXPECT_THROW(find_image_input(graph_with_input({1, 4, 8, 8})), ModelError);
  EXPECT_THROW(find_image_input(graph_with_input({1, 3, 8})), ModelError);
}

TEST(ImageTensor, NchwPlanesAreRgbScaled) {
  cv::Mat bgr(2, 2, CV_8UC3, cv::Scalar(10, 20, 255));  // B, G, R
  ImageInput in;
  in.height = in.width = 2;
  Tensor t;
  frame_to_tensor(bgr, in, t);
  ASSERT_EQ(t.shape(), (Shape{1, 3, 2, 2}));
  EXPECT_FLOAT_EQ(t.f32()[0], 1.0f);            // R plane
  EXPECT_FLOAT_EQ(t.f32()[4], 20.0f / 255.0f);  // G plane
  EXPECT_FLOAT_EQ(t.f32()[8], 10.0f / 255.0f);  // B plane
}

// The same floats as OpenCV's own chain (swap channels, bilinear resize, convertTo / 255), in
// both layouts, for a frame at the input size and one that is resized.
TEST(ImageTensor, MatchesOpenCvConversion) {
  cv::Mat bgr(37, 53, CV_8UC3);
  cv::randu(bgr, 0, 256);
  for (const cv::Size size : {cv::Size(53, 37), cv::Size(24, 20)}) {
    cv::Mat rgb, resized, want;
    cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
    cv::resize(rgb, resized, size, 0, 0, cv::INTER_LINEAR);
    resized.convertTo(want, CV_32FC3, 1.0 / 255.0);
    for (const bool nhwc : {true, false}) {
      ImageInput in;
      in.height = size.height, in.width = size.width, in.nhwc = nhwc;
      Tensor t;
      frame_to_tensor(bgr, in, t);
      const int64_t plane = in.height * in.width;
      for (int64_t i = 0; i < plane; ++i)
        for (int c = 0; c < 3; ++c) {
          const float got = nhwc ? t.f32()[i * 3 + c] : t.f32()[c * plane + i];
          ASSERT_EQ(got, want.ptr<float>()[i * 3 + c])
              << "pixel " << i << " channel " << c << (nhwc ? " NHWC " : " NCHW ") << size;
        }
    }
  }
}

TEST(ImageTensor, EmptyFrame_n) {
  ImageInput in;
  in.height = in.width = 2;
  Tensor t;
  EXPECT_THROW(frame_to_tensor(cv::Mat(), in, t), ModelError);
}

TEST(ImageTensor, MapShapes) {
  Tensor nchw({1, 1, 3, 5});
  nchw.f32()[7] = 0.75f;
  cv::Mat m = map_from_tensor(nchw);
  EXPECT_EQ(m.rows, 3);
  EXPECT_EQ(m.cols, 5);
  EXPECT_FLOAT_EQ(m.at<float>(1, 2), 0.75f);
  EXPECT_THROW(map_from_tensor(Tensor({1, 2, 3, 5})), ModelError);
}

TEST(ImageTensor, OverlayTintsOnlyMaskedPixels) {
  cv::Mat frame(4, 4, CV_8UC3, cv::Scalar(0, 0, 0));
  cv::Mat map(2, 2, CV_32FC1, cv::Scalar(0.0f));
  map.at<float>(0, 0) = 1.0f;
  overlay_mask(frame, map);
  EXPECT_GT(frame.at<cv::Vec3b>(0, 0)[1], 0);
  EXPECT_EQ(frame.at<cv::Vec3b>(3, 3)[1], 0);
}

}  // namespace
}  // namespace resq
