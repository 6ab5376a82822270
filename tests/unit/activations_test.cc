#include <gtest/gtest.h>

#include <bit>
#include <climits>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <vector>

#include "engine/error.h"
#include "engine/op_registry.h"
#include "tests/unit/op_testing.h"

namespace resq {
namespace {

using testing::run_op;
using testing::floats;

void expect_floats(const Tensor& t, const std::vector<float>& want) {
  ASSERT_EQ(t.numel(), static_cast<int64_t>(want.size()));
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(t.f32()[i], want[i], 1e-6f) << "at " << i;
}

const Tensor kX = floats({2, 3}, {-4, -1, -0.5f, 0, 2, 7});

TEST(Activations, Relu) {
  auto y = run_op("Relu", {}, {&kX});
  EXPECT_EQ(y[0].shape(), (Shape{2, 3}));
  expect_floats(y[0], {0, 0, 0, 0, 2, 7});
}

TEST(Activations, ClipBothBounds) {
  Tensor lo = floats({}, {-1}), hi = floats({}, {6});
  expect_floats(run_op("Clip", {}, {&kX, &lo, &hi})[0], {-1, -1, -0.5f, 0, 2, 6});
}

TEST(Activations, ClipOptionalBounds) {
  Tensor lo = floats({}, {0}), hi = floats({1}, {1});
  expect_floats(run_op("Clip", {}, {&kX, &lo})[0], {0, 0, 0, 0, 2, 7});
  expect_floats(run_op("Clip", {}, {&kX, nullptr, &hi})[0], {-4, -1, -0.5f, 0, 1, 1});
  expect_floats(run_op("Clip", {}, {&kX})[0], {-4, -1, -0.5f, 0, 2, 7});
  expect_floats(run_op("Clip", {}, {&kX, nullptr, nullptr})[0], {-4, -1, -0.5f, 0, 2, 7});
}

TEST(Activations, ClipMinAboveMaxGivesMax) {
  Tensor lo = floats({}, {3}), hi = floats({}, {1});
  expect_floats(run_op("Clip", {}, {&kX, &lo, &hi})[0], {1, 1, 1, 1, 1, 1});
}

TEST(Activations, HardSigmoid) {
  // Defaults alpha 0.2, beta 0.5: clamp(0.2x + 0.5, 0, 1).
  expect_floats(run_op("HardSigmoid", {}, {&kX})[0], {0, 0.3f, 0.4f, 0.5f, 0.9f, 1});
  Attributes a;
  a.set("alpha", 0.5f);
  a.set("beta", 0.25f);
  expect_floats(run_op("HardSigmoid", a, {&kX})[0], {0, 0, 0, 0.25f, 1, 1});
}

TEST(Activations, HardSwish) {
  // x * clamp(x/6 + 0.5, 0, 1): -4 -> 0, -1 -> -1/3, -0.5 -> -0.5*2.5/6, 2 -> 2*5/6, 7 -> 7.
  expect_floats(run_op("HardSwish", {}, {&kX})[0],
                {0, -1.0f / 3, -0.5f * 2.5f / 6, 0, 10.0f / 6, 7});
}

TEST(Activations, SigmoidIncludingExtremes) {
  Tensor x = floats({5}, {0, 1, -1, 100, -100});
  auto y = run_op("Sigmoid", {}, {&x});
  const double e = std::exp(1.0);
  expect_floats(y[0], {0.5f, float(e / (1 + e)), float(1 / (1 + e)), 1, 0});
  for (float v : y[0].floats()) EXPECT_FALSE(std::isnan(v));
}

// The std::exp form the vectorised Sigmoid must match within a few ulp.
float reference_sigmoid(float x) {
  if (x >= 0) return 1.0f / (1.0f + std::exp(-x));
  const float e = std::exp(x);
  return e / (1.0f + e);
}

int64_t ulp_distance(float a, float b) {
  auto ordered = [](float f) {
    const auto i = std::bit_cast<int32_t>(f);
    return i < 0 ? int64_t{INT32_MIN} - i : int64_t{i};
  };
  return std::abs(ordered(a) - ordered(b));
}

TEST(Activations, SigmoidWithinThreeUlpOfStdExpEverywhere) {
  // Every 1009th float in [-110, 110] (both signs, denormal outputs below -87), plus extremes.
  std::vector<float> xs = {0.0f, -0.0f, 1e-30f, -1e-30f, 88.7f, -88.7f, -103.9f, -104.0f,
                           -150.0f, 1e30f, -1e30f, std::numeric_limits<float>::max(),
                           std::numeric_limits<float>::lowest()};
  for (float x = 1e-8f; x < 110.0f;
       x = std::bit_cast<float>(std::bit_cast<int32_t>(x) + 1009)) {
    xs.push_back(x);
    xs.push_back(-x);
  }
  Tensor t = floats({static_cast<int64_t>(xs.size())}, xs);
  auto y = run_op("Sigmoid", {}, {&t});
  for (size_t i = 0; i < xs.size(); ++i)
    ASSERT_LE(ulp_distance(y[0].f32()[i], reference_sigmoid(xs[i])), 3)
        << "x = " << xs[i] << ": " << y[0].f32()[i] << " vs " << reference_sigmoid(xs[i]);
}

TEST(Activations, SigmoidSameValueAtEveryPosition) {
  // Alone, a value takes the tail path; in a long tensor the vector body. Both must agree,
  // or results would depend on the tensor size.
  std::vector<float> xs;
  for (int i = 0; i < 4000; ++i) xs.push_back(-110.0f + 0.055f * static_cast<float>(i));
  Tensor all = floats({static_cast<int64_t>(xs.size())}, xs);
  const auto y = run_op("Sigmoid", {}, {&all});
  for (size_t i = 0; i < xs.size(); ++i) {
    Tensor one = floats({1}, {xs[i]});
    ASSERT_EQ(run_op("Sigmoid", {}, {&one})[0].f32()[0], y[0].f32()[i]) << "x = " << xs[i];
  }
}

TEST(Activations, SigmoidNanAndInfinity) {
  const float inf = std::numeric_limits<float>::infinity();
  Tensor t = floats({3}, {std::numeric_limits<float>::quiet_NaN(), inf, -inf});
  auto y = run_op("Sigmoid", {}, {&t});
  EXPECT_TRUE(std::isnan(y[0].f32()[0]));
  EXPECT_EQ(y[0].f32()[1], 1.0f);
  EXPECT_EQ(y[0].f32()[2], 0.0f);
}

TEST(Activations, LeakyRelu) {
  expect_floats(run_op("LeakyRelu", {}, {&kX})[0], {-0.04f, -0.01f, -0.005f, 0, 2, 7});
  Attributes a;
  a.set("alpha", 0.5f);
  expect_floats(run_op("LeakyRelu", a, {&kX})[0], {-2, -0.5f, -0.25f, 0, 2, 7});
}

TEST(Activations, ClipNonScalarBound_n) {
  Tensor lo = floats({2}, {0, 1});
  EXPECT_THROW(run_op("Clip", {}, {&kX, &lo}), OpError);
}

TEST(Activations, ClipTooManyInputs_n) {
  Tensor lo = floats({}, {0});
  EXPECT_THROW(run_op("Clip", {}, {&kX, &lo, &lo, &lo}), OpError);
}

TEST(Activations, WrongInputCount_n) {
  EXPECT_THROW(run_op("Relu", {}, {}), OpError);
  EXPECT_THROW(run_op("Sigmoid", {}, {&kX, &kX}), OpError);
}

TEST(Activations, Int64Input_n) {
  std::vector<int64_t> v = {1, 2};
  Tensor x = Tensor::from_ints({2}, v);
  EXPECT_THROW(run_op("Relu", {}, {&x}), OpError);
}

TEST(Activations, BadAttributeKind_n) {
  Attributes a;
  a.set("alpha", std::string("big"));
  EXPECT_THROW(find_op("LeakyRelu")(a), OpError);
}

}  // namespace
}  // namespace resq
