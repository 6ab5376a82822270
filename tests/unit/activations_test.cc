#include <gtest/gtest.h>

#include <cmath>
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
