#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/error.h"
#include "engine/op_registry.h"
#include "tests/unit/op_testing.h"

namespace resq {
namespace {

using testing::run_op;
using testing::floats;

Tensor sizes(std::vector<int64_t> v) {
  return Tensor::from_ints({static_cast<int64_t>(v.size())}, v);
}
Tensor scales(std::vector<float> v) { return floats({static_cast<int64_t>(v.size())}, v); }

Attributes attrs(const std::string& mode, const std::string& coord = "half_pixel",
                 const std::string& nearest = "round_prefer_floor") {
  Attributes a;
  a.set("mode", mode);
  a.set("coordinate_transformation_mode", coord);
  a.set("nearest_mode", nearest);
  return a;
}

// Resize of X = [1, 2, 3, 4] to sizes {n}.
std::vector<float> resize1d(const Attributes& a, int64_t n, const Tensor* roi = nullptr) {
  Tensor x = floats({4}, {1, 2, 3, 4}), s = sizes({n});
  auto y = run_op("Resize", a, {&x, roi, nullptr, &s});
  EXPECT_EQ(y[0].shape(), (Shape{n}));
  return {y[0].floats().begin(), y[0].floats().end()};
}

void expect_near(const std::vector<float>& got, const std::vector<float>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5f) << "at " << i;
}

TEST(Resize, NearestHalfPixelUpsample) {
  // x_in = (o + 0.5) / 2 - 0.5.
  expect_near(resize1d(attrs("nearest"), 8), {1, 1, 2, 2, 3, 3, 4, 4});
}

TEST(Resize, NearestModesAsymmetric) {
  // x_in = o / 1.5 = 0, .67, 1.33, 2, 2.67, 3.33.
  expect_near(resize1d(attrs("nearest", "asymmetric", "floor"), 6), {1, 1, 2, 3, 3, 4});
  expect_near(resize1d(attrs("nearest", "asymmetric", "ceil"), 6), {1, 2, 3, 3, 4, 4});
  expect_near(resize1d(attrs("nearest", "asymmetric", "round_prefer_floor"), 6),
              {1, 2, 2, 3, 4, 4});
}

TEST(Resize, NearestTiesFollowPreference) {
  // half_pixel to 3: x_in = 0.17, 1.5, 2.83.
  expect_near(resize1d(attrs("nearest", "half_pixel", "round_prefer_floor"), 3), {1, 2, 4});
  expect_near(resize1d(attrs("nearest", "half_pixel", "round_prefer_ceil"), 3), {1, 3, 4});
}

TEST(Resize, NearestTfHalfPixelForNn) {
  // x_in = (o + 0.5) / 0.5 = 1, 3 (half_pixel would give 0.5, 2.5 -> 1, 3).
  expect_near(resize1d(attrs("nearest", "tf_half_pixel_for_nn"), 2), {2, 4});
  expect_near(resize1d(attrs("nearest", "half_pixel"), 2), {1, 3});
}

TEST(Resize, LinearCoordinateModes) {
  expect_near(resize1d(attrs("linear"), 8), {1, 1.25f, 1.75f, 2.25f, 2.75f, 3.25f, 3.75f, 4});
  expect_near(resize1d(attrs("linear", "align_corners"), 7), {1, 1.5f, 2, 2.5f, 3, 3.5f, 4});
  expect_near(resize1d(attrs("linear", "asymmetric"), 8), {1, 1.5f, 2, 2.5f, 3, 3.5f, 4, 4});
  // To one sample: half_pixel reads x_in = 0.5/0.25 - 0.5 = 1.5, pytorch_half_pixel reads 0.
  expect_near(resize1d(attrs("linear", "half_pixel"), 1), {2.5f});
  expect_near(resize1d(attrs("linear", "pytorch_half_pixel"), 1), {1});
  expect_near(resize1d(attrs("linear", "pytorch_half_pixel"), 2), {1.5f, 3.5f});
}

TEST(Resize, TfCropAndResizeWithExtrapolation) {
  Attributes a = attrs("linear", "tf_crop_and_resize");
  a.set("extrapolation_value", 10.0f);
  // x_in = start * 3 + o * (end - start) * 3 / 2.
  Tensor roi = floats({2}, {0.25f, 0.75f});
  expect_near(resize1d(a, 3, &roi), {1.75f, 2.5f, 3.25f});
  Tensor wide = floats({2}, {0, 1.5f});
  expect_near(resize1d(a, 3, &wide), {1, 3.25f, 10});
  Attributes n = attrs("nearest", "tf_crop_and_resize");
  n.set("extrapolation_value", -1.0f);
  expect_near(resize1d(n, 3, &wide), {1, 3, -1});
}

TEST(Resize, CubicHandValues) {
  // Asymmetric 2x: x_in = o / 2. At t = 0.5 Keys' weights (a = -0.75) are
  // -0.09375, 0.59375, 0.59375, -0.09375; indices clamp at the border.
  Attributes a = attrs("cubic", "asymmetric");
  auto y = resize1d(a, 8);
  EXPECT_NEAR(y[0], 1, 1e-5f);
  EXPECT_NEAR(y[1], -0.09375f * 1 + 0.59375f * 1 + 0.59375f * 2 - 0.09375f * 3, 1e-5f);
  EXPECT_NEAR(y[2], 2, 1e-5f);
  EXPECT_NEAR(y[3], 2.5f, 1e-5f);
  a.set("exclude_outside", int64_t{1});
  y = resize1d(a, 8);
  EXPECT_NEAR(y[1], (0.59375f * 1 + 0.59375f * 2 - 0.09375f * 3) / 1.09375f, 1e-5f);
  EXPECT_NEAR(y[3], 2.5f, 1e-5f);
}

double keys(double d, double a) {
  d = std::fabs(d);
  if (d <= 1) return ((a + 2) * d - (a + 3)) * d * d + 1;
  if (d < 2) return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a;
  return 0;
}

void cubic_2d_matches_naive(int64_t h, int64_t w, int64_t oh, int64_t ow) {
  SCOPED_TRACE(std::to_string(w) + " -> " + std::to_string(ow));
  std::vector<float> v(static_cast<size_t>(h * w));
  for (size_t i = 0; i < v.size(); ++i) v[i] = std::cos(static_cast<float>(i)) * 5;
  Tensor x = floats({1, 1, h, w}, v), s = sizes({1, 1, oh, ow});
  Attributes a = attrs("cubic");
  a.set("cubic_coeff_a", -0.5f);
  auto y = run_op("Resize", a, {&x, nullptr, nullptr, &s});
  ASSERT_EQ(y[0].shape(), (Shape{1, 1, oh, ow}));
  auto clampi = [](int64_t i, int64_t n) { return std::clamp<int64_t>(i, 0, n - 1); };
  for (int64_t i = 0; i < oh; ++i)
    for (int64_t j = 0; j < ow; ++j) {
      const double yi = (i + 0.5) * h / oh - 0.5, xj = (j + 0.5) * w / ow - 0.5;
      double acc = 0;
      for (int64_t r = int64_t(std::floor(yi)) - 1; r <= int64_t(std::floor(yi)) + 2; ++r)
        for (int64_t c = int64_t(std::floor(xj)) - 1; c <= int64_t(std::floor(xj)) + 2; ++c)
          acc += keys(yi - double(r), -0.5) * keys(xj - double(c), -0.5) *
                 v[static_cast<size_t>(clampi(r, h) * w + clampi(c, w))];
      EXPECT_NEAR(y[0].f32()[i * ow + j], acc, 1e-4) << i << "," << j;
    }
}

// Direct 2-D cubic reference on [H,W]: sum over the 4x4 neighbourhood, clamped indices. Wide
// rows take the last-axis pass's vector blocks (upsampling) or its gathers (downsampling).
TEST(Resize, Cubic2DMatchesNaive) {
  for (const auto [h, w, oh, ow] : {std::array<int64_t, 4>{4, 5, 7, 9}, {3, 20, 5, 53}, {2, 64, 3, 20}})
    cubic_2d_matches_naive(h, w, oh, ow);
}

void bilinear_2x_matches_naive(int64_t c, int64_t h, int64_t w) {
  SCOPED_TRACE(std::to_string(c) + "x" + std::to_string(h) + "x" + std::to_string(w));
  std::vector<float> v(static_cast<size_t>(c * h * w));
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>((i * 37) % 11) - 5;
  Tensor x = floats({1, c, h, w}, v), s = scales({1, 1, 2, 2});
  auto y = run_op("Resize", attrs("linear"), {&x, nullptr, &s});
  ASSERT_EQ(y[0].shape(), (Shape{1, c, 2 * h, 2 * w}));
  auto sample = [&](int64_t ch, double yy, double xx) {
    yy = std::clamp(yy, 0.0, double(h - 1));
    xx = std::clamp(xx, 0.0, double(w - 1));
    const int64_t y0 = int64_t(yy), x0 = int64_t(xx);
    const int64_t y1 = std::min(y0 + 1, h - 1), x1 = std::min(x0 + 1, w - 1);
    const double fy = yy - double(y0), fx = xx - double(x0);
    auto at = [&](int64_t r, int64_t col) { return double(v[size_t((ch * h + r) * w + col)]); };
    return (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x1)) +
           fy * ((1 - fx) * at(y1, x0) + fx * at(y1, x1));
  };
  for (int64_t ch = 0; ch < c; ++ch)
    for (int64_t i = 0; i < 2 * h; ++i)
      for (int64_t j = 0; j < 2 * w; ++j)
        EXPECT_NEAR(y[0].f32()[(ch * 2 * h + i) * 2 * w + j],
                    sample(ch, (i + 0.5) / 2 - 0.5, (j + 0.5) / 2 - 0.5), 1e-5)
            << ch << "," << i << "," << j;
}

