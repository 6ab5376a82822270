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

Tensor ints(Shape s, std::vector<int64_t> v) { return Tensor::from_ints(std::move(s), v); }

// Value filling: distinct, non-zero, mixed sign.
Tensor ramp(const Shape& s, float start) {
  std::vector<float> v(static_cast<size_t>(shape_numel(s)));
  for (size_t i = 0; i < v.size(); ++i) v[i] = start + 0.5f * static_cast<float>(i);
  return floats(s, v);
}

// Naive 4-D broadcast reference: index each input with its own (dim == 1 ? 0 : i) per axis.
float ref_at(const Tensor& t, const int64_t (&i)[4]) {
  Shape s = t.shape();
  while (s.size() < 4) s.insert(s.begin(), 1);
  int64_t off = 0;
  for (int d = 0; d < 4; ++d) off = off * s[d] + (s[d] == 1 ? 0 : i[d]);
  return t.f32()[off];
}

void check_against_reference(const std::string& op, const Tensor& a, const Tensor& b,
                             const Shape& want_shape, float (*f)(float, float)) {
  auto y = run_op(op, {}, {&a, &b});
  ASSERT_EQ(y[0].shape(), want_shape);
  Shape s4 = want_shape;
  while (s4.size() < 4) s4.insert(s4.begin(), 1);
  int64_t k = 0;
  for (int64_t i0 = 0; i0 < s4[0]; ++i0)
    for (int64_t i1 = 0; i1 < s4[1]; ++i1)
      for (int64_t i2 = 0; i2 < s4[2]; ++i2)
        for (int64_t i3 = 0; i3 < s4[3]; ++i3, ++k) {
          const int64_t idx[4] = {i0, i1, i2, i3};
          EXPECT_FLOAT_EQ(y[0].f32()[k], f(ref_at(a, idx), ref_at(b, idx))) << op << " at " << k;
        }
}

float add(float u, float v) { return u + v; }
float sub(float u, float v) { return u - v; }
float mul(float u, float v) { return u * v; }
float dvd(float u, float v) { return u / v; }

TEST(Binary, EqualShapesHandValues) {
  Tensor a = floats({2, 2}, {1, 2, 3, 4}), b = floats({2, 2}, {10, 20, 30, 40});
  auto y = run_op("Add", {}, {&a, &b});
  EXPECT_EQ(y[0].shape(), (Shape{2, 2}));
  const std::vector<float> sum = {11, 22, 33, 44};
  for (size_t i = 0; i < 4; ++i) EXPECT_FLOAT_EQ(y[0].f32()[i], sum[i]);
  y = run_op("Div", {}, {&b, &a});
  for (size_t i = 0; i < 4; ++i) EXPECT_FLOAT_EQ(y[0].f32()[i], 10);
}

TEST(Binary, ScalarEitherSide) {
  Tensor a = floats({3}, {1, 2, 3}), s = floats({}, {2});
  auto y = run_op("Sub", {}, {&a, &s});
  EXPECT_EQ(y[0].shape(), (Shape{3}));
  EXPECT_FLOAT_EQ(y[0].f32()[0], -1);
  EXPECT_FLOAT_EQ(y[0].f32()[2], 1);
  y = run_op("Sub", {}, {&s, &a});
  EXPECT_FLOAT_EQ(y[0].f32()[0], 1);
  EXPECT_FLOAT_EQ(y[0].f32()[2], -1);
  check_against_reference("Div", s, a, {3}, dvd);
}

TEST(Binary, PerChannelBothOrders) {
  Tensor x = ramp({1, 3, 4, 5}, -7), c = ramp({1, 3, 1, 1}, 1);
  check_against_reference("Mul", x, c, {1, 3, 4, 5}, mul);
  check_against_reference("Add", c, x, {1, 3, 4, 5}, add);
  Tensor c3 = ramp({3, 1, 1}, 2);  // lower rank, still per-channel
  check_against_reference("Sub", x, c3, {1, 3, 4, 5}, sub);
}

TEST(Binary, MultidirectionalBroadcast) {
  check_against_reference("Add", ramp({3, 1}, 0), ramp({1, 4}, 10), {3, 4}, add);
  check_against_reference("Mul", ramp({2, 1, 3, 1}, -2), ramp({1, 4, 1, 5}, 1), {2, 4, 3, 5}, mul);
  check_against_reference("Sub", ramp({2, 3, 4}, 1), ramp({4}, 3), {2, 3, 4}, sub);
  check_against_reference("Div", ramp({5, 1, 1}, 1), ramp({2, 1, 3, 1}, 1), {2, 5, 3, 1}, dvd);
}

TEST(Binary, LastAxisAndMiddleBroadcast) {
  check_against_reference("Add", ramp({2, 3, 4, 5}, 0), ramp({1, 3, 1, 5}, 1), {2, 3, 4, 5}, add);
  check_against_reference("Mul", ramp({2, 3, 4, 5}, 0), ramp({2, 1, 4, 1}, 1), {2, 3, 4, 5}, mul);
}

TEST(Binary, EmptyTensor) {
  Tensor a({0, 3}), b = ramp({3}, 1);
  auto y = run_op("Add", {}, {&a, &b});
  EXPECT_EQ(y[0].shape(), (Shape{0, 3}));
}

TEST(Binary, Int64) {
  Tensor a = ints({2, 2}, {7, -7, 8, 9}), b = ints({2}, {2, 3});
  auto y = run_op("Add", {}, {&a, &b});
  EXPECT_EQ(y[0].dtype(), DType::kInt64);
  EXPECT_EQ(std::vector<int64_t>(y[0].ints().begin(), y[0].ints().end()),
            (std::vector<int64_t>{9, -4, 10, 12}));
  y = run_op("Div", {}, {&a, &b});
  EXPECT_EQ(std::vector<int64_t>(y[0].ints().begin(), y[0].ints().end()),
            (std::vector<int64_t>{3, -2, 4, 3}));
  y = run_op("Mul", {}, {&a, &b});
  EXPECT_EQ(y[0].ints()[3], 27);
}

TEST(Binary, IncompatibleShapes_n) {
  Tensor a = ramp({2, 3}, 0), b = ramp({2}, 0), c = ramp({4, 1, 3}, 0), d = ramp({2, 2, 1}, 0);
  EXPECT_THROW(run_op("Add", {}, {&a, &b}), OpError);
  EXPECT_THROW(run_op("Mul", {}, {&c, &d}), OpError);
}

TEST(Binary, DtypeMismatch_n) {
  Tensor a = ramp({2}, 0), b = ints({2}, {1, 2});
  EXPECT_THROW(run_op("Sub", {}, {&a, &b}), OpError);
}

TEST(Binary, WrongInputCount_n) {
  Tensor a = ramp({2}, 0);
  EXPECT_THROW(run_op("Add", {}, {&a}), OpError);
  EXPECT_THROW(run_op("Div", {}, {&a, &a, &a}), OpError);
  EXPECT_THROW(run_op("Mul", {}, {&a, nullptr}), OpError);
}

TEST(Binary, IntegerDivisionByZero_n) {
  Tensor a = ints({2}, {1, 2}), b = ints({2}, {1, 0});
  EXPECT_THROW(run_op("Div", {}, {&a, &b}), OpError);
  Tensor lo = ints({1}, {INT64_MIN}), m1 = ints({1}, {-1});
  EXPECT_THROW(run_op("Div", {}, {&lo, &m1}), OpError);
}

}  // namespace
}  // namespace resq
