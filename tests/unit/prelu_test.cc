#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "engine/error.h"
#include "engine/op_registry.h"
#include "tests/unit/op_testing.h"

namespace resq {
namespace {

using testing::run_op;
using testing::floats;

TEST(PRelu, ScalarSlope) {
  Tensor x = floats({4}, {-2, -1, 0, 3});
  Tensor s = floats({1}, {0.5f});
  auto y = run_op("PRelu", {}, {&x, &s});
  EXPECT_EQ(y[0].shape(), (Shape{4}));
  const std::vector<float> want = {-1, -0.5f, 0, 3};
  for (size_t i = 0; i < want.size(); ++i) EXPECT_FLOAT_EQ(y[0].f32()[i], want[i]);
}

TEST(PRelu, PerChannelSlopeMatchesNaiveLoop) {
  // X [1,3,2,2], slope [3,1,1]: channel c scales its negatives by slope[c].
  std::vector<float> xv(12);
  for (size_t i = 0; i < xv.size(); ++i) xv[i] = static_cast<float>(i) - 6.5f;
  Tensor x = floats({1, 3, 2, 2}, xv);
  Tensor s = floats({3, 1, 1}, {0.1f, 0.2f, 0.3f});
  auto y = run_op("PRelu", {}, {&x, &s});
  for (size_t c = 0; c < 3; ++c)
    for (size_t k = 0; k < 4; ++k) {
      const float v = xv[c * 4 + k];
      EXPECT_FLOAT_EQ(y[0].f32()[c * 4 + k], v < 0 ? v * s.f32()[c] : v);
    }
}

TEST(PRelu, FullShapeSlope) {
  Tensor x = floats({2, 2}, {-1, -2, 3, -4});
  Tensor s = floats({2, 2}, {1, 2, 3, 4});
  auto y = run_op("PRelu", {}, {&x, &s});
  const std::vector<float> want = {-1, -4, 3, -16};
  for (size_t i = 0; i < want.size(); ++i) EXPECT_FLOAT_EQ(y[0].f32()[i], want[i]);
}

TEST(PRelu, LastAxisSlope) {
  Tensor x = floats({2, 3}, {-1, -1, -1, -2, 2, -2});
  Tensor s = floats({3}, {1, 2, 3});
  auto y = run_op("PRelu", {}, {&x, &s});
  const std::vector<float> want = {-1, -2, -3, -2, 2, -6};
  for (size_t i = 0; i < want.size(); ++i) EXPECT_FLOAT_EQ(y[0].f32()[i], want[i]);
}

TEST(PRelu, SlopeNotBroadcastableToX_n) {
  Tensor x = floats({1, 3}, {1, 2, 3});
  Tensor s = floats({2, 3}, {1, 2, 3, 4, 5, 6});  // would grow X
  EXPECT_THROW(run_op("PRelu", {}, {&x, &s}), OpError);
  Tensor bad = floats({2}, {1, 2});
  EXPECT_THROW(run_op("PRelu", {}, {&x, &bad}), OpError);
}

TEST(PRelu, WrongInputCount_n) {
  Tensor x = floats({1}, {1});
  EXPECT_THROW(run_op("PRelu", {}, {&x}), OpError);
}

}  // namespace
}  // namespace resq