// The default model's case: 2x bilinear half_pixel on 1xCxHxW, against a direct formula; rows of
// 6 (gathers only), 16 (one vector block) and 37 (blocks, the last one shifted back, a tail).
TEST(Resize, BilinearHalfPixel2xNCHWMatchesNaive) {
  bilinear_2x_matches_naive(3, 5, 6);
  bilinear_2x_matches_naive(2, 3, 16);
  bilinear_2x_matches_naive(2, 3, 37);
}

// Only a middle axis resampled, with a batch of 2: whole rows of the last axis are blended.
TEST(Resize, MiddleAxisOfABatchAlignCorners) {
  std::vector<float> v(2 * 3 * 4);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i * i % 13);
  Tensor x = floats({2, 3, 4}, v), s = sizes({2, 5, 4});
  auto y = run_op("Resize", attrs("linear", "align_corners"), {&x, nullptr, nullptr, &s});
  ASSERT_EQ(y[0].shape(), (Shape{2, 5, 4}));
  auto at = [&](int64_t n, int64_t r, int64_t k) {
    return v[static_cast<size_t>((n * 3 + r) * 4 + k)];
  };
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t o = 0; o < 5; ++o)
      for (int64_t k = 0; k < 4; ++k) {
        // Input row o / 2: even o hit a row, odd o fall halfway between two.
        const float want =
            o % 2 == 0 ? at(n, o / 2, k) : (at(n, o / 2, k) + at(n, o / 2 + 1, k)) / 2;
        EXPECT_NEAR(y[0].f32()[(n * 5 + o) * 4 + k], want, 1e-5f) << n << "," << o << "," << k;
      }
}

