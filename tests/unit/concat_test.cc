#include <gtest/gtest.h>

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
using testing::values;

Attributes axis(int64_t a) {
  Attributes at;
  at.set("axis", a);
  return at;
}

TEST(Concat, Axis0And1) {
  Tensor a = floats({2, 2}, {1, 2, 3, 4}), b = floats({1, 2}, {5, 6}), c = floats({2, 1}, {7, 8});
  auto y = run_op("Concat", axis(0), {&a, &b});
  EXPECT_EQ(y[0].shape(), (Shape{3, 2}));
  EXPECT_EQ(values(y[0]), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  y = run_op("Concat", axis(1), {&a, &c});
  EXPECT_EQ(y[0].shape(), (Shape{2, 3}));
  EXPECT_EQ(values(y[0]), (std::vector<float>{1, 2, 7, 3, 4, 8}));
}

TEST(Concat, NegativeAxisThreeInputs) {
  Tensor a = floats({1, 2, 1}, {1, 2}), b = floats({1, 2, 2}, {3, 4, 5, 6}),
         c = floats({1, 2, 1}, {7, 8});
  auto y = run_op("Concat", axis(-1), {&a, &b, &c});
  EXPECT_EQ(y[0].shape(), (Shape{1, 2, 4}));
  EXPECT_EQ(values(y[0]), (std::vector<float>{1, 3, 4, 7, 2, 5, 6, 8}));
}

TEST(Concat, MiddleAxisOfRank4MatchesNaive) {
  // Channel concat of NCHW tensors: out[n][c][h][w] from a for c < 2, else b[c - 2].
  std::vector<float> av(2 * 2 * 3), bv(2 * 3 * 3);
  for (size_t i = 0; i < av.size(); ++i) av[i] = static_cast<float>(i);
  for (size_t i = 0; i < bv.size(); ++i) bv[i] = 100.0f + static_cast<float>(i);
  Tensor a = floats({2, 2, 3, 1}, av), b = floats({2, 3, 3, 1}, bv);
  auto y = run_op("Concat", axis(1), {&a, &b});
  ASSERT_EQ(y[0].shape(), (Shape{2, 5, 3, 1}));
  for (size_t n = 0; n < 2; ++n)
    for (size_t c = 0; c < 5; ++c)
      for (size_t h = 0; h < 3; ++h) {
        const float want = c < 2 ? av[(n * 2 + c) * 3 + h] : bv[(n * 3 + c - 2) * 3 + h];
        EXPECT_EQ(y[0].f32()[(n * 5 + c) * 3 + h], want);
      }
}

TEST(Concat, Int64AndSingleInput) {
  std::vector<int64_t> av = {1, 2}, bv = {3};
  Tensor a = Tensor::from_ints({2}, av), b = Tensor::from_ints({1}, bv);
  auto y = run_op("Concat", axis(0), {&a, &b});
  EXPECT_EQ(y[0].dtype(), DType::kInt64);
  EXPECT_EQ(std::vector<int64_t>(y[0].ints().begin(), y[0].ints().end()),
            (std::vector<int64_t>{1, 2, 3}));
  y = run_op("Concat", axis(0), {&a});
  EXPECT_EQ(y[0].numel(), 2);
}

TEST(Concat, EmptyInput) {
  Tensor a = floats({2, 0}, {}), b = floats({2, 1}, {1, 2});
  auto y = run_op("Concat", axis(1), {&a, &b});
  EXPECT_EQ(y[0].shape(), (Shape{2, 1}));
  EXPECT_EQ(values(y[0]), (std::vector<float>{1, 2}));
}

TEST(Concat, RankMismatch_n) {
  Tensor a = floats({2, 2}, {1, 2, 3, 4}), b = floats({4}, {1, 2, 3, 4});
  EXPECT_THROW(run_op("Concat", axis(0), {&a, &b}), OpError);
}

TEST(Concat, ShapeMismatchOffAxis_n) {
  Tensor a = floats({2, 2}, {1, 2, 3, 4}), b = floats({3, 1}, {1, 2, 3});
  EXPECT_THROW(run_op("Concat", axis(1), {&a, &b}), OpError);
}

TEST(Concat, AxisOutOfRange_n) {
  Tensor a = floats({2}, {1, 2});
  EXPECT_THROW(run_op("Concat", axis(1), {&a, &a}), OpError);
  EXPECT_THROW(run_op("Concat", axis(-2), {&a, &a}), OpError);
}

TEST(Concat, MissingAxisOrInputs_n) {
  EXPECT_THROW(find_op("Concat")(Attributes{}), OpError);
  EXPECT_THROW(run_op("Concat", axis(0), {}), OpError);
  Tensor s = floats({}, {1});
  EXPECT_THROW(run_op("Concat", axis(0), {&s, &s}), OpError);
}

TEST(Concat, DtypeMismatch_n) {
  std::vector<int64_t> iv = {1};
  Tensor a = floats({1}, {1}), b = Tensor::from_ints({1}, iv);
  EXPECT_THROW(run_op("Concat", axis(0), {&a, &b}), OpError);
}

}  // namespace
}  // namespace resq
