#include "engine/resq/pixel_layout.h"

#include <gtest/gtest.h>

#include <vector>

namespace resq {
namespace {

Node conv(std::vector<int64_t> strides, std::vector<int64_t> pads) {
  Node n;
  n.name = "c";
  n.op_type = "Conv";
  n.attrs.set("strides", strides);
  n.attrs.set("pads", pads);
  return n;
}

void expect_shares(const std::vector<double>& got, const std::vector<double>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_DOUBLE_EQ(got[i], want[i]) << "pixel " << i;
}

// 1x4 image, 1x3 kernel, pads 1: window positions o = 0..3 read pixels o-1..o+1, so the border
// pixels are read twice and the inner ones three times: 2, 3, 3, 2 out of 10.
TEST(PixelLayout, BorderPixelsCarryLessOfTheMacs) {
  expect_shares(pixel_mac_shares(conv({1, 1}, {0, 1, 0, 1}), {1, 2, 1, 4}, {5, 2, 1, 3}),
                {0.2, 0.3, 0.3, 0.2});
}

// Stride 2: positions 0 and 1 read pixels {-1, 0, 1} and {1, 2, 3}: counts 1, 2, 1, 1.
TEST(PixelLayout, StrideSharesFollowTheWindows) {
  expect_shares(pixel_mac_shares(conv({1, 2}, {0, 1, 0, 1}), {1, 2, 1, 4}, {5, 2, 1, 3}),
                {0.2, 0.4, 0.2, 0.2});
}

TEST(PixelLayout, TwoDimensionalCountsMultiply) {
  // 2x2 image, 2x2 kernel, no pads: one window reads every pixel once.
  expect_shares(pixel_mac_shares(conv({1, 1}, {0, 0, 0, 0}), {1, 3, 2, 2}, {4, 3, 2, 2}),
                {0.25, 0.25, 0.25, 0.25});
  // 3x3 image, 2x2 kernel, stride 1: corners 1, edges 2, centre 4 windows (16 in all).
  auto s = pixel_mac_shares(conv({1, 1}, {0, 0, 0, 0}), {1, 1, 3, 3}, {1, 1, 2, 2});
  expect_shares(s, {1 / 16., 2 / 16., 1 / 16., 2 / 16., 4 / 16., 2 / 16., 1 / 16., 2 / 16., 1 / 16.});
}

TEST(PixelLayout, LayoutsOfLinearOps) {
  Node c = conv({1, 1}, {0, 0, 0, 0});
  PixelLayout l = pixel_layout(c, {2, 16, 8, 4});
  EXPECT_EQ(l.outer, 2);
  EXPECT_EQ(l.channels, 16);
  EXPECT_EQ(l.inner, 32);
  Node g;
  g.op_type = "Gemm";
  l = pixel_layout(g, {5, 7});
  EXPECT_EQ(l.pixels(), 5);
  EXPECT_EQ(l.channels, 7);
  g.attrs.set("transA", int64_t{1});
  l = pixel_layout(g, {7, 5});
  EXPECT_EQ(l.pixels(), 5);
  EXPECT_EQ(l.inner, 5);
  expect_shares(pixel_mac_shares(g, {7, 4}, {7, 3}), {0.25, 0.25, 0.25, 0.25});
}

}  // namespace
}  // namespace resq