// Crop outside the input on the last axis of every row: those outputs are the extrapolation value.
TEST(Resize, CropExtrapolatesOnTheLastAxisOfEveryRow) {
  Tensor x = floats({2, 4}, {1, 2, 3, 4, 5, 6, 7, 8}), s = sizes({2, 3});
  Tensor roi = floats({4}, {0, -0.5f, 1, 1.5f});  // last axis: x = 3 o - 1.5
  Attributes a = attrs("linear", "tf_crop_and_resize");
  a.set("extrapolation_value", -7.0f);
  auto y = run_op("Resize", a, {&x, &roi, nullptr, &s});
  ASSERT_EQ(y[0].shape(), (Shape{2, 3}));
  expect_near({y[0].floats().begin(), y[0].floats().end()}, {-7, 2.5f, -7, -7, 6.5f, -7});
}

TEST(Resize, ScalesFloorOutputAndEmptyScalesIsAbsent) {
  Tensor x({1, 1, 5, 5}), s = scales({1, 1, 0.5f, 0.7f});
  EXPECT_EQ(run_op("Resize", attrs("nearest"), {&x, nullptr, &s})[0].shape(), (Shape{1, 1, 2, 3}));
  Tensor empty_roi = floats({0}, {}), empty_scales = floats({0}, {}), sz = sizes({1, 1, 2, 2});
  EXPECT_EQ(run_op("Resize", attrs("nearest"), {&x, &empty_roi, &empty_scales, &sz})[0].shape(),
            (Shape{1, 1, 2, 2}));
}

TEST(Resize, IdentityCopies) {
  Tensor x = floats({2, 2}, {1, 2, 3, 4}), s = scales({1, 1});
  auto y = run_op("Resize", attrs("linear"), {&x, nullptr, &s});
  EXPECT_EQ(std::vector<float>(y[0].floats().begin(), y[0].floats().end()),
            (std::vector<float>{1, 2, 3, 4}));
}

TEST(Resize, UnknownSizesDeferInference) {
  auto op = find_op("Resize")(attrs("nearest"));
  std::vector<TensorMeta> in = {{DType::kFloat32, {1, 1, 2, 2}},
                                {DType::kFloat32, {}, nullptr, false},
                                {DType::kFloat32, {}, nullptr, false},
                                {DType::kInt64, {4}}};
  EXPECT_FALSE(op->infer(in).has_value());
}

