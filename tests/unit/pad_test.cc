#include <gtest/gtest.h>

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
using testing::values;

Tensor pads(std::vector<int64_t> v) {
  return Tensor::from_ints({static_cast<int64_t>(v.size())}, v);
}

Attributes mode(const std::string& m) {
  Attributes a;
  a.set("mode", m);
  return a;
}

TEST(Pad, ConstantWithValue2D) {
  Tensor x = floats({2, 2}, {1, 2, 3, 4}), p = pads({1, 0, 0, 1}), v = floats({}, {9});
  auto y = run_op("Pad", mode("constant"), {&x, &p, &v});
  ASSERT_EQ(y[0].shape(), (Shape{3, 3}));
  EXPECT_EQ(values(y[0]), (std::vector<float>{9, 9, 9, 1, 2, 9, 3, 4, 9}));
}

TEST(Pad, ConstantDefaultsToZero) {
  Tensor x = floats({2}, {1, 2}), p = pads({1, 2});
  auto y = run_op("Pad", {}, {&x, &p});
  EXPECT_EQ(values(y[0]), (std::vector<float>{0, 1, 2, 0, 0}));
  y = run_op("Pad", {}, {&x, &p, nullptr});
  EXPECT_EQ(values(y[0]), (std::vector<float>{0, 1, 2, 0, 0}));
}

TEST(Pad, Reflect) {
  Tensor x = floats({3}, {1, 2, 3}), p = pads({2, 2});
  EXPECT_EQ(values(run_op("Pad", mode("reflect"), {&x, &p})[0]),
            (std::vector<float>{3, 2, 1, 2, 3, 2, 1}));
  Tensor x2 = floats({2, 3}, {1, 2, 3, 4, 5, 6}), p2 = pads({1, 1, 1, 1});
  auto y = run_op("Pad", mode("reflect"), {&x2, &p2});
  ASSERT_EQ(y[0].shape(), (Shape{4, 5}));
  EXPECT_EQ(values(y[0]), (std::vector<float>{5, 4, 5, 6, 5, 2, 1, 2, 3, 2,  //
                                              5, 4, 5, 6, 5, 2, 1, 2, 3, 2}));
}

TEST(Pad, ReflectWiderThanInputRepeats) {
  Tensor x = floats({2}, {1, 2}), p = pads({3, 0});
  EXPECT_EQ(values(run_op("Pad", mode("reflect"), {&x, &p})[0]),
            (std::vector<float>{2, 1, 2, 1, 2}));
}

TEST(Pad, Edge) {
  Tensor x = floats({3}, {1, 2, 3}), p = pads({2, 1});
  EXPECT_EQ(values(run_op("Pad", mode("edge"), {&x, &p})[0]),
            (std::vector<float>{1, 1, 1, 2, 3, 3}));
  Tensor x2 = floats({2, 2}, {1, 2, 3, 4}), p2 = pads({0, 1, 1, 0});
  EXPECT_EQ(values(run_op("Pad", mode("edge"), {&x2, &p2})[0]),
            (std::vector<float>{1, 1, 2, 3, 3, 4, 3, 3, 4}));
}

TEST(Pad, NegativePadsCrop) {
  Tensor x = floats({5}, {1, 2, 3, 4, 5}), p = pads({-1, 1});
  EXPECT_EQ(values(run_op("Pad", {}, {&x, &p})[0]), (std::vector<float>{2, 3, 4, 5, 0}));
  Tensor x2 = floats({2, 3}, {1, 2, 3, 4, 5, 6}), p2 = pads({-1, 1, 0, -2});
  auto y = run_op("Pad", mode("edge"), {&x2, &p2});
  ASSERT_EQ(y[0].shape(), (Shape{1, 2}));
  EXPECT_EQ(values(y[0]), (std::vector<float>{4, 4}));
}

TEST(Pad, Int64Data) {
  std::vector<int64_t> v = {1, 2};
  Tensor x = Tensor::from_ints({2}, v), p = pads({1, 1}),
         c = Tensor::from_ints({}, std::vector<int64_t>{-5});
  auto y = run_op("Pad", {}, {&x, &p, &c});
  EXPECT_EQ(std::vector<int64_t>(y[0].ints().begin(), y[0].ints().end()),
            (std::vector<int64_t>{-5, 1, 2, -5}));
  y = run_op("Pad", mode("edge"), {&x, &p});
  EXPECT_EQ(std::vector<int64_t>(y[0].ints().begin(), y[0].ints().end()),
            (std::vector<int64_t>{1, 1, 2, 2}));
}

TEST(Pad, WrongPadsLength_n) {
  Tensor x = floats({2, 2}, {1, 2, 3, 4}), p = pads({1, 1});
  EXPECT_THROW(run_op("Pad", {}, {&x, &p}), OpError);
}

TEST(Pad, NegativeResultingSize_n) {
  Tensor x = floats({2}, {1, 2}), p = pads({-2, -1});
  EXPECT_THROW(run_op("Pad", {}, {&x, &p}), OpError);
  Tensor huge = pads({INT64_MAX, 1});
  EXPECT_THROW(run_op("Pad", {}, {&x, &huge}), OpError);
}

TEST(Pad, BadMode_n) { EXPECT_THROW(find_op("Pad")(mode("wrap")), OpError); }

TEST(Pad, EdgeOfEmptyAxis_n) {
  Tensor x = floats({0}, {}), p = pads({1, 1});
  EXPECT_THROW(run_op("Pad", mode("edge"), {&x, &p}), OpError);
  EXPECT_THROW(run_op("Pad", mode("reflect"), {&x, &p}), OpError);
  EXPECT_EQ(run_op("Pad", {}, {&x, &p})[0].numel(), 2);
}

TEST(Pad, WrongInputs_n) {
  Tensor x = floats({2}, {1, 2}), p = pads({1, 1}), fp = floats({2}, {1, 1});
  Tensor v2 = floats({2}, {1, 2}), iv = Tensor::from_ints({}, std::vector<int64_t>{1});
  EXPECT_THROW(run_op("Pad", {}, {&x}), OpError);
  EXPECT_THROW(run_op("Pad", {}, {&x, &fp}), OpError);
  EXPECT_THROW(run_op("Pad", {}, {&x, &p, &v2}), OpError);
  EXPECT_THROW(run_op("Pad", {}, {&x, &p, &iv}), OpError);
  EXPECT_THROW(run_op("Pad", {}, {&x, &p, &x, &x}), OpError);
}

}  // namespace
}  // namespace resq
