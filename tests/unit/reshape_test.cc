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

Tensor shape_tensor(std::vector<int64_t> v) {
  return Tensor::from_ints({static_cast<int64_t>(v.size())}, v);
}

Tensor ramp(const Shape& s) {
  std::vector<float> v(static_cast<size_t>(shape_numel(s)));
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i);
  return floats(s, v);
}

Shape reshaped(const Shape& in, std::vector<int64_t> shape, int64_t allowzero = 0) {
  Tensor x = ramp(in), s = shape_tensor(std::move(shape));
  Attributes a;
  if (allowzero) a.set("allowzero", allowzero);
  auto y = run_op("Reshape", a, {&x, &s});
  for (int64_t i = 0; i < y[0].numel(); ++i) EXPECT_EQ(y[0].f32()[i], static_cast<float>(i));
  return y[0].shape();
}

TEST(Reshape, ExplicitZeroAndMinusOne) {
  EXPECT_EQ(reshaped({2, 3, 4}, {4, 2, 3}), (Shape{4, 2, 3}));
  EXPECT_EQ(reshaped({2, 3, 4}, {24}), (Shape{24}));
  EXPECT_EQ(reshaped({2, 3, 4}, {2, -1, 2}), (Shape{2, 6, 2}));
  EXPECT_EQ(reshaped({2, 3, 4}, {0, 3, 4, 1}), (Shape{2, 3, 4, 1}));
  EXPECT_EQ(reshaped({2, 3, 4}, {0, 0, -1, 4}), (Shape{2, 3, 1, 4}));
  EXPECT_EQ(reshaped({2, 3, 4}, {-1}), (Shape{24}));
}

TEST(Reshape, AllowZeroKeepsZero) {
  EXPECT_EQ(reshaped({0, 3, 4}, {3, 4, 0}, 1), (Shape{3, 4, 0}));
  // Without allowzero the 0 copies dim 2 (4).
  EXPECT_EQ(reshaped({2, 3, 4}, {3, -1, 0}), (Shape{3, 2, 4}));
}

TEST(Reshape, Int64Data) {
  std::vector<int64_t> v = {1, 2, 3, 4, 5, 6};
  Tensor x = Tensor::from_ints({6}, v), s = shape_tensor({3, 2});
  auto y = run_op("Reshape", {}, {&x, &s});
  EXPECT_EQ(y[0].dtype(), DType::kInt64);
  EXPECT_EQ(y[0].shape(), (Shape{3, 2}));
  EXPECT_EQ(y[0].i64()[5], 6);
}

TEST(Reshape, UnknownShapeInputDefersInference) {
  auto op = find_op("Reshape")(Attributes{});
  std::vector<TensorMeta> in = {{DType::kFloat32, {2, 3}}, {DType::kInt64, {2}}};
  EXPECT_FALSE(op->infer(in).has_value());
}

TEST(Reshape, TwoMinusOnes_n) {
  Tensor x = ramp({2, 3}), s = shape_tensor({-1, -1});
  EXPECT_THROW(run_op("Reshape", {}, {&x, &s}), OpError);
}

TEST(Reshape, CountMismatch_n) {
  Tensor x = ramp({2, 3}), s = shape_tensor({4, 2}), t = shape_tensor({4, -1});
  EXPECT_THROW(run_op("Reshape", {}, {&x, &s}), OpError);
  EXPECT_THROW(run_op("Reshape", {}, {&x, &t}), OpError);
}

TEST(Reshape, BadShapeValues_n) {
  Tensor x = ramp({2, 3});
  Tensor neg = shape_tensor({-2, -3}), copy_past_rank = shape_tensor({6, 1, 0});
  EXPECT_THROW(run_op("Reshape", {}, {&x, &neg}), OpError);
  EXPECT_THROW(run_op("Reshape", {}, {&x, &copy_past_rank}), OpError);
  Tensor huge = shape_tensor({INT64_MAX, INT64_MAX, 1});
  EXPECT_THROW(run_op("Reshape", {}, {&x, &huge}), OpError);
  Attributes a;
  a.set("allowzero", int64_t{1});
  Tensor zero_and_infer = shape_tensor({0, -1});
  EXPECT_THROW(run_op("Reshape", a, {&x, &zero_and_infer}), OpError);
}

TEST(Reshape, WrongInputs_n) {
  Tensor x = ramp({2, 3}), fs = floats({2}, {3, 2}),
         s2d = Tensor::from_ints({1, 2}, std::vector<int64_t>{3, 2});
  EXPECT_THROW(run_op("Reshape", {}, {&x}), OpError);
  EXPECT_THROW(run_op("Reshape", {}, {&x, &fs}), OpError);
  EXPECT_THROW(run_op("Reshape", {}, {&x, &s2d}), OpError);
  Attributes a;
  a.set("allowzero", int64_t{2});
  EXPECT_THROW(find_op("Reshape")(a), OpError);
}

Shape flattened(const Shape& in, int64_t axis) {
  Tensor x = ramp(in);
  Attributes a;
  a.set("axis", axis);
  auto y = run_op("Flatten", a, {&x});
  for (int64_t i = 0; i < y[0].numel(); ++i) EXPECT_EQ(y[0].f32()[i], static_cast<float>(i));
  return y[0].shape();
}

TEST(Flatten, Axes) {
  EXPECT_EQ(flattened({2, 3, 4, 5}, 0), (Shape{1, 120}));
  EXPECT_EQ(flattened({2, 3, 4, 5}, 2), (Shape{6, 20}));
  EXPECT_EQ(flattened({2, 3, 4, 5}, 4), (Shape{120, 1}));
  EXPECT_EQ(flattened({2, 3, 4, 5}, -1), (Shape{24, 5}));
  EXPECT_EQ(flattened({2, 3, 4, 5}, -4), (Shape{1, 120}));
  Tensor x = ramp({5, 4, 3});
  EXPECT_EQ(run_op("Flatten", {}, {&x})[0].shape(), (Shape{5, 12}));
}

TEST(Flatten, AxisOutOfRange_n) {
  Tensor x = ramp({2, 3});
  Attributes a;
  a.set("axis", int64_t{3});
  EXPECT_THROW(run_op("Flatten", a, {&x}), OpError);
  a.set("axis", int64_t{-3});
  EXPECT_THROW(run_op("Flatten", a, {&x}), OpError);
  EXPECT_THROW(run_op("Flatten", {}, {&x, &x}), OpError);
}

}  // namespace
}  // namespace resq