TEST(Upsample, NearestAndLinear) {
  Tensor x = floats({1, 2}, {1, 3}), s = scales({1, 3});
  Attributes n;
  n.set("mode", std::string("nearest"));
  auto y = run_op("Upsample", n, {&x, &s});
  ASSERT_EQ(y[0].shape(), (Shape{1, 6}));
  expect_near({y[0].floats().begin(), y[0].floats().end()}, {1, 1, 1, 3, 3, 3});
  Attributes l;
  l.set("mode", std::string("linear"));
  Tensor s2 = scales({1, 2});
  y = run_op("Upsample", l, {&x, &s2});
  // Asymmetric: x_in = o / 2 = 0, 0.5, 1, 1.5 (clamped).
  expect_near({y[0].floats().begin(), y[0].floats().end()}, {1, 2, 3, 3});
}

TEST(Resize, BothOrNeitherScalesAndSizes_n) {
  Tensor x({1, 1, 2, 2}), s = scales({1, 1, 2, 2}), sz = sizes({1, 1, 4, 4}), e = floats({0}, {});
  EXPECT_THROW(run_op("Resize", attrs("nearest"), {&x, nullptr, &s, &sz}), OpError);
  EXPECT_THROW(run_op("Resize", attrs("nearest"), {&x, nullptr, nullptr, nullptr}), OpError);
  EXPECT_THROW(run_op("Resize", attrs("nearest"), {&x, nullptr, &e}), OpError);
}

TEST(Resize, WrongInputCount_n) {
  Tensor x({1, 1, 2, 2}), s = scales({1, 1, 2, 2});
  EXPECT_THROW(run_op("Resize", attrs("nearest"), {&x}), OpError);
  EXPECT_THROW(run_op("Resize", attrs("nearest"), {&x, nullptr, &s, nullptr, &s}), OpError);
  EXPECT_THROW(run_op("Upsample", {}, {&x, &s, &s}), OpError);
  EXPECT_THROW(run_op("Upsample", {}, {&x}), OpError);
}

TEST(Resize, BadAttributeStrings_n) {
  EXPECT_THROW(find_op("Resize")(attrs("bilinear")), OpError);
  EXPECT_THROW(find_op("Resize")(attrs("linear", "corners")), OpError);
  EXPECT_THROW(find_op("Resize")(attrs("nearest", "half_pixel", "round")), OpError);
  Attributes cubic_up;
  cubic_up.set("mode", std::string("cubic"));
  EXPECT_THROW(find_op("Upsample")(cubic_up), OpError);
  Attributes ex = attrs("cubic");
  ex.set("exclude_outside", int64_t{2});
  EXPECT_THROW(find_op("Resize")(ex), OpError);
}

TEST(Resize, BadScalesOrSizes_n) {
  Tensor x({1, 1, 2, 2});
  Tensor short_scales = scales({2, 2}), zero = scales({1, 1, 0, 2}), nan = scales({1, 1, NAN, 2});
  Tensor neg_size = sizes({1, 1, -1, 2}), huge = sizes({1, 1, INT64_MAX, 2});
  Tensor int_scales = sizes({1, 1, 2, 2}), float_sizes = scales({1, 1, 2, 2});
  EXPECT_THROW(run_op("Resize", attrs("nearest"), {&x, nullptr, &short_scales}), OpError);
  EXPECT_THROW(run_op("Resize", attrs("nearest"), {&x, nullptr, &zero}), OpError);
  EXPECT_THROW(run_op("Resize", attrs("nearest"), {&x, nullptr, &nan}), OpError);
  EXPECT_THROW(run_op("Resize", attrs("nearest"), {&x, nullptr, nullptr, &neg_size}), OpError);
  EXPECT_THROW(run_op("Resize", attrs("nearest"), {&x, nullptr, nullptr, &huge}), OpError);
  EXPECT_THROW(run_op("Resize", attrs("nearest"), {&x, nullptr, &int_scales}), OpError);
  EXPECT_THROW(run_op("Resize", attrs("nearest"), {&x, nullptr, nullptr, &float_sizes}), OpError);
}

TEST(Resize, CropWithoutRoi_n) {
  Tensor x({1, 1, 2, 2}), sz = sizes({1, 1, 3, 3}), short_roi = floats({4}, {0, 0, 1, 1});
  EXPECT_THROW(run_op("Resize", attrs("linear", "tf_crop_and_resize"), {&x, nullptr, nullptr, &sz}),
               OpError);
  EXPECT_THROW(
      run_op("Resize", attrs("linear", "tf_crop_and_resize"), {&x, &short_roi, nullptr, &sz}),
      OpError);
}

}  // namespace
}  // namespace resq
