#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "engine/error.h"
#include "engine/op_registry.h"
#include "tests/unit/op_testing.h"

namespace resq {
namespace {

using testing::run_op;
using testing::floats;

Attributes axis(int64_t a) {
  Attributes at;
  at.set("axis", a);
  return at;
}

// softmax([1, 2, 3]) = exp([-2, -1, 0]) / sum.
const std::vector<float> kSoft123 = {0.09003057f, 0.24472847f, 0.66524096f};

TEST(Softmax, DefaultLastAxis) {
  Tensor x = floats({2, 3}, {1, 2, 3, 1, 2, 3});
  auto y = run_op("Softmax", {}, {&x});
  ASSERT_EQ(y[0].shape(), (Shape{2, 3}));
  for (size_t i = 0; i < 6; ++i) EXPECT_NEAR(y[0].f32()[i], kSoft123[i % 3], 1e-6f);
}

TEST(Softmax, LargeValuesAreStable) {
  Tensor x = floats({3}, {1001, 1002, 1003});
  auto y = run_op("Softmax", axis(-1), {&x});
  for (size_t i = 0; i < 3; ++i) EXPECT_NEAR(y[0].f32()[i], kSoft123[i], 1e-6f);
}

// Middle axis of [2,3,4] against a direct per-slice computation in double.
TEST(Softmax, MiddleAxisMatchesNaive) {
  std::vector<float> v(24);
  for (size_t i = 0; i < v.size(); ++i) v[i] = std::sin(static_cast<float>(i)) * 3;
  Tensor x = floats({2, 3, 4}, v);
  for (int64_t a : {1, -2}) {
    auto y = run_op("Softmax", axis(a), {&x});
    for (size_t n = 0; n < 2; ++n)
      for (size_t w = 0; w < 4; ++w) {
        double sum = 0;
        for (size_t c = 0; c < 3; ++c) sum += std::exp(double(v[(n * 3 + c) * 4 + w]));
        for (size_t c = 0; c < 3; ++c) {
          const size_t k = (n * 3 + c) * 4 + w;
          EXPECT_NEAR(y[0].f32()[k], std::exp(double(v[k])) / sum, 1e-6);
        }
      }
  }
}

TEST(Softmax, Axis0) {
  Tensor x = floats({2, 3}, {1, 2, 3, 1, 2, 3});
  auto y = run_op("Softmax", axis(0), {&x});
  for (float v : y[0].floats()) EXPECT_NEAR(v, 0.5f, 1e-6f);
}

TEST(Softmax, Coerce2dNormalizesTrailingBlock) {
  // Opset < 13: axis 0 coerces [2,3] to [1,6], so all six values share one softmax.
  Tensor x = floats({2, 3}, {1, 2, 3, 1, 2, 3});
  Attributes a = axis(0);
  a.set("coerce_2d", int64_t{1});
  auto y = run_op("Softmax", a, {&x});
  for (size_t i = 0; i < 6; ++i) EXPECT_NEAR(y[0].f32()[i], kSoft123[i % 3] / 2, 1e-6f);
  // Default axis is then 1: [1,2,3] -> one row of 6.
  Attributes c;
  c.set("coerce_2d", int64_t{1});
  Tensor x3 = floats({1, 2, 3}, {1, 2, 3, 1, 2, 3});
  y = run_op("Softmax", c, {&x3});
  for (size_t i = 0; i < 6; ++i) EXPECT_NEAR(y[0].f32()[i], kSoft123[i % 3] / 2, 1e-6f);
}

TEST(Softmax, AxisOutOfRange_n) {
  Tensor x = floats({2, 3}, {1, 2, 3, 4, 5, 6});
  EXPECT_THROW(run_op("Softmax", axis(2), {&x}), OpError);
  EXPECT_THROW(run_op("Softmax", axis(-3), {&x}), OpError);
  Tensor s = floats({}, {1});
  EXPECT_THROW(run_op("Softmax", {}, {&s}), OpError);
}

TEST(Softmax, BadInputs_n) {
  Tensor x = floats({2}, {1, 2});
  EXPECT_THROW(run_op("Softmax", {}, {}), OpError);
  EXPECT_THROW(run_op("Softmax", {}, {&x, &x}), OpError);
  Tensor i = Tensor::from_ints({2}, std::vector<int64_t>{1, 2});
  EXPECT_THROW(run_op("Softmax", {}, {&i}), OpError);
  Attributes a;
  a.set("coerce_2d", int64_t{3});
  EXPECT_THROW(find_op("Softmax")(a), OpError);
}

}  // namespace
}  // namespace resq
